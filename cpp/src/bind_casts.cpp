// pybind11 glue for formats and casts. Validation of user input happens in Python; this layer
// checks only what it must to stay memory-safe.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>

#include "bind_common.hpp"
#include "convert_driver.hpp"
#include "roundoff/rng.hpp"

namespace py = pybind11;

namespace roundoff {
namespace {

py::dict format_info(const py::tuple& facts) {
  const FormatInfo I = make_info(format_from_facts(facts));
  py::dict d;
  d["bits"] = I.bits;
  d["emin"] = I.emin;
  d["emax"] = I.emax;
  d["max_code"] = I.max_code;
  d["inf_code"] = I.has_inf ? py::object(py::int_(I.inf_code)) : py::object(py::none());
  d["nan_code"] = I.has_nan ? py::object(py::int_(I.nan_code)) : py::object(py::none());
  d["sign_bit"] = I.sign_bit;
  d["signed_zero"] = I.signed_zero;
  return d;
}

void convert(const py::array& src, py::array& out, const py::tuple& from, const py::tuple& to,
             int mode, bool saturate, bool flush_inputs, bool flush_outputs, int sr_bits,
             uint64_t seed, const py::object& rbits) {
  check_mode_and_sr_bits(mode, sr_bits);
  const char* out_error = "out must be a writeable C-contiguous array of the input's shape";
  if (!(out.flags() & py::array::c_style) || !out.writeable() || out.ndim() != src.ndim())
    throw std::invalid_argument(out_error);
  for (py::ssize_t d = 0; d < src.ndim(); ++d)
    if (out.shape(d) != src.shape(d)) throw std::invalid_argument(out_error);
  CastRequest req{make_info(format_from_facts(from)), make_info(format_from_facts(to)),
                  static_cast<Rounding>(mode),   Policy{saturate, flush_outputs, sr_bits},
                  flush_inputs,                  seed};
  check_code_width(src, req.from, "src");
  check_code_width(out, req.to, "out");
  const StridedView sv = view_of(src);
  StridedView rv;
  const StridedView* rp = rbits_view(rbits, src, rv);
  void* dst = out.mutable_data();
  const int dst_itemsize = int(out.itemsize());
  const int threads = thread_count();
  run_interruptible(
      [&](Stop& stop) { convert_array(sv, dst, dst_itemsize, req, rp, threads, stop); });
}

py::array_t<uint32_t> philox_words(uint64_t seed, uint64_t first, uint64_t n) {
  py::array_t<uint32_t> out(static_cast<py::ssize_t>(n));
  philox_bits(seed, first, n, out.mutable_data());
  return out;
}

py::tuple philox_block(py::tuple ctr, py::tuple key) {
  uint32_t v[1][4] = {{ctr[0].cast<uint32_t>(), ctr[1].cast<uint32_t>(),
                       ctr[2].cast<uint32_t>(), ctr[3].cast<uint32_t>()}};
  using L1 = Lanes<uint32_t, 1>;
  philox4x32_10<L1, 1>(v, PhiloxKeys<L1>(key[0].cast<uint32_t>(), key[1].cast<uint32_t>()));
  return py::make_tuple(v[0][0], v[0][1], v[0][2], v[0][3]);
}

}  // namespace

void bind_casts(py::module_& m) {
  m.def("format_info", &format_info, "Derived constants of a format given its 7 facts.");
  m.def("convert", &convert, py::arg("src"), py::arg("out"), py::arg("from_facts"),
        py::arg("to_facts"), py::arg("mode"), py::arg("saturate"), py::arg("flush_inputs"),
        py::arg("flush_outputs"), py::arg("sr_bits"), py::arg("seed"), py::arg("rbits"),
        "Round every code of src (format from_facts) into out (format to_facts).");
  m.def("philox_words", &philox_words, "The random words of elements first..first+n-1.");
  m.def("philox_block", &philox_block, "One Philox4x32-10 block (for known-answer tests).");
  m.def("set_num_threads", [](int n) { requested_threads() = n; });
  m.def("get_num_threads", &thread_count);
  m.def("openmp", []() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
  });
}

}  // namespace roundoff
