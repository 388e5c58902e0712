// THE rounding routine: an exact value, a target format, a rounding mode (and random bits) -> code.
// Every op on every device ends here.
//
// Written once over a lane type (lanes.hpp): straight-line selects, no branch on the data, the
// invariant choices precomputed (Specials), so one body serves SIMD lanes and scalar threads.
#pragma once
#include <cstdint>

#include "roundoff/exact.hpp"
#include "roundoff/format.hpp"

namespace roundoff {

enum class Rounding : int {
  nearest_even = 0,
  nearest_away = 1,
  toward_zero = 2,
  up = 3,
  down = 4,
  odd = 5,
  stochastic = 6,
};

struct Policy {
  bool saturate;       // overflow and Inf go to +-max (PTX cvt.satfinite)
  bool flush_outputs;  // FTZ: subnormal results become signed zero
  int sr_bits;         // R, 1..32: width of the random integer for stochastic rounding
};

// Round the finite nonzero |x| to a magnitude code of T; a result above T.max_code means overflow.
//
// s is the number of bits of sig below the quantum 2^q of x's target binade: P - man in the normal
// range, more below it. Rounding adds a bias to sig and drops those s bits (SoftFloat's
// roundIncrement), and code_lo + t encodes t * 2^q, so a carry out of the significand bumps the
// exponent field for free (ml_dtypes' trick). Ties and round-to-odd look at the parity of t: for
// p >= 2 that is the code's last bit; for p = 1 (E8M0) t is 1, so ties go to the larger
// magnitude, as in ml_dtypes and LLVM APFloat.
//
// Stochastic rounding goes away from zero iff r + floor(D * 2^R) >= 2^R, D the discarded fraction.
// It reads the discarded bits from sig and then from x.tail, so a caller that sets sticky keeps
// at least R bits of x below the quantum in sig and tail (sticky bits below those do not enter
// floor(D * 2^R)).
template <Rounding M, class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U round_magnitude(const Exact<L>& x, const FormatInfo& T,
                                                 const Policy& P, typename L::U rbits) {
  using U = typename L::U;
  using S = typename L::S;
  constexpr int W = L::W;
  const int man = T.f.man_bits;
  const U one = L::u(1);
  const S emin = L::s(T.emin);
  // Clamp so that huge exponents keep every amount in range. Beyond emax the code comes out
  // above max_code (its field is emax + 1's), or, when the significand carries out of that
  // binade, wraps past the sign of the lanes: round_to_code also tests msb > emax.
  const S msb = lane_min(x.msb, L::s(T.emax + 1));
  // Without subnormals the quantum below the normal range is 2^emin: results are 0 or 2^emin.
  const auto flushed = L::mask(!T.f.subnormals) & (msb < emin);
  // Bits of sig below the quantum: P - man in the normal range, one more per binade below.
  const S normal_s = L::s(sig_top<L> - man);
  const S s_exact = lane_max(normal_s + emin - msb, normal_s) + (flushed ? L::s(man) : L::s(0));
  // At s = W - 1 the round bit (2^(W-2)) is above sig: every larger s rounds alike. The lanes
  // are chosen so that s >= 2 (fits_32bit_lanes; 64-bit lanes give s >= 9).
  const U s = L::to_u(lane_min(s_exact, L::s(W - 1)));
  const U t = x.sig >> s;
  const U below_q = (one << s) - one;  // the bits of sig below the quantum
  const U half_m1 = (L::u(0) - one) >> (L::u(W + 1) - s);  // half a quantum, minus 1
  const U sticky = L::bit(x.sticky);

  U rounded;
  if constexpr (M == Rounding::nearest_even) {
    rounded = (x.sig + half_m1 + ((t | sticky) & one)) >> s;
  } else if constexpr (M == Rounding::nearest_away) {
    rounded = (x.sig + half_m1 + one) >> s;
  } else if constexpr (M == Rounding::toward_zero) {
    rounded = t;
  } else if constexpr (M == Rounding::up || M == Rounding::down) {
    const auto away = M == Rounding::up ? !x.neg : x.neg;
    rounded = (x.sig + (away ? U(below_q + sticky) : L::u(0))) >> s;
  } else if constexpr (M == Rounding::odd) {
    rounded = t | L::bit(((x.sig & below_q) != L::u(0)) | x.sticky);
  } else {
    // floor(D * 2^R): the R bits below the quantum (s >= R), or all s of them moved up (s < R).
    const int R = P.sr_bits;
    const U mask_r = L::u(~uint64_t{0} >> (64 - R));
    const U deep = x.sig >> L::to_u(lane_min(lane_max(s_exact - L::s(R), L::s(0)), L::s(W - 1)));
    // s < R: the s bits below the quantum, then R - s bits of the tail (exact sums keep it).
    const U up = L::to_u(lane_max(L::s(R) - s_exact, L::s(0)));
    const U from_tail = up == L::u(0) ? L::u(0) : U(x.tail >> (L::u(W) - up));
    const U shallow = ((x.sig & below_q) << up) | from_tail;
    const U top_r = s_exact >= L::s(R) ? U(deep & mask_r) : shallow;
    rounded = t + L::bit(rbits > mask_r - top_r);  // r + top_r >= 2^R, without overflow
  }

  // code = (field of max(msb, emin)) << man + rounded - the implicit bit: one shift and adds.
  const uint64_t code_offset = (uint64_t(T.lowest_field - T.emin) << man) - (uint64_t{1} << man);
  const U code = (L::to_u(lane_max(msb, emin)) << L::u(man)) + rounded + L::u(code_offset);
  return flushed ? U(rounded << L::u(man)) : code;
}

// The codes of the special outcomes for a positive and a negative input. They depend only on the
// format, the mode and the policy, so a loop computes them once; inside the element computation
// every select is then conditioned on the element.
struct Specials {
  uint64_t nan;                // canonical NaN (finite-only formats: +0)
  uint64_t inf[2];             // +Inf / -Inf input
  uint64_t zero[2];            // +0 / -0 input (no zero: NaN)
  uint64_t overflow[2];        // finite input beyond the range
  uint64_t sign[2];            // sign bit of a finite result
};

template <Rounding M>
ROUNDOFF_HD ROUNDOFF_INLINE Specials specials(const FormatInfo& T, const Policy& P) {
  Specials S{};
  const bool no_special = !(T.has_inf || T.has_nan);
  S.nan = T.has_nan ? T.nan_code : 0;
  for (int neg = 0; neg < 2; ++neg) {
    const uint64_t sign = neg ? T.sign_bit : 0;
    const uint64_t max_signed = sign | T.max_code;
    // Into a format without Inf, overflow and Inf give NaN with the sign kept (ml_dtypes, PyTorch).
    const uint64_t inf_or_nan = T.has_inf   ? (sign | T.inf_code)
                                : T.has_nan ? (sign | T.nan_code)
                                            : 0;
    // IEEE 754 per direction: max when the mode points back toward zero.
    const bool toward_zero = M == Rounding::toward_zero || M == Rounding::odd ||
                             (M == Rounding::up && neg) || (M == Rounding::down && !neg);
    S.overflow[neg] = (P.saturate || toward_zero || no_special) ? max_signed : inf_or_nan;
    S.inf[neg] = (P.saturate || no_special) ? max_signed : inf_or_nan;
    S.zero[neg] = !T.f.has_zero ? S.nan : T.signed_zero ? sign : 0;
    S.sign[neg] = sign;
    if (neg && !T.f.is_signed) S.inf[neg] = S.nan;  // unsigned: no negative values
  }
  return S;
}

// Full encode of an exact value (any class) into a code of T; S = specials<M>(T, P).
// Magnitude codes are compared as signed lanes: they stay below 2^(W-1) (see fits_32bit_lanes).
template <Rounding M, class L>
ROUNDOFF_HD ROUNDOFF_INLINE typename L::U round_to_code(const Exact<L>& x, const FormatInfo& T,
                                               const Policy& P, const Specials& S,
                                               typename L::U rbits) {
  using U = typename L::U;
  // Pick the positive or negative variant of an invariant code.
  const auto by_sign = [&](const uint64_t (&v)[2]) { return x.neg ? L::u(v[1]) : L::u(v[0]); };
  const U zero = L::u(0);
  U mag = round_magnitude<M, L>(x, T, P, rbits);
  // No zero (E8M0): below the range clamps to the smallest value, code 0.
  mag = (L::mask(!T.f.has_zero) & (x.msb < L::s(T.emin))) ? zero : mag;
  // FTZ: subnormal results become zeros.
  mag = (L::mask(P.flush_outputs && T.f.has_zero) &
         (L::to_s(mag) < L::s(int64_t{1} << T.f.man_bits)))
            ? zero
            : mag;
  const U zero_code = by_sign(S.zero);
  U out = ((mag == zero) & L::mask(T.f.has_zero)) ? zero_code : U(by_sign(S.sign) | mag);
  // Magnitude codes that fill the lane below its sign bit can carry into it (round_magnitude).
  const bool may_wrap = T.bits - (T.f.is_signed ? 1 : 0) >= L::W - 1;
  out = ((L::to_s(mag) > L::s(T.max_code)) | (L::mask(may_wrap) & (x.msb > L::s(T.emax))))
            ? by_sign(S.overflow)
            : out;
  out = (x.neg & L::mask(!T.f.is_signed)) ? L::u(S.nan) : out;  // unsigned: no negatives
  out = x.is_zero ? zero_code : out;
  out = x.is_inf ? by_sign(S.inf) : out;
  out = x.is_nan ? L::u(S.nan) : out;
  return out;
}

}  // namespace roundoff
