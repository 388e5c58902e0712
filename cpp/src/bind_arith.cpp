// pybind11 glue for elementwise arithmetic. Validation and broadcasting happen in Python; this
// layer checks only what it must to stay memory-safe.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>

#include "arith_driver.hpp"
#include "bind_common.hpp"

namespace py = pybind11;

namespace roundoff {
namespace {

void arith(int op, const py::array& a, const py::object& b, const py::object& c,
           const py::object& d, py::array& out, const py::tuple& a_facts,
           const py::object& b_facts, const py::object& c_facts, const py::object& d_facts,
           const py::tuple& to_facts, int mode, bool saturate, bool flush_inputs,
           bool flush_outputs, int sr_bits, uint64_t seed, const py::object& rbits) {
  if (op < 0 || op > int(ArithOp::dot2)) throw std::invalid_argument("operation");
  const int n = arity(static_cast<ArithOp>(op));
  if ((n >= 2) == b.is_none() || (n >= 2) == b_facts.is_none() || (n >= 3) == c.is_none() ||
      (n >= 3) == c_facts.is_none() || (n == 4) == d.is_none() || (n == 4) == d_facts.is_none())
    throw std::invalid_argument("b, c, d and their facts: given as far as the operation's arity");
  check_mode_and_sr_bits(mode, sr_bits);
  const py::array ba = n >= 2 ? b.cast<py::array>() : a;
  const py::array ca = n >= 3 ? c.cast<py::array>() : a;
  const py::array da = n == 4 ? d.cast<py::array>() : a;
  for (const py::array* x : {&a, &ba, &ca, &da}) {
    if (x->ndim() != out.ndim()) throw std::invalid_argument("operands: shape of out expected");
    for (py::ssize_t d = 0; d < out.ndim(); ++d)
      if (x->shape(d) != out.shape(d))
        throw std::invalid_argument("operands: broadcast them to the shape of out");
  }
  if (!(out.flags() & py::array::c_style) || !out.writeable())
    throw std::invalid_argument("out must be a writeable C-contiguous array");
  const auto facts = [&](const py::object& f) {
    return make_info(format_from_facts(f.is_none() ? a_facts : f.cast<py::tuple>()));
  };
  const ArithRequest req{static_cast<ArithOp>(op),
                         make_info(format_from_facts(a_facts)),
                         facts(b_facts),
                         facts(c_facts),
                         facts(d_facts),
                         make_info(format_from_facts(to_facts)),
                         static_cast<Rounding>(mode),
                         Policy{saturate, flush_outputs, sr_bits},
                         flush_inputs,
                         seed};
  check_code_width(a, req.a, "a");
  if (n >= 2) check_code_width(ba, req.b, "b");
  if (n >= 3) check_code_width(ca, req.c, "c");
  if (n == 4) check_code_width(da, req.d, "d");
  check_code_width(out, req.to, "out");
  const StridedView av = view_of(a), bv = view_of(ba), cv = view_of(ca), dv = view_of(da);
  StridedView rv;
  const StridedView* rp = rbits_view(rbits, out, rv);
  void* dst = out.mutable_data();
  const int out_itemsize = int(out.itemsize());
  const int threads = thread_count();
  run_interruptible([&](Stop& stop) {
    arith_array(av, n >= 2 ? &bv : nullptr, n >= 3 ? &cv : nullptr, n == 4 ? &dv : nullptr, dst,
                out_itemsize, req, rp, threads, stop);
  });
}

}  // namespace

void bind_arith(py::module_& m) {
  m.def("arith", &arith, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("d"),
        py::arg("out"), py::arg("a_facts"), py::arg("b_facts"), py::arg("c_facts"),
        py::arg("d_facts"), py::arg("to_facts"),
        py::arg("mode"),
        py::arg("saturate"), py::arg("flush_inputs"), py::arg("flush_outputs"),
        py::arg("sr_bits"), py::arg("seed"), py::arg("rbits"),
        "out = round(op(a, b, c, d)) elementwise; op 0 add, 1 sub, 2 mul, 3 div, 4 fma (a * b +\n"
        "c), 5 sqrt (a), 6 dot2 (a * b + c * d); operands are codes of their formats, None\n"
        "beyond the op's arity.");
}

}  // namespace roundoff
