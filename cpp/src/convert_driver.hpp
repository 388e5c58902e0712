// CPU driver for casts: tiles over the flat C-order index, strided gathers, OpenMP across tiles.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "parallel.hpp"
#include "roundoff/format.hpp"
#include "roundoff/round.hpp"
#include "strided.hpp"

namespace roundoff {


struct CastRequest {
  FormatInfo from, to;
  Rounding mode;
  Policy policy;
  bool flush_inputs;
  uint64_t seed;
};

// Converts every element of src (codes of req.from) into dst (C-contiguous codes of req.to).
// rbits, when given, has src's shape and an unsigned itemsize of 1, 2 or 4. Stops early (dst
// incomplete) once `stop` is requested.
void convert_array(const StridedView& src, void* dst, int dst_itemsize, const CastRequest& req,
                   const StridedView* rbits, int threads, Stop& stop);

// The cast of one contiguous span on the calling thread: cast(src, dst, count, req, rbits)
// rounds count codes of req.from (itemsize src_itemsize) into dst; rbits holds one random
// integer per element for stochastic rounding (else unused, may be null). The same kernels as
// convert_array, for drivers that produce the values to cast themselves.
using CastSpanFn = void (*)(const void*, void*, size_t, const CastRequest&, const uint32_t*);
CastSpanFn cast_span_for(const CastRequest& req, int src_itemsize, int dst_itemsize);

int default_threads();

}  // namespace roundoff
