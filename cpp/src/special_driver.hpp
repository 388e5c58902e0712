// CPU driver for the special functions: the correctly rounded ones (special_cr.hpp's proven
// double evaluations, then the one rounding routine, mostly through the cast kernel) and the
// GPU's (mufu.hpp's float32 results, which the caller casts). Inputs and outputs are flat
// contiguous arrays.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "parallel.hpp"
#include "roundoff/format.hpp"
#include "roundoff/mufu.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// The correctly rounded functions, in the order of Python's _special.CR_FUNCTIONS.
enum class SpecialFn : int { exp = 0, exp2 = 1, log = 2, log2 = 3, tanh = 4, erf = 5,
                             sigmoid = 6, rsqrt = 7 };

struct SpecialRequest {
  FormatInfo to;
  Rounding mode;
  Policy policy;
  uint64_t seed;
  // The caller's random bits (one per result element; for round_exact_array one per value),
  // or null: Philox(seed) of the element's index.
  const uint32_t* rbits;
};

// round(f(x)) into out (codes of req.to, out_itemsize bytes each) for the n values x (float32
// when x_itemsize is 4, else double), correctly rounded. Returns, in increasing order, the
// indices whose rounding the double evaluation's proven bound could not decide (out holds
// garbage there): the caller rounds MPFR's values into them (round_exact_array).
std::vector<int64_t> special_cr_array(SpecialFn fn, const void* x, int x_itemsize, size_t n,
                                      void* out, int out_itemsize, const SpecialRequest& req,
                                      int threads, Stop& stop);

// out = codes of req.to: the GPU's float32 result fn(a[i], b[i]) (a, b: float32 codes; b only
// for the two-operand functions) rounded into req.to by the cast kernel.
void special_hw_array(mufu::Fn fn, const uint32_t* a, const uint32_t* b, size_t n, void* out,
                      int out_itemsize, const SpecialRequest& req, const mufu::Tables& tables,
                      int threads, Stop& stop);

// out[index[j]] = round((-1)^neg[j] * sig[j] * 2^(msb[j] - 61), plus a sticky nonzero amount
// below sig's last bit where sticky[j]) with the random bits of element index[j]: exact values
// computed elsewhere (MPFR) rounded by the same routine. sig[j] in [2^61, 2^62).
void round_exact_array(const uint64_t* sig, const int64_t* msb, const uint8_t* sticky,
                       const uint8_t* neg, const int64_t* index, size_t n, void* out,
                       int out_itemsize, const SpecialRequest& req);

}  // namespace roundoff
