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

void arith(int op, const py::array& a, const py::array& b, const py::object& c, py::array& out,
           const py::tuple& a_facts, const py::tuple& b_facts, const py::object& c_facts,
           const py::tuple& to_facts, int mode, bool saturate, bool flush_inputs,
           bool flush_outputs, int sr_bits, uint64_t seed, const py::object& rbits) {
  if (op < 0 || op > int(ArithOp::fma)) throw std::invalid_argument("operation");
  const bool ternary = op == int(ArithOp::fma);
  if (ternary == c.is_none() || ternary == c_facts.is_none())
    throw std::invalid_argument("c and c_facts: given for fma, and only for fma");
  const py::array ca = ternary ? c.cast<py::array>() : a;
  if (mode < 0 || mode > int(Rounding::stochastic)) throw std::invalid_argument("rounding mode");
  if (sr_bits < 1 || sr_bits > 32) throw std::invalid_argument("sr_bits must be in 1..32");
  for (const py::array* x : {&a, &b, &ca}) {
    if (x->ndim() != out.ndim()) throw std::invalid_argument("operands: shape of out expected");
    for (py::ssize_t d = 0; d < out.ndim(); ++d)
      if (x->shape(d) != out.shape(d))
        throw std::invalid_argument("operands: broadcast them to the shape of out");
  }
  if (!(out.flags() & py::array::c_style) || !out.writeable())
    throw std::invalid_argument("out must be a writeable C-contiguous array");
  const ArithRequest req{static_cast<ArithOp>(op),
                         make_info(format_from_facts(a_facts)),
                         make_info(format_from_facts(b_facts)),
                         make_info(format_from_facts(ternary ? c_facts.cast<py::tuple>() : a_facts)),
                         make_info(format_from_facts(to_facts)),
                         static_cast<Rounding>(mode),
                         Policy{saturate, flush_outputs, sr_bits},
                         flush_inputs,
                         seed};
  const StridedView av = view_of(a), bv = view_of(b), cv = view_of(ca);
  StridedView rv;
  const StridedView* rp = rbits_view(rbits, out, rv);
  void* dst = out.mutable_data();
  const int out_itemsize = int(out.itemsize());
  const int threads = thread_count();
  py::gil_scoped_release release;
  arith_array(av, bv, ternary ? &cv : nullptr, dst, out_itemsize, req, rp, threads);
}

}  // namespace

void bind_arith(py::module_& m) {
  m.def("arith", &arith, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("out"),
        py::arg("a_facts"), py::arg("b_facts"), py::arg("c_facts"), py::arg("to_facts"),
        py::arg("mode"),
        py::arg("saturate"), py::arg("flush_inputs"), py::arg("flush_outputs"),
        py::arg("sr_bits"), py::arg("seed"), py::arg("rbits"),
        "out = round(a op b) elementwise; op 0 add, 1 sub, 2 mul, 3 div, 4 fma (a * b + c);\n"
        "operands are codes of their formats, c and c_facts None except for fma.");
}

}  // namespace roundoff
