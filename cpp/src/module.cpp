#include <pybind11/pybind11.h>

namespace roundoff {
void bind_casts(pybind11::module_& m);
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "roundoff C++ core: bit-exact low-precision casts";
  roundoff::bind_casts(m);
}
