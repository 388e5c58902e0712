"""The cast kernel's variants must agree bit for bit: they are one routine instantiated several
ways (cpp/include/roundoff/lanes.hpp, cpp/src/convert_driver.cpp), and a slip in one of them
(a fact folded wrongly, a lane-width assumption) would only show on some inputs.

* Constant-facts kernels: float32 sources into E4M3, E5M2, BF16 and FP16 run a kernel compiled
  with those formats' facts as constants. The same values as float64 run the runtime-facts
  kernel in 64-bit lanes. Every mode, policy and the Philox stream must give the same codes.
* Vector lanes and scalar lanes: an array runs in vectors of 8 (32-bit lanes) or 4 (64-bit),
  its tail and lone scalars one element at a time.
* Arithmetic tiers (cpp/src/arith_driver.cpp): add, sub, mul and FMA of narrow operands run in
  32-bit vectors (with constant facts for E4M3, E5M2, BF16 and FP16), float32 operands and
  stochastic rounding with many random bits in 64-bit vectors, and float64 operands one element
  at a time with 128-bit products. The same values through each tier give the same codes.
"""

from __future__ import annotations

import ml_dtypes
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


# Formats for the arithmetic tiers: the constant-facts four, a custom E6M9, FNUZ (NaN at -0), an
# FP6 without Inf or NaN, and E8M0 (no zero, no subnormals).
TIER_FORMATS = ["e4m3", "e5m2", "bf16", "fp16", "e4m3fnuz", "e3m2", "e8m0",
                ro.Format(6, 9, name="e6m9")]
TIER_OPS = ["add", "sub", "mul", "fma"]


def tier_operands(fmt: ro.Format, n: int, arity: int) -> list:
    """Codes of fmt: every pair for 8-bit formats (a and b), else random codes with a third of
    the b operands near -a (cancellation); an odd length so the scalar tail runs too."""
    rng = np.random.default_rng(11)
    if fmt.bits <= 8 and arity == 2:
        a, b = np.meshgrid(np.arange(1 << fmt.bits), np.arange(1 << fmt.bits))
        cols = [a.ravel(), b.ravel()]
    else:
        cols = [rng.integers(0, 1 << fmt.bits, n) for _ in range(arity)]
        if fmt.signed:  # near cancellation: b = -a plus a few units
            k = n // 3
            flip = (cols[0][:k] ^ (1 << (fmt.bits - 1))) + rng.integers(-2, 3, k)
            cols[1][:k] = np.clip(flip, 0, (1 << fmt.bits) - 1)
    return [c[: len(c) - (len(c) % 8) + 5 if len(c) % 8 < 5 else len(c)].astype(fmt.code_dtype)
            for c in cols]


@pytest.mark.parametrize("policy", ["plain", "saturate", "flush"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", TIER_OPS)
@pytest.mark.parametrize("fmt", TIER_FORMATS, ids=str)
def test_arith_tiers_agree(fmt, op, mode, policy):
    fmt = ro.format(fmt)
    arity = 3 if op == "fma" else 2
    codes = tier_operands(fmt, 20_011, arity)
    values = [ro.decode(c, fmt, np.float64) for c in codes]
    kw = {"saturate": dict(saturate=True), "flush": dict(flush_subnormals=True),
          "plain": {}}[policy]
    # sr_bits 8 keeps stochastic rounding in 32-bit vectors; the default 32 needs 64-bit ones.
    sr_kw = [dict(sr_bits=8, seed=5), dict(seed=5)] if mode == "stochastic" else [{}]
    for sr in sr_kw:
        narrow = getattr(ro.ops, op)(*codes, fmt, mode, **kw, **sr)  # 32-bit vectors
        wide = getattr(ro, op)(*values, fmt, mode, codes=True, **kw, **sr)  # float64: scalar
        bad = np.flatnonzero(narrow != wide)
        assert bad.size == 0, [([float(v[i]) for v in values], int(narrow[i]), int(wide[i]))
                               for i in bad[:4]]
        if fmt.man_bits <= 23 and fmt.emin >= -126 and fmt.max <= 3.4e38:
            f32 = [v.astype(np.float32) for v in values]  # exact: float32 operands, 64-bit
            mid = getattr(ro, op)(*f32, fmt, mode, codes=True, **kw, **sr)
            bad = np.flatnonzero(mid != wide)
            assert bad.size == 0, [([float(v[i]) for v in values], int(mid[i]), int(wide[i]))
                                   for i in bad[:4]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", TIER_OPS)
def test_arith_float32_results_in_32bit_vectors(op, mode):
    """BF16 operands into a float32 result run in 32-bit vectors, where float32's magnitude
    codes fill the lane below its sign bit (an overflow may carry into it: round_to_code reads
    the exponent there); the same values as float64 operands run scalar."""
    bf16 = ro.format("bf16")
    codes = tier_operands(bf16, 20_011, 3 if op == "fma" else 2)
    values = [ro.decode(c, bf16, np.float64) for c in codes]
    narrow = getattr(ro, op)(*[v.astype(ml_dtypes.bfloat16) for v in values], "float32", mode,
                             codes=True, seed=9)
    wide = getattr(ro, op)(*values, "float32", mode, codes=True, seed=9)
    bad = np.flatnonzero(narrow != wide)
    assert bad.size == 0, [([float(v[i]) for v in values], int(narrow[i]), int(wide[i]))
                           for i in bad[:4]]


@pytest.mark.parametrize("mode", ["nearest_even", "nearest_away"])
@pytest.mark.parametrize("name", ["e4m3", "e5m2", "bf16", "fp16"])
def test_float32_path_products_and_sums_near_the_range_ends(name, mode):
    """+, - and * to nearest of these formats take the float32 path (elementwise.hpp). Its
    argument is weakest below float32's normal range (BF16 products reach 2^-266) and at
    overflow: every pair of significands (256 of FP16's), for exponent pairs whose products
    land in the subnormal range, at the underflow threshold and past the largest finite value;
    sums and differences of the same pairs."""
    fmt = ro.format(name)
    man, bias, emax_field = fmt.man_bits, fmt.bias, (1 << fmt.exp_bits) - 1
    sig = np.arange(1 << man)
    if man > 8:  # FP16: 256 significands, the extremes among them
        sig = np.unique(np.r_[0, (1 << man) - 1, np.random.default_rng(1).choice(sig, 254)])
    fields = []
    for target in range(2 * (fmt.emin - man) - 2, fmt.emin + 2):  # exponent of the product
        fa = np.clip(target // 2 + bias, 0, emax_field - 1)
        fb = target - (fa - bias) + bias
        if 0 <= fb < emax_field:
            fields.append((fa, fb))
    top = fmt.emax + bias
    fields += [(top, top), (top, bias), (top, bias + 1), (0, 0), (0, 1), (1, 0)]
    a_list, b_list = [], []
    for fa, fb in fields:
        ma, mb = np.meshgrid(sig, sig)
        a_list.append((int(fa) << man) | ma.ravel())
        b_list.append((int(fb) << man) | mb.ravel())
    a = np.concatenate(a_list).astype(np.uint64)
    b = np.concatenate(b_list).astype(np.uint64)
    signs = np.random.default_rng(2).integers(0, 2, (2, a.size)).astype(np.uint64)
    a = (a | (signs[0] << np.uint64(fmt.bits - 1))).astype(fmt.code_dtype)
    b = (b | (signs[1] << np.uint64(fmt.bits - 1))).astype(fmt.code_dtype)
    va, vb = ro.decode(a, fmt, np.float64), ro.decode(b, fmt, np.float64)
    for op in ("mul", "add", "sub"):
        for kw in ({}, dict(saturate=True)):
            got = getattr(ro.ops, op)(a, b, fmt, mode, **kw)
            want = getattr(ro, op)(va, vb, fmt, mode, codes=True, **kw)
            bad = np.flatnonzero(got != want)
            assert bad.size == 0, [(op, float(va[i]), float(vb[i]), int(got[i]), int(want[i]))
                                   for i in bad[:4]]
