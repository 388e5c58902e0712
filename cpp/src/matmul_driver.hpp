// CPU drivers for matrix products with a stated accumulation (python/roundoff/accumulate.py
// holds the general engine; these are its fast paths, tested equal to it):
//   * a float32 accumulator rounded to nearest over a sequential chain of exact products: the
//     float unit's own fused multiply-add (IEEE: the exact a*b + c rounded once) is that step;
//   * the fused multi-term adder of a tensor core, chained over K, with promotion.
// Rows of the output run in parallel; each output's order is the stated one, so the bits do
// not depend on the thread count. Inputs are C-contiguous and aligned. Each kernel stops early
// (out incomplete) once `stop` is requested.
#pragma once
#include <cstdint>

#include "parallel.hpp"
#include "roundoff/format.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// out (M x N) = the chain acc <- fma(a[i,k], b[k,j], acc) over ascending k in float32, from
// c[i,j] when c is given; otherwise from round(a[i,0] b[0,j] + a[i,1] b[1,j]) (the first two
// exact products summed and rounded once), or round(a[i,0] b[0,j]) when K = 1.
void matmul_f32_fma(const float* a, const float* b, const float* c, float* out, int64_t M,
                    int64_t K, int64_t N, int threads, Stop& stop);

// The same chain with a bfloat16 or float16 accumulator rounded to nearest: each step is
// round(a[i,k] b[k,j] + acc) into acc's format. The products must be exact in float32 (the
// caller checks: finite, no overflow, none below float32's subnormal grid).
void matmul_narrow_acc(const float* a, const float* b, const float* c, float* out, int64_t M,
                       int64_t K, int64_t N, const FormatInfo& acc, int threads, Stop& stop);

// The most products one fused step takes (tensor cores take 4 to 32).
constexpr int kMaxFusedTerms = 256;

struct FusedRequest {
  int a_emin, b_emin;      // the input formats' emin (subnormal inputs are read there)
  int terms;               // L, 1..kMaxFusedTerms
  int frac_bits;           // F: the aligned sum of L + 1 terms is exact in a double when
                           // F + bit_length(L) <= 51
  int e_zero;              // exponent of zero terms (|e_zero| <= 512, so scales stay normal)
  FormatInfo step_fmt;     // the step's result format (IEEE, exponents within +-512)
  Rounding step_mode;      // its rounding
  int sr_bits;             // stochastic step rounding: R
  uint64_t seed;           // and its key: rounding number t uses seed + t * 0x9E3779B97F4A7C15
  uint64_t step0;          // the number of the chain's first rounding
  uint64_t word0;          // the random word of output (0, 0); output (i, j): word0 + i N + j
  int64_t promote_every;   // 0: never; else add the partial into the accumulator every so many k
  FormatInfo acc_fmt;      // the promoted accumulator (rounded to nearest)
  bool saturate;           // its overflow gives +-max
};

// out (M x N) = the fused chain over K of a (M x K) @ b (K x N) from c (M x N, values of
// step_fmt; the accumulator when promoting). a, b: values (float32 values as doubles). The
// chain's roundings are numbered from step0 in evaluation order: each step, then its promotion.
// Stochastic step rounding of output (i, j) takes word word0 + i * N + j under its rounding's
// key.
void matmul_fused(const double* a, const double* b, const double* c, double* out, int64_t M,
                  int64_t K, int64_t N, const FusedRequest& req, int threads, Stop& stop);

}  // namespace roundoff
