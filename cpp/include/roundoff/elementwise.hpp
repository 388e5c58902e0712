// The elementwise arithmetic kernel: codes of the operands to codes of the result, the exact
// result (arith.hpp) rounded once (round.hpp). Written over lanes, as the cast kernel.
#pragma once
#include <cstddef>
#include <cstdint>

#include "roundoff/arith.hpp"
#include "roundoff/exact.hpp"
#include "roundoff/format.hpp"
#include "roundoff/known_formats.hpp"
#include "roundoff/lanes.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// dot2: a * b + c * d, the sum of two exact products (accumulators add product terms).
enum class ArithOp : int { add = 0, sub = 1, mul = 2, div = 3, fma = 4, sqrt = 5, dot2 = 6 };

// Number of operands of op.
ROUNDOFF_HD constexpr int arity(ArithOp op) {
  return op == ArithOp::sqrt ? 1 : op == ArithOp::fma ? 3 : op == ArithOp::dot2 ? 4 : 2;
}

// What the element computation reads: local copies, built with constant facts where known.
struct ArithFacts {
  FormatInfo a, b, c, d, to;
  Policy policy;
  bool flush_inputs;
};

// round(op(a, b, c, d)) for the lanes of L, operands of at most Q significant bits.
template <Rounding M, ArithOp Op, int Q, class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U arith_lanes(typename L::U ca, typename L::U cb,
                                                      typename L::U cc, typename L::U cd,
                                                      const ArithFacts& k, const Specials& S,
                                                      typename L::U r) {
  // DAZ as a unit working in the result format sees it: operands below its normal range.
  const auto unpack_operand = [&](typename L::U c, const FormatInfo& F) {
    Exact<L> e = unpack<L>(c, F, false, true);
    e.is_zero = e.is_zero | (L::mask(k.flush_inputs) & !e.is_nan & !e.is_inf &
                             (e.msb < L::s(k.to.emin)));
    return e;
  };
  const Exact<L> x = unpack_operand(ca, k.a);
  if constexpr (Op == ArithOp::sqrt) {
    (void)cb;
    (void)cc;
    (void)cd;
    return round_to_code<M, L>(exact_sqrt<L>(x), k.to, k.policy, S, r);
  }
  Exact<L> y = unpack_operand(cb, k.b);
  Exact<L> z;
  if constexpr (Op == ArithOp::mul) {
    z = exact_mul<L, Q>(x, y);
  } else if constexpr (Op == ArithOp::div) {
    z = exact_div<L>(x, y);
  } else if constexpr (Op == ArithOp::fma) {
    z = exact_fma<L, Q, M == Rounding::stochastic>(x, y, unpack_operand(cc, k.c),
                                                    M == Rounding::down);
  } else if constexpr (Op == ArithOp::dot2) {
    z = exact_dot2<L>(x, y, unpack_operand(cc, k.c), unpack_operand(cd, k.d),
                      M == Rounding::down);
  } else {
    if constexpr (Op == ArithOp::sub) y.neg = !y.neg;
    z = exact_add<L, M == Rounding::stochastic>(x, y, M == Rounding::down);
  }
  return round_to_code<M, L>(z, k.to, k.policy, S, r);
}

// The float32 path (exact for p <= 11, see the README): +, - and * of operands of at most 11 significant
// bits computed in float32 (round to nearest even) and then rounded once to nearest into a format
// of at most 11 significant bits equal the exact result rounded once: float32's 24 bits are at
// least 2p + 2 (Figueroa), wherever float32 is normal, and below that sums of the operands are
// exact and products either exact or at least a float32 quantum from every midpoint
// (tests/test_kernels.py checks each format it serves). The caller keeps the float unit in IEEE
// mode (no FTZ/DAZ) and takes this path for E4M3, E5M2, BF16 and FP16, the same in and out.

// The float32 bits of codes of F (signed, with subnormals, within float32's range), exactly:
// the magnitude's fields moved to float32's and rebiased by an exact power-of-two multiply,
// which also places subnormals.
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U float32_bits(typename L::U c, const FormatInfo& F) {
  using U = typename L::U;
  const int man = F.f.man_bits;
  const U mag = c & L::u(F.mag_mask);
  const auto rebias = typename L::F(L::as_float(L::u(uint32_t(254 - F.f.bias) << 23)));
  U bits = L::from_float(L::as_float(mag << L::u(23 - man)) * rebias);
  bits = (mag == L::u(F.inf_code)) & L::mask(F.has_inf) ? L::u(0x7F800000u) : bits;
  bits = L::to_s(mag) > L::s(F.max_non_nan) ? L::u(0x7FC00000u) : bits;
  return bits | ((c & L::u(F.sign_bit)) << L::u(31 - (F.bits - 1)));
}

// round(a op b) by the float32 path, for lanes of 32 bits.
template <Rounding M, ArithOp Op, class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U arith_lanes_float32(typename L::U ca, typename L::U cb,
                                                              const ArithFacts& k,
                                                              const Specials& S) {
  static_assert(M == Rounding::nearest_even || M == Rounding::nearest_away,
                "the float32 path rounds to nearest");
  static_assert(Op == ArithOp::add || Op == ArithOp::sub || Op == ArithOp::mul,
                "the float32 path serves +, - and *");
  const typename L::F x = L::as_float(float32_bits<L>(ca, k.a));
  const typename L::F y = L::as_float(float32_bits<L>(cb, k.b));
  const typename L::F z = Op == ArithOp::mul ? x * y : Op == ArithOp::sub ? x - y : x + y;
  const Exact<L> e = unpack<L>(L::from_float(z), kFloat32, false, needs_normalized(kFloat32, k.to));
  return round_to_code<M, L>(e, k.to, k.policy, S, L::u(0));
}

// Results i .. i + count - 1 (count <= L::n) from codes a, b, c, d (unused beyond the arity).
template <Rounding M, ArithOp Op, int Q, bool ViaFloat32, class L, class Src, class Dst>
ROUNDOFF_HD ROUNDOFF_INLINE void arith_step(const Src* a, const Src* b, const Src* c,
                                            const Src* d, Dst* out, size_t i, size_t count,
                                            const ArithFacts& k, const Specials& S,
                                            const uint32_t* rbits) {
  using U = typename L::U;
  const U r = M == Rounding::stochastic ? L::load(rbits + i, count) : L::u(0);
  const U cb = Op != ArithOp::sqrt ? L::load(b + i, count) : L::u(0);
  const U cc = arity(Op) >= 3 ? L::load(c + i, count) : L::u(0);
  const U cd = arity(Op) == 4 ? L::load(d + i, count) : L::u(0);
  const U ca = L::load(a + i, count);
  if constexpr (ViaFloat32) L::store(out + i, arith_lanes_float32<M, Op, L>(ca, cb, k, S), count);
  else L::store(out + i, arith_lanes<M, Op, Q, L>(ca, cb, cc, cd, k, S, r), count);
}

// n results in lanes of E: whole vectors of Lanes<E, N>, then the tail one element at a time
// through the same routine. ViaFloat32: the float32 path (E = uint32_t).
template <Rounding M, ArithOp Op, class E, int N, int Q, bool ViaFloat32, class Src, class Dst>
ROUNDOFF_INLINE void arith_span(const Src* __restrict a, const Src* __restrict b,
                                const Src* __restrict c, const Src* __restrict d,
                                Dst* __restrict out, size_t n,
                                ArithFacts facts, Specials specials,
                                const uint32_t* __restrict rbits) {
  // Local copies: stores through Dst (possibly a char type) must not force reloads of the facts.
  const ArithFacts k = facts;
  const Specials S = specials;
  const size_t whole = N > 1 ? n - n % N : 0;
  for (size_t i = 0; i < whole; i += N)
    arith_step<M, Op, Q, ViaFloat32, Lanes<E, N>>(a, b, c, d, out, i, N, k, S, rbits);
  for (size_t i = whole; i < n; ++i)
    arith_step<M, Op, Q, ViaFloat32, Lanes<E, 1>>(a, b, c, d, out, i, 1, k, S, rbits);
}

}  // namespace roundoff
