// CPU driver for the special functions: the correctly rounded ones (special_cr.hpp's proven
// double evaluations, then the one rounding routine, mostly through the cast kernel) and the
// GPU's (mufu.hpp's float32 results, which the caller casts). Inputs and outputs are flat
// contiguous arrays.
#pragma once
#include <cstddef>
#include <cstdint>

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

// What special_cr_array did with element i.
enum : uint8_t {
  kProxy = 0,       // proxy[i] rounds like f(x[i]) in the request's mode: the caller casts it
  kRounded = 1,     // out[i] holds round(f(x[i]))
  kUnresolved = 2,  // the proven error bound straddles a rounding boundary: round_exact_array
};

// round(f(x[i])) for x float64 values (every format's values are), in two ways: usually a
// double proxy[i] that rounds exactly like f(x[i]) (the caller rounds all proxies at once with
// the cast kernel, which draws element i's random bits as this would), else the code in
// out[i], computed here. Where the double evaluation's proven error bound straddles a rounding
// boundary, neither: status[i] says which. Returns the number unresolved.
size_t special_cr_array(SpecialFn fn, const double* x, size_t n, void* out, int out_itemsize,
                        double* proxy, uint8_t* status, const SpecialRequest& req, int threads,
                        Stop& stop);

// out[i] = the GPU's float32 result fn(a[i], b[i]) (a, b: float32 codes; b only for the
// two-operand functions). The caller rounds it into a format with the cast kernel.
void special_hw_array(mufu::Fn fn, const uint32_t* a, const uint32_t* b, size_t n,
                      uint32_t* out, const mufu::Tables& tables, int threads, Stop& stop);

// out[index[j]] = round((-1)^neg[j] * sig[j] * 2^(msb[j] - 61), plus a sticky nonzero amount
// below sig's last bit where sticky[j]) with the random bits of element index[j]: exact values
// computed elsewhere (MPFR) rounded by the same routine. sig[j] in [2^61, 2^62).
void round_exact_array(const uint64_t* sig, const int64_t* msb, const uint8_t* sticky,
                       const uint8_t* neg, const int64_t* index, size_t n, void* out,
                       int out_itemsize, const SpecialRequest& req);

}  // namespace roundoff
