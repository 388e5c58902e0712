// Glue shared by the binding files: formats from their Python facts, arrays as strided views,
// the thread count set from Python.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>

#include "convert_driver.hpp"
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

inline Format format_from_facts(const pybind11::tuple& t) {
  if (t.size() != 7) throw std::invalid_argument("format facts: expected 7 fields");
  return Format{t[0].cast<int>(),  t[1].cast<int>(),  t[2].cast<int>(),
                static_cast<NonFinite>(t[3].cast<int>()), t[4].cast<bool>(),
                t[5].cast<bool>(), t[6].cast<bool>()};
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
  if (ra.size() != like.size() || ra.ndim() != like.ndim())
    throw std::invalid_argument("rbits must have the shape of the result");
  storage = view_of(ra);
  return &storage;
}

}  // namespace roundoff
