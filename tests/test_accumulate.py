"""Sums, dot products and matrix products (roundoff.accumulate, roundoff.orders).

Oracles: NumPy's own float32 reductions (its pairwise order), float32 scalar loops, and an
independent evaluation of each order's tree with exact rationals and MPFR rounding per node.
The tensor-core model is checked against the outputs the H100 probes (E3-E8, E12, as
tools/capture_h100.py builds them) must give under it; tests/test_h100_replay.py replays vectors
captured on the GPU.
"""

from __future__ import annotations

import builtins
import math
from fractions import Fraction

import gmpy2
import hypothesis
import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import roundoff as ro
from roundoff import hw, orders
from oracle import round_mpfr_exact

ALL_ORDERS = [orders.sequential(), orders.pairwise(), orders.numpy_pairwise(), orders.blocked(3),
              orders.split_k(3), orders.split_k(2, orders.pairwise()),
              orders.random_permutation(5), orders.random_tree(9)]


# -- orders --------------------------------------------------------------------------------------
def test_order_array_forms():
    assert orders.sequential().nodes(4).tolist() == [[0, 1], [4, 2], [5, 3]]
    # left half floor(5/2) = 2 terms: (t0 + t1) + (t2 + (t3 + t4))
    assert orders.pairwise().nodes(5).tolist() == [[0, 1], [3, 4], [2, 6], [5, 7]]
    assert orders.blocked(2).nodes(5).tolist() == [[0, 1], [2, 3], [5, 6], [7, 4]]
    assert orders.split_k(2).nodes(5).tolist() == [[0, 1], [2, 3], [6, 4], [5, 7]]
    assert orders.tree(((0, 2), (1, 3))).nodes(4).tolist() == [[0, 2], [1, 3], [4, 5]]
    assert orders.sequential().nodes(1).shape == (0, 2)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.sampled_from(ALL_ORDERS))
def test_every_order_is_a_binary_tree(n, order):
    nodes = order.nodes(n)
    assert nodes.shape == (n - 1, 2)
    used = nodes.ravel().tolist()
    assert sorted(used) == list(range(2 * n - 2))  # every node but the root is a child once
    for i, (left, right) in enumerate(nodes):
        assert left < n + i and right < n + i  # children come first


def test_order_errors():
    with pytest.raises(ValueError, match="leaves"):
        orders.tree(((0, 1), 1)).nodes(3)
    with pytest.raises(ValueError, match="pair"):
        orders.tree((0, 1, 2)).nodes(3)
    with pytest.raises(ValueError, match="positive"):
        orders.blocked(0)
    with pytest.raises(TypeError, match="Order"):
        orders.split_k(2, "pairwise")


# -- sums against NumPy and float32 loops ----------------------------------------------------------
@pytest.mark.parametrize("n", [1, 5, 8, 9, 16, 17, 127, 128, 129, 300, 1000, 4099])
def test_numpy_pairwise_is_numpys_float32_sum(n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * np.exp2(rng.integers(-12, 12, n))).astype(np.float32)
    want = np.add.reduce(x)  # float32, NumPy's pairwise summation, each add rounded to nearest
    acc = ro.Accumulator("float32", order=orders.numpy_pairwise())
    got = ro.sum(x, accumulator=acc, dtype=np.float32)
    assert got.tobytes() == want.tobytes(), (got, want)
    seq = ro.sum(x, accumulator=ro.Accumulator("float32"), dtype=np.float32)
    loop = np.float32(0)
    for v in x:
        loop = np.float32(loop + v)
    assert seq.tobytes() == (x[0] if n == 1 else loop).tobytes()


def test_sum_axis_and_shapes():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    for axis in (0, 1, 2, -1):
        assert np.array_equal(ro.sum(x, axis), x.sum(axis))
    assert float(ro.sum(x)) == x.sum()
    assert ro.sum(np.zeros((3, 0)), axis=1).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="axis"):
        ro.sum(x, axis=3)


def test_stagnation_bf16_orders():
    ones = np.ones(4096)
    assert float(ro.sum(ones, accumulator=ro.Accumulator("bf16"))) == 256.0
    for order in (orders.pairwise(), orders.blocked(64), orders.split_k(64)):
        assert float(ro.sum(ones, accumulator=ro.Accumulator("bf16", order=order))) == 4096.0


# -- the MPFR tree oracle --------------------------------------------------------------------------
def _round_exact(v: Fraction, fmt: ro.Format, mode: str) -> Fraction:
    with gmpy2.context(precision=2000, emin=-10000, emax=10000):
        m = gmpy2.mpfr(v.numerator) / gmpy2.mpfr(v.denominator)  # exact: dyadic, < 2000 bits
    code = round_mpfr_exact([m], str(fmt), mode)
    return Fraction(float(ro.decode(code, fmt, np.float64)[0]))


def _oracle_matmul(a, b, c, acc: ro.Accumulator):
    M, K = a.shape
    N = b.shape[1]
    out = np.empty((M, N))
    for i in range(M):
        for j in range(N):
            terms = [] if c is None else [_round_exact(Fraction(float(c[i, j])), acc.fmt,
                                                       acc.rounding)]
            for k in range(K):
                p = Fraction(float(a[i, k])) * Fraction(float(b[k, j]))
                if acc.product_fmt is not None:
                    p = _round_exact(p, acc.product_fmt, acc.product_rounding)
                elif not acc.fma:
                    p = _round_exact(p, acc.fmt, acc.rounding)
                terms.append(p)
            n = len(terms)
            live = dict(enumerate(terms))
            if n == 1:
                live[0] = _round_exact(terms[0], acc.fmt, acc.rounding)
            for t, (left, right) in enumerate(acc.order.nodes(n)):
                live[n + t] = _round_exact(live.pop(int(left)) + live.pop(int(right)), acc.fmt,
                                           acc.rounding)
            out[i, j] = float(live[2 * n - 2])
    return out


FORMATS_MPFR = ["bfloat16", "float16", "float32", "float8_e5m2"]
DET_MODES = ["nearest_even", "nearest_away", "toward_zero", "up", "down", "odd"]


@pytest.mark.parametrize("a_shape, b_shape", [
    ((5,), (5, 3)), ((4, 5), (5,)), ((5,), (5,)), ((2, 4, 5), (5,)), ((5,), (2, 5, 3)),
])
def test_matmul_takes_1d_operands_as_numpy_does(a_shape, b_shape):
    # 1-D operands raised "expected (..., M, K) and (..., K, N)".
    rng = np.random.default_rng(0)
    a = rng.integers(-8, 9, a_shape).astype(np.float64)  # small integers: every sum exact
    b = rng.integers(-8, 9, b_shape).astype(np.float64)
    want = np.matmul(a, b)
    got = ro.matmul(a, b, ro.Accumulator("bf16"))
    assert np.shape(got) == want.shape and np.array_equal(got, want)
    c = np.ones(want.shape)
    assert np.array_equal(ro.matmul(a, b, c=c), want + 1)


def test_sum_over_tuple_axes_in_c_order_of_the_summed_axes():
    x = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    assert np.array_equal(ro.sum(x, (0, 2)), x.sum(axis=(0, 2)))
    assert np.array_equal(ro.sum(x, (-1, 0)), x.sum(axis=(0, 2)))
    assert float(ro.sum(x, (0, 1, 2))) == float(x.sum())
    # The terms of one sum run in C order over the summed axes: with a bf16 accumulator the
    # big term first swallows what follows, so the order shows in the result.
    y = np.zeros((2, 2, 2))
    y[0, 0, 1] = 256.0
    y[1, 0, 0] = y[1, 0, 1] = 1.0  # terms of sum j=0: y[0,0,0], y[0,0,1], y[1,0,0], y[1,0,1]
    got = ro.sum(y, (0, 2), accumulator=ro.Accumulator("bf16"))
    assert list(got) == [256.0, 0.0]  # 256 + 1 ties back to 256 (ulp 2); 1 + 1 + 256 is 258


def test_matmul_float64_inputs_regression():
    # matmul rejected NumPy's default float64 arrays whose values are not float32 values
    # ("products are formed exactly from float32 values"), even with a float64 accumulator.
    x = np.array([[0.1, 0.7, -1 / 3]])
    y = np.array([[0.3], [1 / 7], [0.2]])
    exact = builtins.sum(Fraction(float(p)) * Fraction(float(q)) for p, q in zip(x[0], y[:, 0]))
    # Sequential float64 FMAs: fl(fl(x0 y0 + x1 y1) + x2 y2), the first a sum of two exact
    # products rounded once.
    first = float(Fraction(0.1) * Fraction(0.3) + Fraction(0.7) * Fraction(1 / 7))
    want = float(Fraction(first) + Fraction(-1 / 3) * Fraction(0.2))
    got = ro.matmul(x, y, ro.Accumulator("float64"))
    assert got.dtype == np.float64 and got[0, 0] == want
    assert abs(want - float(exact)) <= 2**-52  # and it is close to the exact dot product


def _matmul_matches_tree_oracle(data, fmt: str, product_fmt, spread: int, values_in) -> None:
    """matmul of drawn inputs (values_in: how raw standard normals become inputs) equals the
    exact tree oracle, in a drawn mode, order and FMA setting."""
    mode = data.draw(st.sampled_from(DET_MODES))
    order = data.draw(st.sampled_from(ALL_ORDERS))
    fma = data.draw(st.booleans())
    M, K, N = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 9)),
               data.draw(st.integers(1, 3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))

    def values(shape):
        return values_in(rng.standard_normal(shape)
                         * np.exp2(rng.integers(-spread, spread + 1, shape)))

    a, b = values((M, K)), values((K, N))
    c = values((M, N)) if data.draw(st.booleans()) else None
    acc = ro.Accumulator(fmt, mode, order=order, product_fmt=product_fmt, fma=fma)
    got = ro.matmul(a, b, acc, c=c)
    want = _oracle_matmul(a, b, c, acc)
    assert np.array_equal(got, want), (got, want)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_matmul_float64_inputs_vs_mpfr_tree_oracle(data):
    """Products of any float64 inputs (106 significant bits) are exact: every addition of two
    products is one rounding of their exact sum (dot2), a product and a partial sum an FMA."""
    fmt = data.draw(st.sampled_from(["float64", "float32", "bfloat16"]))
    product_fmt = data.draw(st.sampled_from([None, None, "float32"]))
    _matmul_matches_tree_oracle(data, fmt, product_fmt, data.draw(st.integers(0, 60)),
                                lambda v: v)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_matmul_every_rounding_vs_mpfr_tree_oracle(data):
    fmt = data.draw(st.sampled_from(FORMATS_MPFR))
    product_fmt = data.draw(st.sampled_from([None, None, "bfloat16", "float16"]))
    narrow = "float16" in (fmt, product_fmt) or fmt == "float8_e5m2"
    spread = data.draw(st.integers(0, 3 if narrow else 30))  # no overflow (the oracle is finite)
    _matmul_matches_tree_oracle(data, fmt, product_fmt, spread,
                                lambda v: v.astype(ml_dtypes.bfloat16).astype(np.float64))


# -- tensor-core model: the H100 probes -----------------------------------------------------------
def _probe(products, fmt, K=None, **preset_kw):
    """One output: a row of a and a column of b whose products are the given (a_k, b_k)."""
    K = K or len(products)
    a = np.zeros((1, K))
    b = np.zeros((K, 1))
    for k, (x, y) in products.items() if isinstance(products, dict) else enumerate(products):
        a[0, k], b[k, 0] = x, y
    return float(ro.matmul(a, b, hw.preset("h100.wgmma", a_fmt=fmt, **preset_kw))[0, 0])


def test_tensor_core_block_size_bf16_e3():
    # E3: +2^40 at k = 0, -2^40 at k = j, ones elsewhere (K = 64): the ones outside the fused
    # 16-blocks that hold the cancelling pair survive: 16 * (3 - floor(j / 16)).
    for j in range(1, 64):
        prods = {k: (1.0, 1.0) for k in range(64)}
        prods[0] = (2.0**20, 2.0**20)
        prods[j] = (-(2.0**20), 2.0**20)
        assert _probe(prods, "bf16") == 16 * (3 - j // 16), j


def test_tensor_core_alignment_truncation_e4():
    # E4: p0 = 2^14, p1 = -2^14, p2 = 2^(14 - k): F = 25 keeps k = 24, 25 and drops 26.
    base = [(2.0**7, 2.0**7), (-(2.0**7), 2.0**7)]
    assert _probe(base + [(2.0**-10, 1.0)], "bf16", K=16) == 2.0**-10
    assert _probe(base + [(2.0**-11, 1.0)], "bf16", K=16) == 2.0**-11
    assert _probe(base + [(2.0**-12, 1.0)], "bf16", K=16) == 0.0
    for x, want in ((0.25, 0), (0.5, 0), (0.75, 0), (1.5, 1), (-1.5, -1), (-0.75, 0)):
        got = _probe(base + [(x * 2.0**-11, 1.0)], "bf16", K=16)
        assert got == want * 2.0**-11, (x, got)


def test_tensor_core_final_truncation_and_chain_e5():
    t = 3 * 2.0**-25
    assert _probe([(1.0, 1.0), (t, 1.0)], "bf16", K=16) == 1.0
    assert _probe([(-1.0, 1.0), (-t, 1.0)], "bf16", K=16) == -1.0
    prods = {0: (1.0, 1.0), 1: (t, 1.0), 16: (t, 1.0)}
    assert _probe(prods, "bf16", K=32) == 1.0


def test_fp8_promotion_interval_e7_e11():
    prods = {0: (1.0, 1.0), **{32 * k: (2.0**-7, 2.0**-7) for k in range(1, 16)}}
    assert _probe(prods, "e4m3", K=512) == 1.0  # no promotion: E8M13 swallows each 2^-14
    for every, kept in ((32, 15), (64, 14), (128, 12), (256, 8)):
        assert _probe(prods, "e4m3", K=512, promote_every_k=every) == 1 + kept * 2.0**-14


def test_fp8_step_truncates_to_e8m13_e8():
    for pos in (1, 7, 31):
        assert _probe({0: (1.0, 1.0), pos: (2.0**-7, 2.0**-6)}, "e4m3", K=32) == 1 + 2.0**-13
        assert _probe({0: (1.0, 1.0), pos: (2.0**-7, 2.0**-7)}, "e4m3", K=32) == 1.0


def test_tensor_core_specials_e12():
    big = float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)
    assert math.isnan(_probe([(np.nan, 1.0)], "bf16", K=16))
    assert math.isnan(_probe([(np.inf, 0.0)], "bf16", K=16))
    assert math.isnan(_probe([(np.inf, 1.0), (-np.inf, 1.0)], "bf16", K=16))
    assert _probe([(np.inf, 1.0), (1.0, 1.0)], "bf16", K=16) == np.inf
    z = _probe([(-0.0, 1.0), (0.0, -1.0)], "bf16", K=16)
    assert z == 0 and math.copysign(1, z) == 1  # +0
    assert _probe([(2.0**-76, 2.0**-76)] * 16, "bf16", K=16) == 2.0**-148
    assert _probe([(big, big), (big, big)], "bf16", K=16) == np.inf  # Inf, not FLT_MAX
    assert _probe([(big, big), (-big, big)], "bf16", K=16) == 0.0  # products never overflow


# -- determinism and errors ------------------------------------------------------------------------
def test_stochastic_accumulation_is_reproducible_across_threads():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((6, 40)), rng.standard_normal((40, 5))
    acc = ro.Accumulator("bf16", "stochastic", seed=7, a_fmt="bf16", b_fmt="bf16")
    before = ro.get_num_threads()
    try:
        ro.set_num_threads(1)
        one = ro.matmul(a, b, acc)
        ro.set_num_threads(2)
        two = ro.matmul(a, b, acc)
    finally:
        ro.set_num_threads(before)
    assert one.tobytes() == two.tobytes()
    other = ro.matmul(a, b, acc.replace(seed=8))
    assert not np.array_equal(one, other)


def test_matmul_batch_scales_and_bad_input():
    rng = np.random.default_rng(2)
    a = rng.integers(-4, 5, (2, 3, 4)).astype(np.float64)
    b = rng.integers(-4, 5, (4, 5)).astype(np.float64)
    assert np.array_equal(ro.matmul(a, b), a @ b)  # small integers: exact
    sa, sb = np.float32(0.5), np.full((1, 5), 2.0, np.float32)
    assert np.array_equal(ro.matmul(a, b, scale_a=sa, scale_b=sb), a @ b)
    assert ro.matmul(a, b, out_fmt="e4m3", codes=True).dtype == np.uint8
    with pytest.raises(ValueError, match="inner"):
        ro.matmul(a, b.T)
    with pytest.raises(ValueError, match="broadcast"):
        ro.matmul(a, b, c=np.zeros((7, 7)))
    with pytest.raises(ValueError, match="fused adder model"):
        ro.matmul(np.full((1, 1), 0.1), np.ones((1, 1)),
                  ro.Accumulator(a_fmt="float64", b_fmt="bf16", fused=ro.FusedAdder(4, 25)))
    with pytest.raises(ValueError, match="a_fmt and b_fmt"):
        ro.Accumulator(fused=ro.FusedAdder(16, 25))
    with pytest.raises(ValueError, match="multiple"):
        hw.preset("h100.wgmma", a_fmt="e4m3", promote_every_k=48)
    with pytest.raises(ValueError, match="unknown name"):
        hw.preset("h100.nope")
    with pytest.raises(ValueError, match="instruction"):
        hw.preset("h100.wgmma", a_fmt="e4m3", b_fmt="bf16")
    with pytest.raises(TypeError, match="Accumulator"):
        ro.matmul(a, b, "float32")


# -- the C++ fast paths equal the general engine ---------------------------------------------------
def _inputs_with_specials(rng, shape, fmt, spread, specials):
    v = rng.standard_normal(shape) * np.exp2(rng.integers(-spread, spread + 1, shape))
    v[rng.random(shape) < 0.1] = 0.0
    if specials:
        flat = v.reshape(-1)
        idx = rng.choice(flat.size, size=min(3, flat.size), replace=False)
        flat[idx] = rng.choice([np.inf, -np.inf, np.nan, -0.0], size=idx.size)
    return ro.quantize(v, fmt, saturate=True).astype(np.float64)


FAST_CASES = [
    # (accumulator, input format, exponent spread)
    (ro.Accumulator("float32"), "float32", 60),
    (ro.Accumulator("float32"), "bf16", 120),
    (ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16"), "bf16", 30),
    (ro.Accumulator("fp16", a_fmt="fp16", b_fmt="fp16"), "fp16", 6),
    (ro.Accumulator("bf16", a_fmt="e4m3", b_fmt="e4m3"), "e4m3", 4),
    (hw.preset("h100.wgmma", a_fmt="bf16"), "bf16", 60),
    (hw.preset("h100.wgmma", a_fmt="fp16"), "fp16", 8),
    (hw.preset("h100.wgmma", a_fmt="e4m3", promote_every_k=64), "e4m3", 5),
    (hw.preset("h100.cublas_scaled_mm", a_fmt="e4m3", b_fmt="e5m2", out_fmt="float32"), "e5m2",
     6),
    (hw.preset("h100.mma", a_fmt="tf32"), "tf32", 60),
    (hw.preset("v100.mma", a_fmt="fp16", accumulate="float16"), "fp16", 3),
]


@pytest.mark.parametrize("specials", [False, True], ids=["finite", "specials"])
@pytest.mark.parametrize("with_c", [False, True], ids=["no_c", "c"])
@pytest.mark.parametrize("case", range(len(FAST_CASES)))
def test_fast_paths_equal_the_general_engine(case, with_c, specials, monkeypatch):
    acc, fmt, spread = FAST_CASES[case]
    rng = np.random.default_rng(case * 4 + with_c * 2 + specials)
    for M, K, N in ((1, 0, 3), (2, 1, 9), (3, 2, 17), (5, 3, 8), (4, 70, 21)):
        a = _inputs_with_specials(rng, (M, K), fmt, spread, specials)
        b = _inputs_with_specials(rng, (K, N), fmt, spread, specials)
        c = _inputs_with_specials(rng, (M, N), "bf16", spread, specials) if with_c else None
        fast = ro.matmul(a, b, acc, c=c, codes=True)
        monkeypatch.setattr(ro.accumulate, "_NATIVE", False)
        slow = ro.matmul(a, b, acc, c=c, codes=True)
        monkeypatch.setattr(ro.accumulate, "_NATIVE", True)
        bad = np.argwhere(fast != slow)
        assert bad.size == 0, ((M, K, N), [(tuple(i), int(fast[tuple(i)]), int(slow[tuple(i)]))
                                           for i in bad[:3]])


@pytest.mark.parametrize("case", [0, 2, 7, 8])
def test_fast_paths_same_bits_on_any_thread_count(case):
    acc, fmt, spread = FAST_CASES[case]
    rng = np.random.default_rng(case)
    a = _inputs_with_specials(rng, (9, 100), fmt, spread, False)
    b = _inputs_with_specials(rng, (100, 13), fmt, spread, False)
    before = ro.get_num_threads()
    try:
        outs = []
        for t in (1, 2):
            ro.set_num_threads(t)
            outs.append(ro.matmul(a, b, acc, codes=True))
    finally:
        ro.set_num_threads(before)
    assert np.array_equal(outs[0], outs[1])


def test_narrow_chain_wide_rows_use_every_column_block():
    # The bf16 kernel interleaves 32 columns; widths around that exercise both loops.
    rng = np.random.default_rng(4)
    acc = ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16")
    for N in (31, 32, 33, 70):
        a = ro.quantize(rng.standard_normal((3, 40)), "bf16").astype(np.float64)
        b = ro.quantize(rng.standard_normal((40, N)), "bf16").astype(np.float64)
        fast = ro.matmul(a, b, acc, codes=True)
        ro.accumulate._NATIVE = False
        try:
            slow = ro.matmul(a, b, acc, codes=True)
        finally:
            ro.accumulate._NATIVE = True
        assert np.array_equal(fast, slow), N


@pytest.mark.parametrize("order", [orders.blocked(4), orders.blocked(7), orders.split_k(3),
                                   orders.split_k(5, orders.pairwise())], ids=repr)
@pytest.mark.parametrize("fmt", ["float32", "bf16"])
@pytest.mark.parametrize("with_c", [False, True])
def test_sliced_orders_through_the_kernels_equal_the_engine(order, fmt, with_c, monkeypatch):
    # blocked and split_k run each slice through the C++ chain kernels (single-term slices
    # exact); K = 1, 2, 9, 29 give one-term, empty and ragged slices.
    rng = np.random.default_rng(7)
    acc = ro.Accumulator(fmt, order=order, a_fmt="bf16", b_fmt="bf16")
    for K in (1, 2, 9, 29):
        a = _inputs_with_specials(rng, (3, K), "bf16", 20, False)
        b = _inputs_with_specials(rng, (K, 10), "bf16", 20, False)
        c = _inputs_with_specials(rng, (3, 10), "bf16", 20, False) if with_c else None
        fast = ro.matmul(a, b, acc, c=c, codes=True)
        monkeypatch.setattr(ro.accumulate, "_NATIVE", False)
        slow = ro.matmul(a, b, acc, c=c, codes=True)
        monkeypatch.setattr(ro.accumulate, "_NATIVE", True)
        assert np.array_equal(fast, slow), K


# -- every accepted parameter: the fast paths and the general engine agree ----------------------
# Formats whose values are float32 values (inputs of a fused accumulator must be), and others.
INPUT_FORMATS = ["float32", "bfloat16", "float16", "float8_e4m3fn", "float8_e5m2", "tfloat32",
                 "float8_e4m3fnuz", "float6_e3m2fn", "float4_e2m1fn"]
ACC_FORMATS = INPUT_FORMATS + ["float64", ro.Format(6, 9), ro.Format(8, 13),
                               ro.Format(5, 4, subnormals=False)]
STEP_FORMATS = ["float32", "float16", "bfloat16", ro.Format(8, 13), ro.Format(6, 9),
                ro.Format(5, 2, bias=3)]
EVERY_ORDER = st.sampled_from(ALL_ORDERS + [orders.blocked(1), orders.blocked(8),
                                            orders.split_k(1), orders.split_k(5)])


@st.composite
def accumulators(draw):
    """An Accumulator with every field drawn (those Accumulator rejects are drawn again)."""
    fused = None
    if draw(st.booleans()):
        terms = draw(st.integers(1, 40))
        fused = ro.FusedAdder(
            terms, draw(st.integers(0, 51 - terms.bit_length())),
            draw(st.sampled_from(STEP_FORMATS)),
            draw(st.sampled_from(ro.MODES)), draw(st.integers(-512, 512)))
    kw = dict(
        fmt=draw(st.sampled_from(ACC_FORMATS)),
        rounding=draw(st.sampled_from(ro.MODES)),
        order=draw(EVERY_ORDER),
        a_fmt=draw(st.sampled_from([None] + INPUT_FORMATS)),
        b_fmt=draw(st.sampled_from([None] + INPUT_FORMATS)),
        input_rounding=draw(st.sampled_from(ro.MODES + ("truncate_bits",))),
        product_fmt=draw(st.sampled_from([None, None, "bfloat16", "float32", "float8_e5m2"])),
        product_rounding=draw(st.sampled_from(ro.MODES)),
        fma=draw(st.booleans()),
        fused=fused,
        seed=draw(st.integers(0, 2**64 - 1)),
        sr_bits=draw(st.integers(1, 32)),
        saturate=draw(st.booleans()),
        out_fmt=draw(st.sampled_from([None, "float32", "bfloat16", "float8_e4m3fn", "float16"])),
        out_rounding=draw(st.sampled_from(ro.MODES)),
        scale_order=draw(st.sampled_from(["acc*sa*sb", "acc*sb*sa", "acc*(sa*sb)", "cublaslt"])),
        k_order=draw(st.sampled_from([None, (0, 1, 4, 5, 2, 3, 6, 7), (1, 0)])),
    )
    # Half the draws take the shape of a fast path (cpp/src/matmul_driver.cpp); the rest of
    # their fields stay drawn.
    path = draw(st.sampled_from(["any", "any", "float32", "narrow", "sliced", "fused"]))
    if path in ("float32", "narrow", "sliced"):
        kw.update(fmt="float32" if path != "narrow" else draw(st.sampled_from(
            ["bfloat16", "float16"])), rounding="nearest_even", product_fmt=None, fma=True,
            saturate=draw(st.booleans()) and draw(st.booleans()))
        kw["order"] = orders.sequential() if path != "sliced" else draw(st.sampled_from(
            [orders.blocked(3), orders.blocked(16), orders.split_k(3),
             orders.split_k(4, orders.pairwise())]))
        if path == "narrow" or draw(st.booleans()):
            kw["a_fmt"], kw["b_fmt"] = (draw(st.sampled_from(
                ["bfloat16", "float16", "float8_e4m3fn", "float8_e5m2"])) for _ in "ab")
        if draw(st.booleans()):
            kw["fmt"] = draw(st.sampled_from(["float32", "bfloat16", "float16"]))
    if path == "fused" and fused is None:
        fused = kw["fused"] = hw.tensor_core(draw(st.sampled_from(["volta", "ampere", "hopper"])),
                                             "bfloat16", "bfloat16")
    if fused is not None:
        kw["a_fmt"] = kw["a_fmt"] or "bfloat16"
        kw["b_fmt"] = kw["b_fmt"] or "float8_e4m3fn"
        if draw(st.booleans()):
            kw["promote_every"] = fused.terms * draw(st.integers(1, 3))
        kw["split_k"] = draw(st.sampled_from([None, 1, 2, 3]))
    if draw(st.booleans()):
        out = ro.format(kw["out_fmt"] or ("float32" if fused is not None else kw["fmt"]))
        if out.has_nan:
            kw["out_nan"] = int(out.nan_code) | (1 if out.nonfinite == "ieee" else 0)
    try:
        return ro.Accumulator(**kw)
    except ValueError:
        hypothesis.reject()


def _operand(rng, shape, fmt, specials):
    v = rng.standard_normal(shape) * np.exp2(rng.integers(-20, 21, shape))
    v[rng.random(shape) < 0.15] = 0.0
    if specials and v.size:
        flat = v.reshape(-1)
        idx = rng.choice(flat.size, size=min(2, flat.size), replace=False)
        flat[idx] = rng.choice([np.inf, -np.inf, np.nan, -0.0], size=idx.size)
    return ro.quantize(v, fmt or "float32", saturate=True).astype(np.float32)


def _outcome(call):
    try:
        with np.errstate(all="ignore"):
            return call()
    except (ValueError, TypeError) as exc:
        return type(exc)


def _fast_paths_equal_the_engine(acc, data):
    """Whatever fast path an accumulator takes (C++ chains, fused kernel, sliced orders), its
    bits equal the general engine's, for every field the Accumulator accepts."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    M, K, N = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 40)), data.draw(
        st.integers(1, 6))
    specials = data.draw(st.booleans())
    a = _operand(rng, (M, K), acc.a_fmt, specials)
    b = _operand(rng, (K, N), acc.b_fmt, specials)
    c = _operand(rng, (M, N), "bfloat16", specials) if data.draw(st.booleans()) else None
    kw = {}
    if data.draw(st.booleans()):
        kw = dict(scale_a=np.float32(rng.choice([0.5, 3.0, 2.0**-7])),
                  scale_b=ro.quantize(rng.random((1, N)) + 0.5, "bfloat16").astype(np.float32))
    if data.draw(st.booleans()):  # float64 operands skip the float32-only shortcut
        a, b = a.astype(np.float64), b.astype(np.float64)
    if data.draw(st.booleans()):  # two batch elements: stochastic words run on across them
        a = np.stack([a, a[::-1]])
        c = None if c is None else np.stack([c, c])

    def run():
        return ro.matmul(a, b, acc, c=c, codes=True, **kw)

    fast = _outcome(run)
    ro.accumulate._NATIVE = False
    try:
        slow = _outcome(run)
    finally:
        ro.accumulate._NATIVE = True
    hypothesis.event("fused" if acc.fused is not None else acc.order.kind)
    hypothesis.event("float32 chain" if ro.accumulate._float32_fma_chain(acc) else
                     "narrow chain" if ro.accumulate._narrow_chain(acc, a, b) else "-")
    if isinstance(fast, type) or isinstance(slow, type):
        hypothesis.event(f"raised {getattr(fast, '__name__', '-')}")
        assert fast is slow, (fast, slow)
        return
    assert fast.dtype == slow.dtype
    bad = np.argwhere(fast != slow)
    assert bad.size == 0, [(tuple(i), int(fast[tuple(i)]), int(slow[tuple(i)])) for i in bad[:3]]


_FIELDS = dict(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
test_every_accumulator_field_fast_paths_equal_the_engine = settings(max_examples=200, **_FIELDS)(
    given(acc=accumulators(), data=st.data())(_fast_paths_equal_the_engine))
test_every_accumulator_field_fast_paths_equal_the_engine_long = pytest.mark.slow(
    settings(max_examples=5000, **_FIELDS)(
        given(acc=accumulators(), data=st.data())(_fast_paths_equal_the_engine)))
