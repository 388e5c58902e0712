// pybind11 glue for the special functions. Python flattens, converts and validates; this layer
// checks only what it must to stay memory-safe.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "bind_common.hpp"
#include "special_driver.hpp"

namespace py = pybind11;

namespace roundoff {
namespace {

// Whether fn reads table k (0 ex2_pos, 1 ex2_neg, 2 rcp, 3 rsqrt): the others may be empty.
bool needs_table(mufu::Fn fn, int k) {
  using F = mufu::Fn;
  switch (fn) {
    case F::ex2_approx_ftz: case F::ex2_approx: case F::expf: case F::fast_expf: case F::erff:
      return k <= 1;
    case F::tanhf: return k <= 2;
    case F::rcp_approx_ftz: case F::div_full: return k == 2;
    case F::rsqrt_approx_ftz: case F::rsqrt_approx: return k == 3;
    case F::div_rn: case F::rcp_rn: case F::logf: return false;
  }
  return true;
}

template <class T>
using Flat = py::array_t<T, py::array::c_style>;

void check_out(py::array& out, size_t n, const FormatInfo& to) {
  if (!(out.flags() & py::array::c_style) || !out.writeable() || size_t(out.size()) != n)
    throw std::invalid_argument("out: a writeable C-contiguous array of the operands' size");
  check_code_width(out, to, "out");
}

SpecialRequest request(const py::tuple& to_facts, int mode, bool saturate, bool flush_outputs,
                       int sr_bits, uint64_t seed, const py::object& rbits, size_t n,
                       Flat<uint32_t>& rbits_storage) {
  check_mode_and_sr_bits(mode, sr_bits);
  const uint32_t* r = nullptr;
  if (!rbits.is_none()) {
    rbits_storage = rbits.cast<Flat<uint32_t>>();
    if (size_t(rbits_storage.size()) != n) throw std::invalid_argument("rbits: one per value");
    r = rbits_storage.data();
  }
  return SpecialRequest{make_info(format_from_facts(to_facts)), static_cast<Rounding>(mode),
                        Policy{saturate, flush_outputs, sr_bits}, seed, r};
}

py::array_t<int64_t> special_cr(int fn, const py::array& x, py::array& out,
                                const py::tuple& to_facts, int mode, bool saturate,
                                bool flush_outputs, int sr_bits, uint64_t seed,
                                const py::object& rbits) {
  if (fn < 0 || fn > int(SpecialFn::rsqrt)) throw std::invalid_argument("function");
  const bool single = x.dtype().is(py::dtype::of<float>());
  if (!(single || x.dtype().is(py::dtype::of<double>())) || !(x.flags() & py::array::c_style))
    throw std::invalid_argument("x: a C-contiguous float32 or float64 array");
  const size_t n = size_t(x.size());
  Flat<uint32_t> storage;
  const SpecialRequest req =
      request(to_facts, mode, saturate, flush_outputs, sr_bits, seed, rbits, n, storage);
  check_out(out, n, req.to);
  const void* xp = x.data();
  void* dst = out.mutable_data();
  const int itemsize = int(out.itemsize()), threads = thread_count();
  std::vector<int64_t> missed;
  run_interruptible([&](Stop& stop) {
    missed = special_cr_array(static_cast<SpecialFn>(fn), xp, single ? 4 : 8, n, dst, itemsize,
                              req, threads, stop);
  });
  py::array_t<int64_t> result(py::ssize_t(missed.size()));
  std::copy(missed.begin(), missed.end(), result.mutable_data());
  return result;
}

void special_hw(int fn, const Flat<uint32_t>& a, const py::object& b, py::array& out,
                const py::tuple& tables, const py::tuple& to_facts, int mode, bool saturate,
                bool flush_outputs, int sr_bits, uint64_t seed, const py::object& rbits) {
  if (fn < 0 || fn > int(mufu::Fn::logf)) throw std::invalid_argument("function");
  const mufu::Fn f = static_cast<mufu::Fn>(fn);
  const size_t n = size_t(a.size());
  Flat<uint32_t> storage;
  const SpecialRequest req =
      request(to_facts, mode, saturate, flush_outputs, sr_bits, seed, rbits, n, storage);
  check_out(out, n, req.to);
  if (b.is_none() == (mufu::arity(f) == 2)) throw std::invalid_argument("b: as the function's arity");
  Flat<uint32_t> b_array;
  if (!b.is_none()) {
    b_array = b.cast<Flat<uint32_t>>();
    if (size_t(b_array.size()) != n) throw std::invalid_argument("b: the size of a");
  }
  // The tables, each of its full size (or empty where the function does not read it).
  const size_t sizes[4] = {size_t(1) << 23, size_t(1) << 23, size_t(1) << 23, size_t(1) << 24};
  if (tables.size() != 4) throw std::invalid_argument("tables: ex2_pos, ex2_neg, rcp, rsqrt");
  Flat<uint32_t> held[4];
  const uint32_t* ptr[4];
  for (int k = 0; k < 4; ++k) {
    held[k] = tables[k].cast<Flat<uint32_t>>();
    const size_t size = size_t(held[k].size());
    if (size != sizes[k] && (size != 0 || needs_table(f, k)))
      throw std::invalid_argument("tables: entry " + std::to_string(k) + " has the wrong size");
    ptr[k] = size ? held[k].data() : nullptr;
  }
  const mufu::Tables t{ptr[0], ptr[1], ptr[2], ptr[3]};
  const uint32_t* ap = a.data();
  const uint32_t* bp = b.is_none() ? nullptr : b_array.data();
  void* dst = out.mutable_data();
  const int itemsize = int(out.itemsize()), threads = thread_count();
  run_interruptible([&](Stop& stop) {
    special_hw_array(f, ap, bp, n, dst, itemsize, req, t, threads, stop);
  });
}

void round_exact(const Flat<uint64_t>& sig, const Flat<int64_t>& msb, const Flat<uint8_t>& sticky,
                 const Flat<uint8_t>& neg, const Flat<int64_t>& index, py::array& out,
                 const py::tuple& to_facts, int mode, bool saturate, bool flush_outputs,
                 int sr_bits, uint64_t seed, const py::object& rbits) {
  const size_t n = size_t(sig.size());
  if (size_t(msb.size()) != n || size_t(sticky.size()) != n || size_t(neg.size()) != n ||
      size_t(index.size()) != n)
    throw std::invalid_argument("sig, msb, sticky, neg, index: one size");
  Flat<uint32_t> storage;
  const SpecialRequest req =
      request(to_facts, mode, saturate, flush_outputs, sr_bits, seed, rbits, n, storage);
  if (!(out.flags() & py::array::c_style) || !out.writeable())
    throw std::invalid_argument("out: a writeable C-contiguous array");
  check_code_width(out, req.to, "out");
  for (size_t j = 0; j < n; ++j) {
    if (index.data()[j] < 0 || index.data()[j] >= out.size())
      throw std::invalid_argument("index: out of range");
    if (sig.data()[j] >> 61 != 1) throw std::invalid_argument("sig: in [2^61, 2^62)");
  }
  round_exact_array(sig.data(), msb.data(), sticky.data(), neg.data(), index.data(), n,
                    out.mutable_data(), int(out.itemsize()), req);
}

}  // namespace

void bind_special(py::module_& m) {
  m.def("special_cr", &special_cr, py::arg("fn"), py::arg("x"), py::arg("out"),
        py::arg("to_facts"), py::arg("mode"), py::arg("saturate"), py::arg("flush_outputs"),
        py::arg("sr_bits"), py::arg("seed"), py::arg("rbits"),
        "out = codes of round(f(x)), correctly rounded (f: 0 exp, 1 exp2, 2 log, 3 log2, 4 tanh,\n"
        "5 erf, 6 sigmoid, 7 rsqrt); x float32 or float64. Returns the indices left unresolved\n"
        "(out is garbage there: round MPFR's values into them with round_exact).");
  m.def("special_hw", &special_hw, py::arg("fn"), py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("tables"), py::arg("to_facts"), py::arg("mode"), py::arg("saturate"),
        py::arg("flush_outputs"), py::arg("sr_bits"), py::arg("seed"), py::arg("rbits"),
        "out = codes of the GPU's float32 result fn(a[, b]) (float32 codes a, b; fn: mufu::Fn)\n"
        "rounded into the format by the cast kernel.");
  m.def("round_exact", &round_exact, py::arg("sig"), py::arg("msb"), py::arg("sticky"),
        py::arg("neg"), py::arg("index"), py::arg("out"), py::arg("to_facts"), py::arg("mode"),
        py::arg("saturate"), py::arg("flush_outputs"), py::arg("sr_bits"), py::arg("seed"),
        py::arg("rbits"),
        "out[index] = round((-1)^neg * sig * 2^(msb - 61) (+ sticky)), sig in [2^61, 2^62).");
}

}  // namespace roundoff
