// The GPU's special functions against float64 references, over every float32 input (2^32
// random pairs for the divisions): the largest relative error where the exact result is a
// normal float32 (no underflow or overflow), and the mean signed relative error (the bias).
// Built like hardware.cu (nvcc defaults); the references are CUDA's double functions, whose
// errors (below 2^-51 relative) are far under the float32 errors measured.
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "operands.cuh"

template <int Fn>
__device__ __forceinline__ void both(float a, float b, float& y, double& ref) {
  if constexpr (Fn == 0) { asm volatile("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(a)); ref = exp2(double(a)); }
  if constexpr (Fn == 1) { y = exp2f(a); ref = exp2(double(a)); }
  if constexpr (Fn == 2) { asm volatile("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(a)); ref = 1.0 / double(a); }
  if constexpr (Fn == 3) { asm volatile("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(a)); ref = 1.0 / sqrt(double(a)); }
  if constexpr (Fn == 4) { y = rsqrtf(a); ref = 1.0 / sqrt(double(a)); }
  if constexpr (Fn == 5) { y = expf(a); ref = exp(double(a)); }
  if constexpr (Fn == 6) { y = __expf(a); ref = exp(double(a)); }
  if constexpr (Fn == 7) { y = tanhf(a); ref = tanh(double(a)); }
  if constexpr (Fn == 8) { y = erff(a); ref = erf(double(a)); }
  if constexpr (Fn == 9) { asm volatile("div.full.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b)); ref = double(a) / double(b); }
  if constexpr (Fn == 10) { y = a / b; ref = double(a) / double(b); }
  if constexpr (Fn == 11) { y = 1.0f / a; ref = 1.0 / double(a); }
  if constexpr (Fn == 12) { y = logf(a); ref = log(double(a)); }
}

struct Stats {
  unsigned long long max_bits;  // the largest relative error, as double bits (non-negative)
  double sum;                   // sum of signed relative errors
  unsigned long long count;     // inputs counted
  float worst_input;
};

template <int Fn>
__global__ void errors_kernel(uint64_t start, uint64_t n, Stats* s) {
  __shared__ double sum[256];
  __shared__ unsigned long long cnt[256];
  const uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  double rel = 0;
  bool counted = false;
  if (i < n) {
    uint32_t a, b;
    operands(is_binary(Fn), start + i, a, b);
    float y;
    double ref;
    both<Fn>(__uint_as_float(a), __uint_as_float(b), y, ref);
    const double mag = fabs(ref);
    if (isfinite(y) && mag >= 1.1754943508222875e-38 && mag <= 3.4028234663852886e38) {
      rel = (double(y) - ref) / mag;
      counted = true;
      const double r = fabs(rel);
      const unsigned long long bits = __double_as_longlong(r);
      if (bits > s->max_bits) {  // racy pre-check, then the atomic
        const unsigned long long old = atomicMax(&s->max_bits, bits);
        if (old < bits) s->worst_input = __uint_as_float(a);
      }
    }
  }
  sum[threadIdx.x] = counted ? rel : 0.0;
  cnt[threadIdx.x] = counted ? 1 : 0;
  __syncthreads();
  for (int w = 128; w > 0; w >>= 1) {
    if (threadIdx.x < w) {
      sum[threadIdx.x] += sum[threadIdx.x + w];
      cnt[threadIdx.x] += cnt[threadIdx.x + w];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(&s->sum, sum[0]);
    atomicAdd(&s->count, cnt[0]);
  }
}

template <int Fn>
void measure(const char* name, Stats* s) {
  cudaMemset(s, 0, sizeof(Stats));
  const uint64_t chunk = uint64_t(1) << 30, total = uint64_t(1) << 32;
  for (uint64_t start = 0; start < total; start += chunk)
    errors_kernel<Fn><<<unsigned(chunk / 256), 256>>>(start, chunk, s);
  cudaDeviceSynchronize();
  Stats h;
  cudaMemcpy(&h, s, sizeof h, cudaMemcpyDeviceToHost);
  double mx;
  memcpy(&mx, &h.max_bits, 8);
  std::printf("%-28s max_rel %.6e (2^%.3f) at x=%a  mean_rel %+.4e (%+.4f x 2^-24)  n=%llu\n", name, mx,
              log2(mx), double(h.worst_input), h.sum / double(h.count),
              h.sum / double(h.count) * 16777216.0, h.count);
}

int main() {
  Stats* s;
  if (cudaMalloc(&s, sizeof(Stats)) != cudaSuccess) return 1;
  measure<0>("ex2.approx.ftz.f32", s);
  measure<1>("ex2.approx.f32 (exp2f)", s);
  measure<2>("rcp.approx.ftz.f32", s);
  measure<3>("rsqrt.approx.ftz.f32", s);
  measure<4>("rsqrt.approx.f32 (rsqrtf)", s);
  measure<5>("expf", s);
  measure<6>("__expf", s);
  measure<7>("tanhf", s);
  measure<8>("erff", s);
  measure<9>("div.full.f32", s);
  measure<10>("div.rn.f32 (a / b)", s);
  measure<11>("rcp.rn.f32 (1.0f / x)", s);
  measure<12>("logf", s);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
