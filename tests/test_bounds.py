"""Measured round-off against the bounds of roundoff.bounds (each bound's docstring states it).

Errors are measured exactly: the computed sum and the exact sum as Fractions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roundoff as ro
from roundoff import bounds, orders

ORDERS = [orders.sequential(), orders.pairwise(), orders.blocked(8), orders.split_k(4),
          orders.numpy_pairwise(), orders.random_tree(3)]


def _exact_error(computed: float, terms) -> Fraction:
    return abs(Fraction(float(computed)) - sum((Fraction(float(t)) for t in terms), Fraction(0)))


def test_bound_values():
    assert bounds.unit_roundoff("fp32") == 2.0**-24
    assert bounds.unit_roundoff("e4m3", "toward_zero") == 2.0**-3
    assert bounds.gamma(2, 0.25) == 1.0 and bounds.gamma(4, 0.25) == np.inf
    assert bounds.depths(orders.blocked(4), 16).max() == 4 + 4 - 2  # b + n/b - 2
    assert bounds.depths(orders.pairwise(), 1000).max() == 10       # ceil(log2 n)
    assert bounds.depths(orders.sequential(), 7).tolist() == [6, 6, 5, 4, 3, 2, 1]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["bf16", "fp16", "float32"]),
       st.sampled_from(["nearest_even", "toward_zero", "up", "odd"]),
       st.sampled_from(ORDERS), st.integers(1, 400), st.integers(0, 2**32 - 1),
       st.booleans())
def test_sum_error_within_the_order_bound(fmt, mode, order, n, seed, same_sign):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.0, n) * np.exp2(rng.integers(-6, 6, n))
    if not same_sign:
        x *= rng.choice([-1.0, 1.0], n)
    got = ro.sum(x, accumulator=ro.Accumulator(fmt, mode, order=order))
    bound = bounds.sum_bound(x, fmt, mode, order)
    if np.isfinite(bound):  # gamma_d is finite for d u < 1 (bf16: depth < 256)
        assert _exact_error(got, x) <= Fraction(bound)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(ORDERS[:4]), st.integers(1, 64), st.integers(0, 2**32 - 1),
       st.booleans())
def test_matmul_error_within_the_bound(order, K, seed, fma):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((3, K)).astype(np.float32).astype(np.float64)
    b = rng.standard_normal((K, 2)).astype(np.float32).astype(np.float64)
    acc = ro.Accumulator("bf16", order=order, fma=fma)
    got = ro.matmul(a, b, acc)
    for i in range(3):
        for j in range(2):
            exact = sum((Fraction(float(a[i, k])) * Fraction(float(b[k, j])) for k in range(K)),
                        Fraction(0))
            err = abs(Fraction(float(got[i, j])) - exact)
            bound = bounds.dot_bound(a[i], b[:, j], "bf16", order=order, fma=fma)
            assert err <= Fraction(bound)  # K <= 64: every depth < 256, the bound is finite
    if fma:
        mb = bounds.matmul_bound(a, b, "bf16", order=order)
        exact64 = a @ b  # within ~1e-16 relative: the bf16 bound is far looser, and checked above
        assert np.all(np.abs(got - exact64) <= mb * (1 + 1e-6) + 1e-300)


@pytest.mark.parametrize("fmt", ["bf16", "fp16"])
def test_stochastic_sum_within_the_probabilistic_bound(fmt):
    # SR4: with lam = 6 the bound fails with probability <= 2 n e^-18 (~3e-5 at n = 1000) per
    # sum; 20 fixed seeds.
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 1000) * 2.0**-4
    p_fail = bounds.stochastic_failure_probability(x.size, fmt)
    assert p_fail < 1e-4
    for seed in range(20):
        got = ro.sum(x, accumulator=ro.Accumulator(fmt, "stochastic", seed=seed))
        assert _exact_error(got, x) <= Fraction(bounds.stochastic_sum_bound(x, fmt))



def test_stochastic_bound_holds_where_nearest_stagnates():
    # 1 + 4000 * 2^-12 in fp16: each 2^-12 is below half an ulp of 1, so round-to-nearest
    # stays at 1.0, an error (0.98) beyond the SR bound (0.89), which SR meets.
    x = np.r_[1.0, np.full(4000, 2.0**-12)]
    bound = bounds.stochastic_sum_bound(x, "fp16")
    near = ro.sum(x, accumulator=ro.Accumulator("fp16"))
    assert near == 1.0 and _exact_error(near, x) > Fraction(bound)
    for seed in range(5):
        got = ro.sum(x, accumulator=ro.Accumulator("fp16", "stochastic", seed=seed))
        assert _exact_error(got, x) <= Fraction(bound)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([("h100.wgmma", "e4m3", None), ("h100.wgmma", "e4m3", 64),
                        ("h100.mma", "bf16", None), ("v100.mma", "fp16", None),
                        ("h100.mma", "tf32", None)]),
       st.integers(1, 200), st.integers(0, 2**32 - 1), st.booleans())
def test_fused_chain_error_within_the_bound(spec, K, seed, same_sign):
    name, fmt, promote = spec
    kw = dict(promote_every_k=promote) if name == "h100.wgmma" else {}
    acc = ro.hw.preset(name, a_fmt=fmt, **kw)
    rng = np.random.default_rng(seed)
    a = ro.quantize(rng.uniform(0.5, 2, (2, K)), fmt).astype(np.float64)
    b = ro.quantize(rng.uniform(0.5, 2, (K, 3)), fmt).astype(np.float64)
    if not same_sign:
        a *= rng.choice([-1.0, 1.0], a.shape)
    got = ro.matmul(a, b, acc)
    bound = bounds.fused_matmul_bound(a, b, acc.fused, acc.promote_every)
    for i in range(2):
        for j in range(3):
            exact = sum((Fraction(float(a[i, k])) * Fraction(float(b[k, j])) for k in range(K)),
                        Fraction(0))
            assert abs(Fraction(float(got[i, j])) - exact) <= Fraction(float(bound[i, j]))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 300), st.integers(0, 2**32 - 1), st.sampled_from([4, 16, 64]))
def test_blocked_and_unblocked_differ_within_both_bounds(K, seed, block):
    # S8: |C_b - C_1| <= bound_b + bound_1, elementwise (exact Fractions).
    rng = np.random.default_rng(seed)
    a = ro.quantize(rng.standard_normal((2, K)), "bf16").astype(np.float64)
    b = ro.quantize(rng.standard_normal((K, 2)), "bf16").astype(np.float64)
    one = ro.matmul(a, b, ro.Accumulator("bf16"))
    blk = ro.matmul(a, b, ro.Accumulator("bf16", order=orders.blocked(block)))
    bound = (bounds.matmul_bound(a, b, "bf16", order=orders.blocked(block))
             + bounds.matmul_bound(a, b, "bf16"))
    finite = np.isfinite(bound)
    diff = np.array([[abs(Fraction(float(blk[i, j])) - Fraction(float(one[i, j])))
                      for j in range(2)] for i in range(2)])
    assert all(diff[i, j] <= Fraction(float(bound[i, j]))
               for i in range(2) for j in range(2) if finite[i, j])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.integers(0, 2**32 - 1))
def test_double_rounding_emulation_within_the_s7_bound(K, seed):
    # S7: a bf16 accumulator emulated through float32 (round_bf16(fl32(acc + a b)), as a NumPy
    # loop with ml_dtypes would do) stays within gamma_K(u_eff); it is not roundoff's result.
    import ml_dtypes
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(K).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal(K).astype(ml_dtypes.bfloat16)
    acc = ml_dtypes.bfloat16(0)
    for x, y in zip(a, b):
        acc = ml_dtypes.bfloat16(np.float32(acc) + np.float32(x) * np.float32(y))
    exact = sum((Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a, b)), Fraction(0))
    u = bounds.double_rounding_unit("bf16")
    bound = float(bounds.gamma(K, u)) * float(np.sum(np.abs(a.astype(np.float64)
                                                          * b.astype(np.float64))))
    if np.isfinite(bound):
        assert abs(Fraction(float(acc)) - exact) <= Fraction(bound)
