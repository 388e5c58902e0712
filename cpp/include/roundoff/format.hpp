// The facts of a number format, and the constants every kernel derives from them.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define ROUNDOFF_HD __host__ __device__
#else
#define ROUNDOFF_HD
#endif
// For the element computations: a loop over lanes must see them whole to keep values in
// registers (in a unit with many instantiations GCC's inlining budget runs out otherwise).
#if defined(__CUDACC__)
#define ROUNDOFF_INLINE __forceinline__
#elif defined(__GNUC__)
#define ROUNDOFF_INLINE inline __attribute__((always_inline))
#else
#define ROUNDOFF_INLINE inline
#endif

namespace roundoff {

// How a format spends its top codes (LLVM APFloat's nonFiniteBehavior + nanEncoding).
enum class NonFinite : int {
  ieee = 0,          // all-ones exponent field: Inf (zero mantissa) and NaNs
  nan_all_ones = 1,  // no Inf; the all-ones magnitude code is NaN (E4M3FN, E8M0FNU)
  nan_neg_zero = 2,  // no Inf, no -0; the negative-zero code is the only NaN (FNUZ)
  finite = 3,        // no Inf, no NaN (FP6, FP4)
  // +-Inf at the largest magnitude codes, no -0; the negative-zero code is the only NaN
  // (IEEE P3109's binary formats, gfloat's P3109 policy)
  inf_nan_neg_zero = 4,
};

// Whether the negative-zero code is the NaN (and -0 no value).
ROUNDOFF_HD constexpr bool nan_at_neg_zero(NonFinite n) {
  return n == NonFinite::nan_neg_zero || n == NonFinite::inf_nan_neg_zero;
}

// The primitive facts. Everything else is derived in FormatInfo.
struct Format {
  int exp_bits;
  int man_bits;
  int bias;
  NonFinite nonfinite;
  bool subnormals;  // exponent field 0 holds subnormals (else only zero)
  bool is_signed;   // a sign bit is present
  bool has_zero;    // exponent field 0 is reserved for zero/subnormals (false: E8M0)
};

struct FormatInfo {
  Format f;
  int bits;            // code width
  int emin;            // exponent of the smallest normal binade
  int emax;            // exponent of the largest finite binade
  int lowest_field;    // exponent field of the smallest normal binade (1, or 0 without zero)
  uint64_t man_mask;
  uint64_t mag_mask;   // all bits but the sign
  uint64_t sign_bit;   // 0 for unsigned formats
  uint64_t max_code;   // largest finite magnitude code
  uint64_t inf_code;   // +Inf (valid iff has_inf)
  uint64_t nan_code;   // canonical NaN (valid iff has_nan)
  uint64_t max_non_nan;  // largest magnitude code that is not NaN (mag_mask when all are numbers)
  bool has_inf;
  bool has_nan;
  bool signed_zero;    // -0 is a distinct code
};

ROUNDOFF_HD constexpr FormatInfo make_info(const Format& f) {
  FormatInfo I{};
  I.f = f;
  const int mag_bits = f.exp_bits + f.man_bits;
  I.bits = mag_bits + (f.is_signed ? 1 : 0);
  I.man_mask = (uint64_t{1} << f.man_bits) - 1;
  I.mag_mask = (uint64_t{1} << mag_bits) - 1;
  I.sign_bit = f.is_signed ? (uint64_t{1} << mag_bits) : 0;
  I.lowest_field = f.has_zero ? 1 : 0;
  I.emin = I.lowest_field - f.bias;
  const uint64_t all_ones_field = ((uint64_t{1} << f.exp_bits) - 1) << f.man_bits;
  switch (f.nonfinite) {
    case NonFinite::ieee:
      I.max_code = all_ones_field - 1;
      I.inf_code = all_ones_field;
      I.nan_code = all_ones_field | (uint64_t{1} << (f.man_bits - 1));  // quiet bit
      I.has_inf = true;
      I.has_nan = true;
      break;
    case NonFinite::nan_all_ones:
      I.max_code = I.mag_mask - 1;
      I.nan_code = I.mag_mask;
      I.has_nan = true;
      break;
    case NonFinite::nan_neg_zero:
      I.max_code = I.mag_mask;
      I.nan_code = I.sign_bit;
      I.has_nan = true;
      break;
    case NonFinite::finite:
      I.max_code = I.mag_mask;
      break;
    case NonFinite::inf_nan_neg_zero:
      I.max_code = I.mag_mask - 1;
      I.inf_code = I.mag_mask;
      I.nan_code = I.sign_bit;
      I.has_inf = true;
      I.has_nan = true;
      break;
  }
  I.max_non_nan = f.nonfinite == NonFinite::ieee           ? I.inf_code
                  : f.nonfinite == NonFinite::nan_all_ones ? I.max_code
                                                           : I.mag_mask;
  I.emax = static_cast<int>(I.max_code >> f.man_bits) - f.bias;
  I.signed_zero = f.is_signed && f.has_zero && !nan_at_neg_zero(f.nonfinite);
  return I;
}

}  // namespace roundoff
