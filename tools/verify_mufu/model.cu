// roundoff's model (cpp/include/roundoff/mufu.hpp, the header the CPU build uses) on the GPU,
// compared with the hardware's results element by element. Built with --fmad=false.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "operands.cuh"
#include "roundoff/mufu.hpp"

void launch_hardware(int fn, uint64_t start, uint64_t n, uint32_t* out);

namespace mufu = roundoff::mufu;

constexpr int kKeep = 16;  // mismatches kept per function

__global__ void compare_kernel(int fn, uint64_t start, uint64_t n, const uint32_t* hw,
                               mufu::Tables t, unsigned long long* count, uint32_t* kept) {
  const uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  uint32_t a, b;
  operands(is_binary(fn), start + i, a, b);
  const uint32_t model = mufu::apply(mufu::Fn(fn), a, b, t);
  if (model != hw[i]) {
    const unsigned long long c = atomicAdd(count, 1ull);
    if (c < kKeep) {
      kept[4 * c] = a;
      kept[4 * c + 1] = b;
      kept[4 * c + 2] = hw[i];
      kept[4 * c + 3] = model;
    }
  }
}

#define CHECK(x)                                                              \
  do {                                                                        \
    cudaError_t e = (x);                                                      \
    if (e != cudaSuccess) {                                                   \
      std::fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e));            \
      std::exit(1);                                                           \
    }                                                                         \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s TABLES.bin (ex2_pos, ex2_neg, rcp, rsqrt as uint32)\n", argv[0]);
    return 2;
  }
  const size_t sizes[4] = {1u << 23, 1u << 23, 1u << 23, 1u << 24};
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) return 2;
  uint32_t* dev[4];
  for (int k = 0; k < 4; ++k) {
    std::vector<uint32_t> host(sizes[k]);
    if (std::fread(host.data(), 4, sizes[k], f) != sizes[k]) return 2;
    CHECK(cudaMalloc(&dev[k], sizes[k] * 4));
    CHECK(cudaMemcpy(dev[k], host.data(), sizes[k] * 4, cudaMemcpyHostToDevice));
  }
  std::fclose(f);
  const mufu::Tables t{dev[0], dev[1], dev[2], dev[3]};
  const uint64_t chunk = uint64_t(1) << 30, total = uint64_t(1) << 32;
  uint32_t* hw;
  unsigned long long* count;
  uint32_t* kept;
  CHECK(cudaMalloc(&hw, chunk * 4));
  CHECK(cudaMalloc(&count, 8));
  CHECK(cudaMalloc(&kept, kKeep * 16));
  const char* names[kFunctions] = {"ex2.approx.ftz.f32", "ex2.approx.f32 (exp2f)",
                                   "rcp.approx.ftz.f32", "rsqrt.approx.ftz.f32",
                                   "rsqrt.approx.f32 (rsqrtf)", "expf", "__expf", "tanhf", "erff",
                                   "div.full.f32", "div.rn.f32 (a / b)", "rcp.rn.f32 (1.0f / x)",
                                   "logf"};
  int failed = 0;
  for (int fn = 0; fn < kFunctions; ++fn) {
    CHECK(cudaMemset(count, 0, 8));
    for (uint64_t start = 0; start < total; start += chunk) {
      launch_hardware(fn, start, chunk, hw);
      CHECK(cudaGetLastError());
      compare_kernel<<<unsigned(chunk / 256), 256>>>(fn, start, chunk, hw, t, count, kept);
      CHECK(cudaGetLastError());
    }
    CHECK(cudaDeviceSynchronize());
    unsigned long long c;
    uint32_t k[kKeep * 4];
    CHECK(cudaMemcpy(&c, count, 8, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(k, kept, sizeof k, cudaMemcpyDeviceToHost));
    std::printf("%-28s %s inputs: %llu mismatches (%s)\n", names[fn],
                is_binary(fn) ? "2^32 random pairs of" : "all 2^32 float32", c,
                c == 0 ? "bit-exact" : "MISMATCH");
    for (unsigned long long m = 0; m < c && m < kKeep; ++m)
      std::printf("    a=%08x b=%08x gpu=%08x model=%08x\n", k[4 * m], k[4 * m + 1],
                  k[4 * m + 2], k[4 * m + 3]);
    failed += c != 0;
  }
  // Negative control: the comparison must see a one-unit change of a single table entry.
  uint32_t entry;
  CHECK(cudaMemcpy(&entry, dev[0] + 12345, 4, cudaMemcpyDeviceToHost));
  const uint32_t corrupted = entry + 1;
  CHECK(cudaMemcpy(dev[0] + 12345, &corrupted, 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemset(count, 0, 8));
  for (uint64_t start = 0; start < total; start += chunk) {
    launch_hardware(0, start, chunk, hw);
    compare_kernel<<<unsigned(chunk / 256), 256>>>(0, start, chunk, hw, t, count, kept);
  }
  CHECK(cudaDeviceSynchronize());
  unsigned long long c;
  CHECK(cudaMemcpy(&c, count, 8, cudaMemcpyDeviceToHost));
  std::printf("negative control: ex2_pos[12345] off by one unit -> %llu mismatches (%s)\n", c,
              c > 0 ? "detected" : "NOT DETECTED");
  failed += c == 0;
  return failed ? 1 : 0;
}
