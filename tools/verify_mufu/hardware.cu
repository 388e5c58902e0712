// The GPU's own results, built with nvcc's defaults (no fast math, -fmad=true) as user code is.
#include <cstdint>

#include "operands.cuh"

template <int Fn>
__device__ __forceinline__ float hardware(float a, float b) {
  float r;
  if constexpr (Fn == 0) asm volatile("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(a));
  if constexpr (Fn == 1) r = exp2f(a);
  if constexpr (Fn == 2) asm volatile("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(a));
  if constexpr (Fn == 3) asm volatile("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(a));
  if constexpr (Fn == 4) r = rsqrtf(a);
  if constexpr (Fn == 5) r = expf(a);
  if constexpr (Fn == 6) r = __expf(a);
  if constexpr (Fn == 7) r = tanhf(a);
  if constexpr (Fn == 8) r = erff(a);
  if constexpr (Fn == 9) asm volatile("div.full.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
  if constexpr (Fn == 10) r = a / b;
  if constexpr (Fn == 11) r = 1.0f / a;
  if constexpr (Fn == 12) r = logf(a);
  return r;
}

template <int Fn>
__global__ void hardware_kernel(uint64_t start, uint64_t n, uint32_t* out) {
  const uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  uint32_t a, b;
  operands(is_binary(Fn), start + i, a, b);
  out[i] = __float_as_uint(hardware<Fn>(__uint_as_float(a), __uint_as_float(b)));
}

template <int Fn>
void launch(uint64_t start, uint64_t n, uint32_t* out) {
  hardware_kernel<Fn><<<unsigned((n + 255) / 256), 256>>>(start, n, out);
}

void launch_hardware(int fn, uint64_t start, uint64_t n, uint32_t* out) {
  switch (fn) {
    case 0: launch<0>(start, n, out); break;
    case 1: launch<1>(start, n, out); break;
    case 2: launch<2>(start, n, out); break;
    case 3: launch<3>(start, n, out); break;
    case 4: launch<4>(start, n, out); break;
    case 5: launch<5>(start, n, out); break;
    case 6: launch<6>(start, n, out); break;
    case 7: launch<7>(start, n, out); break;
    case 8: launch<8>(start, n, out); break;
    case 9: launch<9>(start, n, out); break;
    case 10: launch<10>(start, n, out); break;
    case 11: launch<11>(start, n, out); break;
    case 12: launch<12>(start, n, out); break;
  }
}
