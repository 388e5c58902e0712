// The elementwise arithmetic kernel: codes of the operands to codes of the result, the exact
// result (arith.hpp) rounded once (round.hpp). Written over lanes, as the cast kernel.
#pragma once
#include <cstddef>
#include <cstdint>

#include "roundoff/arith.hpp"
#include "roundoff/exact.hpp"
#include "roundoff/format.hpp"
#include "roundoff/lanes.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

enum class ArithOp : int { add = 0, sub = 1, mul = 2, div = 3, fma = 4, sqrt = 5 };

// Number of operands of op.
ROUNDOFF_HD constexpr int arity(ArithOp op) {
  return op == ArithOp::sqrt ? 1 : op == ArithOp::fma ? 3 : 2;
}

// What the element computation reads: local copies, built with constant facts where known.
struct ArithFacts {
  FormatInfo a, b, c, to;
  Policy policy;
  bool flush_inputs;
};

// round(op(a, b, c)) for the lanes of L, operands of at most Q significant bits.
template <Rounding M, ArithOp Op, int Q, class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U arith_lanes(typename L::U ca, typename L::U cb,
                                                      typename L::U cc, const ArithFacts& k,
                                                      const Specials& S, typename L::U r) {
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
    return round_to_code<M, L>(exact_sqrt<L>(x), k.to, k.policy, S, r);
  }
  Exact<L> y = unpack_operand(cb, k.b);
  Exact<L> z;
  if constexpr (Op == ArithOp::mul) {
    z = exact_mul<L, Q>(x, y);
  } else if constexpr (Op == ArithOp::div) {
    z = exact_div<L>(x, y);
  } else if constexpr (Op == ArithOp::fma) {
    z = exact_fma<L, Q>(x, y, unpack_operand(cc, k.c), M == Rounding::down);
  } else {
    if constexpr (Op == ArithOp::sub) y.neg = !y.neg;
    z = exact_add<L>(x, y, M == Rounding::down);
  }
  return round_to_code<M, L>(z, k.to, k.policy, S, r);
}

// Results i .. i + count - 1 (count <= L::n) from codes a, b, c (unused beyond the arity).
template <Rounding M, ArithOp Op, int Q, class L, class Src, class Dst>
ROUNDOFF_HD ROUNDOFF_INLINE void arith_step(const Src* a, const Src* b, const Src* c, Dst* out,
                                            size_t i, size_t count, const ArithFacts& k,
                                            const Specials& S, const uint32_t* rbits) {
  using U = typename L::U;
  const U r = M == Rounding::stochastic ? L::load(rbits + i, count) : L::u(0);
  const U cb = Op != ArithOp::sqrt ? L::load(b + i, count) : L::u(0);
  const U cc = Op == ArithOp::fma ? L::load(c + i, count) : L::u(0);
  L::store(out + i, arith_lanes<M, Op, Q, L>(L::load(a + i, count), cb, cc, k, S, r), count);
}

// n results in lanes of E: whole vectors of Lanes<E, N>, then the tail one element at a time
// through the same routine.
template <Rounding M, ArithOp Op, class E, int N, int Q, class Src, class Dst>
ROUNDOFF_INLINE void arith_span(const Src* __restrict a, const Src* __restrict b,
                                const Src* __restrict c, Dst* __restrict out, size_t n,
                                ArithFacts facts, Specials specials,
                                const uint32_t* __restrict rbits) {
  // Local copies: stores through Dst (possibly a char type) must not force reloads of the facts.
  const ArithFacts k = facts;
  const Specials S = specials;
  const size_t whole = N > 1 ? n - n % N : 0;
  for (size_t i = 0; i < whole; i += N)
    arith_step<M, Op, Q, Lanes<E, N>>(a, b, c, out, i, N, k, S, rbits);
  for (size_t i = whole; i < n; ++i)
    arith_step<M, Op, Q, Lanes<E, 1>>(a, b, c, out, i, 1, k, S, rbits);
}

}  // namespace roundoff
