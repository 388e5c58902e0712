#include "matmul_driver.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#if defined(__AVX__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include "roundoff/arith.hpp"
#include "roundoff/convert.hpp"
#include "roundoff/elementwise.hpp"
#include "roundoff/exact.hpp"
#include "roundoff/known_formats.hpp"
#include "roundoff/lanes.hpp"
#include "roundoff/rng.hpp"
#include "strided.hpp"

namespace roundoff {
namespace {

// ---- float32 chains of fused multiply-adds -------------------------------------------------

typedef float V8 __attribute__((vector_size(32)));

ROUNDOFF_INLINE V8 fma8(V8 a, V8 b, V8 c) {
#if defined(__FMA__)
  return (V8)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
  V8 r;
  for (int l = 0; l < 8; ++l) r[l] = std::fma(a[l], b[l], c[l]);
  return r;
#endif
}

// p0 + p1 for doubles, made round-to-odd from its exact error (TwoSum): an inexact sum with an
// even last bit steps one unit toward the exact value. Rounding that to nearest at 24 bits is
// one rounding of the exact sum (Boldo & Melquiond); add_round_odd does the same in float32.
double sum_round_to_odd(double p0, double p1) {
  double s = p0 + p1;
  if (!std::isfinite(s)) return s;
  const double bb = s - p0;
  const double err = (p0 - (s - bb)) + (p1 - bb);
  uint64_t bits;
  std::memcpy(&bits, &s, sizeof bits);
  if (err != 0 && (bits & 1) == 0)
    s = std::nextafter(s, err > 0 ? std::numeric_limits<double>::infinity()
                                  : -std::numeric_limits<double>::infinity());
  return s;
}

// Rows i0 .. i0+R-1, columns j0 .. j0+15 of out (holding the chains' starts), k from k0.
template <int R>
ROUNDOFF_INLINE void fma_block(const float* a, const float* b, float* out, int64_t K,
                               int64_t N, int64_t i0, int64_t j0, int64_t k0) {
  V8 acc[R][2];
  for (int r = 0; r < R; ++r)
    for (int h = 0; h < 2; ++h) std::memcpy(&acc[r][h], out + (i0 + r) * N + j0 + 8 * h, 32);
  for (int64_t k = k0; k < K; ++k) {
    V8 b0, b1;
    std::memcpy(&b0, b + k * N + j0, 32);
    std::memcpy(&b1, b + k * N + j0 + 8, 32);
    for (int r = 0; r < R; ++r) {
      const float x = a[(i0 + r) * K + k];
      const V8 av = {x, x, x, x, x, x, x, x};  // not V8{} + x: 0 + -0 is +0
      acc[r][0] = fma8(av, b0, acc[r][0]);
      acc[r][1] = fma8(av, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int h = 0; h < 2; ++h) std::memcpy(out + (i0 + r) * N + j0 + 8 * h, &acc[r][h], 32);
}

// ---- narrow accumulators through float32: round-to-odd, then the rounding routine ----------

using L8 = Lanes<uint32_t, 8>;

// round(p + acc) into T for exact float32 products p and accumulators acc (values of T): the
// float32 sum made round-to-odd from its exact error (TwoSum), then rounded once to nearest into
// T by the routine, which equals rounding the exact sum (24 >= p_T + 2; Boldo & Melquiond). An
// overflowing float32 sum is Inf, and so is the exact sum in T.
template <const FormatInfo* T, class LF>
ROUNDOFF_INLINE typename LF::F add_round_odd(typename LF::F p, typename LF::F acc,
                                             const Specials& S) {
  using U = typename LF::U;
  const typename LF::F s = p + acc;
  const typename LF::F bb = s - p;
  const typename LF::F err = (p - (s - bb)) + (acc - bb);
  const U sb = LF::from_float(s);
  // Inexact with an even last bit: step one unit toward the exact sum (away from zero when
  // err has s's sign); s = 0 steps to the smallest subnormal of err's sign.
  const U eb = LF::from_float(err);
  const auto fix = (err != 0) & ((sb & LF::u(1)) == LF::u(0)) &
                   ((sb & LF::u(0x7F800000u)) != LF::u(0x7F800000u));
  const auto away = ((sb ^ eb) & LF::u(0x80000000u)) == LF::u(0);
  const U zero_step = (eb & LF::u(0x80000000u)) | LF::u(1);
  const U stepped = (sb & LF::u(0x7FFFFFFFu)) == LF::u(0) ? zero_step
                    : away ? U(sb + LF::u(1)) : U(sb - LF::u(1));
  const U odd = fix ? stepped : sb;
  const Exact<LF> x = unpack<LF>(odd, kFloat32, false, needs_normalized(kFloat32, *T));
  const U code = round_to_code<Rounding::nearest_even, LF>(x, *T, Policy{false, false, 32}, S,
                                                           LF::u(0));
  return LF::as_float(float32_bits<LF>(code, *T));
}

template <const FormatInfo* T>
void narrow_rows(const float* a, const float* b, const float* c, float* out, int64_t M,
                 int64_t K, int64_t N, int threads, Stop& stop) {
  using L1f = Lanes<uint32_t, 1>;
  const Specials S = specials<Rounding::nearest_even>(*T, Policy{false, false, 32});
  const int64_t k0 = c ? 0 : std::min<int64_t>(K, 2);
  parallel_for(M, threads_for(M, 2, threads), stop, [&](int64_t i, int) {
    const IeeeFloatMode ieee;
    // The chains' starts: c, or round(p0 + p1), or round(p0).
    for (int64_t j = 0; j < N; ++j) {
      float s = 0.0f;
      if (c) s = c[i * N + j];
      else if (K == 1) s = add_round_odd<T, L1f>(a[i * K] * b[j], -0.0f, S);  // x + -0 = x
      else if (K >= 2)
        s = add_round_odd<T, L1f>(a[i * K] * b[j], a[i * K + 1] * b[N + j], S);
      out[i * N + j] = s;
    }
    // V independent vectors per k: each step's chain is long (latency-bound), so several
    // columns' chains interleave.
    constexpr int V = 4;
    const int64_t whole = N - N % (8 * V);
    for (int64_t j = 0; j < whole; j += 8 * V) {
      L8::F acc[V];
      std::memcpy(acc, out + i * N + j, sizeof acc);
      for (int64_t k = k0; k < K; ++k) {
        L8::F bv[V];
        std::memcpy(bv, b + k * N + j, sizeof bv);
        const float x = a[i * K + k];
        for (int v = 0; v < V; ++v) acc[v] = add_round_odd<T, L8>(x * bv[v], acc[v], S);
      }
      std::memcpy(out + i * N + j, acc, sizeof acc);
    }
    for (int64_t j = whole; j < N; ++j) {
      float acc = out[i * N + j];
      for (int64_t k = k0; k < K; ++k)
        acc = add_round_odd<T, L1f>(a[i * K + k] * b[k * N + j], acc, S);
      out[i * N + j] = acc;
    }
  });
}

// ---- the fused multi-term adder ------------------------------------------------------------

uint64_t bits_of(double v) {
  uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

// x rounded once into T with mode M (policy P, random bits r), as the float64 code of the
// result (float64's values hold every format's): the rounding routine, then an exact cast back.
template <Rounding M, class L>
ROUNDOFF_INLINE typename L::U round_to_float64(const Exact<L>& x, const FormatInfo& T,
                                               const Policy& P, const Specials& S,
                                               const Specials& S64, typename L::U r) {
  const typename L::U code = round_to_code<M, L>(x, T, P, S, r);
  const Exact<L> y = unpack<L>(code, T, false, needs_normalized(T, kFloat64));
  return round_to_code<Rounding::nearest_even, L>(y, kFloat64, P, S64, L::u(0));
}

// The float64 code of round(x + y) to nearest in T, for float64 codes x and y: exactly
// added, rounded once.
template <class L>
ROUNDOFF_INLINE typename L::U add_round(typename L::U x, typename L::U y, const FormatInfo& T,
                                        const Policy& P, const Specials& S,
                                        const Specials& S64) {
  const bool norm = needs_normalized(kFloat64, T);
  return round_to_float64<Rounding::nearest_even, L>(
      exact_add<L>(unpack<L>(x, kFloat64, false, norm), unpack<L>(y, kFloat64, false, norm),
                   false),
      T, P, S, S64, L::u(0));
}

// The same step for outputs (i, j .. j+3) at once, in double vectors: the exponents' maximum
// and the exact sum of the truncated terms; the step's rounding and specials per lane.
typedef double D4 __attribute__((vector_size(32)));
typedef int64_t M4 __attribute__((vector_size(32)));
typedef int32_t I4 __attribute__((vector_size(16)));

ROUNDOFF_INLINE D4 trunc4(D4 x) {
#if defined(__AVX__)
  return (D4)_mm256_round_pd((__m256d)x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
#else
  for (int l = 0; l < 4; ++l) x[l] = std::trunc(x[l]);
  return x;
#endif
}

using L4 = Lanes<uint64_t, 4>;

// 2^e for integer-valued e in double's normal range, built from its bits.
ROUNDOFF_INLINE D4 exp2i(D4 e) {
  const M4 bits = (__builtin_convertvector(e, M4) + 1023) << 52;
  return (D4)bits;
}

// The Philox key of a chain's rounding number t (the general engine's rule).
uint64_t step_key(uint64_t seed, uint64_t t) { return seed + t * 0x9E3779B97F4A7C15ull; }

// Random bits of outputs first .. first + width - 1 of the (M x N) result under key, in lanes.
L4::U lane_bits(uint64_t key, uint64_t first, int64_t width, int sr_bits) {
  uint32_t words[4] = {0, 0, 0, 0};
  philox_bits(key, first, uint64_t(width), words, 32 - sr_bits);
  return L4::U{words[0], words[1], words[2], words[3]};
}

template <Rounding M>
void fused_step4(const double* a_row, const int32_t* ea_row, const double* b, const int32_t* eb,
                 int64_t N, int64_t j, int64_t k0, int64_t k1, D4& c, const FusedRequest& q,
                 const Specials& S, const Specials& S64, D4* prods, L4::U rbits) {
  const D4 inf = D4{} + HUGE_VAL, e_zero = D4{} + double(q.e_zero);
  const M4 abs_mask = M4{} + INT64_MAX;
  // The accumulator's exponent: its binade, subnormals at the format's emin, zero: e_zero.
  const D4 c_mag = (D4)((M4)c & abs_mask);
  const D4 c_binade = __builtin_convertvector((((M4)c >> 52) & 0x7FF) - 1023, D4);
  const D4 step_emin = D4{} + double(q.step_fmt.emin);
  D4 emax = (c == 0) | ~(c_mag < inf) ? e_zero : (c_binade > step_emin ? c_binade : step_emin);
  M4 nonfinite = ~(c_mag < inf);
  for (int64_t k = k0; k < k1; ++k) {
    D4 bv;
    I4 ebv;
    std::memcpy(&bv, b + k * N + j, sizeof bv);
    std::memcpy(&ebv, eb + k * N + j, sizeof ebv);
    const D4 p = a_row[k] * bv;  // exact: float32 values
    const M4 finite = (D4)((M4)p & abs_mask) < inf;
    const M4 zero = (p == 0) | ~finite;  // zero, Inf or NaN: e_zero
    const D4 e = zero ? e_zero : D4(__builtin_convertvector(ebv, D4) + double(ea_row[k]));
    emax = emax > e ? emax : e;
    nonfinite |= ~finite;
    prods[k - k0] = p;
  }
  // Which non-finite terms there were, only when there were any.
  M4 nan = c != c, pos_inf = c == inf, neg_inf = c == -inf;
  bool any = false;
  for (int l = 0; l < 4; ++l) any |= nonfinite[l] != 0;
  if (any) {
    for (int64_t k = k0; k < k1; ++k) {
      const D4 p = prods[k - k0];
      nan |= p != p;
      pos_inf |= p == inf;
      neg_inf |= p == -inf;
    }
  }
  const D4 frac = D4{} + double(q.frac_bits);
  const D4 scale = exp2i(frac - emax);
  D4 sum = trunc4(c * scale);
  for (int64_t k = k0; k < k1; ++k) sum += trunc4(prods[k - k0] * scale);  // exact
  const D4 v = sum * exp2i(emax - frac);
  D4 r = (D4)round_to_float64<M, L4>(
      unpack<L4>((L4::U)v, kFloat64, false, needs_normalized(kFloat64, q.step_fmt)), q.step_fmt,
      Policy{false, false, q.sr_bits}, S, S64, rbits);
  // Overflow gives Inf, even rounding toward zero; a zero sum is +0; then the specials.
  const D4 limit = D4{} + std::ldexp(1.0, q.step_fmt.emax + 1);
  const D4 signed_inf = (D4)(((M4)v & ~abs_mask) | (M4)inf);
  r = (D4)((M4)v & abs_mask) >= limit ? signed_inf : r;
  r = sum == 0 ? D4{} : r;
  r = pos_inf ? inf : r;
  r = neg_inf ? -inf : r;
  c = nan | (pos_inf & neg_inf) ? D4{} + std::numeric_limits<double>::quiet_NaN() : r;
}

// The exponent the adder reads for an input value of a format with this emin (subnormals at
// emin; zeros and non-finite values are never read).
int32_t input_exponent(double x, int emin) {
  return x == 0 || !std::isfinite(x) ? 0 : std::max(std::ilogb(x), emin);
}

template <Rounding M>
void fused_rows(const double* a, const double* b, const double* c, double* out, int64_t M_,
                int64_t K, int64_t N, const FusedRequest& q, int threads, Stop& stop) {
  const Specials S = specials<M>(q.step_fmt, Policy{false, false, q.sr_bits});
  const Policy PA{q.saturate, false, 32};
  const Specials SA = specials<Rounding::nearest_even>(q.acc_fmt, PA);
  const Specials S64 = specials<Rounding::nearest_even>(kFloat64, Policy{false, false, 32});
  // Every buffer is allocated here, before the threads start (a failure is a MemoryError).
  std::vector<int32_t> eb(static_cast<size_t>(K * N));
  // The last N % 4 columns, zero-padded to 4: they run through the same vector step (zero
  // products are e_zero terms; the padding lanes are dropped).
  const int64_t whole = N - N % 4, tail = N - whole;
  std::vector<double> b_tail(static_cast<size_t>(K * 4), 0.0);
  std::vector<int32_t> eb_tail(static_cast<size_t>(K * 4), 0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t t = 0; t < tail; ++t) {
      b_tail[k * 4 + t] = b[k * N + whole + t];
      eb_tail[k * 4 + t] = input_exponent(b_tail[k * 4 + t], q.b_emin);
    }
  parallel_for(K, threads_for(K, 2, threads), stop, [&](int64_t k, int) {
    for (int64_t j = 0; j < N; ++j) eb[k * N + j] = input_exponent(b[k * N + j], q.b_emin);
  });
  if (stop.requested()) return;
  const int nthreads = threads_for(M_, 2, threads);
  std::vector<int32_t> ea_all(static_cast<size_t>(K) * nthreads);
  std::vector<D4> prods_all(size_t(q.terms) * nthreads);
  parallel_for(M_, nthreads, stop, [&](int64_t i, int thread) {
    const IeeeFloatMode ieee;
    int32_t* ea = ea_all.data() + size_t(K) * thread;
    D4* prods4 = prods_all.data() + size_t(q.terms) * thread;
    for (int64_t k = 0; k < K; ++k) ea[k] = input_exponent(a[i * K + k], q.a_emin);
    // Columns j .. j + width - 1 of row i, from b_cols (row stride ldb) and their exponents.
    const auto columns = [&](const double* b_cols, const int32_t* eb_cols, int64_t ldb,
                             int64_t jb, int64_t j, int64_t width) {
      D4 main = D4{};
      if (c) std::memcpy(&main, c + i * N + j, size_t(width) * sizeof(double));
      D4 part = q.promote_every ? D4{} : main;
      uint64_t t = q.step0;  // the chain's roundings, numbered in evaluation order
      for (int64_t k0 = 0; k0 < K; k0 += q.terms) {
        const int64_t k1 = std::min(K, k0 + q.terms);
        L4::U rbits = L4::u(0);
        if (M == Rounding::stochastic)
          rbits = lane_bits(step_key(q.seed, t), q.word0 + uint64_t(i * N + j), width,
                            q.sr_bits);
        ++t;
        fused_step4<M>(a + i * K, ea, b_cols, eb_cols, ldb, jb, k0, k1, part, q, S, S64,
                       prods4, rbits);
        if (q.promote_every && (k1 % q.promote_every == 0 || k1 >= K)) {
          main = (D4)add_round<L4>((L4::U)main, (L4::U)part, q.acc_fmt, PA, SA, S64);
          part = D4{};
          ++t;
        }
      }
      std::memcpy(out + i * N + j, q.promote_every ? &main : &part,
                  size_t(width) * sizeof(double));
    };
    for (int64_t j = 0; j < whole; j += 4) {
      if (thread == 0) stop.poll();  // a row may be long (K x N steps)
      if (stop.requested()) return;
      columns(b, eb.data(), N, j, j, 4);
    }
    if (tail) columns(b_tail.data(), eb_tail.data(), 4, 0, whole, tail);
  });
}

}  // namespace

void matmul_f32_fma(const float* a, const float* b, const float* c, float* out, int64_t M,
                    int64_t K, int64_t N, int threads, Stop& stop) {
  const int64_t k0 = c ? 0 : std::min<int64_t>(K, 2);
  const int64_t row_blocks = (M + 3) / 4;
  const int nthreads = threads_for(row_blocks, 2, threads);
  std::vector<uint64_t> starts_all(static_cast<size_t>(N) * nthreads);
  parallel_for(row_blocks, nthreads, stop, [&](int64_t rb, int thread) {
    const IeeeFloatMode ieee;
    uint64_t* starts = starts_all.data() + size_t(N) * thread;
    const int64_t i0 = rb * 4, rows = std::min<int64_t>(4, M - i0);
    // The chains' starts: c, or round(p0 + p1), or round(p0 + -0) = round(p0), from the
    // exact double products: their sum made round-to-odd (TwoSum, as add_round_odd), then
    // cast to float32 by the cast kernel, one rounding of the exact sum (53 >= 24 + 2).
    for (int64_t i = i0; i < i0 + rows; ++i) {
      float* row = out + i * N;
      if (c) {
        std::memcpy(row, c + i * N, size_t(N) * sizeof(float));
        continue;
      }
      for (int64_t j = 0; j < N; ++j) {
        const double p0 = K == 0 ? 0.0 : double(a[i * K]) * double(b[j]);
        const double p1 = K <= 1 ? -0.0 : double(a[i * K + 1]) * double(b[N + j]);
        starts[j] = bits_of(sum_round_to_odd(p0, p1));
      }
      convert_span<Rounding::nearest_even, uint64_t, 4>(
          starts, reinterpret_cast<uint32_t*>(row), size_t(N), kFloat64, kFloat32,
          Policy{false, false, 32}, false, nullptr);
    }
    const int64_t whole = N - N % 16;
    for (int64_t j0 = 0; j0 < whole; j0 += 16) {
      switch (rows) {
        case 4: fma_block<4>(a, b, out, K, N, i0, j0, k0); break;
        case 3: fma_block<3>(a, b, out, K, N, i0, j0, k0); break;
        case 2: fma_block<2>(a, b, out, K, N, i0, j0, k0); break;
        default: fma_block<1>(a, b, out, K, N, i0, j0, k0); break;
      }
    }
    for (int64_t i = i0; i < i0 + rows; ++i)
      for (int64_t j = whole; j < N; ++j) {
        float s = out[i * N + j];
        for (int64_t k = k0; k < K; ++k) s = std::fma(a[i * K + k], b[k * N + j], s);
        out[i * N + j] = s;
      }
  });
}

void matmul_narrow_acc(const float* a, const float* b, const float* c, float* out, int64_t M,
                       int64_t K, int64_t N, const FormatInfo& acc, int threads, Stop& stop) {
  if (same_facts(acc.f, kBF16.f))
    return narrow_rows<&kBF16>(a, b, c, out, M, K, N, threads, stop);
  if (same_facts(acc.f, kFP16.f))
    return narrow_rows<&kFP16>(a, b, c, out, M, K, N, threads, stop);
  throw std::invalid_argument("narrow accumulators: bfloat16 or float16");
}

void matmul_fused(const double* a, const double* b, const double* c, double* out, int64_t M,
                  int64_t K, int64_t N, const FusedRequest& req, int threads, Stop& stop) {
  if (req.terms < 1 || req.terms > kMaxFusedTerms)
    throw std::invalid_argument("terms out of range");
  dispatch_mode(req.step_mode, [&](auto m) {
    fused_rows<decltype(m)::value>(a, b, c, out, M, K, N, req, threads, stop);
    return 0;
  });
}

}  // namespace roundoff
