#include "convert_driver.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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

#if defined(__AVX2__)
// float32 -> BF16 to nearest-even (no saturation, flushing or DAZ), eight at a time: the
// rounding routine's result by the carry trick, proven equal to it on all 2^32 float32 codes
// (tests/test_casts.py, slow suite; a sample in the default one). Adding 0x7FFF plus the
// kept LSB carries into the kept bits exactly when the dropped 16 bits exceed half (or equal
// it with an odd LSB); the carry may run into the exponent (the next binade, or Inf from
// FLT_MAX's neighbourhood, as the routine overflows), and never into the sign, since NaN,
// the only code that would, becomes the routine's 0x7FC0. Returns how many it did (a multiple
// of 8); the caller rounds the rest.
size_t bf16_nearest_even_avx2(const uint32_t* src, uint16_t* dst, size_t n) {
  const __m256i half = _mm256_set1_epi32(0x7FFF), one = _mm256_set1_epi32(1);
  const __m256i abs_mask = _mm256_set1_epi32(0x7FFFFFFF), inf = _mm256_set1_epi32(0x7F800000);
  const __m256i nan = _mm256_set1_epi32(0x7FC0);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), one);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(half, lsb)), 16);
    r = _mm256_blendv_epi8(r, nan, _mm256_cmpgt_epi32(_mm256_and_si256(b, abs_mask), inf));
    // 32-bit lanes (each < 2^16) to 16-bit codes in order.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_castsi256_si128(packed));
  }
  return i;
}
#endif

// One contiguous span of codes: count elements of src into dst, r the random bits of
// stochastic rounding (one per element) or null. Casts with constant facts (known_formats.hpp):
// float32 sources into the formats models cast to.
template <Rounding M, class Src, class Dst, const FormatInfo* KF = nullptr,
          const FormatInfo* KT = nullptr>
void cast_span(const void* src_raw, void* dst_raw, size_t count, const CastRequest& req,
               const uint32_t* r) {
  const Src* s = static_cast<const Src*>(src_raw);
  Dst* dst = static_cast<Dst*>(dst_raw);
#if defined(__AVX2__)
  if constexpr (KF == &kFloat32 && KT == &kBF16 && M == Rounding::nearest_even) {
    if (!req.policy.saturate && !req.policy.flush_outputs && !req.flush_inputs) {
      const size_t done = bf16_nearest_even_avx2(s, dst, count);
      s += done;
      dst += done;
      count -= done;
    }
  }
#endif
  if constexpr (KF != nullptr) {
    convert_span<M, uint32_t, kVectorBytes / 4>(s, dst, count, known_or<KF>(req.from),
                                                known_or<KT>(req.to), req.policy,
                                                req.flush_inputs, r);
  } else {
    if constexpr (sizeof(Src) <= 4 && sizeof(Dst) <= 4) {
      if (fits_32bit_lanes(req.from, req.to)) {
        convert_span<M, uint32_t, kVectorBytes / 4>(s, dst, count, req.from, req.to,
                                                    req.policy, req.flush_inputs, r);
        return;
      }
    }
    convert_span<M, uint64_t, kVectorBytes / 8>(s, dst, count, req.from, req.to, req.policy,
                                                req.flush_inputs, r);
  }
}

// A whole strided array: tiles of cast_span, gathered first where src is not contiguous.
template <Rounding M, class Src, class Dst, const FormatInfo* KF = nullptr,
          const FormatInfo* KT = nullptr>
void convert_typed(const StridedView& src, void* dst_raw, const CastRequest& req,
                   const StridedView* rbits, int threads, Stop& stop) {
  const size_t n = element_count(src);
  const int64_t tiles = int64_t((n + kTile - 1) / kTile);
  Dst* dst = static_cast<Dst*>(dst_raw);
  const bool use_rbits = M == Rounding::stochastic;
  const bool direct = src.contiguous;
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
    cast_span<M, Src, Dst, KF, KT>(s, dst + first, count, req, r);
  });
}

using ConvertFn = void (*)(const StridedView&, void*, const CastRequest&, const StridedView*, int,
                          Stop&);

// Both entry points of one instantiation.
struct Kernels {
  ConvertFn whole;
  CastSpanFn span;
};

template <Rounding M, class Src, class Dst, const FormatInfo* KF = nullptr,
          const FormatInfo* KT = nullptr>
Kernels kernels() {
  return {&convert_typed<M, Src, Dst, KF, KT>, &cast_span<M, Src, Dst, KF, KT>};
}

template <Rounding M, class Src>
Kernels pick_dst(int dst_itemsize) {
  switch (dst_itemsize) {
    case 1: return kernels<M, Src, uint8_t>();
    case 2: return kernels<M, Src, uint16_t>();
    case 4: return kernels<M, Src, uint32_t>();
    case 8: return kernels<M, Src, uint64_t>();
  }
  throw std::invalid_argument("destination itemsize must be 1, 2, 4 or 8");
}

template <Rounding M>
Kernels pick_src(int src_itemsize, int dst_itemsize) {
  switch (src_itemsize) {
    case 1: return pick_dst<M, uint8_t>(dst_itemsize);
    case 2: return pick_dst<M, uint16_t>(dst_itemsize);
    case 4: return pick_dst<M, uint32_t>(dst_itemsize);
    case 8: return pick_dst<M, uint64_t>(dst_itemsize);
  }
  throw std::invalid_argument("source itemsize must be 1, 2, 4 or 8");
}

// The kernels with constant facts when the request is one of the casts above, else the general.
template <Rounding M>
Kernels pick(const CastRequest& req, int src_itemsize, int dst_itemsize) {
  if (src_itemsize == 4 && same_facts(req.from.f, kFloat32.f)) {
    if (dst_itemsize == 1 && same_facts(req.to.f, kE4M3.f))
      return kernels<M, uint32_t, uint8_t, &kFloat32, &kE4M3>();
    if (dst_itemsize == 1 && same_facts(req.to.f, kE5M2.f))
      return kernels<M, uint32_t, uint8_t, &kFloat32, &kE5M2>();
    if (dst_itemsize == 2 && same_facts(req.to.f, kBF16.f))
      return kernels<M, uint32_t, uint16_t, &kFloat32, &kBF16>();
    if (dst_itemsize == 2 && same_facts(req.to.f, kFP16.f))
      return kernels<M, uint32_t, uint16_t, &kFloat32, &kFP16>();
  }
  return pick_src<M>(src_itemsize, dst_itemsize);
}

Kernels pick_kernels(const CastRequest& req, int src_itemsize, int dst_itemsize) {
  return dispatch_mode(req.mode, [&](auto m) {
    return pick<decltype(m)::value>(req, src_itemsize, dst_itemsize);
  });
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
  pick_kernels(req, src.itemsize, dst_itemsize).whole(src, dst, req, rbits, threads, stop);
}

CastSpanFn cast_span_for(const CastRequest& req, int src_itemsize, int dst_itemsize) {
  return pick_kernels(req, src_itemsize, dst_itemsize).span;
}

}  // namespace roundoff
