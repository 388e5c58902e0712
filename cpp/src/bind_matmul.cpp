// pybind11 glue for the matrix-product fast paths. Python checks the request and passes
// C-contiguous arrays of the right dtypes; this layer checks what it must to stay memory-safe.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "bind_common.hpp"
#include "matmul_driver.hpp"

namespace py = pybind11;

namespace roundoff {
namespace {

template <class T>
const T* data_of(const py::array& x, py::ssize_t rows, py::ssize_t cols, const char* name) {
  const char kind = std::is_same<T, float>::value || std::is_same<T, double>::value ? 'f' : 'u';
  if (x.ndim() != 2 || x.shape(0) != rows || x.shape(1) != cols || x.itemsize() != sizeof(T) ||
      x.dtype().kind() != kind || !(x.flags() & py::array::c_style) ||
      reinterpret_cast<uintptr_t>(x.data()) % alignof(T) != 0)
    throw std::invalid_argument(std::string(name) + ": an aligned C-contiguous array of the "
                                "expected shape and dtype");
  return static_cast<const T*>(x.data());
}

// float32 a (M x K), b (K x N), optional c and out (M x N), checked.
struct FloatOperands {
  const float *a, *b, *c;
  float* out;
  int64_t M, K, N;
};

FloatOperands float_operands(const py::array& a, const py::array& b, const py::object& c,
                             py::array& out) {
  const py::ssize_t M = a.shape(0), K = a.ndim() == 2 ? a.shape(1) : 0, N = out.shape(1);
  if (!out.writeable()) throw std::invalid_argument("out must be writeable");
  return FloatOperands{
      data_of<float>(a, M, K, "a"), data_of<float>(b, K, N, "b"),
      c.is_none() ? nullptr : data_of<float>(c.cast<py::array>(), M, N, "c"),
      const_cast<float*>(data_of<float>(out, M, N, "out")), M, K, N};
}

void f32_fma(const py::array& a, const py::array& b, const py::object& c, py::array& out) {
  const FloatOperands x = float_operands(a, b, c, out);
  const int threads = thread_count();
  run_interruptible(
      [&](Stop& stop) { matmul_f32_fma(x.a, x.b, x.c, x.out, x.M, x.K, x.N, threads, stop); });
}

void narrow_acc(const py::array& a, const py::array& b, const py::object& c, py::array& out,
                const py::tuple& acc_facts) {
  const FloatOperands x = float_operands(a, b, c, out);
  const FormatInfo acc = make_info(format_from_facts(acc_facts));
  const int threads = thread_count();
  run_interruptible([&](Stop& stop) {
    matmul_narrow_acc(x.a, x.b, x.c, x.out, x.M, x.K, x.N, acc, threads, stop);
  });
}

void fused(const py::array& a, const py::array& b, const py::object& c, py::array& out,
           int a_emin, int b_emin, int terms, int frac_bits, int e_zero,
           const py::tuple& step_facts, int step_mode, int sr_bits, uint64_t seed,
           uint64_t step0, uint64_t word0, long long promote_every, const py::tuple& acc_facts,
           bool saturate) {
  const py::ssize_t M = a.shape(0), K = a.ndim() == 2 ? a.shape(1) : 0, N = out.shape(1);
  const double* pa = data_of<double>(a, M, K, "a");
  const double* pb = data_of<double>(b, K, N, "b");
  const double* pc = c.is_none() ? nullptr : data_of<double>(c.cast<py::array>(), M, N, "c");
  if (!out.writeable()) throw std::invalid_argument("out must be writeable");
  double* po = const_cast<double*>(data_of<double>(out, M, N, "out"));
  check_mode_and_sr_bits(step_mode, sr_bits);
  int bit_length = 0;
  for (int l = terms; l > 0; l >>= 1) ++bit_length;
  const FormatInfo step = make_info(format_from_facts(step_facts));
  if (terms < 1 || terms > kMaxFusedTerms || frac_bits < 0 || frac_bits + bit_length > 51 ||
      e_zero < -512 || e_zero > 512 || promote_every < 0 || a_emin < -1100 || b_emin < -1100)
    throw std::invalid_argument("terms, frac_bits, e_zero or promote_every out of range");
  if (step.f.nonfinite != NonFinite::ieee || step.emax > 512 ||
      step.emin - step.f.man_bits < -512)
    throw std::invalid_argument("step_facts: an IEEE format with exponents within +-512");
  const FusedRequest req{a_emin, b_emin, terms, frac_bits, e_zero, step,
                         static_cast<Rounding>(step_mode), sr_bits, seed, step0, word0,
                         promote_every,
                         make_info(format_from_facts(acc_facts)), saturate};
  const int threads = thread_count();
  run_interruptible(
      [&](Stop& stop) { matmul_fused(pa, pb, pc, po, M, K, N, req, threads, stop); });
}

}  // namespace

void bind_matmul(py::module_& m) {
  m.def("matmul_f32_fma", &f32_fma, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("out"),
        "out = the float32 FMA chain over ascending k of a @ b (from c when given).");
  m.def("matmul_narrow_acc", &narrow_acc, py::arg("a"), py::arg("b"), py::arg("c"),
        py::arg("out"), py::arg("acc_facts"),
        "out = the chain acc <- round(a[i,k] b[k,j] + acc) over ascending k, acc bf16/fp16.");
  m.def("matmul_fused", &fused, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("out"),
        py::arg("a_emin"), py::arg("b_emin"), py::arg("terms"), py::arg("frac_bits"),
        py::arg("e_zero"), py::arg("step_facts"), py::arg("step_mode"), py::arg("sr_bits"),
        py::arg("seed"), py::arg("step0"), py::arg("word0"), py::arg("promote_every"),
        py::arg("acc_facts"),
        py::arg("saturate"),
        "out = the fused multi-term adder chained over K (tensor-core model).");
}

}  // namespace roundoff
