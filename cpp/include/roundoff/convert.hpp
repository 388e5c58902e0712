// The cast kernel: codes of one format to codes of another, one rounding from the exact source.
// NumPy float16/32/64 arrays are codes of the formats float16/float32/float64.
#pragma once
#include <cstddef>
#include <cstdint>

#include "roundoff/exact.hpp"
#include "roundoff/format.hpp"
#include "roundoff/lanes.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// Whether 32-bit lanes hold a cast from F to T exactly: magnitude codes below 2^31 (they are
// compared as signed lanes), a source significand within sig_top + 1 = 30 bits, and at least
// two bits of it below the target's quantum (round_magnitude shifts by W + 1 - s).
// (64-bit lanes hold every format: bits <= 64, unsigned ones <= 63, man_bits <= 52.)
ROUNDOFF_HD ROUNDOFF_INLINE bool fits_32bit_lanes(const FormatInfo& F, const FormatInfo& T) {
  const auto fits = [](const FormatInfo& I) { return I.bits - (I.f.is_signed ? 1 : 0) <= 31; };
  return fits(F) && fits(T) && F.f.man_bits <= sig_top<Lanes<uint32_t, 1>> &&
         T.f.man_bits <= sig_top<Lanes<uint32_t, 1>> - 2;
}

// Casts count (<= L::n) elements starting at src into dst.
template <Rounding M, class L, class Src, class Dst>
ROUNDOFF_HD ROUNDOFF_INLINE void convert_lanes(const Src* src, Dst* dst, size_t count,
                                               const FormatInfo& F,
                                      const FormatInfo& T, const Policy& P, const Specials& S,
                                      bool flush_inputs, bool normalize, const uint32_t* rbits) {
  const Exact<L> x = unpack<L>(L::load(src, count), F, flush_inputs, normalize);
  typename L::U r = L::u(0);
  if constexpr (M == Rounding::stochastic) r = L::load(rbits, count);
  L::store(dst, round_to_code<M, L>(x, T, P, S, r), count);
}

// Casts n elements in lanes of E (uint32_t when fits_32bit_lanes, else uint64_t): whole vectors
// of Lanes<E, N>, then the tail one element at a time through the same routine.
// rbits: random integers (< 2^sr_bits) for stochastic rounding, else unused (may be null).
template <Rounding M, class E, int N, class Src, class Dst>
ROUNDOFF_INLINE void convert_span(const Src* __restrict src, Dst* __restrict dst, size_t n,
                         FormatInfo from, FormatInfo to, Policy policy, bool flush_inputs,
                         const uint32_t* __restrict rbits) {
  // Local copies: stores through Dst (possibly a char type) must not force reloads of the formats.
  const FormatInfo F = from, T = to;
  const Policy P = policy;
  const Specials S = specials<M>(T, P);
  const bool normalize = needs_normalized(F, T);
  const auto r = [&](size_t i) { return M == Rounding::stochastic ? rbits + i : rbits; };
  const size_t whole = n - n % N;
  for (size_t i = 0; i < whole; i += N)
    convert_lanes<M, Lanes<E, N>>(src + i, dst + i, N, F, T, P, S, flush_inputs, normalize, r(i));
  for (size_t k = 0; k < n % N; ++k) {
    const size_t i = whole + k;
    convert_lanes<M, Lanes<E, 1>>(src + i, dst + i, 1, F, T, P, S, flush_inputs, normalize, r(i));
  }
}

}  // namespace roundoff
