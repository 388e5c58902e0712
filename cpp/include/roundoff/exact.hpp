// An exact value: sign, integer significand, exponent, sticky bit; unpacked from a format's code.
#pragma once
#include <cstdint>
#include <type_traits>

#include "roundoff/format.hpp"

namespace roundoff {

// value = (-1)^neg * sig * 2^exp (+ a nonzero amount below sig's last bit iff sticky).
// msb is the exponent of the leading bit: 2^msb <= |value| < 2^(msb+1) for finite nonzero values.
// is_nan wins over is_inf and is_zero; sig/exp/msb mean something only when none is set.
// (Separate flags, not a class enum: compilers thread a chain of tests on one enum into
// a many-way branch that stops loops from vectorising.)
template <class UInt>
struct Exact {
  UInt sig;
  int exp;
  int msb;
  bool neg;
  bool sticky;
  bool is_nan;
  bool is_inf;
  bool is_zero;
};

// Index of the highest set bit (x != 0), by binary search with selects: no loop and no
// data-dependent branch, so that loops calling it vectorise.
template <int Step, class UInt>
ROUNDOFF_HD inline int msb_search(UInt x, int r) {
  if constexpr (Step == 0) {
    return r;
  } else {
    const bool hi = (x >> Step) != 0;
    return msb_search<Step / 2, UInt>(hi ? UInt(x >> Step) : x, r + (hi ? Step : 0));
  }
}
template <class UInt>
ROUNDOFF_HD inline int msb_index(UInt x) {
  return msb_search<int(sizeof(UInt)) * 4, UInt>(x, 0);
}

// Unpack a code of format F. With flush_inputs (DAZ), subnormal codes are taken as signed zeros.
template <class UInt, class Code>
ROUNDOFF_HD inline Exact<UInt> unpack(Code code, const FormatInfo& F, bool flush_inputs) {
  // One integer width for the whole computation (mixed widths stop vectorisation).
  const UInt c = UInt(code);
  const UInt mag = c & UInt(F.mag_mask);
  const int field = int(mag >> F.f.man_bits);
  const UInt frac = mag & UInt(F.man_mask);
  const int all_ones = (1 << F.f.exp_bits) - 1;
  Exact<UInt> e;
  e.neg = (c & UInt(F.sign_bit)) != 0;
  e.sticky = false;
  const NonFinite nf = F.f.nonfinite;
  const bool nan = ((nf == NonFinite::ieee) & (field == all_ones) & (frac != 0)) |
                   ((nf == NonFinite::nan_all_ones) & (mag == UInt(F.mag_mask))) |
                   ((nf == NonFinite::nan_neg_zero) & (c == UInt(F.sign_bit)));
  const bool inf = (nf == NonFinite::ieee) & (field == all_ones) & (frac == 0);
  const bool sub_field = F.f.has_zero & (field == 0);
  const bool zero = sub_field & ((frac == 0) | flush_inputs | !F.f.subnormals);
  const bool normal = !sub_field;
  e.sig = normal ? UInt(frac | (UInt(1) << F.f.man_bits)) : frac;
  e.exp = (normal ? field : 1) - F.f.bias - F.f.man_bits;
  e.msb = normal ? field - F.f.bias : e.exp + msb_index<UInt>(frac | UInt(1));
  e.is_nan = nan;
  e.is_inf = inf;
  e.is_zero = zero;
  return e;
}

}  // namespace roundoff
