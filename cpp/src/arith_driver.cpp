#include "arith_driver.hpp"

#include <algorithm>
#include <stdexcept>

#include "roundoff/arith.hpp"
#include "roundoff/round.hpp"

namespace roundoff {
namespace {

using L1 = Lanes<uint64_t, 1>;

template <Rounding M, ArithOp Op>
ROUNDOFF_INLINE uint64_t arith_one(uint64_t ca, uint64_t cb, uint64_t cc, const ArithRequest& req,
                                   const Specials& S, uint32_t r) {
  // DAZ as a unit working in the result format sees it: operands below its normal range.
  const auto unpack_operand = [&](uint64_t c, const FormatInfo& F) {
    Exact<L1> e = unpack<L1>(c, F, false, true);
    e.is_zero = e.is_zero || (req.flush_inputs && !e.is_nan && !e.is_inf && e.msb < req.to.emin);
    return e;
  };
  const Exact<L1> x = unpack_operand(ca, req.a);
  if constexpr (Op == ArithOp::sqrt) {
    (void)cb;
    (void)cc;
    return round_to_code<M, L1>(exact_sqrt<L1>(x), req.to, req.policy, S, r);
  }
  Exact<L1> y = unpack_operand(cb, req.b);
  Exact<L1> z;
  if constexpr (Op == ArithOp::mul) {
    z = exact_mul<L1>(x, y);
  } else if constexpr (Op == ArithOp::div) {
    z = exact_div<L1>(x, y);
  } else if constexpr (Op == ArithOp::fma) {
    z = exact_fma<L1>(x, y, unpack_operand(cc, req.c), M == Rounding::down);
  } else {
    if constexpr (Op == ArithOp::sub) y.neg = !y.neg;
    z = exact_add<L1>(x, y, M == Rounding::down);
  }
  return round_to_code<M, L1>(z, req.to, req.policy, S, r);
}

template <Rounding M, ArithOp Op, class Dst>
void arith_typed(const StridedView& a, const StridedView* b, const StridedView* c, void* out_raw,
                 const ArithRequest& req, const StridedView* rbits, int threads) {
  const size_t n = element_count(a);
  const size_t tiles = (n + kTile - 1) / kTile;
  Dst* out = static_cast<Dst*>(out_raw);
  const Specials S = specials<M>(req.to, req.policy);
  const int nthreads = tiles >= 4 ? std::max(1, threads) : 1;
#pragma omp parallel for schedule(static) num_threads(nthreads) if (nthreads > 1)
  for (long long t = 0; t < (long long)tiles; ++t) {
    uint64_t a_buf[kTile], b_buf[kTile], c_buf[kTile];
    uint32_t bits_buf[kTile];
    const size_t first = size_t(t) * kTile;
    const size_t count = std::min(kTile, n - first);
    gather_codes_u64(a, first, count, a_buf);
    if constexpr (Op != ArithOp::sqrt) gather_codes_u64(*b, first, count, b_buf);
    if constexpr (Op == ArithOp::fma) gather_codes_u64(*c, first, count, c_buf);
    if (M == Rounding::stochastic)
      tile_random_bits(rbits, req.seed, req.policy.sr_bits, first, count, bits_buf);
    for (size_t i = 0; i < count; ++i) {
      const uint32_t r = M == Rounding::stochastic ? bits_buf[i] : 0;
      const uint64_t cc = Op == ArithOp::fma ? c_buf[i] : 0;
      const uint64_t cb = Op != ArithOp::sqrt ? b_buf[i] : 0;
      out[first + i] = Dst(arith_one<M, Op>(a_buf[i], cb, cc, req, S, r));
    }
  }
}

using ArithFn = void (*)(const StridedView&, const StridedView*, const StridedView*, void*,
                         const ArithRequest&, const StridedView*, int);

template <Rounding M, ArithOp Op>
ArithFn pick_dst(int out_itemsize) {
  switch (out_itemsize) {
    case 1: return &arith_typed<M, Op, uint8_t>;
    case 2: return &arith_typed<M, Op, uint16_t>;
    case 4: return &arith_typed<M, Op, uint32_t>;
    case 8: return &arith_typed<M, Op, uint64_t>;
  }
  throw std::invalid_argument("result itemsize must be 1, 2, 4 or 8");
}

template <Rounding M>
ArithFn pick_op(ArithOp op, int out_itemsize) {
  switch (op) {
    case ArithOp::add: return pick_dst<M, ArithOp::add>(out_itemsize);
    case ArithOp::sub: return pick_dst<M, ArithOp::sub>(out_itemsize);
    case ArithOp::mul: return pick_dst<M, ArithOp::mul>(out_itemsize);
    case ArithOp::div: return pick_dst<M, ArithOp::div>(out_itemsize);
    case ArithOp::fma: return pick_dst<M, ArithOp::fma>(out_itemsize);
    case ArithOp::sqrt: return pick_dst<M, ArithOp::sqrt>(out_itemsize);
  }
  throw std::invalid_argument("unknown operation");
}

}  // namespace

void arith_array(const StridedView& a, const StridedView* b, const StridedView* c, void* out,
                 int out_itemsize, const ArithRequest& req, const StridedView* rbits,
                 int threads) {
  if ((b != nullptr) != (arity(req.op) >= 2) || (c != nullptr) != (arity(req.op) == 3))
    throw std::invalid_argument("operands: as many as the operation takes");
  const ArithFn fn = dispatch_mode(req.mode, [&](auto m) {
    return pick_op<decltype(m)::value>(req.op, out_itemsize);
  });
  fn(a, b, c, out, req, rbits, threads);
}

}  // namespace roundoff
