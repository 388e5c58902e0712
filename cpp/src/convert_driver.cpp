#include "convert_driver.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

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
                   const StridedView* rbits, int threads) {
  const size_t n = element_count(src);
  const size_t tiles = (n + kTile - 1) / kTile;
  Dst* dst = static_cast<Dst*>(dst_raw);
  const bool use_rbits = M == Rounding::stochastic;
  const bool direct = src.contiguous;
  const bool narrow = fits_32bit_lanes(req.from, req.to);
  // Small arrays stay on the calling thread: forking costs more than it saves.
  const int nthreads = tiles >= 4 ? std::max(1, threads) : 1;
#pragma omp parallel for schedule(static) num_threads(nthreads) if (nthreads > 1)
  for (long long t = 0; t < (long long)tiles; ++t) {
    Src src_buf[kTile];
    uint32_t bits_buf[kTile];
    const size_t first = size_t(t) * kTile;
    const size_t count = std::min(kTile, n - first);
    const Src* s = reinterpret_cast<const Src*>(src.data) + first;
    if (!direct) {
      gather<Src, Src>(src, first, count, src_buf);
      s = src_buf;
    }
    const uint32_t* r = nullptr;
    if (use_rbits) {
      tile_random_bits(rbits, req.seed, req.policy.sr_bits, first, count, bits_buf);
      r = bits_buf;
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
          continue;
        }
      }
      convert_span<M, uint64_t, kVectorBytes / 8>(s, dst + first, count, req.from, req.to,
                                                  req.policy, req.flush_inputs, r);
    }
  }
}

using ConvertFn = void (*)(const StridedView&, void*, const CastRequest&, const StridedView*, int);

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
                   const StridedView* rbits, int threads) {
  const ConvertFn fn = dispatch_mode(req.mode, [&](auto m) {
    return pick<decltype(m)::value>(req, src.itemsize, dst_itemsize);
  });
  fn(src, dst, req, rbits, threads);
}

}  // namespace roundoff
