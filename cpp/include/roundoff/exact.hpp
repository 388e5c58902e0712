// An exact value in lanes: sign, significand aligned at a fixed bit, exponent, sticky bit;
// unpacked from a format's codes.
#pragma once
#include <cstdint>

#include "roundoff/format.hpp"
#include "roundoff/lanes.hpp"

namespace roundoff {

// value = (-1)^neg * sig * 2^(msb - P) (+ a nonzero amount below sig's last bit iff sticky),
// P = L::W - 3 the significand's top bit: sig < 2^(P+1). Two spare bits on top let the rounding
// routine add a rounding bias without overflow.
// Normalised: sig >= 2^P, so msb is the exponent of the leading bit. A value may also be left
// unnormalised (sig < 2^P, value < 2^msb) when msb < the target's emin, or msb = emin and the
// target has subnormals: there the quantum does not depend on the exact binade.
// is_nan wins over is_inf and is_zero; sig/msb mean something only when none is set.
// tail: the W bits just below sig's last bit, exactly, where a producer keeps them (sums for
// stochastic rounding); sticky then says whether anything is nonzero below sig (tail
// included). Producers that do not keep them leave 0.
template <class L>
struct Exact {
  typename L::U sig;
  typename L::S msb;
  typename L::M neg;
  typename L::M sticky;
  typename L::M is_nan;
  typename L::M is_inf;
  typename L::M is_zero;
  typename L::U tail = L::u(0);
};

template <class L>
constexpr int sig_top = L::W - 3;  // P above

// Unpack codes of format F. With flush_inputs (DAZ), subnormal codes are taken as signed zeros.
// normalize: find the leading bit of subnormal codes, as a target T needs iff
// needs_normalized(F, T); otherwise they stay unnormalised at msb = F.emin.
ROUNDOFF_HD ROUNDOFF_INLINE bool needs_normalized(const FormatInfo& F, const FormatInfo& T) {
  return F.emin > T.emin || (F.emin == T.emin && !T.f.subnormals);
}

template <class L>
ROUNDOFF_HD ROUNDOFF_INLINE Exact<L> unpack(typename L::U c, const FormatInfo& F, bool flush_inputs,
                                   bool normalize) {
  using U = typename L::U;
  using S = typename L::S;
  using M = typename L::M;
  constexpr int P = sig_top<L>;
  const int man = F.f.man_bits;
  const U mag = c & L::u(F.mag_mask);
  const U field = mag >> L::u(man);
  const U frac = mag & L::u(F.man_mask);
  Exact<L> e;
  e.neg = (c & L::u(F.sign_bit)) != L::u(0);
  e.sticky = L::mask(false);
  e.is_nan = (L::to_s(mag) > L::s(F.max_non_nan)) |
             ((c == L::u(F.sign_bit)) & L::mask(nan_at_neg_zero(F.f.nonfinite)));
  e.is_inf = (mag == L::u(F.inf_code)) & L::mask(F.has_inf);
  const M sub_field = (field == L::u(0)) & L::mask(F.f.has_zero);
  e.is_zero = ((mag == L::u(0)) & L::mask(F.f.has_zero)) |
              (sub_field & L::mask(flush_inputs || !F.f.subnormals));
  // Normal: the implicit bit and msb = field - bias; subnormal: msb = emin (field 1).
  U sig = (frac | (sub_field ? L::u(0) : L::u(uint64_t{1} << man))) << L::u(P - man);
  S msb = L::to_s(lane_max(field, L::u(F.lowest_field))) - L::s(F.f.bias);
  if (normalize) {
    const S lead = L::msb_index(frac | L::u(1));
    sig = sub_field ? U(frac << L::to_u(L::s(P) - lead)) : sig;
    msb = sub_field ? S(lead + L::s(F.emin - man)) : msb;
  }
  e.sig = sig;
  e.msb = msb;
  return e;
}

}  // namespace roundoff
