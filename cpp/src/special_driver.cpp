#include "special_driver.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

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
#endif

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

size_t special_cr_array(SpecialFn fn, const double* x, size_t n, void* out, int out_itemsize,
                        double* proxy, uint8_t* status, const SpecialRequest& req, int threads,
                        Stop& stop) {
  const int R = req.mode == Rounding::stochastic ? req.policy.sr_bits : 0;
  dispatch_mode(req.mode, [&](auto m) {
    constexpr Rounding M = decltype(m)::value;
    const Specials S = specials<M>(req.to, req.policy);
    with_code_type(out_itemsize, [&](auto code_type) {
      using Dst = decltype(code_type);
      Dst* dst = static_cast<Dst*>(out);
      // The random bits are drawn only for the (rare) elements rounded here.
      const int64_t tiles = int64_t((n + kTile - 1) / kTile);
      parallel_for(tiles, threads_for(tiles, 1, threads), stop, [&](int64_t t, int) {
        const IeeeFloatMode ieee;
        const size_t first = size_t(t) * kTile, last = std::min(n, first + kTile);
        bool vector = false;
#if defined(__AVX2__) && defined(__FMA__)
        if (fn == SpecialFn::exp || fn == SpecialFn::exp2) {
          exp_proxies_avx2(fn == SpecialFn::exp2, x + first, last - first, proxy + first,
                           status + first, req.to, R);  // status: 0 done, 1 retry
          vector = true;
        }
#endif
        for (size_t i = first; i < last; ++i) {
          if (vector && status[i] == 0) continue;  // kProxy, from the vector path
          const Approx a = evaluate(fn, x[i]);
          if (proxy_of(a, req.to, R, proxy[i])) {
            status[i] = kProxy;
            continue;
          }
          proxy[i] = 0;
          uint32_t r = 0;
          if (M == Rounding::stochastic) {
            if (req.rbits) r = req.rbits[i];
            else philox_bits(req.seed, i, 1, &r, 32 - req.policy.sr_bits);
          }
          uint64_t code = 0;
          status[i] = cr_code<M>(a, req.to, req.policy, S, r, code) ? kRounded : kUnresolved;
          dst[i] = Dst(code);
        }
      });
    });
    return 0;
  });
  size_t missed = 0;
  for (size_t i = 0; i < n; ++i) missed += status[i] == kUnresolved;
  return missed;
}

void special_hw_array(mufu::Fn fn, const uint32_t* a, const uint32_t* b, size_t n,
                      uint32_t* out, const mufu::Tables& tables, int threads, Stop& stop) {
  mufu::Tables ahead = tables, ahead_second = tables;
  ahead.prefetch_ex2 = ahead.prefetch_other = true;
  ahead_second.prefetch_other = true;
  // The table entries kAhead elements on are fetched while this one computes (tanhf's second
  // table once its first is in cache: 2 kAhead on, then kAhead on).
  constexpr size_t kAhead = 32;
  const bool two_tables = fn == mufu::Fn::tanhf;
  const int64_t tiles = int64_t((n + kTile - 1) / kTile);
  parallel_for(tiles, threads_for(tiles, 1, threads), stop, [&](int64_t t, int) {
    const IeeeFloatMode ieee;
    const size_t first = size_t(t) * kTile, last = std::min(n, first + kTile);
    for (size_t i = first; i < last; ++i) {
      if (two_tables) {
        if (i + 2 * kAhead < n) mufu::apply(fn, a[i + 2 * kAhead], 0u, ahead);
        if (i + kAhead < n) mufu::apply(fn, a[i + kAhead], 0u, ahead_second);
      } else if (i + kAhead < n) {
        mufu::apply(fn, a[i + kAhead], b ? b[i + kAhead] : 0u, ahead);
      }
      out[i] = mufu::apply(fn, a[i], b ? b[i] : 0u, tables);
    }
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
