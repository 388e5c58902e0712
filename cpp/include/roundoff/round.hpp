// THE rounding routine: an exact value, a target format, a rounding mode (and random bits) -> code.
// Every op on every device ends here.
//
// Written as straight-line code of two-way selects over one integer width (UInt), with the
// invariant choices precomputed (Specials), to keep it branch-light and a candidate for
// vectorisation. GCC 12 does not vectorise it yet (an 8-bit/32-bit mask mix remains).
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

// Shifts that give 0 instead of undefined behaviour when k >= width (k >= 0).
template <class UInt>
ROUNDOFF_HD inline UInt shr(UInt x, int k) {
  constexpr int W = int(sizeof(UInt)) * 8;
  return k < W ? UInt(x >> (k & (W - 1))) : UInt(0);
}
template <class UInt>
ROUNDOFF_HD inline UInt shl(UInt x, int k) {
  constexpr int W = int(sizeof(UInt)) * 8;
  return k < W ? UInt(x << (k & (W - 1))) : UInt(0);
}

// Round the finite nonzero |x| to a magnitude code of T; a result above T.max_code means overflow.
//
// t is the integer significand of |x| at the quantum 2^q of its target binade. code_lo encodes
// t * 2^q and code_lo + inc is the next representable magnitude, so a carry out of the significand
// bumps the exponent field for free (ml_dtypes' trick). Ties and round-to-odd look at the parity of
// t: for p >= 2 that is the code's last bit; for p = 1 (E8M0) t is 1, so ties go to the larger
// magnitude, as in ml_dtypes and LLVM APFloat.
//
// Stochastic rounding goes away from zero iff r + floor(D * 2^R) >= 2^R, D the discarded fraction.
// It reads the discarded bits from sig, so callers keep at least R bits of x below the quantum
// in sig (sticky bits below those do not enter floor(D * 2^R)).
template <Rounding M, class UInt>
ROUNDOFF_HD inline UInt round_magnitude(const Exact<UInt>& x, const FormatInfo& T, const Policy& P,
                                        uint32_t rbits) {
  constexpr int W = int(sizeof(UInt)) * 8;
  const int man = T.f.man_bits;
  const int emin = T.emin;
  // Clamp so that huge exponents (overflow for sure) keep all shift amounts in range.
  const int msb = x.msb > T.emax + 1 ? T.emax + 1 : x.msb;
  const bool flushed = !T.f.subnormals & (msb < emin);  // only 0 and 2^emin are candidates
  const int eq = msb > emin ? msb : emin;
  const int q = flushed ? emin : eq - man;
  const int s = q - x.exp;  // number of low bits of sig below the quantum (may be <= 0)

  const UInt t = s <= 0 ? shl<UInt>(x.sig, -s) : shr<UInt>(x.sig, s);
  // The discarded part as an integer and its half, compared rather than bit-tested: the bit tests
  // get rewritten into integer-to-bool conversions, which GCC cannot vectorise.
  const UInt rem = s <= 0 ? UInt(0) : UInt(x.sig - shl<UInt>(t, s));
  const UInt half = shl<UInt>(UInt(1), s - 1 < 0 ? 0 : s - 1);
  const bool in_range = (s >= 1) & (s <= W);
  const bool round_bit = in_range & (rem >= half);
  const bool sticky = ((rem != 0) & (rem != half)) | x.sticky;  // bits below the round bit
  const bool inexact = round_bit | sticky;
  // t's last bit is sig's bit s (none when s < 0); a variable mask keeps it a comparison.
  const UInt quantum_bit = s < 0 ? UInt(0) : shl<UInt>(UInt(1), s);
  const bool odd = (x.sig & quantum_bit) != 0;

  bool up;
  if constexpr (M == Rounding::nearest_even) up = round_bit & (sticky | odd);
  else if constexpr (M == Rounding::nearest_away) up = round_bit;
  else if constexpr (M == Rounding::toward_zero) up = false;
  else if constexpr (M == Rounding::up) up = inexact & !x.neg;
  else if constexpr (M == Rounding::down) up = inexact & x.neg;
  else if constexpr (M == Rounding::odd) up = inexact & !odd;
  else {
    const int R = P.sr_bits;
    const UInt mask_r = UInt(~UInt(0)) >> (W - R);
    const UInt above = shr<UInt>(x.sig, s - R) & mask_r;  // s >= R: the R bits below the quantum
    const UInt within = shl<UInt>(x.sig & UInt((UInt(1) << (s & (W - 1))) - 1), R - s);  // 0<s<R
    UInt top_r = s >= R ? above : within;
    top_r = s <= 0 ? UInt(0) : top_r;
    // r + top_r >= 2^R, without overflowing W bits.
    up = UInt(rbits) > UInt(mask_r - top_r);
  }

  const UInt code_lo = UInt(UInt(eq - emin + T.lowest_field) << man) + t - (UInt(1) << man);
  const UInt lo = flushed ? UInt(0) : code_lo;
  const UInt inc = flushed ? UInt(UInt(1) << man) : UInt(1);
  const UInt code = lo + (up ? inc : UInt(0));
  return x.msb > T.emax ? UInt(T.max_code + 1) : code;
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
ROUNDOFF_HD inline Specials specials(const FormatInfo& T, const Policy& P) {
  Specials S{};
  const bool no_special = !(T.has_inf || T.has_nan);
  S.nan = T.has_nan ? T.nan_code : 0;
  for (int neg = 0; neg < 2; ++neg) {
    const uint64_t sign = neg ? T.sign_bit : 0;
    const uint64_t max_signed = sign | T.max_code;
    // Into a format without Inf, overflow and Inf give NaN with the sign kept (ml_dtypes, PyTorch).
    const uint64_t inf_or_nan = T.has_inf ? (sign | T.inf_code) : T.has_nan ? (sign | T.nan_code) : 0;
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
template <Rounding M, class UInt>
ROUNDOFF_HD inline UInt round_to_code(const Exact<UInt>& x, const FormatInfo& T, const Policy& P,
                                      const Specials& S, uint32_t rbits) {
  // Pick the positive or negative variant of an invariant code (a select, not an indexed load).
  const auto by_sign = [&](const uint64_t (&v)[2]) { return x.neg ? UInt(v[1]) : UInt(v[0]); };
  UInt mag = round_magnitude<M, UInt>(x, T, P, rbits);
  const bool below_min = !T.f.has_zero & (x.msb < T.emin);  // no zero (E8M0): clamp to min
  mag = below_min ? UInt(0) : mag;
  const bool is_subnormal = (mag < (UInt(1) << T.f.man_bits)) & T.f.has_zero;
  mag = (P.flush_outputs & is_subnormal) ? UInt(0) : mag;
  const bool zero_mag = (mag == 0) & T.f.has_zero;
  UInt finite = zero_mag ? by_sign(S.zero) : UInt(by_sign(S.sign) | mag);
  finite = mag > UInt(T.max_code) ? by_sign(S.overflow) : finite;
  finite = (x.neg & !T.f.is_signed) ? UInt(S.nan) : finite;  // unsigned: no negatives

  UInt out = finite;
  out = x.is_zero ? by_sign(S.zero) : out;
  out = x.is_inf ? by_sign(S.inf) : out;
  out = x.is_nan ? UInt(S.nan) : out;
  return out;
}

}  // namespace roundoff
