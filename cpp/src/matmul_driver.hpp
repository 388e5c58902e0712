// CPU drivers for matrix products with a stated accumulation (python/roundoff/accumulate.py
// holds the general engine; these are its fast paths, tested equal to it):
//   * a float32 accumulator rounded to nearest over a sequential chain of exact products: the
//     float unit's own fused multiply-add (IEEE: the exact a*b + c rounded once) is that step;
//   * the fused multi-term adder of a tensor core, chained over K, with promotion.
// Rows of the output run in parallel; each output's order is the stated one, so the bits do
// not depend on the thread count. Inputs are C-contiguous.
#pragma once
#include <cstdint>

#include "roundoff/format.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// out (M x N) = the chain acc <- fma(a[i,k], b[k,j], acc) over ascending k in float32, from
// c[i,j] when c is given; otherwise from round(a[i,0] b[0,j] + a[i,1] b[1,j]) (the first two
// exact products summed and rounded once), or round(a[i,0] b[0,j]) when K = 1.
void matmul_f32_fma(const float* a, const float* b, const float* c, float* out, int64_t M,
                    int64_t K, int64_t N, int threads);

// The same chain with a bfloat16 or float16 accumulator rounded to nearest: each step is
// round(a[i,k] b[k,j] + acc) into acc's format. The products must be exact in float32 (the
// caller checks: finite, no overflow, none below float32's subnormal grid).
void matmul_narrow_acc(const float* a, const float* b, const float* c, float* out, int64_t M,
                       int64_t K, int64_t N, const FormatInfo& acc, int threads);

struct FusedRequest {
  int a_emin, b_emin;      // the input formats' emin (subnormal inputs are read there)
  int terms;               // L
  int frac_bits;           // F
  int e_zero;              // exponent of zero terms
  FormatInfo step_fmt;     // the step's result format
  Rounding step_mode;      // its rounding (toward_zero or nearest_even)
  int64_t promote_every;   // 0: never; else add the partial into the accumulator every so many k
  FormatInfo acc_fmt;      // the promoted accumulator (rounded to nearest)
};

// out (M x N) = the fused chain over K of a (M x K) @ b (K x N) from c (M x N, values of
// step_fmt; the accumulator when promoting). a, b: values (float32 values as doubles).
void matmul_fused(const double* a, const double* b, const double* c, double* out, int64_t M,
                  int64_t K, int64_t N, const FusedRequest& req, int threads);

}  // namespace roundoff
