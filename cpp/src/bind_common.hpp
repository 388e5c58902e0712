// Glue shared by the binding files: formats from their Python facts, arrays as strided views,
// the thread count set from Python, Ctrl-C during a kernel.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include "convert_driver.hpp"
#include "parallel.hpp"
#include "roundoff/format.hpp"
#include "roundoff/round.hpp"
#include "strided.hpp"

namespace roundoff {

// 0: OpenMP's default.
inline int& requested_threads() {
  static int n = 0;
  return n;
}

inline int thread_count() {
  return requested_threads() > 0 ? requested_threads() : default_threads();
}

// The facts as Format's _facts() gives them. Python checks every rule of a format; this checks
// the ranges that keep the kernels' shifts and codes well-defined.
inline Format format_from_facts(const pybind11::tuple& t) {
  if (t.size() != 7) throw std::invalid_argument("format facts: expected 7 fields");
  const Format f{t[0].cast<int>(),  t[1].cast<int>(),  t[2].cast<int>(),
                 static_cast<NonFinite>(t[3].cast<int>()), t[4].cast<bool>(),
                 t[5].cast<bool>(), t[6].cast<bool>()};
  const int nonfinite = static_cast<int>(f.nonfinite);
  if (f.exp_bits < 1 || f.exp_bits > 11 || f.man_bits < 0 || f.man_bits > 52 || nonfinite < 0 ||
      nonfinite > 4 || f.exp_bits + f.man_bits + (f.is_signed ? 1 : 0) > 64 ||
      f.bias < -(1 << 12) || f.bias > (1 << 12))
    throw std::invalid_argument("format facts out of range");
  return f;
}

inline StridedView view_of(const pybind11::array& a) {
  StridedView v;
  v.data = static_cast<const char*>(a.data());
  v.itemsize = int(a.itemsize());
  for (pybind11::ssize_t d = 0; d < a.ndim(); ++d) {
    v.shape.push_back(a.shape(d));
    v.strides.push_back(a.strides(d));
  }
  v.contiguous = (a.flags() & pybind11::array::c_style) != 0;
  return v;
}

// An array of codes of I: its itemsize must be I's code width (1, 2, 4 or 8 bytes), or the
// kernels would read or write past it.
inline void check_code_width(const pybind11::array& a, const FormatInfo& I, const char* name) {
  const int width = I.bits <= 8 ? 1 : I.bits <= 16 ? 2 : I.bits <= 32 ? 4 : 8;
  if (a.itemsize() != width)
    throw std::invalid_argument(std::string(name) + ": itemsize does not match its format");
}

// The mode index and sr_bits as Python passes them, checked.
inline void check_mode_and_sr_bits(int mode, int sr_bits) {
  if (mode < 0 || mode > int(Rounding::stochastic)) throw std::invalid_argument("rounding mode");
  if (sr_bits < 1 || sr_bits > 32) throw std::invalid_argument("sr_bits must be in 1..32");
}

// The user's random bits (None or an array of like's shape) as a view kept in storage, or null.
// The array must outlive the view: rbits is the caller's argument, so it does.
inline const StridedView* rbits_view(const pybind11::object& rbits, const pybind11::array& like,
                                     StridedView& storage) {
  if (rbits.is_none()) return nullptr;
  const pybind11::array ra = rbits.cast<pybind11::array>();
  if (ra.ndim() != like.ndim()) throw std::invalid_argument("rbits must have the result's shape");
  for (pybind11::ssize_t d = 0; d < ra.ndim(); ++d)
    if (ra.shape(d) != like.shape(d))
      throw std::invalid_argument("rbits must have the result's shape");
  if (ra.dtype().kind() != 'u' || (ra.itemsize() != 1 && ra.itemsize() != 2 && ra.itemsize() != 4))
    throw std::invalid_argument("rbits must be uint8, uint16 or uint32");
  storage = view_of(ra);
  return &storage;
}

// Whether Python has a signal to handle (Ctrl-C): runs its handlers, which raise
// KeyboardInterrupt into this thread's state; the binding throws it once the kernel has stopped.
// Only the main thread handles signals; elsewhere this is always false.
inline bool python_signal_pending() {
  pybind11::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

// Runs kernel(stop) without the GIL, stopping it on Ctrl-C (then KeyboardInterrupt is raised).
template <class Kernel>
void run_interruptible(Kernel kernel) {
  Stop stop(&python_signal_pending);
  {
    pybind11::gil_scoped_release release;
    kernel(stop);
  }
  if (stop.requested()) throw pybind11::error_already_set();
}

}  // namespace roundoff
