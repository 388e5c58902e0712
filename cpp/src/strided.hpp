// NumPy-style strided views and the tile gathers the CPU drivers share.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "roundoff/rng.hpp"
#include "roundoff/round.hpp"

namespace roundoff {

// The float unit in IEEE mode while it lives (the float32 fast paths need gradual underflow):
// flush-to-zero and denormals-are-zero off (a library loaded into the process may have set
// them; MXCSR is per thread).
class IeeeFloatMode {
 public:
#if defined(__SSE__)
  IeeeFloatMode() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ & ~(kFlushToZero | kDenormalsAreZero));
  }
  ~IeeeFloatMode() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  unsigned saved_;
#endif
};

// Drivers work in tiles of the flat C-order index: a multiple of 4, so Philox blocks never
// straddle two tiles.
constexpr size_t kTile = 4096;

// A NumPy-style view: shape and byte strides, any layout.
struct StridedView {
  const char* data;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  int itemsize;
  bool contiguous;  // C-contiguous
};

inline size_t element_count(const StridedView& v) {
  size_t n = 1;
  for (int64_t d : v.shape) n *= size_t(d);
  return n;
}

// Copies elements [first, first+count) in C order of a strided view into out, converting each
// to Out (a widening for rbits, the identity for codes).
template <class In, class Out>
void gather(const StridedView& v, size_t first, size_t count, Out* out) {
  const int nd = int(v.shape.size());
  if (v.contiguous || nd == 0) {  // element by element through memcpy: p may be unaligned
    const char* p = v.data + first * sizeof(In);
    if constexpr (std::is_same_v<In, Out>) {
      std::memcpy(out, p, count * sizeof(In));
    } else {
      for (size_t i = 0; i < count; ++i) {
        In value;
        std::memcpy(&value, p + i * sizeof(In), sizeof(In));
        out[i] = Out(value);
      }
    }
    return;
  }
  std::vector<int64_t> idx(nd);
  size_t rest = first;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = int64_t(rest % size_t(v.shape[d]));
    rest /= size_t(v.shape[d]);
  }
  const char* p = v.data;
  for (int d = 0; d < nd; ++d) p += idx[d] * v.strides[d];
  const int64_t inner = v.shape[nd - 1], inner_stride = v.strides[nd - 1];
  size_t i = 0;
  while (i < count) {
    In value;
    std::memcpy(&value, p, sizeof(In));
    out[i++] = Out(value);
    p += inner_stride;
    if (++idx[nd - 1] < inner) continue;
    // Carry into the outer dimensions.
    p -= inner * inner_stride;
    idx[nd - 1] = 0;
    for (int d = nd - 2; d >= 0; --d) {
      p += v.strides[d];
      if (++idx[d] < v.shape[d]) break;
      p -= v.shape[d] * v.strides[d];
      idx[d] = 0;
    }
  }
}

inline void gather_rbits(const StridedView& v, size_t first, size_t count, uint32_t* out) {
  switch (v.itemsize) {
    case 1: gather<uint8_t, uint32_t>(v, first, count, out); break;
    case 2: gather<uint16_t, uint32_t>(v, first, count, out); break;
    case 4: gather<uint32_t, uint32_t>(v, first, count, out); break;
    default: throw std::invalid_argument("rbits: itemsize must be 1, 2 or 4");
  }
}
// The random integers of stochastic rounding for elements [first, first+count): the user's
// (rbits, same shape) or the top sr_bits bits of each element's Philox word under seed.
inline void tile_random_bits(const StridedView* rbits, uint64_t seed, int sr_bits, size_t first,
                             size_t count, uint32_t* out) {
  if (rbits) gather_rbits(*rbits, first, count, out);
  else philox_bits(seed, first, count, out, 32 - sr_bits);
}

template <Rounding M>
using ModeConstant = std::integral_constant<Rounding, M>;

// pick(ModeConstant<M>{}) for the runtime mode: the one place where a request's mode becomes a
// template argument.
template <class Pick>
auto dispatch_mode(Rounding mode, Pick pick) {
  switch (mode) {
    case Rounding::nearest_even: return pick(ModeConstant<Rounding::nearest_even>{});
    case Rounding::nearest_away: return pick(ModeConstant<Rounding::nearest_away>{});
    case Rounding::toward_zero: return pick(ModeConstant<Rounding::toward_zero>{});
    case Rounding::up: return pick(ModeConstant<Rounding::up>{});
    case Rounding::down: return pick(ModeConstant<Rounding::down>{});
    case Rounding::odd: return pick(ModeConstant<Rounding::odd>{});
    case Rounding::stochastic: return pick(ModeConstant<Rounding::stochastic>{});
  }
  throw std::invalid_argument("unknown rounding mode");
}

// Codes of any unsigned width, widened (or, for codes known to fit, narrowed) to Out.
template <class Out>
void gather_codes(const StridedView& v, size_t first, size_t count, Out* out) {
  switch (v.itemsize) {
    case 1: gather<uint8_t, Out>(v, first, count, out); break;
    case 2: gather<uint16_t, Out>(v, first, count, out); break;
    case 4: gather<uint32_t, Out>(v, first, count, out); break;
    case 8: gather<uint64_t, Out>(v, first, count, out); break;
    default: throw std::invalid_argument("codes: itemsize must be 1, 2, 4 or 8");
  }
}

}  // namespace roundoff
