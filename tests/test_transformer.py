"""roundoff.nn.transformer_block (one emulated pre-LN block) and its bound,
roundoff.bounds.transformer_block_bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roundoff import bounds
from roundoff.nn import BlockPrecision, transformer_block, transformer_block_reference


def _model(seed: int, n: int, d: int, fmt: str = "bf16"):
    import roundoff as ro
    rng = np.random.default_rng(seed)

    def values(a):
        return np.asarray(ro.decode(ro.encode(a, fmt), fmt, np.float64))

    w = {name: values(rng.standard_normal(shape) / math.sqrt(shape[0]))
         for name, shape in (("q", (d, d)), ("k", (d, d)), ("v", (d, d)), ("o", (d, d)),
                             ("1", (d, 4 * d)), ("2", (4 * d, d)))}
    return values(rng.standard_normal((n, d))), w


def _row_norms(a):
    return np.sqrt(np.sum(a * a, axis=-1))


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2 ** 16), n=st.integers(2, 40), heads=st.sampled_from([1, 2]),
       temperature=st.floats(0.25, 8.0), precision=st.sampled_from(["bf16", "fp16", "fp8"]))
def test_block_error_within_its_bound(seed, n, heads, temperature, precision):
    """Per token, the emulated block's distance to the float64 block is within the bound
    (the float64 block errs by ~1e-15, far inside the bound's slack)."""
    fmt = "fp16" if precision == "fp16" else "bf16"
    x, w = _model(seed, n, 64 * heads, fmt)
    y = transformer_block(x, w, precision, heads=heads, temperature=temperature)
    ref = transformer_block_reference(x, w, heads=heads, temperature=temperature)
    r = bounds.transformer_block_bound(x, w, precision, heads=heads, temperature=temperature,
                                       y=y)
    assert r.shape == (n,)
    assert np.all(_row_norms(y - ref) <= r)


def test_bound_carries_an_input_radius():
    """A perturbed input within x_radius: the exact block of the perturbed input stays within
    the bound around the emulated block of the original one, and the bound grows with the
    radius."""
    x, w = _model(3, 24, 64)
    delta = np.random.default_rng(4).standard_normal(x.shape) * 0.1
    y = transformer_block(x, w, "bf16")
    ref = transformer_block_reference(x + delta, w)
    r = bounds.transformer_block_bound(x, w, "bf16", x_radius=_row_norms(delta), y=y)
    r0 = bounds.transformer_block_bound(x, w, "bf16", y=y)
    assert np.all(_row_norms(y - ref) <= r) and np.all(r > r0)


def _scaled_model(fmt):
    """GPT-2's residual scaling (Wo and W2 times 1/sqrt(2)), as the study's one-block model."""
    import roundoff as ro
    x, w = _model(5, 32, 128, fmt)
    for name in ("o", "2"):
        w[name] = np.asarray(ro.decode(ro.encode(w[name] / math.sqrt(2), fmt), fmt,
                                       np.float64))
    return x, w


def test_bound_is_informative_for_fp16_after_one_block():
    """A worst case (errors aligned with the most harmful direction at every step): about
    350 times the error after one block, whatever the format; below the output's size for
    fp16, while bf16's 8 times larger unit brings it to the output's size."""
    for fmt, below in (("fp16", 0.2), ("bf16", 1.5)):
        x, w = _scaled_model(fmt)
        y = transformer_block(x, w, fmt, heads=2)
        ref = transformer_block_reference(x, w, heads=2)
        r = bounds.transformer_block_bound(x, w, fmt, heads=2, y=y)
        err = _row_norms(y - ref)
        assert r.max() < below * _row_norms(ref).max() and r.max() < 500 * err.max(), fmt


def test_bound_catches_a_wrong_block():
    """An implementation that drops the attention output of one token (a masking bug) is
    outside the fp16 bound for that token."""
    x, w = _scaled_model("fp16")
    y = transformer_block(x, w, "fp16", heads=2)
    r = bounds.transformer_block_bound(x, w, "fp16", heads=2, y=y)
    ref = transformer_block_reference(x, w, heads=2)
    import roundoff._transformer as T
    h = T.layer_norm64(x)
    q, k, v = (T.split_heads(h @ w[n], 2) for n in "qkv")
    attn = T.merge_heads(T.attention64(q, k, v, 1 / 8, True)) @ w["o"]
    wrong = y.copy()
    wrong[5] -= attn[5]  # token 5 without its attention term
    assert np.all(_row_norms(y - ref) <= r) and _row_norms(wrong - ref)[5] > r[5]


def test_precisions_differ_as_their_formats():
    """fp16 keeps 3 more bits than bf16; FP8 linear layers lose many: the errors say so."""
    x, w = _model(6, 32, 64)
    ref = transformer_block_reference(x, w)
    err = {p: float(_row_norms(transformer_block(x, w, p) - ref).max())
           for p in ("bf16", "fp8")}
    x16, w16 = _model(6, 32, 64, "fp16")
    err["fp16"] = float(_row_norms(transformer_block(x16, w16, "fp16") -
                                   transformer_block_reference(x16, w16)).max())
    assert err["fp16"] < err["bf16"] / 3 < err["fp8"] / 10


def test_bad_arguments_name_the_argument():
    x, w = _model(7, 8, 64)
    with pytest.raises(ValueError, match="precision"):
        transformer_block(x, w, "int8")
    with pytest.raises(ValueError, match="linear"):
        BlockPrecision(linear="int8")
    with pytest.raises(ValueError, match="x_radius"):
        bounds.transformer_block_bound(x, w, x_radius=np.zeros(3))
    with pytest.raises(ValueError, match="y"):
        bounds.transformer_block_bound(x, w, y=np.zeros_like(x))
