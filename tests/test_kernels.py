"""The cast kernel's variants must agree bit for bit: they are one routine instantiated several
ways (cpp/include/roundoff/lanes.hpp, cpp/src/convert_driver.cpp), and a slip in one of them
(a fact folded wrongly, a lane-width assumption) would only show on some inputs.

* Constant-facts kernels: float32 sources into E4M3, E5M2, BF16 and FP16 run a kernel compiled
  with those formats' facts as constants. The same values as float64 run the runtime-facts
  kernel in 64-bit lanes. Every mode, policy and the Philox stream must give the same codes.
* Vector lanes and scalar lanes: an array runs in vectors of 8 (32-bit lanes) or 4 (64-bit),
  its tail and lone scalars one element at a time.
"""

from __future__ import annotations

import numpy as np
import pytest

import roundoff as ro

MODES = ["nearest_even", "nearest_away", "toward_zero", "up", "down", "odd", "stochastic"]
CONSTANT_TARGETS = ["e4m3", "e5m2", "bf16", "fp16"]


def float32_probe(fmt: ro.Format, n: int = 20_011) -> np.ndarray:
    """Random float32 bit patterns, values around fmt's range edges and midpoints, specials;
    an odd length so the scalar tail runs too."""
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    lo = fmt.min_subnormal if fmt.subnormals else fmt.min_normal
    with np.errstate(over="ignore"):
        scale = np.exp2(rng.uniform(np.log2(lo) - 3, np.log2(fmt.max) + 2, n)).astype(np.float32)
    codes = np.arange(0, 1 << min(fmt.bits, 16), dtype=np.uint64).astype(fmt.code_dtype)
    grid = ro.decode(codes, fmt, np.float64)
    grid = grid[np.isfinite(grid)]
    with np.errstate(over="ignore"):
        mids = ((grid[:-1] + grid[1:]) / 2).astype(np.float32)  # ties, where float32 holds them
    specials = np.array([0.0, np.inf, np.nan, 1e-45, 1.1754942e-38, 3.4028235e38], np.float32)
    pos = np.concatenate([np.abs(bits), scale, mids, np.nextafter(mids, np.float32(np.inf)),
                          specials])
    x = np.concatenate([pos, -pos])
    return x[: len(x) - (len(x) % 8) + 5]


@pytest.mark.parametrize("flush", [False, True], ids=["keep", "ftz"])
@pytest.mark.parametrize("saturate", [False, True], ids=["nosat", "sat"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CONSTANT_TARGETS)
def test_constant_facts_kernels_equal_runtime_kernels(name, mode, saturate, flush):
    fmt = ro.format(name)
    x32 = float32_probe(fmt)
    if flush:  # DAZ flushes float32 subnormals, which are normal as float64: not comparable
        x32 = x32[~((np.abs(x32) < np.finfo(np.float32).tiny) & (x32 != 0))]
    kw = dict(saturate=saturate, flush_subnormals=flush, seed=99)
    got = ro.encode(x32, fmt, mode, **kw)
    with np.errstate(invalid="ignore"):  # signalling NaNs among the random bit patterns
        x64 = x32.astype(np.float64)
    want = ro.encode(x64, fmt, mode, **kw)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(float(x32[i]), int(got[i]), int(want[i])) for i in bad[:5]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", ["e4m3", "bf16", "fp16", "e8m0", "float32", "e2m1"])
def test_vector_lanes_equal_scalar_lanes(name, dtype, mode):
    fmt = ro.format(name)
    x = float32_probe(fmt, 200)[:64].astype(dtype)  # 64: whole vectors only
    rbits = np.random.default_rng(3).integers(0, 2**32, x.size, dtype=np.uint64).astype(np.uint32)
    kw = dict(rbits=rbits) if mode == "stochastic" else {}
    whole = ro.encode(x, fmt, mode, **kw)
    one_by_one = [ro.encode(x[i], fmt, mode, **({"rbits": rbits[i]} if kw else {}))
                  for i in range(x.size)]
    assert whole.tolist() == [int(c) for c in one_by_one]
