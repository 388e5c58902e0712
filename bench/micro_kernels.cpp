// Per-element cost of the cast kernel, the arithmetic kernel and Philox, in L1, on one thread: the
// headers alone, without the driver, NumPy or memory traffic. Build and run from the repository root:
//   g++ -O3 -march=native -std=gnu++17 -Icpp/include bench/micro_kernels.cpp -o /tmp/micro && /tmp/micro
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "roundoff/convert.hpp"
#include "roundoff/elementwise.hpp"
#include "roundoff/known_formats.hpp"
#include "roundoff/rng.hpp"

using namespace roundoff;

template <Rounding M>
__attribute__((noinline)) void runtime_facts(const uint32_t* s, uint8_t* d, size_t n,
                                             FormatInfo F, FormatInfo T, const uint32_t* r) {
  convert_span<M, uint32_t, 8>(s, d, n, F, T, Policy{false, false, 32}, false, r);
}

template <Rounding M>
__attribute__((noinline)) void constant_facts(const uint32_t* s, uint8_t* d, size_t n,
                                              const uint32_t* r) {
  convert_span<M, uint32_t, 8>(s, d, n, kFloat32, kE4M3, Policy{false, false, 32}, false, r);
}

// BF16 op BF16 -> BF16 in 32-bit vectors, the facts as in the arithmetic driver: exact sums and
// products in integers (runtime or constant facts), or the float32 path.
template <ArithOp Op, const FormatInfo* K, bool ViaFloat32 = false>
__attribute__((noinline)) void arith(const uint16_t* a, const uint16_t* b, uint16_t* d, size_t n,
                                     FormatInfo F) {
  constexpr Rounding M = Rounding::nearest_even;
  const Policy P{false, false, 32};
  const FormatInfo T = K ? *K : F;
  arith_span<M, Op, uint32_t, 8, lane_operand_bits<Lanes<uint32_t, 8>>, ViaFloat32>(
      a, b, a, a, d, n, ArithFacts{T, T, T, T, T, P, false}, specials<M>(T, P), nullptr);
}

__attribute__((noinline)) void philox(uint32_t* out, size_t n) { philox_bits(1234, 0, n, out); }

int main() {
  const size_t n = 4096;
  const int reps = 20000;
  std::vector<float> x(n);
  std::mt19937 gen(0);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(gen) * 64;
  std::vector<uint32_t> src(n), bits(n);
  std::memcpy(src.data(), x.data(), n * 4);
  std::vector<uint8_t> dst(n);
  FormatInfo F = kFloat32, T = kE4M3;  // runtime copies
  const auto ns_per_element = [&](auto f) {
    f();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) f();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    return dt.count() / (double(n) * reps) * 1e9;
  };
  const uint32_t* b = bits.data();
  std::printf("float32 -> E4M3, %zu elements in L1, 1 thread, ns per element:\n", n);
  std::printf("  runtime facts   nearest_even %.3f  stochastic (given bits) %.3f\n",
              ns_per_element([&] { runtime_facts<Rounding::nearest_even>(src.data(), dst.data(), n, F, T, b); }),
              ns_per_element([&] { runtime_facts<Rounding::stochastic>(src.data(), dst.data(), n, F, T, b); }));
  std::printf("  constant facts  nearest_even %.3f  stochastic (given bits) %.3f\n",
              ns_per_element([&] { constant_facts<Rounding::nearest_even>(src.data(), dst.data(), n, b); }),
              ns_per_element([&] { constant_facts<Rounding::stochastic>(src.data(), dst.data(), n, b); }));
  std::vector<uint16_t> xa(n), xb(n), xd(n);
  for (size_t i = 0; i < n; ++i) {
    xa[i] = uint16_t(src[i] >> 16);  // float32 -> BF16 by truncation: any BF16 values do
    xb[i] = uint16_t(src[(i * 7 + 3) % n] >> 16);
  }
  FormatInfo B = kBF16;
  const auto time_op = [&](auto op) {
    constexpr ArithOp Op = decltype(op)::value;
    std::printf("  %s  runtime facts %.3f  constant facts %.3f  float32 path %.3f\n",
                Op == ArithOp::add ? "add" : "mul",
                ns_per_element([&] { arith<Op, nullptr>(xa.data(), xb.data(), xd.data(), n, B); }),
                ns_per_element([&] { arith<Op, &kBF16>(xa.data(), xb.data(), xd.data(), n, B); }),
                ns_per_element([&] { arith<Op, &kBF16, true>(xa.data(), xb.data(), xd.data(), n, B); }));
  };
  std::printf("BF16 arithmetic, nearest_even, ns per result:\n");
  time_op(std::integral_constant<ArithOp, ArithOp::add>{});
  time_op(std::integral_constant<ArithOp, ArithOp::mul>{});
  std::printf("Philox4x32-10 words: %.3f ns per word\n",
              ns_per_element([&] { philox(bits.data(), n); }));
}
