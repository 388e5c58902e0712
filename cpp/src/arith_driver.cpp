#include "arith_driver.hpp"

#include <stdexcept>

#include "arith_kernels.hpp"

namespace roundoff {

void arith_array(const StridedView& a, const StridedView* b, const StridedView* c,
                 const StridedView* d, void* out, int out_itemsize, const ArithRequest& req,
                 const StridedView* rbits, int threads, Stop& stop) {
  if ((b != nullptr) != (arity(req.op) >= 2) || (c != nullptr) != (arity(req.op) >= 3) ||
      (d != nullptr) != (arity(req.op) == 4))
    throw std::invalid_argument("operands: as many as the operation takes");
  const arith_detail::ArithFn fn = dispatch_mode(req.mode, [&](auto m) {
    return arith_detail::pick_op<decltype(m)::value>(req, out_itemsize);
  });
  fn(a, b, c, d, out, req, rbits, threads, stop);
}

}  // namespace roundoff
