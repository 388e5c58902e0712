#include "special_driver.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "convert_driver.hpp"
#include "roundoff/arith.hpp"
#include "roundoff/exact.hpp"
#include "roundoff/known_formats.hpp"
#include "roundoff/rng.hpp"
#include "roundoff/special_cr.hpp"
#include "strided.hpp"

namespace roundoff {
namespace {

using L = Lanes<uint64_t, 1>;

Approx evaluate(SpecialFn fn, double x) {
  switch (fn) {
    case SpecialFn::exp: return cr_exp(x);
    case SpecialFn::exp2: return cr_exp2(x);
    case SpecialFn::log: return cr_log(x);
    case SpecialFn::log2: return cr_log2(x);
    case SpecialFn::tanh: return cr_tanh(x);
    case SpecialFn::erf: return cr_erf(x);
    case SpecialFn::sigmoid: return cr_sigmoid(x);
    case SpecialFn::rsqrt: return cr_rsqrt(x);
  }
  throw std::invalid_argument("unknown special function");
}

// 2^q for q in double's normal exponent range, from its bits.
double pow2(int q) {
  const uint64_t bits = uint64_t(q + 1023) << 52;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

Exact<L> exact_of(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return unpack<L>(bits, kFloat64, false, true);
}

// Whether f(x) and hi + lo round alike in every mode: both lie in the open cell of one grid of
// spacing g that holds every rounding boundary of T (midpoints and values for the
// deterministic modes, and the 2^-R steps stochastic rounding compares for R random bits). err
// bounds |f - (hi + lo)| strictly: each is at least twice its derived bound, and the saturated
// results (hi = +-1) have f strictly inside. err = inf: f lies beyond every format's range on
// the side of hi * 2^scale (special_cr.hpp's clamping), so both round alike. A grid coarser
// than 4|hi + lo| leaves only 0 nearby, so its spacing is capped there.
bool resolved(Approx a, int ey, const FormatInfo& T, int R) {
  if (std::isinf(a.err)) return true;
  // Keep g and the position inside double's normal range (exact power-of-two rescaling).
  if (ey < -500 || ey > 500) {
    const int shift = ey < 0 ? 600 : -600;
    a.hi = std::ldexp(a.hi, shift);
    a.lo = std::ldexp(a.lo, shift);
    a.err = std::ldexp(a.err, shift);
    a.scale -= shift;
    ey += shift;
  }
  // q in [-585, 502] here, so g and 1/g are normal and scaling by them is exact.
  const int q = std::min(std::max(ey + a.scale, T.emin) - T.f.man_bits - 1 - R - a.scale, ey + 2);
  const double g = pow2(q), inv_g = pow2(-q);
  const double offset = std::fma(-std::nearbyint(a.hi * inv_g), g, a.hi);  // exact
  // offset + lo = s + e exactly (TwoSum); d = s minus the nearest boundary, exactly.
  const double s = offset + a.lo;
  const double t = s - offset;
  const double e = (offset - (s - t)) + (a.lo - t);
  const double d = std::fma(-std::nearbyint(s * inv_g), g, s);
  if (e == 0) return std::fabs(d) >= a.err;
  return std::fabs(d) >= (a.err + std::fabs(e)) * (1 + 0x1p-52);
}

// A double that rounds like f(x) into T in every mode (with R random bits), when one is
// cheap to find: p = hi + lo rounded to a double, times 2^scale, if exact results, specials and
// NaN aside, p lies inside the open cell of the boundary grid that holds all of f's interval
// [hi + lo - err, hi + lo + err] (so f is in it too), and p * 2^scale is a normal double.
// Then the cast kernel rounds it.
bool proxy_of(const Approx& a, const FormatInfo& T, int R, double& proxy) {
  if (a.err == 0 && a.lo == 0 && a.scale == 0) {  // exact results, NaN, infinities, zeros
    proxy = a.hi;
    return true;
  }
  const double p = a.hi + a.lo;
  const double t = p - a.hi;
  const double tail = (a.hi - (p - t)) + (a.lo - t);  // hi + lo = p + tail exactly (TwoSum)
  uint64_t bits;
  std::memcpy(&bits, &p, sizeof bits);
  const int field = int((bits >> 52) & 0x7FF);
  if (std::isinf(a.err) || field == 0 || field == 0x7FF) return false;
  const int ey = field - 1023;
  if (ey + a.scale < -1000 || ey + a.scale > 1000 || ey < -500 || ey > 500) return false;
  const int q = std::min(std::max(ey + a.scale, T.emin) - T.f.man_bits - 1 - R - a.scale, ey + 2);
  const double d = std::fma(-std::nearbyint(p * pow2(-q)), pow2(q), p);  // exact
  if (!(std::fabs(d) >= (a.err + std::fabs(tail)) * (1 + 0x1p-50))) return false;
  // Two exact power-of-two steps: the intermediate exponent, (ey + (ey + scale)) / 2, stays
  // within +-750 as the ends do.
  const int half = a.scale / 2;
  proxy = p * pow2(half) * pow2(a.scale - half);
  return true;
}

#if defined(__AVX2__) && defined(__FMA__)
// exp and exp2 four at a time: special_cr.hpp's exp kernel and proxy_of, operation for
// operation (the same roundings, so the same Approx and the same proxies), for the inputs
// where neither takes a special branch: |x| below 700 (exp) or 1000 (exp2), x != 0, and for
// exp2 not an integer (exact results). Other lanes are left to the scalar loop (retry[i] = 1).
void exp_proxies_avx2(bool base2, const double* x, size_t n, double* proxy, uint8_t* retry,
                      const FormatInfo& T, int R) {
  using namespace special_cr;
  const double* tab = exp2_j128_table();
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256i bias = _mm256_set1_epi64x(1023);
  const auto pow2v = [&](__m256i q) {  // 2^q for q in the normal range
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(q, bias), 52));
  };
  const auto to_int = [](__m256d v) {  // exact integer doubles (|v| < 2^51) to int64
    const __m256d magic = _mm256_set1_pd(6755399441055744.0);  // 2^52 + 2^51
    return _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(v, magic)),
                            _mm256_castpd_si256(magic));
  };
  const __m256i emin = _mm256_set1_epi64x(T.emin);
  const __m256i shift = _mm256_set1_epi64x(T.f.man_bits + 1 + R);
  const int rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d v = _mm256_loadu_pd(x + i);
    const __m256d av = _mm256_andnot_pd(sign, v);
    __m256d ok = _mm256_and_pd(_mm256_cmp_pd(av, _mm256_set1_pd(base2 ? 1000.0 : 700.0),
                                             _CMP_LT_OQ),
                               _mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_NEQ_OQ));
    __m256d r, kf;
    if (base2) {
      const __m256d y = _mm256_mul_pd(v, _mm256_set1_pd(128.0));
      kf = _mm256_round_pd(y, rnd);
      const __m256d d = _mm256_sub_pd(y, kf);
      const __m256d rh = _mm256_mul_pd(d, _mm256_set1_pd(kLn2NHi));
      const __m256d rl = _mm256_fmsub_pd(d, _mm256_set1_pd(kLn2NHi), rh);
      r = _mm256_add_pd(rh, _mm256_fmadd_pd(d, _mm256_set1_pd(kLn2NLo), rl));
      ok = _mm256_and_pd(ok, _mm256_cmp_pd(d, _mm256_setzero_pd(), _CMP_NEQ_OQ));
    } else {
      kf = _mm256_round_pd(_mm256_mul_pd(v, _mm256_set1_pd(kInvLn2N)), rnd);
      r = _mm256_fnmadd_pd(kf, _mm256_set1_pd(kLn2N1), v);
      r = _mm256_fnmadd_pd(kf, _mm256_set1_pd(kLn2N2), r);
      r = _mm256_add_pd(_mm256_fnmadd_pd(kf, _mm256_set1_pd(kLn2N3), r), _mm256_setzero_pd());
    }
    const __m256i k = to_int(kf);
    const __m256i j2 = _mm256_slli_epi64(_mm256_and_si256(k, _mm256_set1_epi64x(127)), 1);
    const __m256d th = _mm256_i64gather_pd(tab, j2, 8);
    const __m256d tl = _mm256_i64gather_pd(tab + 1, j2, 8);
    __m256d p = _mm256_fmadd_pd(_mm256_set1_pd(kInvFact6), r, _mm256_set1_pd(kInvFact5));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFact4));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFact3));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFact2));
    const __m256d q = _mm256_fmadd_pd(_mm256_mul_pd(r, r), p, r);
    const __m256d lo = _mm256_fmadd_pd(th, q, tl);
    const __m256i e = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_add_epi64(
        k, _mm256_set1_epi64x(int64_t(1) << 40)), 7), _mm256_set1_epi64x(int64_t(1) << 33));
    const __m256d tiny = _mm256_castsi256_pd(_mm256_cmpeq_epi64(k, _mm256_setzero_si256()));
    const __m256d err = _mm256_blendv_pd(
        _mm256_mul_pd(_mm256_set1_pd(kExpRelErr), th),
        _mm256_fmadd_pd(_mm256_set1_pd(kExpTinyRelErr), _mm256_andnot_pd(sign, lo),
                        _mm256_set1_pd(0x1p-1074)), tiny);
    // proxy_of: p = hi + lo with its TwoSum tail, the grid spacing from p's exponent.
    const __m256d s = _mm256_add_pd(th, lo);
    const __m256d t = _mm256_sub_pd(s, th);
    const __m256d tail = _mm256_add_pd(_mm256_sub_pd(th, _mm256_sub_pd(s, t)),
                                       _mm256_sub_pd(lo, t));
    const __m256i ey = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_castpd_si256(s), 52), bias);
    const __m256i eye = _mm256_add_epi64(ey, e);
    const __m256i top = _mm256_blendv_epi8(emin, eye, _mm256_cmpgt_epi64(eye, emin));
    __m256i qg = _mm256_sub_epi64(_mm256_sub_epi64(top, shift), e);
    const __m256i cap = _mm256_add_epi64(ey, _mm256_set1_epi64x(2));
    qg = _mm256_blendv_epi8(qg, cap, _mm256_cmpgt_epi64(qg, cap));
    const __m256d g = pow2v(qg);
    const __m256d inv_g = pow2v(_mm256_sub_epi64(_mm256_setzero_si256(), qg));
    const __m256d d = _mm256_fnmadd_pd(_mm256_round_pd(_mm256_mul_pd(s, inv_g), rnd), g, s);
    const __m256d margin = _mm256_mul_pd(_mm256_add_pd(err, _mm256_andnot_pd(sign, tail)),
                                         _mm256_set1_pd(1 + 0x1p-50));
    ok = _mm256_and_pd(ok, _mm256_cmp_pd(_mm256_andnot_pd(sign, d), margin, _CMP_GE_OQ));
    // e in [-1010, 1010] here and s in [1, 4): one exact power-of-two step.
    _mm256_storeu_pd(proxy + i, _mm256_mul_pd(s, pow2v(e)));
    const int mask = _mm256_movemask_pd(ok);
    for (int l = 0; l < 4; ++l) retry[i + l] = !((mask >> l) & 1);
  }
  for (; i < n; ++i) retry[i] = 1;
}

// exp and exp2 of float32 inputs, eight at a time, for results of at most 36 bits (man_bits
// + 1 + R <= 36, R random bits), to a relative error below 2^-46 (Narrow: 2^-26, for results
// of at most 16 bits), which such results allow to decide cheaply. No table: x = k ln2 + r
// (exp) or k + d with r = d ln2 (exp2), |r| <= ln2/2 (1 + 2^-40) < 0.3466, and y = P(r) 2^k
// with P the Taylor polynomial of e^r of degree D = 12 (Narrow: 7), by FMA Horner.
// Relative to e^r >= 0.707, y errs by at most:
//   the reduction: exp: kf = RN(x/ln2 + 2^52 + 2^51) - (2^52 + 2^51) is an integer within
//     0.5 (1 + 2^-40) of x/ln2 (|kf| < 2^10); kf kLn2Hi42 and x - kf kLn2Hi42 are exact
//     (multiples of 2^-42 below 2^10), the second FMA rounds once (2^-53 |r|) and kLn2Lo errs
//     by 2^-94 (times |kf|): < 2^-54 in r; exp2: d = x - kf is exact, r = RN(d kLn2) errs by
//     2^-53 |r| + 2^-54 |d| < 2^-54; either moves e^r by < 2^-54 relatively (times e^2^-54);
//   the Taylor tail |r|^(D+1) / (D+1)! e^|r| / 0.707: 2^-51.4 (D = 12), 2^-26.5 (D = 7);
//   the coefficients RN(1/k!) (2^-53 each) and the D roundings of Horner's FMAs: at most
//   (D + 1) 2^-53 e^|r| / 0.707 in all, < 2^-48.4 (D = 12);
//   the power of two is exact: an integer add to the exponent field (|x| < 700 keeps the
//   result normal).
// In all < 2^-48.1 (D = 12) and 2^-26.4 (D = 7); the bounds used leave a factor 4 and 1.3.
// f lies within 2^-46 |y| < 2^7 double units (of y's binade) of y. The grid of every
// rounding boundary of T with R random bits has a spacing G = 2^(52 - man_bits - 1 - R) units
// in that binade, and a binade's ends are multiples of it (below T's normal range T's
// boundaries are coarser: multiples of it still). So:
//   double proxies: y rounds like f when its significand field mod G is in [2^7 + 1,
//     G - 2^7 - 1] (no boundary within 2^7 units);
//   float32 proxies (Narrow): p = RN32(y) rounds like f when p is a normal float32 whose
//     significand field is not a multiple of G32 = 2^(23 - man_bits - 1 - R): the boundaries
//     are then at least one float32 unit u from p, y within u/2 of p and f within
//     2^-26 |y| < u/2 of y (u > 2^-24 |y|).
// exp and exp2 of nonzero float32 values are irrational (exp2: but at integers, whose exact
// results land on a boundary and are retried), so no f lies on a boundary.
constexpr int kExpF32RelErrLog2 = -46;

// The eight retry flags (1 where the lane failed) of each movemask of the lanes that succeeded.
struct RetryBytes {
  uint64_t bytes[256];
  constexpr RetryBytes() : bytes() {
    for (int ok = 0; ok < 256; ++ok)
      for (int l = 0; l < 8; ++l)
        if (!((ok >> l) & 1)) bytes[ok] |= uint64_t(1) << (8 * l);
  }
};
constexpr RetryBytes kRetryBytes{};

template <bool Narrow>
size_t exp_float32_proxies_avx2(bool base2, const float* x, size_t n, void* proxy,
                                uint8_t* retry, const FormatInfo& T, int R) {
  using namespace special_cr;
  constexpr double kInvFact[13] = {1.0, 1.0, kInvFact2, kInvFact3, kInvFact4, kInvFact5,
                                   kInvFact6, kInvFact7, kInvFact8, kInvFact9, kInvFact10,
                                   kInvFact11, kInvFact12};
  constexpr int D = Narrow ? 7 : 12;
  const int grid_bits = (Narrow ? 23 : 52) - T.f.man_bits - 1 - R;
  const __m256 sign32 = _mm256_set1_ps(-0.0f);
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);  // 2^52 + 2^51: rounds to integers
  const int units = 1 << (52 + kExpF32RelErrLog2 + 1);  // 2^-46 |y| < 2^7 units of y's binade
  const __m256i low = _mm256_set1_epi64x(units);
  const __m256i high = _mm256_set1_epi64x((int64_t(1) << grid_bits) - units);
  const __m256i grid64 = _mm256_set1_epi64x((int64_t(1) << grid_bits) - 1);
  const __m256i grid32 = _mm256_set1_epi32((1 << (Narrow ? grid_bits : 0)) - 1);
  // y 2^k as double codes, for four inputs.
  const auto scaled_exp = [&](__m256d v) {
    __m256d r, kb;  // kb = kf + 2^52 + 2^51: its low 52 bits hold kf + 2^51
    if (base2) {
      kb = _mm256_add_pd(v, magic);
      r = _mm256_mul_pd(_mm256_sub_pd(v, _mm256_sub_pd(kb, magic)), _mm256_set1_pd(kLn2));
    } else {
      kb = _mm256_fmadd_pd(v, _mm256_set1_pd(kInvLn2), magic);
      const __m256d kf = _mm256_sub_pd(kb, magic);
      r = _mm256_fnmadd_pd(kf, _mm256_set1_pd(kLn2Hi42), v);
      r = _mm256_fnmadd_pd(kf, _mm256_set1_pd(kLn2Lo), r);
    }
    __m256d p = _mm256_fmadd_pd(_mm256_set1_pd(kInvFact[D]), r, _mm256_set1_pd(kInvFact[D - 1]));
    for (int k = D - 2; k >= 0; --k) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFact[k]));
    // * 2^kf on the exponent field: (kf + 2^51) << 52 = kf << 52 (mod 2^64), the exponent bits
    // of kb falling off the top too. P(r) in [0.7, 1.42) and |x| < 700 keep the result normal.
    return _mm256_add_epi64(_mm256_castpd_si256(p),
                            _mm256_slli_epi64(_mm256_castpd_si256(kb), 52));
  };
  const auto inside64 = [&](__m256i b) {  // no boundary within 2^7 units of the double
    const __m256i m = _mm256_and_si256(b, grid64);
    return _mm256_movemask_pd(_mm256_castsi256_pd(
        _mm256_and_si256(_mm256_cmpgt_epi64(m, low), _mm256_cmpgt_epi64(high, m))));
  };
  size_t i = 0, retried = 0;  // retried: groups of eight with a lane to retry
  for (; i + 8 <= n; i += 8) {
    const __m256 xs = _mm256_loadu_ps(x + i);
    // |x| < 700 and x != 0 (NaN fails both). Lanes out of range compute garbage (every table
    // index stays in range) and are retried.
    const __m256 ax = _mm256_andnot_ps(sign32, xs);
    int ok = _mm256_movemask_ps(_mm256_and_ps(
        _mm256_cmp_ps(ax, _mm256_set1_ps(700.0f), _CMP_LT_OQ),
        _mm256_cmp_ps(ax, _mm256_setzero_ps(), _CMP_GT_OQ)));
    const __m256i lo = scaled_exp(_mm256_cvtps_pd(_mm256_castps256_ps128(xs)));
    const __m256i hi = scaled_exp(_mm256_cvtps_pd(_mm256_extractf128_ps(xs, 1)));
    if constexpr (Narrow) {
      const __m256i b = _mm256_castps_si256(_mm256_set_m128(
          _mm256_cvtpd_ps(_mm256_castsi256_pd(hi)), _mm256_cvtpd_ps(_mm256_castsi256_pd(lo))));
      // positive: a normal float32 iff its code is in [2^23, 0x7F800000)
      const __m256i normal = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x7F000000),
                                                _mm256_sub_epi32(b, _mm256_set1_epi32(1 << 23)));
      ok &= _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_andnot_si256(
          _mm256_cmpeq_epi32(_mm256_and_si256(b, grid32), _mm256_setzero_si256()), normal)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(static_cast<uint32_t*>(proxy) + i), b);
    } else {
      ok &= inside64(lo) | (inside64(hi) << 4);
      uint64_t* out = static_cast<uint64_t*>(proxy) + i;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), lo);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4), hi);
    }
    std::memcpy(retry + i, &kRetryBytes.bytes[ok], 8);
    retried += ok != 0xFF;
  }
  const size_t tail = n - i;
  for (; i < n; ++i) retry[i] = 1;
  return retried + tail;
}
#endif

// How a tile's proxies are found: per element (special_cr.hpp), or four at a time for exp and
// exp2 by the 2^-6x kernel (doubles in and out), by the 2^-46 kernel for float32 inputs and
// results of at most 36 bits (double proxies), or by it with float32 proxies for results of
// at most 16 bits (T's boundary grid then at least 2^7 float32 units, so few lanes retry; the
// 8-lane cast kernels round them).
enum class Proxies { scalar, exp_double, exp_float32_wide, exp_float32_narrow };

Proxies proxies_for(SpecialFn fn, int x_itemsize, const FormatInfo& T, int R) {
#if defined(__AVX2__) && defined(__FMA__)
  if (fn != SpecialFn::exp && fn != SpecialFn::exp2) return Proxies::scalar;
  const int bits = T.f.man_bits + 1 + R;
  if (x_itemsize != 4 || bits > 36) return Proxies::exp_double;
  return bits <= 16 ? Proxies::exp_float32_narrow : Proxies::exp_float32_wide;
#else
  (void)fn, (void)x_itemsize, (void)T, (void)R;
  return Proxies::scalar;
#endif
}

template <Rounding M>
bool cr_code(const Approx& a, const FormatInfo& T, const Policy& P, const Specials& S,
             uint32_t r, uint64_t& code) {
  // lo = 0: hi alone (a sum would turn -0 into +0).
  Exact<L> e = a.lo == 0 ? exact_of(a.hi)
                         : exact_add<L, M == Rounding::stochastic>(exact_of(a.hi), exact_of(a.lo),
                                                                   M == Rounding::down);
  const bool finite = !(e.is_nan | e.is_inf | e.is_zero);
  const int R = M == Rounding::stochastic ? P.sr_bits : 0;
  if (a.err != 0 && !(finite && resolved(a, int(e.msb), T, R))) return false;
  if (finite) e.msb += a.scale;
  code = round_to_code<M, L>(e, T, P, S, r);
  return true;
}

// body(Dst{}) with Dst the unsigned type of the result's codes.
template <class Body>
void with_code_type(int itemsize, Body body) {
  switch (itemsize) {
    case 1: return body(uint8_t{});
    case 2: return body(uint16_t{});
    case 4: return body(uint32_t{});
    case 8: return body(uint64_t{});
  }
  throw std::invalid_argument("result itemsize must be 1, 2, 4 or 8");
}

}  // namespace

std::vector<int64_t> special_cr_array(SpecialFn fn, const void* x, int x_itemsize, size_t n,
                                      void* out, int out_itemsize, const SpecialRequest& req,
                                      int threads, Stop& stop) {
  const int R = req.mode == Rounding::stochastic ? req.policy.sr_bits : 0;
  const Proxies kind = proxies_for(fn, x_itemsize, req.to, R);
  const bool narrow = kind == Proxies::exp_float32_narrow;
  const CastRequest tile_req{narrow ? kFloat32 : kFloat64, req.to, req.mode, req.policy, false,
                             req.seed};
  const CastRequest one_req{kFloat64, req.to, req.mode, req.policy, false, req.seed};
  const CastSpanFn cast_tile = cast_span_for(tile_req, narrow ? 4 : 8, out_itemsize);
  const CastSpanFn cast_one = cast_span_for(one_req, 8, out_itemsize);
  const int64_t tiles = int64_t((n + kTile - 1) / kTile);
  const int nthreads = threads_for(tiles, 1, threads);
  const size_t per = std::min(n, kTile);
  // Per-thread tile buffers (the heap: a thread's stack may be small).
  std::vector<uint64_t> proxies(per * size_t(nthreads));
  std::vector<uint8_t> retries(per * size_t(nthreads));
  std::vector<double> widened(kind == Proxies::exp_double && x_itemsize == 4
                                  ? per * size_t(nthreads) : 0);
  std::vector<uint32_t> bits(R > 0 && !req.rbits ? per * size_t(nthreads) : 0);
  std::vector<std::vector<int64_t>> unresolved(static_cast<size_t>(nthreads));
  dispatch_mode(req.mode, [&](auto m) {
    constexpr Rounding M = decltype(m)::value;
    const Specials S = specials<M>(req.to, req.policy);
    with_code_type(out_itemsize, [&](auto code_type) {
      using Dst = decltype(code_type);
      Dst* dst = static_cast<Dst*>(out);
      parallel_for(tiles, nthreads, stop, [&](int64_t t, int thread) {
        const IeeeFloatMode ieee;
        const size_t first = size_t(t) * kTile, count = std::min(kTile, n - first);
        uint64_t* proxy = proxies.data() + per * size_t(thread);
        uint8_t* retry = retries.data() + per * size_t(thread);
        const auto value = [&](size_t k) {
          return x_itemsize == 4 ? double(static_cast<const float*>(x)[first + k])
                                 : static_cast<const double*>(x)[first + k];
        };
        // Element i's random bits, as the cast kernel draws them everywhere.
        const uint32_t* r = nullptr;
        if (M == Rounding::stochastic) {
          if (req.rbits) {
            r = req.rbits + first;
          } else {
            uint32_t* buf = bits.data() + per * size_t(thread);
            philox_bits(req.seed, first, count, buf, 32 - req.policy.sr_bits);
            r = buf;
          }
        }
        // 1. Proxies (zeros stand in where there is none: step 3 overwrites their codes).
        const bool base2 = fn == SpecialFn::exp2;
        bool any_retry = true;
        const float* xf = static_cast<const float*>(x) + first;
        switch (kind) {
#if defined(__AVX2__) && defined(__FMA__)
          case Proxies::exp_float32_narrow:
            any_retry = exp_float32_proxies_avx2<true>(base2, xf, count, proxy, retry, req.to, R);
            break;
          case Proxies::exp_float32_wide:
            any_retry = exp_float32_proxies_avx2<false>(base2, xf, count, proxy, retry, req.to,
                                                        R);
            break;
          case Proxies::exp_double: {
            const double* xd = static_cast<const double*>(x) + first;
            if (x_itemsize == 4) {
              double* buf = widened.data() + per * size_t(thread);
              std::copy(xf, xf + count, buf);
              xd = buf;
            }
            exp_proxies_avx2(base2, xd, count, reinterpret_cast<double*>(proxy), retry, req.to,
                             R);
            break;
          }
#endif
          default: {
            double* p = reinterpret_cast<double*>(proxy);
            for (size_t k = 0; k < count; ++k) {
              retry[k] = !proxy_of(evaluate(fn, value(k)), req.to, R, p[k]);
              if (retry[k]) p[k] = 0;
            }
          }
        }
        // 2. The cast kernel rounds the tile's proxies.
        cast_tile(proxy, dst + first, count, tile_req, r);
        // 3. The rest, one at a time: a double proxy (the vector kernel declined), the code
        // rounded here, or MPFR's (unresolved).
        for (size_t k = 0; any_retry && k < count; ++k) {
          if (k % 8 == 0 && k + 8 <= count) {  // skip eight settled elements at once
            uint64_t word;
            std::memcpy(&word, retry + k, sizeof word);
            if (word == 0) {
              k += 7;
              continue;
            }
          }
          if (!retry[k]) continue;
          const Approx a = evaluate(fn, value(k));
          double p;
          if (kind != Proxies::scalar && proxy_of(a, req.to, R, p)) {
            uint64_t p_code;
            std::memcpy(&p_code, &p, sizeof p_code);
            cast_one(&p_code, dst + first + k, 1, one_req, r ? r + k : nullptr);
            continue;
          }
          uint64_t code = 0;
          if (cr_code<M>(a, req.to, req.policy, S, r ? r[k] : 0u, code))
            dst[first + k] = Dst(code);
          else
            unresolved[size_t(thread)].push_back(int64_t(first + k));
        }
      });
    });
    return 0;
  });
  std::vector<int64_t> all;
  for (const auto& part : unresolved) all.insert(all.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  return all;
}

void special_hw_array(mufu::Fn fn, const uint32_t* a, const uint32_t* b, size_t n, void* out,
                      int out_itemsize, const SpecialRequest& req, const mufu::Tables& tables,
                      int threads, Stop& stop) {
  mufu::Tables ahead = tables, ahead_second = tables;
  ahead.prefetch_ex2 = ahead.prefetch_other = true;
  ahead_second.prefetch_other = true;
  // The table entries kAhead elements on are fetched while this one computes (tanhf's second
  // table once its first is in cache: 2 kAhead on, then kAhead on).
  constexpr size_t kAhead = 32;
  const bool two_tables = fn == mufu::Fn::tanhf;
  const CastRequest cast{kFloat32, req.to, req.mode, req.policy, false, req.seed};
  const CastSpanFn cast_tile = cast_span_for(cast, 4, out_itemsize);
  const bool random = req.mode == Rounding::stochastic;
  const int64_t tiles = int64_t((n + kTile - 1) / kTile);
  const int nthreads = threads_for(tiles, 1, threads);
  const size_t per = std::min(n, kTile);
  std::vector<uint32_t> results(per * size_t(nthreads));
  std::vector<uint32_t> bits(random && !req.rbits ? per * size_t(nthreads) : 0);
  parallel_for(tiles, nthreads, stop, [&](int64_t t, int thread) {
    const IeeeFloatMode ieee;
    const size_t first = size_t(t) * kTile, last = std::min(n, first + kTile);
    uint32_t* y = results.data() + per * size_t(thread);
    for (size_t i = first; i < last; ++i) {
      if (two_tables) {
        if (i + 2 * kAhead < n) mufu::apply(fn, a[i + 2 * kAhead], 0u, ahead);
        if (i + kAhead < n) mufu::apply(fn, a[i + kAhead], 0u, ahead_second);
      } else if (i + kAhead < n) {
        mufu::apply(fn, a[i + kAhead], b ? b[i + kAhead] : 0u, ahead);
      }
      y[i - first] = mufu::apply(fn, a[i], b ? b[i] : 0u, tables);
    }
    // The GPU's float32 results rounded into T by the cast kernel, element i with element i's
    // random bits.
    const uint32_t* r = nullptr;
    if (random) {
      if (req.rbits) {
        r = req.rbits + first;
      } else {
        uint32_t* buf = bits.data() + per * size_t(thread);
        philox_bits(req.seed, first, last - first, buf, 32 - req.policy.sr_bits);
        r = buf;
      }
    }
    cast_tile(y, static_cast<char*>(out) + first * size_t(out_itemsize), last - first, cast, r);
  });
}

void round_exact_array(const uint64_t* sig, const int64_t* msb, const uint8_t* sticky,
                       const uint8_t* neg, const int64_t* index, size_t n, void* out,
                       int out_itemsize, const SpecialRequest& req) {
  dispatch_mode(req.mode, [&](auto m) {
    constexpr Rounding M = decltype(m)::value;
    const Specials S = specials<M>(req.to, req.policy);
    const IeeeFloatMode ieee;
    for (size_t j = 0; j < n; ++j) {
      Exact<L> e;
      e.sig = sig[j];
      e.msb = msb[j];
      e.neg = neg[j] != 0;
      e.sticky = sticky[j] != 0;
      e.is_nan = e.is_inf = e.is_zero = false;
      uint32_t r = 0;
      if (M == Rounding::stochastic) {
        if (req.rbits) r = req.rbits[j];
        else philox_bits(req.seed, uint64_t(index[j]), 1, &r, 32 - req.policy.sr_bits);
      }
      const uint64_t code = round_to_code<M, L>(e, req.to, req.policy, S, r);
      with_code_type(out_itemsize, [&](auto code_type) {
        using Dst = decltype(code_type);
        static_cast<Dst*>(out)[index[j]] = Dst(code);
      });
    }
    return 0;
  });
}

}  // namespace roundoff
