// Counter-based random bits: Philox4x32-10 (Salmon et al., SC'11), keyed by the seed and
// counted by the element's flat index, so every element's bits are independent of threading.
#pragma once
#include <cstdint>

#include "roundoff/format.hpp"

namespace roundoff {

struct Philox4x32 {
  uint32_t v[4];
};

ROUNDOFF_HD inline Philox4x32 philox4x32_10(Philox4x32 ctr, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{0xD2511F53u} * ctr.v[0];
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * ctr.v[2];
    ctr = Philox4x32{{uint32_t(p1 >> 32) ^ ctr.v[1] ^ k0, uint32_t(p1),
                      uint32_t(p0 >> 32) ^ ctr.v[3] ^ k1, uint32_t(p0)}};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return ctr;
}

// The 32 random bits of element `index` under `seed`: word (index mod 4) of
// Philox4x32-10(counter = {index/4 low, index/4 high, 0, 0}, key = {seed low, seed high}).
// Fills out[i] for the elements first..first+n-1; first must be a multiple of 4.
ROUNDOFF_HD inline void philox_bits(uint64_t seed, uint64_t first, uint64_t n, uint32_t* out) {
  const uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  const uint64_t blocks = (n + 3) / 4;
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint64_t c = first / 4 + b;
    const Philox4x32 r = philox4x32_10(Philox4x32{{uint32_t(c), uint32_t(c >> 32), 0, 0}}, k0, k1);
    for (int j = 0; j < 4; ++j) {
      if (4 * b + j < n) out[4 * b + j] = r.v[j];
    }
  }
}

}  // namespace roundoff
