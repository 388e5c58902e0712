// Formats whose kernels are also compiled with constant facts: the same routine, with the facts
// folded in by the compiler (a third fewer instructions). The formats models use most.
#pragma once
#include "roundoff/format.hpp"

namespace roundoff {

constexpr FormatInfo kFloat64 = make_info(Format{11, 52, 1023, NonFinite::ieee, true, true, true});
constexpr FormatInfo kFloat32 = make_info(Format{8, 23, 127, NonFinite::ieee, true, true, true});
constexpr FormatInfo kE4M3 = make_info(Format{4, 3, 7, NonFinite::nan_all_ones, true, true, true});
constexpr FormatInfo kE5M2 = make_info(Format{5, 2, 15, NonFinite::ieee, true, true, true});
constexpr FormatInfo kBF16 = make_info(Format{8, 7, 127, NonFinite::ieee, true, true, true});
constexpr FormatInfo kFP16 = make_info(Format{5, 10, 15, NonFinite::ieee, true, true, true});

inline bool same_facts(const Format& a, const Format& b) {
  return a.exp_bits == b.exp_bits && a.man_bits == b.man_bits && a.bias == b.bias &&
         a.nonfinite == b.nonfinite && a.subnormals == b.subnormals &&
         a.is_signed == b.is_signed && a.has_zero == b.has_zero;
}

// K when known at compile time, else the runtime facts.
template <const FormatInfo* K>
FormatInfo known_or(const FormatInfo& runtime) {
  if constexpr (K != nullptr) return *K;
  else return runtime;
}

}  // namespace roundoff
