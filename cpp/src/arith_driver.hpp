// CPU driver for elementwise arithmetic: operands as broadcast strided views of codes, results
// as C-contiguous codes, tiles over the flat C-order index, OpenMP across tiles.
#pragma once
#include <cstdint>

#include "parallel.hpp"
#include "roundoff/elementwise.hpp"
#include "roundoff/format.hpp"
#include "roundoff/round.hpp"
#include "strided.hpp"

namespace roundoff {

struct ArithRequest {
  ArithOp op;
  FormatInfo a, b, c, d, to;  // operand and result formats (those beyond the arity unused)
  Rounding mode;
  Policy policy;
  bool flush_inputs;
  uint64_t seed;
};

// out[i] = round(a[i] op b[i]) (fma: round(a[i] * b[i] + c[i]); dot2: round(a[i] * b[i] +
// c[i] * d[i]); sqrt: round(sqrt(a[i]))) for every element of the common shape of the
// operands; b, c and d are null beyond the op's arity.
// Stops early (out incomplete) once `stop` is requested.
void arith_array(const StridedView& a, const StridedView* b, const StridedView* c,
                 const StridedView* d, void* out, int out_itemsize, const ArithRequest& req, const StridedView* rbits,
                 int threads, Stop& stop);

}  // namespace roundoff
