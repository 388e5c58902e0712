// Counter-based random bits: Philox4x32-10 (Salmon et al., SC'11), keyed by the seed and
// counted by the element's flat index, so every element's bits are independent of threading.
#pragma once
#include <cstddef>
#include <cstdint>

#include "roundoff/format.hpp"
#include "roundoff/lanes.hpp"

namespace roundoff {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

// The round keys of Philox4x32-10 under key {k0, k1}, broadcast to lanes once per run of blocks.
template <class L>
struct PhiloxKeys {
  typename L::U k[10][2];
  ROUNDOFF_HD ROUNDOFF_INLINE PhiloxKeys(uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; ++round) {
      k[round][0] = L::u(k0 + uint32_t(round) * kPhiloxW0);
      k[round][1] = L::u(k1 + uint32_t(round) * kPhiloxW1);
    }
  }
};

// Philox4x32-10 of the counters in v (one block per lane, G independent groups of lanes
// interleaved round by round: one group's multiply latency hides behind the other's work).
template <class L, int G>
ROUNDOFF_HD ROUNDOFF_INLINE void philox4x32_10(typename L::U (&v)[G][4],
                                               const PhiloxKeys<L>& keys) {
  using U = typename L::U;
  for (int round = 0; round < 10; ++round) {
    for (int g = 0; g < G; ++g) {
      U hi0, lo0, hi1, lo1;
      L::mulhilo(v[g][0], kPhiloxM0, hi0, lo0);
      L::mulhilo(v[g][2], kPhiloxM1, hi1, lo1);
      v[g][0] = hi1 ^ v[g][1] ^ keys.k[round][0];
      v[g][1] = lo1;
      v[g][2] = hi0 ^ v[g][3] ^ keys.k[round][1];
      v[g][3] = lo0;
    }
  }
}

// The 32 random bits of element `index` under `seed`: word (index mod 4) of
// Philox4x32-10(counter = {index/4 low, index/4 high, 0, 0}, key = {seed low, seed high}).
// Fills out[i] with those bits shifted right by `drop` for the elements first..first+n-1.
template <class L, int G>
ROUNDOFF_HD ROUNDOFF_INLINE void philox_lanes(uint64_t block0, const PhiloxKeys<L>& keys, int drop,
                                              uint32_t* out, size_t words) {
  using U = typename L::U;
  U v[G][4];
  for (int g = 0; g < G; ++g) {
    const U lane = L::iota() + L::u(uint32_t(g * L::n));
    v[g][0] = L::u(uint32_t(block0)) + lane;
    v[g][1] = L::u(uint32_t(block0 >> 32)) + L::bit(v[g][0] < lane);  // carry into the high word
    v[g][2] = v[g][3] = L::u(0);
  }
  philox4x32_10<L, G>(v, keys);
  for (int g = 0; g < G; ++g) {
    for (int w = 0; w < 4; ++w) v[g][w] >>= L::u(drop);
    const size_t done = size_t(g) * 4 * L::n;
    if (words > done)
      L::interleave4(v[g], out + done, words - done < 4 * L::n ? words - done : 4 * L::n);
  }
}

ROUNDOFF_HD inline void philox_bits(uint64_t seed, uint64_t first, uint64_t n, uint32_t* out,
                                    int drop = 0) {
  const uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  const PhiloxKeys<Lanes<uint32_t, 1>> keys1(k0, k1);
  // A first index inside a block: the rest of that block first.
  if (first % 4 != 0 && n > 0) {
    uint32_t block[4];
    philox_lanes<Lanes<uint32_t, 1>, 1>(first / 4, keys1, drop, block, 4);
    const uint64_t skip = first % 4, take = n < 4 - skip ? n : 4 - skip;
    for (uint64_t w = 0; w < take; ++w) out[w] = block[skip + w];
    first += take;
    out += take;
    n -= take;
  }
  uint64_t i = 0;
#if defined(__GNUC__) && !defined(__CUDA_ARCH__)
  using V = Lanes<uint32_t, 8>;
  const PhiloxKeys<V> keys(k0, k1);  // 4 groups of 8 blocks: 128 words a step
  for (; i + 16 * V::n <= n; i += 16 * V::n)
    philox_lanes<V, 4>((first + i) / 4, keys, drop, out + i, 16 * V::n);
#endif
  for (; i < n; i += 4)
    philox_lanes<Lanes<uint32_t, 1>, 1>((first + i) / 4, keys1, drop, out + i,
                                        n - i < 4 ? n - i : 4);
}

}  // namespace roundoff
