#include <pybind11/pybind11.h>

namespace roundoff {
void bind_casts(pybind11::module_& m);
void bind_arith(pybind11::module_& m);
void bind_matmul(pybind11::module_& m);
void bind_special(pybind11::module_& m);
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "roundoff C++ core: bit-exact low-precision casts, arithmetic, special functions, "
          "matrix products";
  roundoff::bind_casts(m);
  roundoff::bind_arith(m);
  roundoff::bind_matmul(m);
  roundoff::bind_special(m);
}
