"""Building blocks: the PyTorch sm_90 presets against captures (tests/data/torch_sm90), the
recipe machinery against independent computations, and bad input."""

from __future__ import annotations

import dataclasses
import functools
import json
import os

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro
from roundoff import nn

DATA = os.path.join(os.path.dirname(__file__), "data", "torch_sm90")
DTYPES = {"bfloat16": ml_dtypes.bfloat16, "float16": np.float16}


@functools.lru_cache(maxsize=None)
def capture():
    with open(os.path.join(DATA, "torch_blocks.json")) as fh:
        meta = json.load(fh)
    with np.load(os.path.join(DATA, "torch_blocks.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    return meta, arrays


def _cases(kind):
    meta, _ = capture()
    return [c for c in meta["cases"] if (("shape" in c) == (kind == "rows"))]


def assert_bits(got, want, dtype, what):
    got = np.asarray(got).view(np.uint16).ravel()
    want = np.asarray(want).view(np.uint16).ravel()
    nan = np.isnan(want.view(DTYPES[dtype]).astype(np.float32))
    assert np.array_equal(np.isnan(got.view(DTYPES[dtype]).astype(np.float32)), nan), what
    bad = np.flatnonzero((got != want) & ~nan)
    assert bad.size == 0, f"{what}: {bad.size} of {got.size} differ, first at {bad[:5]}"


@pytest.mark.parametrize("case", _cases("rows"), ids=lambda c: c["name"])
def test_pytorch_preset_rows_bit_exact(case):
    _, arrays = capture()
    dt = DTYPES[case["dtype"]]
    x = arrays[case["name"] + "__x"].view(dt)
    op = case["op"]
    if op in ("softmax", "log_softmax"):
        got = getattr(nn, op)(x, "pytorch_sm90")
    elif op == "layer_norm":
        w = arrays.get(case["name"] + "__w")
        b = arrays.get(case["name"] + "__b")
        got = nn.layer_norm(x, None if w is None else w.view(dt),
                                None if b is None else b.view(dt), case["eps"], "pytorch_sm90")
    else:
        got = nn.rms_norm(x, arrays[case["name"] + "__w"].view(dt), case["eps"],
                              "pytorch_sm90")
    assert got.dtype == np.dtype(dt)
    assert_bits(got, arrays[case["name"] + "__out"], case["dtype"], case["name"])


@pytest.mark.parametrize("case", _cases("elementwise"), ids=lambda c: c["name"])
def test_pytorch_preset_activations_every_code(case):
    _, arrays = capture()
    x = np.arange(65536, dtype=np.uint16).view(DTYPES[case["dtype"]])
    op = case["op"]
    if op == "silu":
        got = nn.silu(x, "pytorch_sm90")
    else:
        got = nn.gelu(x, "tanh" if op == "gelu_tanh" else "none", "pytorch_sm90")
    assert_bits(got, arrays[case["name"] + "__out"], case["dtype"], case["name"])


def test_pytorch_preset_kernel_choice():
    """The preset follows the kernels the profiler saw for each captured length."""
    meta, _ = capture()
    for c in meta["cases"]:
        if "shape" not in c:
            continue
        n = c["shape"][1]
        recipe = nn.pytorch_sm90(c["op"], n)
        kernels = " ".join(c["kernels"])
        if c["op"] in ("softmax", "log_softmax"):
            family = ("softmax_warp_forward" if recipe.sum.threads == "warp_pow2" else
                      "cunn_SoftMaxForwardSmem" if recipe.sum.assign == "vec8" else
                      "cunn_SoftMaxForwardReg")
        else:
            family = ("vectorized_layer_norm_kernel" if recipe.moments.assign == "vec4" else
                      "RowwiseMomentsCUDAKernel")
        assert family in kernels, (c["name"], family)


# ---- the recipe machinery ----

def test_native_float32_unit_equals_roundoff_ops():
    """The float32 fast path (NumPy IEEE binary32) is roundoff's add/sub/mul/div into float32."""
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(20000) * 2.0 ** rng.integers(-140, 120, 20000)).astype(np.float32)
    b = (rng.standard_normal(20000) * 2.0 ** rng.integers(-140, 120, 20000)).astype(np.float32)
    a[:6] = [0.0, -0.0, np.inf, 1e-45, 3.4e38, np.nan]
    u = nn.Unit("float32")
    assert u.native
    for op in ("add", "sub", "mul", "div"):
        with np.errstate(all="ignore"):
            got = getattr(u, op)(a, b)
        want = getattr(ro, op)(a, b, "float32", dtype=np.float32)
        assert np.array_equal(got.view(np.uint32)[~np.isnan(want)],
                              want.view(np.uint32)[~np.isnan(want)]), op
        assert np.array_equal(np.isnan(got), np.isnan(want)), op


def _fold_exact(red, values):
    """fold with exact integer arithmetic (Python ints in object arrays): any tree gives the
    plain sum, so this checks that every value is taken exactly once."""
    (s,) = red.fold((values.astype(object),), (0,),
                    lambda st, v, ok: (np.where(ok, st[0] + v[0], st[0]),),
                    lambda a, b: (a[0] + b[0],))
    return s


@pytest.mark.parametrize("red", [nn.Reduction(), nn.Reduction("warp_pow2", warp="butterfly"),
                                 nn.Reduction("block_1024"), nn.Reduction(128, "vec4", block="halving"),
                                 nn.Reduction(64, "vec8"), nn.Reduction(7)])
@pytest.mark.parametrize("n", [1, 5, 32, 100, 2048, 4104])
def test_reduction_takes_every_value_once(red, n):
    if red.assign == "vec4" and n % 4 or red.assign == "vec8" and n % 8:
        with pytest.raises(ValueError, match="divisible"):
            _fold_exact(red, np.ones((1, n), dtype=np.int64))
        return
    rng = np.random.default_rng(n)
    values = rng.integers(-1000, 1000, (2, n))
    assert _fold_exact(red, values).tolist() == values.sum(axis=1).tolist()


def test_reduction_order_is_the_stated_tree():
    """Orders differ observably: summing 1, 2^24, -2^24 in float32 sequentially loses the 1;
    a butterfly over 4 lanes pairs 1 with -2^24 first."""
    x = np.array([[1.0, 2.0 ** 24, -(2.0 ** 24), 0.0]], dtype=np.float32)
    u = nn.Unit("float32")
    add = (lambda st, v, ok: (np.where(ok, u.add(st[0], v[0]), st[0]),),
           lambda a, b: (u.add(a[0], b[0]),))
    zero = (np.zeros((), np.float32),)
    assert nn.Reduction().fold((x,), zero, *add)[0][0] == 0.0      # (1 + 2^24) - 2^24
    # lanes 0..3; butterfly: lane 0 + lane 2 = 1 - 2^24, lane 1 + lane 3 = 2^24; then 1
    assert nn.Reduction(4, warp="butterfly").fold((x,), zero, *add)[0][0] == 1.0


def test_default_recipes_are_close_to_exact():
    """The default recipes (float32 steps, correctly rounded functions) against float64
    references: within a few float32 ulps before the final rounding into float32."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((4, 257)) * 3).astype(np.float32)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    ref = {"softmax": e / e.sum(axis=1, keepdims=True)}
    ref["log_softmax"] = np.log(ref["softmax"])
    mu = x64.mean(axis=1, keepdims=True)
    ref["layer_norm"] = (x64 - mu) / np.sqrt(((x64 - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5)
    ref["rms_norm"] = x64 / np.sqrt((x64 ** 2).mean(axis=1, keepdims=True) + 1e-6)
    for name, want in ref.items():  # norms: errors relative to the row's scale (about 1)
        got = getattr(nn, name)(x).astype(np.float64)
        scale = np.abs(want) if "softmax" in name else np.maximum(np.abs(want), 1.0)
        assert (np.abs(got - want) / scale).max() < 64 * 2.0 ** -24, name


def test_what_if_bf16_accumulation_changes_the_sum():
    """A recipe is data: the same softmax with the row sum accumulated in bf16."""
    x = np.linspace(-3, 3, 3000).astype(np.float32)[None, :]
    base = nn.softmax(x, nn.Softmax())
    bf16 = nn.softmax(x, dataclasses.replace(nn.Softmax(), compute="bf16"))
    assert not np.array_equal(base, bf16)
    exact = np.exp(x.astype(np.float64) - 3) / np.exp(x.astype(np.float64) - 3).sum()
    assert np.abs(bf16 - exact).max() > np.abs(base - exact).max()


def test_gelu_silu_defaults_match_exact_values():
    """Default activation recipes on every BF16 code, against float64 formulas: the float32
    steps keep them within one BF16 ulp of the exact value, except where GELU's 1 + erf(x /
    sqrt 2) cancels (x < -3: float32 keeps erf's absolute error, 2^-25, of a value near 1e-6;
    the formula, as PyTorch evaluates it, loses its relative accuracy there)."""
    from math import erf
    x = np.arange(65536, dtype=np.uint16).view(ml_dtypes.bfloat16)
    with np.errstate(all="ignore"):
        xf = x.astype(np.float64)
        exact = {"gelu": 0.5 * xf * (1 + np.vectorize(erf)(xf / np.sqrt(2.0))),
                 "silu": xf / (1 + np.exp(-xf))}
        for name, want in exact.items():
            got = getattr(nn, name)(x).astype(np.float64)
            ok = np.isfinite(want) & (np.abs(want) > 2.0 ** -120) & ((xf > -3) | (name != "gelu"))
            ulp = 2.0 ** (np.floor(np.log2(np.abs(want[ok]))) - 7)
            assert np.all(np.abs(got[ok] - want[ok]) <= ulp), name


def test_scaled_softmax_recipes():
    """scale = 1 changes nothing; fusing x * scale into the subtraction changes some bits (one
    rounding fewer); base 2 with log2(e) folded into the scale is softmax(scale * x) up to the
    folded constant's rounding."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((8, 300)) * 20).astype(ml_dtypes.bfloat16)
    assert np.array_equal(nn.softmax(x, nn.Softmax(scale=1.0), fmt="float32"),
                          nn.softmax(x, nn.Softmax(), fmt="float32"))
    fused = nn.softmax(x, nn.Softmax(scale=0.0883883, subtract="fused"), fmt="float32")
    separate = nn.softmax(x, nn.Softmax(scale=0.0883883), fmt="float32")
    assert not np.array_equal(fused, separate)
    base2 = nn.softmax(x, nn.Softmax(scale=0.0883883 * 1.4426950408889634, exp_base="2",
                                     exp="sm90:ex2.approx.ftz.f32"), fmt="float32")
    assert np.max(np.abs(base2.astype(np.float64) - separate) / separate) < 2.0 ** -18
    with pytest.raises(ValueError, match="log_softmax takes exp_base"):
        nn.log_softmax(x, nn.Softmax(exp_base="2"))
    with pytest.raises(ValueError, match="scale"):
        nn.Softmax(scale=-1.0)
    with pytest.raises(ValueError, match="subtract"):
        nn.Softmax(subtract="fma")


# ---- bad input ----

def test_bad_input():
    x = np.ones((2, 8), dtype=np.float32)
    with pytest.raises(ValueError, match="recipe: a Softmax or one of"):
        nn.softmax(x, "pytorch_sm80")
    with pytest.raises(TypeError, match="recipe: expected a Softmax"):
        nn.softmax(x, nn.Norm())
    with pytest.raises(ValueError, match="axis"):
        nn.softmax(x, axis=2)
    with pytest.raises(ValueError, match="weight: shape"):
        nn.layer_norm(x, np.ones(3))
    with pytest.raises(ValueError, match="divisible"):
        nn.softmax(np.ones((1, 9)), nn.Softmax(sum=nn.Reduction(4, "vec4")))
    with pytest.raises(ValueError, match="threads"):
        nn.Reduction(48)
    with pytest.raises(ValueError, match="warp"):
        nn.Reduction(32, warp="ring")
    with pytest.raises(ValueError, match="statistics"):
        nn.Norm(statistics="welford")
    with pytest.raises(ValueError, match="rms_norm takes statistics"):
        nn.rms_norm(x, recipe=nn.Norm(statistics="welford_cuda"))
    with pytest.raises(ValueError, match="not modelled"):
        nn.softmax(np.ones((1, 20001), dtype=np.float16), "pytorch_sm90")
    with pytest.raises(ValueError, match="approximate"):
        nn.gelu(x, "erf")
    with pytest.raises(ValueError, match="eps"):
        nn.layer_norm(x, eps=-1.0)
    with pytest.raises(ValueError, match="x: needs at least one dimension"):
        nn.softmax(1.0)
    y = x.copy()
    nn.layer_norm(x, np.ones(8), np.zeros(8))
    assert np.array_equal(x, y)
