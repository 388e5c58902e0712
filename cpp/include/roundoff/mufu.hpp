// NVIDIA's special-function unit (MUFU) and the CUDA math functions built on it, as data and
// straight-line float32 code: float32 in, the GPU's float32 out, bit for bit.
//
// The MUFU ops are tables captured exhaustively on the GPU (tools/capture_mufu.py; every entry)
// plus the exact sign, exponent and special-value handling around them. The libdevice functions
// are the instruction sequences nvcc emits for sm_90 (the SASS is kept in
// tests/data/mufu_sm90/kernels.sass), replayed with IEEE float32 operations: every + - * here is
// one rounding to nearest-even with subnormals, as the GPU's FADD/FMUL/FFMA without .FTZ, and
// every fused multiply-add is written as fmaf. Build without floating-point contraction
// (-ffp-contract=off; nvcc --fmad=false) so that no a * b + c is fused behind our back.
//
// NaN results are the GPU's canonical NaN (0x7FFFFFFF) here; the drivers map every NaN to the
// result format's NaN. The same header compiles for CUDA (tools/verify_mufu.cu checks it on the
// GPU against every float32 input).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "roundoff/format.hpp"

namespace roundoff {
namespace mufu {

// The captured tables (float32 codes), indexed as the unit indexes them:
//   ex2_pos[f] = MUFU.EX2(f * 2^-23),  ex2_neg[f] = MUFU.EX2(-f * 2^-23)   (f < 2^23)
//   rcp[m]     = MUFU.RCP(1 + m * 2^-23)                                     (m < 2^23)
//   rsqrt[i]   = MUFU.RSQ(the float32 of code 0x3F800000 + i), i.e. [1, 4)  (i < 2^24)
struct Tables {
  const uint32_t* ex2_pos;
  const uint32_t* ex2_neg;
  const uint32_t* rcp;
  const uint32_t* rsqrt;
  // Prefetch mode (CPU drivers): reads of the tables marked here only prefetch their entry
  // and return 1, so running a function ahead of time brings its entries into cache (random
  // table indices miss every cache level otherwise). The results of that run are meaningless.
  // A function that reads a second table at an index computed from the first (tanhf: RCP of
  // 1 + EX2) runs ahead twice: all tables marked, then only the second.
  bool prefetch_ex2 = false;
  bool prefetch_other = false;
};

// The table entry t[i], or in prefetch mode a prefetch of it and 1.0f's bits.
ROUNDOFF_HD ROUNDOFF_INLINE uint32_t entry(const Tables& t, const uint32_t* table, uint32_t i) {
#if !defined(__CUDA_ARCH__)
  const bool ex2 = table == t.ex2_pos || table == t.ex2_neg;
  if (ex2 ? t.prefetch_ex2 : t.prefetch_other) {
    __builtin_prefetch(table + i);
    return 0x3F800000u;
  }
#else
  (void)t;
#endif
  return table[i];
}

constexpr uint32_t kNaN = 0x7FFFFFFFu;  // what the GPU returns for every NaN result
constexpr uint32_t kInf = 0x7F800000u;
constexpr uint32_t kSign = 0x80000000u;

ROUNDOFF_HD ROUNDOFF_INLINE uint32_t bits_of(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
ROUNDOFF_HD ROUNDOFF_INLINE float float_of(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
ROUNDOFF_HD ROUNDOFF_INLINE float copysign_bits(float mag, float sign) {
  return float_of((bits_of(mag) & ~kSign) | (bits_of(sign) & kSign));
}

// ---- MUFU ops (all flush subnormal inputs and results to zero) ----

// MUFU.EX2 = ex2.approx.ftz.f32: |x| truncated to 23 fraction bits, n = its integer part and f
// its fraction; 2^x = T+[f] * 2^n for x >= 0 and T-[f] * 2^-n for x < 0 (separate tables).
ROUNDOFF_HD ROUNDOFF_INLINE float ex2(float x, const Tables& t) {
  const uint32_t b = bits_of(x);
  const uint32_t mag = b & ~kSign;
  const bool neg = (b & kSign) != 0;
  if (mag > kInf) return float_of(kNaN);
  if (mag >= 0x43000000u) return neg ? 0.0f : float_of(kInf);  // |x| >= 128 (and +-Inf)
  // |x| * 2^23 < 2^30 is exact; the conversion truncates. Subnormal x (FTZ) gives q = 0.
  const uint32_t q = mag < 0x00800000u ? 0u : uint32_t(float_of(mag) * 8388608.0f);
  const uint32_t n = q >> 23, f = q & 0x7FFFFFu;
  if (!neg) return float_of(entry(t, t.ex2_pos, f) + (n << 23));  // T+ in [1, 2): field + n
  const uint32_t y = entry(t, t.ex2_neg, f);                      // T- in (1/2, 1]
  const int field = int(y >> 23) - int(n);
  return field <= 0 ? 0.0f : float_of(y - (n << 23));  // below the normal range: FTZ
}

// MUFU.RCP = rcp.approx.ftz.f32: a table of the significand, the exponent negated exactly.
ROUNDOFF_HD ROUNDOFF_INLINE float rcp(float x, const Tables& t) {
  const uint32_t b = bits_of(x);
  const uint32_t mag = b & ~kSign, sign = b & kSign;
  if (mag > kInf) return float_of(kNaN);
  if (mag == kInf) return float_of(sign);                        // 1/+-Inf = +-0
  if (mag < 0x00800000u) return float_of(sign | kInf);          // +-0 and subnormals (FTZ)
  const uint32_t y = entry(t, t.rcp, mag & 0x7FFFFFu);           // (1/2, 1]: field 126 or 127
  const int field = int(y >> 23) + 127 - int(mag >> 23);
  return field <= 0 ? float_of(sign) : float_of(sign | (y + ((127u - (mag >> 23)) << 23)));
}

// MUFU.RSQ = rsqrt.approx.ftz.f32: a table over [1, 4), exact scaling by powers of 4.
ROUNDOFF_HD ROUNDOFF_INLINE float rsq(float x, const Tables& t) {
  const uint32_t b = bits_of(x);
  const uint32_t mag = b & ~kSign;
  if (mag > kInf) return float_of(kNaN);
  if (mag < 0x00800000u) return float_of((b & kSign) | kInf);  // +-0 and subnormals: +-Inf
  if (b & kSign) return float_of(kNaN);                        // negative (and -Inf)
  if (mag == kInf) return 0.0f;
  const int e = int(mag >> 23) - 127;  // x = m * 2^e, m in [1, 2)
  const int k = e >= 0 ? e / 2 : -((1 - e) / 2);                // floor(e / 2)
  const uint32_t i = (uint32_t(e - 2 * k) << 23) | (mag & 0x7FFFFFu);  // m * 2^(e - 2k) in [1, 4)
  return float_of(entry(t, t.rsqrt, i) - uint32_t(k * (1 << 23)));  // * 2^-k, always normal
}

// ---- PTX wrappers and CUDA functions (sm_90 SASS, nvcc defaults: no fast math) ----

// ex2.approx.f32 (non-FTZ) = exp2f: below -126 the unit would flush, so square the half.
ROUNDOFF_HD ROUNDOFF_INLINE float ex2_approx(float x, const Tables& t) {
  const bool scaled = x < -126.0f;  // FSETP.GEU: NaN is not scaled
  const float y = ex2(scaled ? x * 0.5f : x, t);
  return scaled ? y * y : y;
}

// __expf: x * log2(e) rounded, then ex2.approx.f32.
ROUNDOFF_HD ROUNDOFF_INLINE float fast_expf(float x, const Tables& t) {
  return ex2_approx(x * 1.44269502162933349609375f, t);
}

// expf: k = a saturated, rounded-down multiple of x / ln2 picks 2^(k-126) exactly; the
// remainder x * log2(e) - (k - 126) is formed with a hi/lo split of log2(e) and goes to MUFU.EX2.
ROUNDOFF_HD ROUNDOFF_INLINE float expf(float x, const Tables& t) {
  float s = fmaf(x, float_of(0x3BBB989Du), 0.5f);  // FFMA.SAT: clamp to [0, 1], NaN to 0
  s = s > 0.0f ? (s < 1.0f ? s : 1.0f) : 0.0f;
  // FFMA.RM(s, 252, 12582913): s * 252 + 12582913 is exact in double when s >= 2^-8 and
  // below the next integer otherwise, so its floor is the rounded-down float32 result.
  const float r = float(std::floor(double(s) * 252.0 + 12582913.0));
  const float j = r + float_of(0xCB40007Fu);  // r - 12583039 = k - 126, exact
  const float lo = fmaf(x, float_of(0x32A57060u), fmaf(x, float_of(0x3FB8AA3Bu), -j));
  const float scale = float_of(bits_of(r) << 23);  // 2^(k - 126): r's low bits hold k + 1
  return scale * ex2(lo, t);
}

// tanhf: |x| >= 0.6: 1 - 2 / (1 + 2^(2 log2(e) |x|)) through MUFU.EX2 and MUFU.RCP (1 from
// 9.0109 on); below: an odd polynomial.
ROUNDOFF_HD ROUNDOFF_INLINE float tanhf(float x, const Tables& t) {
  const float ax = std::fabs(x);
  const float x2 = x * x;
  float p = fmaf(x2, float_of(0x3C80F082u), float_of(0xBD563CAEu));
  p = fmaf(x2, p, float_of(0x3E085941u));
  p = fmaf(x2, p, float_of(0xBEAAA9EDu));
  p = fmaf(x2, p, 0.0f);
  const float e = ex2(ax * float_of(0x4038AA3Bu), t);
  float big = fmaf(rcp(e + 1.0f, t), -2.0f, 1.0f);
  big = ax >= float_of(0x41102CB4u) ? 1.0f : big;
  return ax >= float_of(0x3F19999Au) ? copysign_bits(big, x) : fmaf(p, x, x);
}

// erff: a degree-6 polynomial in x^2 times x below 1.00296; above it, 1 - MUFU.EX2 of a
// polynomial in |x| (the tail 1 - erf through an exp2).
ROUNDOFF_HD ROUNDOFF_INLINE float erff(float x, const Tables& t) {
  constexpr uint32_t big_c[7] = {0x38EB4C3Au, 0xBAAE005Bu, 0x3C09919Fu, 0xBD24D99Au,
                                 0x3E235519u, 0x3F69B4F9u, 0x3F210A14u};
  constexpr uint32_t small_c[7] = {0x38B1E96Au, 0xBA574D20u, 0x3BAAD5EAu, 0xBCDC1BE7u,
                                   0x3DE718AFu, 0xBEC093ACu, 0x3E0375D3u};
  const float ax = std::fabs(x);
  const bool big = ax >= float_of(0x3F8060FEu);  // FSETP.GE: NaN takes the small branch
  const uint32_t* c = big ? big_c : small_c;
  const float u = big ? ax : x * x;
  float r = fmaf(u, float_of(c[0]), float_of(c[1]));
  for (int i = 2; i < 7; ++i) r = fmaf(u, r, float_of(c[i]));
  const float s = big ? -ax : x;
  r = fmaf(r, s, s);
  return big ? copysign_bits(1.0f - ex2(r, t), x) : r;
}

// rsqrtf = rsqrt.approx.f32 (non-FTZ): subnormals scaled by 2^24 into the unit, back by 2^12.
ROUNDOFF_HD ROUNDOFF_INLINE float rsqrtf(float x, const Tables& t) {
  const bool scaled = std::fabs(x) < 1.17549435082228750797e-38f;  // FSETP.GEU: NaN not scaled
  const float y = rsq(scaled ? x * 16777216.0f : x, t);
  return scaled ? y * 4096.0f : y;
}

// div.full.f32 (and __fdividef's div.approx): a * MUFU.RCP(b), with b (and a) pre-scaled by
// 1/4 when |b| > 2^126 and by 2^24 when |b| < 2^-126, so the unit sees a normal divisor.
ROUNDOFF_HD ROUNDOFF_INLINE float div_full(float a, float b, const Tables& t) {
  const float ab = std::fabs(b);
  const bool tiny = ab < 1.17549435082228750797e-38f;  // FSETP.GEU: NaN is not tiny
  const bool huge = ab > 8.50705917302346158658e+37f;  // 2^126
  float num = huge ? a * 0.25f : a, den = huge ? b * 0.25f : b;
  num = tiny ? num * 16777216.0f : num;
  den = tiny ? den * 16777216.0f : den;
  return rcp(den, t) * num;
}

// logf: subnormals scaled by 2^23; x = m * 2^e with m in [2/3, 4/3) (an integer trick on the
// bits), a degree-9 polynomial in m - 1 by FFMA, then + e * ln2 by one FFMA. No MUFU.LG2.
// Negative x, Inf and NaN go through x * Inf + Inf (NaN, +Inf, NaN); zeros give -Inf.
ROUNDOFF_HD ROUNDOFF_INLINE float logf(float x) {
  constexpr uint32_t c[7] = {0xBDF8CDCCu, 0x3E0F2955u, 0xBE2AD8B9u, 0x3E4CED0Bu,
                             0xBE7FFF22u, 0x3EAAAA78u, 0xBF000000u};
  const bool scaled = x < 1.17549435082228750797e-38f;  // FSETP.GEU: NaN is not scaled
  const float xs = scaled ? x * 8388608.0f : x;
  const uint32_t b = bits_of(xs);
  const uint32_t e_bits = (b + 0xC0D55555u) & 0xFF800000u;  // (exponent - 127) << 23, mod 2^32
  const float t = float_of(b - e_bits) - 1.0f;
  const float e = fmaf(float(int32_t(e_bits)), 1.1920928955078125e-07f, scaled ? -23.0f : 0.0f);
  float p = fmaf(t, float_of(0xBE055027u), float_of(0x3E1039F6u));
  for (int i = 0; i < 7; ++i) p = fmaf(t, p, float_of(c[i]));
  p = fmaf(t, t * p, t);
  float r = fmaf(e, float_of(0x3F317218u), p);
  if (b >= kInf) r = fmaf(xs, float_of(kInf), float_of(kInf));
  return xs == 0.0f ? float_of(kSign | kInf) : r;
}

// IEEE div.rn.f32 and rcp.rn.f32 (the non-fast-math a / b and 1 / x): correctly rounded. The
// quotient of two float32 values rounded to double and then to float32 is correctly rounded
// (53 >= 2 * 24 + 2), subnormal results included.
ROUNDOFF_HD ROUNDOFF_INLINE float div_rn(float a, float b) { return float(double(a) / double(b)); }

// The functions a driver can name (Python: roundoff's impl names, same order).
enum class Fn : int {
  ex2_approx_ftz = 0,  // ex2.approx.ftz.f32 (MUFU.EX2)
  ex2_approx = 1,      // ex2.approx.f32 = exp2f
  rcp_approx_ftz = 2,  // rcp.approx.ftz.f32 (MUFU.RCP)
  rsqrt_approx_ftz = 3,  // rsqrt.approx.ftz.f32 (MUFU.RSQ)
  rsqrt_approx = 4,    // rsqrt.approx.f32 = rsqrtf
  expf = 5,
  fast_expf = 6,       // __expf
  tanhf = 7,
  erff = 8,
  div_full = 9,        // div.full.f32, a / b
  div_rn = 10,         // div.rn.f32, a / b
  rcp_rn = 11,         // rcp.rn.f32
  logf = 12,
};

ROUNDOFF_HD ROUNDOFF_INLINE constexpr int arity(Fn fn) {
  return fn == Fn::div_full || fn == Fn::div_rn ? 2 : 1;
}

// fn(a) or fn(a, b), float32 bits in and out.
ROUNDOFF_HD ROUNDOFF_INLINE uint32_t apply(Fn fn, uint32_t a_bits, uint32_t b_bits,
                                           const Tables& t) {
  const float a = float_of(a_bits), b = float_of(b_bits);
  float y = 0.0f;
  switch (fn) {
    case Fn::ex2_approx_ftz: y = ex2(a, t); break;
    case Fn::ex2_approx: y = ex2_approx(a, t); break;
    case Fn::rcp_approx_ftz: y = rcp(a, t); break;
    case Fn::rsqrt_approx_ftz: y = rsq(a, t); break;
    case Fn::rsqrt_approx: y = rsqrtf(a, t); break;
    case Fn::expf: y = expf(a, t); break;
    case Fn::fast_expf: y = fast_expf(a, t); break;
    case Fn::tanhf: y = tanhf(a, t); break;
    case Fn::erff: y = erff(a, t); break;
    case Fn::div_full: y = div_full(a, b, t); break;
    case Fn::div_rn: y = div_rn(a, b); break;
    case Fn::rcp_rn: y = div_rn(1.0f, a); break;
    case Fn::logf: y = logf(a); break;
  }
  const uint32_t r = bits_of(y);
  return (r & ~kSign) > kInf ? kNaN : r;  // every NaN as the GPU's
}

}  // namespace mufu
}  // namespace roundoff
