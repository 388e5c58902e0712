// Lane sets: every element computation (unpack, the rounding routine, Philox) is written once
// over a lane type L, either one element (Lanes<E, 1>: a CUDA thread, or a CPU loop's tail) or a
// GCC/Clang vector of N elements (Lanes<E, N>: CPU SIMD). The code is straight-line: comparisons
// give masks, `m ? a : b` selects, shifts and arithmetic are element-wise. What differs between
// the two kinds (broadcasts, masks, leading-bit search, loads, stores) lives here.
//
// Rules for code written over L: build constants with L::u / L::s / L::mask (a vector may not
// mix with a scalar of another element type), combine masks with & | !, shift by U amounts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "roundoff/format.hpp"

#if defined(__AVX2__) && !defined(__CUDA_ARCH__)
#include <immintrin.h>
#endif

namespace roundoff {

template <class E, int N>
struct Lanes;

// One element. Masks are bool. E may be unsigned __int128 (exact FMA sums).
template <class E>
struct Lanes<E, 1> {
  using U = E;                         // unsigned lanes: codes, significands
  using S = std::make_signed_t<E>;     // signed lanes of the same width: exponents
  using M = bool;                      // result of a comparison
  static constexpr int n = 1;
  static constexpr int W = int(sizeof(E)) * 8;

  ROUNDOFF_HD ROUNDOFF_INLINE static U u(uint64_t x) { return U(x); }
  ROUNDOFF_HD ROUNDOFF_INLINE static S s(int64_t x) { return S(x); }
  ROUNDOFF_HD ROUNDOFF_INLINE static M mask(bool b) { return b; }
  ROUNDOFF_HD ROUNDOFF_INLINE static U to_u(S x) { return U(x); }
  ROUNDOFF_HD ROUNDOFF_INLINE static S to_s(U x) { return S(x); }
  ROUNDOFF_HD ROUNDOFF_INLINE static U bit(M m) { return U(m); }  // 1 where m holds, else 0

  // 32-bit lanes as float32 values, and back (the bits unchanged).
  using F = float;
  ROUNDOFF_HD ROUNDOFF_INLINE static F as_float(U x) {
    static_assert(W == 32, "float32 lanes are 32-bit lanes");
    F f;
    std::memcpy(&f, &x, sizeof f);
    return f;
  }
  ROUNDOFF_HD ROUNDOFF_INLINE static U from_float(F f) {
    U x;
    std::memcpy(&x, &f, sizeof x);
    return x;
  }

  // Exponent of the leading bit of x (x != 0).
  ROUNDOFF_HD ROUNDOFF_INLINE static S msb_index(U x) {
    if constexpr (W == 128) {
      const uint64_t hi = uint64_t(x >> 64);
      return hi ? S(64 + msb64(hi)) : S(msb64(uint64_t(x)));
    } else if constexpr (W == 64) {
      return S(msb64(x));
    } else {
#if defined(__CUDA_ARCH__)
      return S(31 - __clz(int(x)));
#else
      return S(31 - __builtin_clz(x));
#endif
    }
  }
  ROUNDOFF_HD ROUNDOFF_INLINE static int msb64(uint64_t x) {
#if defined(__CUDA_ARCH__)
    return 63 - __clzll((long long)x);
#else
    return 63 - __builtin_clzll(x);
#endif
  }

  // The high and low 32 bits of the 64-bit product of 32-bit lanes.
  ROUNDOFF_HD ROUNDOFF_INLINE static void mulhilo(U a, uint32_t b, U& hi, U& lo) {
    static_assert(W == 32, "mulhilo is defined on 32-bit lanes");
    const uint64_t p = uint64_t(a) * b;
    hi = U(p >> 32);
    lo = U(p);
  }

  // The 128-bit product of 64-bit lanes, as high and low words.
  ROUNDOFF_HD ROUNDOFF_INLINE static void mul_wide(U a, U b, U& hi, U& lo) {
    static_assert(W == 64, "mul_wide is defined on 64-bit lanes");
#if defined(__CUDA_ARCH__)
    hi = __umul64hi(a, b);
#else
    hi = U((unsigned __int128)a * b >> 64);
#endif
    lo = a * b;
  }

  // floor((hi * 2^64 + lo) / d) and whether the division leaves a remainder; the quotient
  // must fit in 64 bits (hi < d).
  ROUNDOFF_HD ROUNDOFF_INLINE static U div_wide(U hi, U lo, U d, M& inexact) {
    static_assert(W == 64, "div_wide is defined on 64-bit lanes");
    const unsigned __int128 n = ((unsigned __int128)hi << 64) | lo;
    const U q = U(n / d);
    inexact = n != (unsigned __int128)q * d;
    return q;
  }

  ROUNDOFF_HD ROUNDOFF_INLINE static U iota() { return U(0); }

  // Writes word w of lane j to out[4 * j + w], the first `count` of them.
  ROUNDOFF_HD ROUNDOFF_INLINE static void interleave4(const U (&v)[4], uint32_t* out,
                                                      size_t count) {
    for (size_t w = 0; w < count; ++w) out[w] = uint32_t(v[w]);
  }

  // Reads count (<= n) elements of type T, widened or narrowed to U; absent lanes are 0.
  // Through memcpy: NumPy data may be unaligned (np.frombuffer at an odd offset).
  template <class T>
  ROUNDOFF_HD ROUNDOFF_INLINE static U load(const T* p, size_t /*count*/) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return U(v);
  }
  template <class T>
  ROUNDOFF_HD ROUNDOFF_INLINE static void store(T* p, U v, size_t /*count*/) {
    const T t = T(v);
    std::memcpy(p, &t, sizeof t);
  }
};

#if defined(__GNUC__) && !defined(__CUDA_ARCH__)
// N elements in a GCC vector. Masks are signed lanes of 0 / -1.
template <class E, int N>
struct Lanes {
  typedef E U __attribute__((vector_size(N * sizeof(E))));
  typedef std::make_signed_t<E> SE;
  typedef SE S __attribute__((vector_size(N * sizeof(E))));
  using M = S;
  static constexpr int n = N;
  static constexpr int W = int(sizeof(E)) * 8;

  ROUNDOFF_INLINE static U u(uint64_t x) { return U{} + E(x); }
  ROUNDOFF_INLINE static S s(int64_t x) { return S{} + SE(x); }
  ROUNDOFF_INLINE static M mask(bool b) { return S{} - SE(b); }
  ROUNDOFF_INLINE static U to_u(S x) { return (U)x; }
  ROUNDOFF_INLINE static S to_s(U x) { return (S)x; }
  ROUNDOFF_INLINE static U bit(M m) { return U{} - (U)m; }

  // 32-bit lanes as float32 values, and back (the bits unchanged).
  typedef float F __attribute__((vector_size(N * sizeof(E))));
  ROUNDOFF_INLINE static F as_float(U x) {
    static_assert(W == 32, "float32 lanes are 32-bit lanes");
    F f;
    std::memcpy(&f, &x, sizeof f);
    return f;
  }
  ROUNDOFF_INLINE static U from_float(F f) {
    U x;
    std::memcpy(&x, &f, sizeof x);
    return x;
  }

  // Exponent of the leading bit of x, for 0 < x < 2^(W-1): read from the exponent of x
  // converted to a float, a few instructions where a search takes a dozen.
  ROUNDOFF_INLINE static S msb_index(U x) {
    if constexpr (W == 32) {
      typedef float F __attribute__((vector_size(N * sizeof(float))));
      const F f = __builtin_convertvector((S)x, F);
      S e;
      std::memcpy(&e, &f, sizeof e);
      e = (e >> 23) - 127;
      // The conversion rounds to 24 bits and may carry into the next binade: step back then.
      return e + (S)((x >> (U)e) == 0);
    } else {
      // AVX2 converts no 64-bit integers: the leading word of x (high if nonzero, else low)
      // goes through a double exactly, as 2^52 + word - 2^52.
      const U high = x >> 32;
      const M in_high = high != u(0);
      const U word = in_high ? high : U(x & u(0xFFFFFFFFu));
      typedef double F __attribute__((vector_size(N * sizeof(double))));
      const U magic = u(0x4330000000000000ull);
      F f;
      const U biased = word | magic;
      std::memcpy(&f, &biased, sizeof f);
      F two52;
      std::memcpy(&two52, &magic, sizeof two52);
      f -= two52;
      S e;
      std::memcpy(&e, &f, sizeof e);
      return (e >> 52) - 1023 + (in_high & s(32));
    }
  }

  // The high and low 32 bits of the 64-bit products of 32-bit lanes. The high halves: even and
  // odd lanes multiplied as 64-bit lanes (one pmuludq each), their top words shuffled in place.
  ROUNDOFF_INLINE static void mulhilo(U a, uint32_t b, U& hi, U& lo) {
    static_assert(W == 32, "mulhilo is defined on 32-bit lanes");
    typedef uint64_t U64 __attribute__((vector_size(sizeof(U))));
    U64 a64;
    std::memcpy(&a64, &a, sizeof a64);
    U64 even64, odd64;
#if defined(__AVX2__)
    // GCC 12 multiplies the generic form below as full 64-bit lanes (three pmuludq).
    if constexpr (sizeof(U) == 32) {
      const __m256i bb = _mm256_set1_epi32(int(b));
      even64 = (U64)_mm256_mul_epu32((__m256i)a64, bb);
      odd64 = (U64)_mm256_mul_epu32((__m256i)(a64 >> 32), bb);
    } else
#endif
    {
      even64 = (a64 & 0xFFFFFFFFull) * uint64_t{b};
      odd64 = (a64 >> 32) * uint64_t{b};
    }
    U even, odd;  // even = [lo0 hi0 lo2 hi2 ...], odd = [lo1 hi1 lo3 hi3 ...]
    std::memcpy(&even, &even64, sizeof even);
    std::memcpy(&odd, &odd64, sizeof odd);
    hi = high_words(even, odd, std::make_integer_sequence<int, N>{});
    lo = a * b;
  }

  ROUNDOFF_INLINE static U iota() {
    E a[N];
    for (int j = 0; j < N; ++j) a[j] = E(j);
    U v;
    std::memcpy(&v, a, sizeof v);
    return v;
  }

  // Writes word w of lane j to out[4 * j + w], the first `count` of them: a 4 x N transpose as
  // two rounds of zips (32-bit, then 64-bit pairs).
  ROUNDOFF_INLINE static void interleave4(const U (&v)[4], uint32_t* out, size_t count) {
    static_assert(W == 32 && N % 4 == 0, "interleave4 is defined on 32-bit lanes");
    typedef uint64_t U64 __attribute__((vector_size(sizeof(U))));
    const auto seq = std::make_integer_sequence<int, N>{};
    const auto seq64 = std::make_integer_sequence<int, N / 2>{};
    const U pairs01[2] = {zip<0>(v[0], v[1], seq), zip<N / 2>(v[0], v[1], seq)};
    const U pairs23[2] = {zip<0>(v[2], v[3], seq), zip<N / 2>(v[2], v[3], seq)};
    U64 quads[4];
    for (int h = 0; h < 2; ++h) {
      U64 a, b;
      std::memcpy(&a, &pairs01[h], sizeof a);
      std::memcpy(&b, &pairs23[h], sizeof b);
      quads[2 * h] = zip<0>(a, b, seq64);
      quads[2 * h + 1] = zip<N / 4>(a, b, seq64);
    }
    std::memcpy(out, quads, count * sizeof(uint32_t));
  }

  template <class T>
  ROUNDOFF_INLINE static U load(const T* p, size_t count) {
#if defined(__AVX2__)
    if constexpr (sizeof(T) == 1 && sizeof(U) == 32 && N == 8) {
      // GCC 12 widens the bytes of a convert one at a time: one vpmovzxbd instead.
      long long bytes = 0;
      std::memcpy(&bytes, p, count);
      return (U)_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(bytes));
    }
#endif
    typedef T V __attribute__((vector_size(N * sizeof(T))));
    V v{};
    std::memcpy(&v, p, count * sizeof(T));
    return __builtin_convertvector(v, U);
  }
  template <class T>
  ROUNDOFF_INLINE static void store(T* p, U x, size_t count) {
    if constexpr (sizeof(T) < sizeof(E)) {
      // Keep the low part of each lane: one byte shuffle (a truncating convert is done
      // element by element by GCC 12).
      constexpr int K = int(sizeof(E) / sizeof(T));
      typedef T V __attribute__((vector_size(sizeof(U))));
      V v;
      std::memcpy(&v, &x, sizeof v);
      const V low = take_every<K>(v, std::make_integer_sequence<int, N * K>{});
      std::memcpy(p, &low, count * sizeof(T));
    } else {
      typedef T V __attribute__((vector_size(N * sizeof(T))));
      const V v = __builtin_convertvector(x, V);
      std::memcpy(p, &v, count * sizeof(T));
    }
  }

 private:
  // [a[f] b[f] a[f+1] b[f+1] ...]: the lanes of a and b from f on, interleaved.
  template <int F, class V, int... I>
  ROUNDOFF_INLINE static V zip(V a, V b, std::integer_sequence<int, I...>) {
    constexpr int n = int(sizeof...(I));
    typedef std::make_signed_t<std::remove_reference_t<decltype(a[0])>> Idx;
    typedef Idx Mask __attribute__((vector_size(sizeof(V))));
    return __builtin_shuffle(a, b, Mask{Idx(F + I / 2 + (I % 2) * n)...});
  }
  // Lane j: the high word of the 64-bit pair holding it, from even (j even) or odd (j odd).
  template <int... I>
  ROUNDOFF_INLINE static U high_words(U even, U odd, std::integer_sequence<int, I...>) {
    return __builtin_shuffle(even, odd, S{SE(I % 2 == 0 ? I + 1 : N + I)...});
  }
  // Elements 0, K, 2K, ... of v moved to the front.
  template <int K, class V, int... I>
  ROUNDOFF_INLINE static V take_every(V v, std::integer_sequence<int, I...>) {
    typedef std::make_signed_t<std::remove_reference_t<decltype(v[0])>> Idx;
    typedef Idx Mask __attribute__((vector_size(sizeof(V))));
    return __builtin_shuffle(v, Mask{Idx((I % N) * K)...});
  }
};
#endif

// Element-wise minimum and maximum (a select, so it serves both kinds of lanes).
template <class T>
ROUNDOFF_HD ROUNDOFF_INLINE T lane_min(T a, T b) { return a < b ? a : b; }
template <class T>
ROUNDOFF_HD ROUNDOFF_INLINE T lane_max(T a, T b) { return a < b ? b : a; }

}  // namespace roundoff
