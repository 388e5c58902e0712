// The cast kernel: codes of one format to codes of another, one rounding from the exact source.
// NumPy float16/32/64 arrays are codes of the formats float16/float32/float64.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "roundoff/exact.hpp"
#include "roundoff/format.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// The significand integer: wide enough for the source significand and the target's.
template <class Src, class Dst>
using WorkUInt = std::conditional_t<(sizeof(Src) > 4 || sizeof(Dst) > 4), uint64_t, uint32_t>;

// rbits: random integers (< 2^sr_bits) for stochastic rounding, else unused (may be null).
template <Rounding M, class Src, class Dst>
ROUNDOFF_HD inline void convert_span(const Src* __restrict src, Dst* __restrict dst, size_t n,
                                     FormatInfo from, FormatInfo to, Policy policy,
                                     bool flush_inputs, const uint32_t* __restrict rbits) {
  using UInt = WorkUInt<Src, Dst>;
  // Local copies: stores through Dst (possibly a char type) must not force reloads of the formats.
  const FormatInfo F = from, T = to;
  const Policy P = policy;
  const Specials S = specials<M>(T, P);
  for (size_t i = 0; i < n; ++i) {
    const Exact<UInt> x = unpack<UInt>(src[i], F, flush_inputs);
    const uint32_t r = M == Rounding::stochastic ? rbits[i] : 0;
    dst[i] = Dst(round_to_code<M, UInt>(x, T, P, S, r));
  }
}

}  // namespace roundoff
