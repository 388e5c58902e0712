#include "convert_driver.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "roundoff/known_formats.hpp"
#include "roundoff/convert.hpp"
#include "roundoff/rng.hpp"

namespace roundoff {
namespace {

constexpr int kVectorBytes = 32;  // one AVX2 register per lane set

// Casts with constant facts (known_formats.hpp): float32 sources into the formats models cast to.
template <Rounding M, class Src, class Dst, const FormatInfo* KF = nullptr,
          const FormatInfo* KT = nullptr>
void convert_typed(const StridedView& src, void* dst_raw, const CastRequest& req,
                   const StridedView* rbits, int threads, Stop& stop) {
  const size_t n = element_count(src);
  const int64_t tiles = int64_t((n + kTile - 1) / kTile);
  Dst* dst = static_cast<Dst*>(dst_raw);
  const bool use_rbits = M == Rounding::stochastic;
  const bool direct = src.contiguous;
  const bool narrow = fits_32bit_lanes(req.from, req.to);
  const int nthreads = threads_for(tiles, 4, threads);
  // Per-thread tile buffers, on the heap: a thread's stack may be small.
  const size_t per = std::min(n, kTile);
  std::vector<Src> src_bufs(direct ? 0 : per * size_t(nthreads));
  std::vector<uint32_t> bits_bufs(use_rbits ? per * size_t(nthreads) : 0);
  parallel_for(tiles, nthreads, stop, [&](int64_t t, int thread) {
    const size_t first = size_t(t) * kTile;
    const size_t count = std::min(kTile, n - first);
    const Src* s = reinterpret_cast<const Src*>(src.data) + first;
    if (!direct) {
      Src* buf = src_bufs.data() + per * size_t(thread);
      gather<Src, Src>(src, first, count, buf);
      s = buf;
    }
    const uint32_t* r = nullptr;
    if (use_rbits) {
      uint32_t* buf = bits_bufs.data() + per * size_t(thread);
      tile_random_bits(rbits, req.seed, req.policy.sr_bits, first, count, buf);
      r = buf;
    }
    if constexpr (KF != nullptr) {
      convert_span<M, uint32_t, kVectorBytes / 4>(s, dst + first, count, known_or<KF>(req.from),
                                                  known_or<KT>(req.to), req.policy,
                                                  req.flush_inputs, r);
    } else {
      if constexpr (sizeof(Src) <= 4 && sizeof(Dst) <= 4) {
        if (narrow) {
          convert_span<M, uint32_t, kVectorBytes / 4>(s, dst + first, count, req.from, req.to,
                                                      req.policy, req.flush_inputs, r);
          return;
        }
      }
      convert_span<M, uint64_t, kVectorBytes / 8>(s, dst + first, count, req.from, req.to,
                                                  req.policy, req.flush_inputs, r);
    }
  });
}

using ConvertFn = void (*)(const StridedView&, void*, const CastRequest&, const StridedView*, int,
                          Stop&);

template <Rounding M, class Src>
ConvertFn pick_dst(int dst_itemsize) {
  switch (dst_itemsize) {
    case 1: return &convert_typed<M, Src, uint8_t>;
    case 2: return &convert_typed<M, Src, uint16_t>;
    case 4: return &convert_typed<M, Src, uint32_t>;
    case 8: return &convert_typed<M, Src, uint64_t>;
  }
  throw std::invalid_argument("destination itemsize must be 1, 2, 4 or 8");
}

template <Rounding M>
ConvertFn pick_src(int src_itemsize, int dst_itemsize) {
  switch (src_itemsize) {
    case 1: return pick_dst<M, uint8_t>(dst_itemsize);
    case 2: return pick_dst<M, uint16_t>(dst_itemsize);
    case 4: return pick_dst<M, uint32_t>(dst_itemsize);
    case 8: return pick_dst<M, uint64_t>(dst_itemsize);
  }
  throw std::invalid_argument("source itemsize must be 1, 2, 4 or 8");
}

// A kernel with constant facts when the request is one of the casts above, else null.
template <Rounding M>
ConvertFn pick_known(const CastRequest& req, int src_itemsize, int dst_itemsize) {
  if (src_itemsize != 4 || !same_facts(req.from.f, kFloat32.f)) return nullptr;
  if (dst_itemsize == 1 && same_facts(req.to.f, kE4M3.f))
    return &convert_typed<M, uint32_t, uint8_t, &kFloat32, &kE4M3>;
  if (dst_itemsize == 1 && same_facts(req.to.f, kE5M2.f))
    return &convert_typed<M, uint32_t, uint8_t, &kFloat32, &kE5M2>;
  if (dst_itemsize == 2 && same_facts(req.to.f, kBF16.f))
    return &convert_typed<M, uint32_t, uint16_t, &kFloat32, &kBF16>;
  if (dst_itemsize == 2 && same_facts(req.to.f, kFP16.f))
    return &convert_typed<M, uint32_t, uint16_t, &kFloat32, &kFP16>;
  return nullptr;
}

template <Rounding M>
ConvertFn pick(const CastRequest& req, int src_itemsize, int dst_itemsize) {
  if (ConvertFn known = pick_known<M>(req, src_itemsize, dst_itemsize)) return known;
  return pick_src<M>(src_itemsize, dst_itemsize);
}

}  // namespace

int default_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void convert_array(const StridedView& src, void* dst, int dst_itemsize, const CastRequest& req,
                   const StridedView* rbits, int threads, Stop& stop) {
  const ConvertFn fn = dispatch_mode(req.mode, [&](auto m) {
    return pick<decltype(m)::value>(req, src.itemsize, dst_itemsize);
  });
  fn(src, dst, req, rbits, threads, stop);
}

}  // namespace roundoff
