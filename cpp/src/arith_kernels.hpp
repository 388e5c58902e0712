// The elementwise arithmetic kernels and their selection, moved out of arith_driver.cpp so that
// a parallel build compiles the rounding modes side by side: pick_op<M> (the switch over ArithOp)
// is instantiated once per mode, each in its own translation unit arith_mode_<M>.cpp that
// CMakeLists.txt generates in the build directory; the extern declarations at the end stop
// arith_driver.cpp (and any other includer) from instantiating it again.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "arith_driver.hpp"
#include "roundoff/known_formats.hpp"
#include "roundoff/convert.hpp"
#include "roundoff/elementwise.hpp"

namespace roundoff {
namespace arith_detail {

// The lanes a request runs in. Add, sub, mul and FMA of narrow operands stay exact in one lane
// (lane_operand_bits): SIMD vectors of 32-bit lanes (FP8, BF16, FP16 operands and results) or
// of 64-bit lanes (float32 operands, wide results).
// Everything else (div, sqrt, wider operands) runs one element at a time in 64-bit lanes.
using Vector32 = Lanes<uint32_t, 8>;
using Vector64 = Lanes<uint64_t, 4>;

template <class L>
bool operands_fit(const ArithRequest& req) {
  const FormatInfo* ops[4] = {&req.a, &req.b, &req.c, &req.d};
  for (int i = 0; i < arity(req.op); ++i) {
    if (ops[i]->f.man_bits + 1 > lane_operand_bits<L>) return false;
    if (L::W == 32 && !fits_32bit_lanes(*ops[i], req.to)) return false;
  }
  // Stochastic rounding reads R bits below the quantum: sig's, then the tail exact sums keep.
  return req.to.f.man_bits + req.policy.sr_bits <= sig_top<L> - 1 + L::W;
}

// Tiles of the flat index across threads. With constant facts K (every operand and the result
// in K, so codes of Dst's width), contiguous operands are read in place; otherwise each tile's
// operands are gathered into lanes of E first.
template <Rounding M, ArithOp Op, class E, int N, int Q, class Dst, const FormatInfo* K = nullptr,
          bool ViaFloat32 = false>
void arith_typed(const StridedView& a, const StridedView* b, const StridedView* c,
                 const StridedView* d, void* out_raw, const ArithRequest& req,
                 const StridedView* rbits, int threads, Stop& stop) {
  using Src = std::conditional_t<K != nullptr, Dst, E>;
  const size_t n = element_count(a);
  const int64_t tiles = int64_t((n + kTile - 1) / kTile);
  Dst* out = static_cast<Dst*>(out_raw);
  const ArithFacts k{known_or<K>(req.a), known_or<K>(req.b), known_or<K>(req.c),
                     known_or<K>(req.d), known_or<K>(req.to), req.policy, req.flush_inputs};
  const Specials S = specials<M>(k.to, k.policy);
  const StridedView* views[4] = {&a, b, c, d};
  bool direct = K != nullptr;
  for (int i = 0; i < arity(Op); ++i) direct = direct && views[i]->contiguous;
  const int nthreads = threads_for(tiles, 4, threads);
  // Per-thread tile buffers, on the heap: a thread's stack may be small.
  const size_t per = std::min(n, kTile);
  std::vector<Src> operand_bufs(direct ? 0 : per * 4 * size_t(nthreads));
  std::vector<uint32_t> bits_bufs(M == Rounding::stochastic ? per * size_t(nthreads) : 0);
  parallel_for(tiles, nthreads, stop, [&](int64_t t, int thread) {
    const IeeeFloatMode ieee;
    const size_t first = size_t(t) * kTile;
    const size_t count = std::min(kTile, n - first);
    const Src* src[4] = {nullptr, nullptr, nullptr, nullptr};
    for (int i = 0; i < arity(Op); ++i) {
      if (direct) {
        src[i] = reinterpret_cast<const Src*>(views[i]->data) + first;
      } else {
        Src* buf = operand_bufs.data() + per * size_t(4 * thread + i);
        gather_codes<Src>(*views[i], first, count, buf);
        src[i] = buf;
      }
    }
    uint32_t* bits = nullptr;
    if (M == Rounding::stochastic) {
      bits = bits_bufs.data() + per * size_t(thread);
      tile_random_bits(rbits, req.seed, k.policy.sr_bits, first, count, bits);
    }
    arith_span<M, Op, E, N, Q, ViaFloat32>(src[0], src[1], src[2], src[3], out + first, count,
                                           k, S, bits);
  });
}

using ArithFn = void (*)(const StridedView&, const StridedView*, const StridedView*,
                         const StridedView*, void*, const ArithRequest&, const StridedView*, int,
                         Stop&);

template <Rounding M, ArithOp Op, class E, int N, int Q>
ArithFn pick_dst(int out_itemsize) {
  switch (out_itemsize) {
    case 1: return &arith_typed<M, Op, E, N, Q, uint8_t>;
    case 2: return &arith_typed<M, Op, E, N, Q, uint16_t>;
    case 4: return &arith_typed<M, Op, E, N, Q, uint32_t>;
    case 8: return &arith_typed<M, Op, E, N, Q, uint64_t>;
  }
  throw std::invalid_argument("result itemsize must be 1, 2, 4 or 8");
}

// A kernel with constant facts when every operand and the result are one of the formats of
// known_formats.hpp and the request fits 32-bit vectors, else null. +, - and * to nearest without
// DAZ take the float32 path.
template <Rounding M, ArithOp Op>
ArithFn pick_known(const ArithRequest& req) {
  constexpr int Q = lane_operand_bits<Vector32>;
  constexpr int N = Vector32::n;
  constexpr bool nearest = M == Rounding::nearest_even || M == Rounding::nearest_away;
  constexpr bool float32_op = Op == ArithOp::add || Op == ArithOp::sub || Op == ArithOp::mul;
  const auto all_in = [&](const FormatInfo& K) {
    const FormatInfo* ops[4] = {&req.a, &req.b, &req.c, &req.d};
    for (int i = 0; i < arity(Op); ++i)
      if (!same_facts(ops[i]->f, K.f)) return false;
    return same_facts(req.to.f, K.f) && operands_fit<Vector32>(req);
  };
  const auto kernel = [&](auto dst, auto known) -> ArithFn {
    using Dst = decltype(dst);
    constexpr const FormatInfo* K = decltype(known)::value;
    if constexpr (nearest && float32_op) {
      if (!req.flush_inputs) return &arith_typed<M, Op, uint32_t, N, Q, Dst, K, true>;
    }
    return &arith_typed<M, Op, uint32_t, N, Q, Dst, K>;
  };
  using E4M3 = std::integral_constant<const FormatInfo*, &kE4M3>;
  using E5M2 = std::integral_constant<const FormatInfo*, &kE5M2>;
  using BF16 = std::integral_constant<const FormatInfo*, &kBF16>;
  using FP16 = std::integral_constant<const FormatInfo*, &kFP16>;
  if (all_in(kE4M3)) return kernel(uint8_t{}, E4M3{});
  if (all_in(kE5M2)) return kernel(uint8_t{}, E5M2{});
  if (all_in(kBF16)) return kernel(uint16_t{}, BF16{});
  if (all_in(kFP16)) return kernel(uint16_t{}, FP16{});
  return nullptr;
}

// The SIMD tiers for add, sub, mul and FMA when the request fits them, else one element at a
// time in 64-bit lanes (dot2's products are always formed in 128 bits).
template <Rounding M, ArithOp Op>
ArithFn pick_lanes(const ArithRequest& req, int out_itemsize) {
  if constexpr (Op != ArithOp::div && Op != ArithOp::sqrt && Op != ArithOp::dot2) {
    if (ArithFn known = pick_known<M, Op>(req)) return known;
    if (out_itemsize <= 4 && operands_fit<Vector32>(req))
      return pick_dst<M, Op, uint32_t, Vector32::n, lane_operand_bits<Vector32>>(out_itemsize);
    if (operands_fit<Vector64>(req))
      return pick_dst<M, Op, uint64_t, Vector64::n, lane_operand_bits<Vector64>>(out_itemsize);
  }
  return pick_dst<M, Op, uint64_t, 1, 53>(out_itemsize);
}

template <Rounding M>
ArithFn pick_op(const ArithRequest& req, int out_itemsize) {
  switch (req.op) {
    case ArithOp::add: return pick_lanes<M, ArithOp::add>(req, out_itemsize);
    case ArithOp::sub: return pick_lanes<M, ArithOp::sub>(req, out_itemsize);
    case ArithOp::mul: return pick_lanes<M, ArithOp::mul>(req, out_itemsize);
    case ArithOp::div: return pick_lanes<M, ArithOp::div>(req, out_itemsize);
    case ArithOp::fma: return pick_lanes<M, ArithOp::fma>(req, out_itemsize);
    case ArithOp::sqrt: return pick_lanes<M, ArithOp::sqrt>(req, out_itemsize);
    case ArithOp::dot2: return pick_lanes<M, ArithOp::dot2>(req, out_itemsize);
  }
  throw std::invalid_argument("unknown operation");
}


// Instantiated in arith_mode_<mode>.cpp (CMakeLists.txt's _arith_modes: keep the two lists the
// same; a mode missing there leaves an undefined symbol that fails `import roundoff._core`).
#define ROUNDOFF_ARITH_MODES(X) \
  X(nearest_even) X(nearest_away) X(toward_zero) X(up) X(down) X(odd) X(stochastic)
#define ROUNDOFF_ARITH_EXTERN(mode) \
  extern template ArithFn pick_op<Rounding::mode>(const ArithRequest&, int);
ROUNDOFF_ARITH_MODES(ROUNDOFF_ARITH_EXTERN)
#undef ROUNDOFF_ARITH_EXTERN

}  // namespace arith_detail
}  // namespace roundoff
