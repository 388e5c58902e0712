// Exact results of arithmetic on exact values: the input of the rounding routine, so that every
// operation is rounded once. Any format in 64-bit lanes (P = 61): operands carry at most 53
// significant bits (every format has man_bits <= 52); products in 128 bits, FMA's product and
// sum in 128-bit lanes (P = 125), narrowed to 64-bit lanes with a sticky bit. Narrow operands
// (lane_operand_bits) keep add, mul and FMA in one lane of any width: SIMD vectors.
//
// When a result is inexact in sig (sticky set), its lowest bit may be uncertain after a
// normalising shift; roundings look at bits from P - man - R up, so callers keep
// man + R <= P - 1 (the Python layer checks sr_bits) and man <= P - 2.
#pragma once
#include <cmath>
#include <cstdint>

#include "roundoff/exact.hpp"
#include "roundoff/lanes.hpp"

namespace roundoff {

// The widest operands (significant bits) that products and FMA keep exact in one lane of L:
// a product of 2Q bits, summed as exact_add needs (terms of at most P - 1 bits). 14 bits in
// 32-bit lanes (FP16, BF16, FP8: SIMD), 30 in 64-bit lanes (float32 operands).
template <class L>
constexpr int lane_operand_bits = (sig_top<L> - 1) / 2;

// Sign and class of a product a * b (its sig/msb set by the caller).
template <class L, class R>
ROUNDOFF_HD ROUNDOFF_INLINE void set_product_class(const Exact<L>& a, const Exact<L>& b, R& r) {
  r.neg = a.neg != b.neg;
  r.is_nan = a.is_nan | b.is_nan | (a.is_inf & b.is_zero) | (a.is_zero & b.is_inf);
  r.is_inf = (a.is_inf | b.is_inf) & !r.is_nan;
  r.is_zero = (a.is_zero | b.is_zero) & !r.is_nan & !r.is_inf;
}

// The mask of the low k bits (0 <= k), all bits for k >= W.
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U low_bits(typename L::U k) {
  const typename L::U all = L::u(0) - L::u(1);  // every bit, in any lane width
  return k >= L::u(L::W) ? all : typename L::U((L::u(1) << k) - L::u(1));
}

// a * b, exactly up to a sticky bit, for operands of at most Q significant bits (every format:
// Q = 53). When the 2Q-bit product fits a lane (2Q - 1 <= P) it is one lane multiply, exact;
// otherwise 64-bit lanes form it in 128 bits.
template <class L, int Q = 53>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> exact_mul(const Exact<L>& a, const Exact<L>& b) {
  using U = typename L::U;
  constexpr int P = sig_top<L>;
  Exact<L> r;
  if constexpr (2 * Q - 1 <= P) {
    // Significands in [2^(Q-1), 2^Q), product in [2^(2Q-2), 2^2Q): its top at 2Q-2 or 2Q-1.
    const U prod = (a.sig >> L::u(P - (Q - 1))) * (b.sig >> L::u(P - (Q - 1)));
    const auto carry = (prod >> L::u(2 * Q - 1)) != L::u(0);
    r.sig = prod << (carry ? L::u(P - (2 * Q - 1)) : L::u(P - (2 * Q - 2)));
    r.sticky = L::mask(false);
    r.msb = a.msb + b.msb + (carry ? L::s(1) : L::s(0));
  } else {
    static_assert(L::W == 64 && Q == 53, "wide products: 53-bit operands in 64-bit lanes");
    // Both significands in [2^52, 2^53), product in [2^104, 2^106).
    U hi, lo;
    L::mul_wide(a.sig >> L::u(P - 52), b.sig >> L::u(P - 52), hi, lo);
    const auto carry = (hi >> L::u(105 - 64)) != L::u(0);  // product >= 2^105
    // Keep bits from 104 + carry down to 43 + carry: shift the product right by 43 + carry.
    const U shift = carry ? L::u(44) : L::u(43);
    r.sig = (hi << (L::u(64) - shift)) | (lo >> shift);
    r.sticky = (lo & low_bits<L>(shift)) != L::u(0);
    r.msb = a.msb + b.msb + (carry ? L::s(1) : L::s(0));
  }
  set_product_class<L>(a, b, r);
  return r;
}

// a / b, exactly up to a sticky bit. Division by zero gives a signed Inf (the rounding routine
// maps it per the format and saturate), 0/0 and Inf/Inf NaN.
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> exact_div(const Exact<L>& a, const Exact<L>& b) {
  using U = typename L::U;
  static_assert(L::W == 64, "exact_div works in 64-bit lanes");
  constexpr int P = sig_top<L>;
  // a53 * 2^62 / b53 with both in [2^52, 2^53): the quotient is in (2^61, 2^63).
  const U a53 = a.sig >> L::u(P - 52);
  const U b53 = b.is_zero ? L::u(1) : U(b.sig >> L::u(P - 52));  // a zero divisor's sig is 0
  typename L::M rem;
  const U q = L::div_wide(a53 >> L::u(2), a53 << L::u(62), b53, rem);
  const auto carry = (q >> L::u(P + 1)) != L::u(0);  // q >= 2^62
  Exact<L> r;
  r.sig = carry ? U(q >> L::u(1)) : q;
  r.sticky = rem | (carry & ((q & L::u(1)) != L::u(0)));
  r.msb = a.msb - b.msb - (carry ? L::s(0) : L::s(1));
  r.neg = a.neg != b.neg;
  r.is_nan = a.is_nan | b.is_nan | (a.is_zero & b.is_zero) | (a.is_inf & b.is_inf);
  r.is_inf = (a.is_inf | b.is_zero) & !r.is_nan;
  r.is_zero = (a.is_zero | b.is_inf) & !r.is_nan & !r.is_inf;
  return r;
}

// a + b, exactly up to a sticky bit. An exact zero sum of nonzero terms is -0 when rounding
// down and +0 otherwise (IEEE 754 §6.3); so is +0 + -0.
//
// KeepTail: also keep the W bits below the result's last bit exactly (Exact::tail), for
// stochastic rounding with more random bits than the lane holds below the quantum.
template <class L, bool KeepTail = false>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> exact_add(const Exact<L>& a, const Exact<L>& b,
                                               bool round_down) {
  using U = typename L::U;
  using S = typename L::S;
  constexpr int P = sig_top<L>;
  // A zero term is sig 0 below every other term (formats lie in float64's range: |msb| <= 1075,
  // products twice that): x + 0 = x and 0 + 0 = 0 fall out of the sum.
  const S below_all = L::s(-(int64_t{1} << (L::W / 2 - 2)));
  const U a_sig = a.is_zero ? L::u(0) : a.sig, b_sig = b.is_zero ? L::u(0) : b.sig;
  const S a_msb = a.is_zero ? below_all : a.msb, b_msb = b.is_zero ? below_all : b.msb;
  const auto a_big = (a_msb > b_msb) | ((a_msb == b_msb) & (a_sig >= b_sig));
  const U big = a_big ? a_sig : b_sig, small = a_big ? b_sig : a_sig;
  const S big_msb = a_big ? a_msb : b_msb;
  const auto big_neg = a_big ? a.neg : b.neg;
  const U d = L::to_u(lane_min(big_msb - (a_big ? b_msb : a_msb), L::s(L::W)));
  const U aligned = d >= L::u(L::W) ? L::u(0) : U(small >> d);
  const auto lost = (small & low_bits<L>(d)) != L::u(0);  // bits of small below big's last bit
  const auto same_sign = a.neg == b.neg;
  // Same signs: the sum, at most one bit longer. Opposite: floor of the difference, and the
  // lost bits as sticky. Bits are lost only when small has more than P + 1 - d significant
  // bits, and the operands' widths (53 in 64-bit lanes; 106-bit products and 53-bit addends in
  // 128-bit lanes; lane_operand_bits) make d then large enough that the difference keeps at
  // least P bits: normalising shifts it by at most one (see the note at the top).
  const U sum = big + aligned;
  const U diff = big - aligned - L::bit(lost);
  const U raw = same_sign ? sum : diff;
  Exact<L> r;
  const auto exact_zero = (raw == L::u(0)) & !lost;
  const S lead = L::msb_index(raw | L::u(1));
  // Leading bit at P + 1 (a carry): shift right one, the dropped bit joins sticky.
  const auto carry = lead > L::s(P);
  const U up = L::to_u(lane_max(L::s(P) - lead, L::s(0)));  // the normalising left shift
  r.sig = carry ? U(raw >> L::u(1)) : U(raw << up);
  r.sticky = lost | (carry & ((raw & L::u(1)) != L::u(0)));
  r.msb = big_msb + lead - L::s(P);
  if constexpr (KeepTail) {
    // The bits of small below big's last bit, the first W of them exactly (small's bits sit
    // at most W + d below, so a shift by the true distance finds them); a difference takes
    // their complement, the borrow already in diff.
    const U far = L::to_u(lane_min(big_msb - (a_big ? b_msb : a_msb), L::s(2 * L::W)));
    const U out_w = d >= L::u(L::W) ? U(far >= L::u(2 * L::W) ? L::u(0)
                                            : U(small >> (far - L::u(L::W))))
                                    : U(d == L::u(0) ? L::u(0) : U(small << (L::u(L::W) - d)));
    const U beyond_mask = far > L::u(L::W) ? low_bits<L>(far - L::u(L::W)) : L::u(0);
    const auto beyond = (small & beyond_mask) != L::u(0);
    const U tail = same_sign ? out_w : U(L::u(0) - out_w - L::bit(beyond & lost));
    // Through the normalising shift: right one on a carry, else left by `up` (at most one
    // when bits were lost; a tail is zero otherwise).
    const U tail_in = up == L::u(0) ? L::u(0) : U(tail >> (L::u(L::W) - up));
    r.sig = carry ? r.sig : U(r.sig | tail_in);
    r.tail = carry ? U((tail >> L::u(1)) | ((raw & L::u(1)) << L::u(L::W - 1)))
                   : U(up >= L::u(L::W) ? L::u(0) : U(tail << up));
  }
  // An exact zero: from like signs only +0 + +0 or -0 + -0, keeping the sign; from unlike
  // signs +0, or -0 when rounding down (IEEE 754 §6.3).
  const auto zero_neg = same_sign ? a.neg : L::mask(round_down);
  // Specials: NaN, Inf - Inf; Inf wins over finite.
  r.is_nan = a.is_nan | b.is_nan | (a.is_inf & b.is_inf & (a.neg != b.neg));
  r.is_inf = (a.is_inf | b.is_inf) & !r.is_nan;
  r.is_zero = exact_zero;
  r.neg = r.is_inf ? (a.is_inf ? a.neg : b.neg) : exact_zero ? zero_neg : big_neg;
  return r;
}

// floor(sqrt(n)) for n < 2^124, and whether it is inexact: a double estimate, one Newton step
// in integers, then unit corrections.
ROUNDOFF_HD ROUNDOFF_INLINE uint64_t isqrt124(unsigned __int128 n, bool& inexact) {
  uint64_t r = uint64_t(std::sqrt(double(n)));  // within about 2^-52 relative of the root
  if (r != 0) r = uint64_t((r + n / r) >> 1);
  while ((unsigned __int128)r * r > n) --r;
  while ((unsigned __int128)(r + 1) * (r + 1) <= n) ++r;
  inexact = (unsigned __int128)r * r != n;
  return r;
}

// sqrt(a), exactly up to a sticky bit: sqrt(-0) = -0, sqrt(x < 0) and sqrt(-Inf) are NaN.
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> exact_sqrt(const Exact<L>& a) {
  static_assert(L::W == 64 && L::n == 1, "exact_sqrt works on one element of 64-bit lanes");
  constexpr int P = sig_top<L>;
  // a = a53 * 2^e, e = msb - 52; with e made even, m = a53 or 2 a53 < 2^54 and
  // sqrt(a) = sqrt(m * 2^70) * 2^(e/2 - 35), the integer root in [2^61, 2^62): P bits on top.
  const int64_t e = int64_t(a.msb) - 52;
  const bool odd = (e & 1) != 0;
  const uint64_t m = (uint64_t(a.sig) >> (P - 52)) << (odd ? 1 : 0);
  bool inexact = false;
  const uint64_t root = isqrt124((unsigned __int128)m << 70, inexact);
  Exact<L> r;
  r.sig = root;
  r.sticky = inexact;
  r.msb = (e - (odd ? 1 : 0)) / 2 + 26;
  r.neg = a.neg && a.is_zero;
  r.is_nan = a.is_nan || (a.neg && !a.is_zero);
  r.is_inf = a.is_inf && !r.is_nan;
  r.is_zero = a.is_zero && !r.is_nan;
  return r;
}

using Wide = Lanes<unsigned __int128, 1>;  // 128-bit lanes: P = 125

// a * b of two operands of at most 53 significant bits, exactly, in a 128-bit lane: the 106-bit
// product normalised at P = 125 (its leading bit is at 104 or 105 before the shift).
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<Wide> wide_product(const Exact<L>& a, const Exact<L>& b) {
  static_assert(L::W == 64 && L::n == 1, "wide products: one element of 64-bit lanes");
  using U2 = typename Wide::U;
  constexpr int P = sig_top<L>;
  constexpr int P2 = sig_top<Wide>;
  const U2 prod = U2(a.sig >> (P - 52)) * U2(b.sig >> (P - 52));
  const bool carry = (prod >> 105) != 0;
  Exact<Wide> p;
  p.sig = prod << (carry ? P2 - 105 : P2 - 104);
  p.msb = a.msb + b.msb + (carry ? 1 : 0);
  p.sticky = false;
  set_product_class<L>(a, b, p);
  return p;
}

// An exact value of 64-bit lanes in a 128-bit lane (its significand on top).
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<Wide> widened(const Exact<L>& c) {
  Exact<Wide> w;
  w.sig = typename Wide::U(c.sig) << 64;
  w.msb = c.msb;
  w.neg = c.neg;
  w.sticky = c.sticky;
  w.is_nan = c.is_nan;
  w.is_inf = c.is_inf;
  w.is_zero = c.is_zero;
  return w;
}

// A 128-bit lane's exact value in 64-bit lanes: the low 64 bits join the sticky bit.
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> narrowed(const Exact<Wide>& s) {
  Exact<L> r;
  r.sig = typename L::U(s.sig >> 64);
  r.sticky = s.sticky || uint64_t(s.sig) != 0;
  r.msb = typename L::S(s.msb);
  r.neg = s.neg;
  r.is_nan = s.is_nan;
  r.is_inf = s.is_inf;
  r.is_zero = s.is_zero;
  return r;
}

// a * b + c, rounded once by the caller, for operands of at most Q significant bits. With
// Q <= lane_operand_bits<L> the exact product fits a lane and the sum is exact_add's; otherwise
// the exact product and sum are formed in 128-bit lanes.
template <class L, int Q = 53, bool KeepTail = false>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> exact_fma(const Exact<L>& a, const Exact<L>& b,
                                               const Exact<L>& c, bool round_down) {
  if constexpr (Q <= lane_operand_bits<L>) {
    return exact_add<L, KeepTail>(exact_mul<L, Q>(a, b), c, round_down);
  } else {
    static_assert(Q == 53, "wide FMA: 53-bit operands");
    return narrowed<L>(exact_add<Wide>(wide_product<L>(a, b), widened<L>(c), round_down));
  }
}

// a * b + c * d, rounded once by the caller (the sum of two exact products, as an accumulator
// adds two product terms), operands of at most 53 significant bits, in 128-bit lanes: two
// 106-bit products lose bits to the alignment only when they lie more than 20 bits apart, and
// then their difference keeps at least 124 bits (exact_add's note).
template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> exact_dot2(const Exact<L>& a, const Exact<L>& b,
                                                const Exact<L>& c, const Exact<L>& d,
                                                bool round_down) {
  return narrowed<L>(exact_add<Wide>(wide_product<L>(a, b), wide_product<L>(c, d), round_down));
}

}  // namespace roundoff
