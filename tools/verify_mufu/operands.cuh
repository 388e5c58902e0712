// The inputs both halves of the verifier generate, index by index: every float32 code for the
// unary functions, 2^32 pseudo-random pairs of codes (splitmix64) for the binary ones.
#pragma once
#include <cstdint>

__device__ __forceinline__ uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__device__ __forceinline__ void operands(bool binary, uint64_t index, uint32_t& a, uint32_t& b) {
  if (!binary) {
    a = uint32_t(index);
    b = 0;
    return;
  }
  const uint64_t r = splitmix64(index);
  a = uint32_t(r);
  b = uint32_t(r >> 32);
}

// Functions, in the order of roundoff::mufu::Fn.
constexpr int kFunctions = 13;
__host__ __device__ constexpr bool is_binary(int fn) { return fn == 9 || fn == 10; }
