"""roundoff.attention against the round-off bound of bounds.attention_bound and against
FlashAttention's acceptance rule.

The reference is the exact attention of the inputs' values, evaluated here in float64 (its
error, about 1e-16 of max|v|, is far below every bound checked); shapes, blocks, recipe
variants and data are drawn by Hypothesis.
"""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roundoff as ro
from roundoff import bounds
from roundoff._attention import RECIPES, NaiveAttention

DTYPES = {"bf16": ml_dtypes.bfloat16, "fp16": np.float16}
# The bound covers the single-pass kernel: PyTorch's split-KV path (few row tiles) is off here.
TORCH = dataclasses.replace(RECIPES["torch_sdpa_flash.sm90"], split_kv_sms=None)
TRITON = RECIPES["triton_tutorial.sm90"]
FP8 = RECIPES["fp8_fa3.sm90"]


def _reference(q, k, v, causal=False, scale=None):
    """softmax(q k^T scale) v in float64, grouped-query heads repeated, rows without a
    visible key (lower-right aligned causal mask) 0."""
    q, k, v = (np.asarray(t, dtype=np.float64) for t in (q, k, v))
    group = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    sc = q.shape[-1] ** -0.5 if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * sc
    sq, sk = s.shape[-2:]
    visible = np.ones((sq, sk), bool)
    if causal:
        visible = np.arange(sk)[None, :] <= np.arange(sq)[:, None] + (sk - sq)
    s = np.where(visible, s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    live = np.isfinite(m)
    e = np.exp(s - np.where(live, m, 0.0))
    return np.where(live, (e @ v) / np.where(live, e.sum(axis=-1, keepdims=True), 1.0), 0.0)


def _inputs(seed, dtype, heads, sq, sk, d, spread=1.0, v_shift=0.0):
    """q (1, hq, sq, d), k and v (1, hkv, sk, d) of normal values: q, k times ``spread``
    (peaked attention for larger values), v shifted by ``v_shift``."""
    rng = np.random.default_rng(seed)
    hq, hkv = heads
    q = (rng.standard_normal((1, hq, sq, d)) * spread).astype(dtype)
    k = (rng.standard_normal((1, hkv, sk, d)) * spread).astype(dtype)
    v = (rng.standard_normal((1, hkv, sk, d)) + v_shift).astype(dtype)
    return q, k, v


def _check(q, k, v, recipe, causal, scale=None):
    """The measured error within the bound, elementwise; returns (error, bound)."""
    out, _ = ro.attention(q, k, v, recipe, causal=causal, scale=scale)
    err = np.abs(out.astype(np.float64) - _reference(q, k, v, causal, scale))
    bound = bounds.attention_bound(q, k, v, recipe, causal=causal, scale=scale)
    assert bound.shape == q.shape and bound.dtype == np.float64
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), (worst, err[worst], bound[worst])
    return err, bound


shapes = st.tuples(st.integers(1, 200), st.integers(1, 200), st.sampled_from([64, 128]))
heads = st.sampled_from([(1, 1), (2, 1), (2, 2)])
data = st.tuples(st.integers(0, 2**32 - 1), st.sampled_from([0.5, 1.0, 3.0]),
                 st.sampled_from([0.0, 4.0]))
blocked_variant = st.fixed_dictionaries({
    "block_n": st.sampled_from([16, 32, 64, 128]),
    "key_order": st.sampled_from(["forward", "reverse"]),
    "scale": st.sampled_from(["unfused", "fused", "prescaled_q"]),
    "row_sum": st.sampled_from(["per_thread", "per_block"]),
    "epilogue": st.sampled_from(["reciprocal", "divide", "div_full"]),
    "exp": st.sampled_from(["cr", "sm90:ex2.approx.f32", "sm90:ex2.approx.ftz.f32"]),
    "pv": st.sampled_from(["h100.mma", "h100.wgmma", ro.Accumulator("float32")]),
    "p_scale": st.sampled_from([1.0, 1.0, 256.0]),
})


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([TORCH, TRITON]), blocked_variant, st.booleans(),
       st.sampled_from(["bf16", "fp16"]), shapes, heads, st.booleans(), data)
def test_blocked_error_within_the_bound(base, variant, use_variant, dtype, shape, hs,
                                        causal, drawn):
    recipe = dataclasses.replace(base, **variant) if use_variant else base
    sq, sk, d = shape
    if causal and recipe.scale == "fused":
        sq = sk  # Triton's causal diagonal needs S_q == S_k
    seed, spread, shift = drawn
    _check(*_inputs(seed, DTYPES[dtype], hs, sq, sk, d, spread, shift), recipe, causal)


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(["per_tensor", "per_block"]), st.sampled_from([64, 128]),
       st.sampled_from([1.0, 256.0]), st.sampled_from(["bf16", "fp16"]), shapes,
       st.booleans(), data)
def test_fp8_error_within_the_bound(scaling, block_n, p_scale, dtype, shape, causal, drawn):
    recipe = dataclasses.replace(FP8, qkv_scaling=scaling, block_n=block_n, p_scale=p_scale)
    seed, spread, shift = drawn
    _check(*_inputs(seed, DTYPES[dtype], (2, 1), *shape, spread, shift), recipe, causal)


naive_variant = st.fixed_dictionaries({
    "scale_at": st.sampled_from(["both_sqrt", "q", "k", "scores"]),
    "compute": st.sampled_from([None, "float32"]),
    "p_format": st.sampled_from([None, "bf16"]),
})


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["naive", "naive_lowp", "variant"]), naive_variant,
       st.sampled_from(["bf16", "fp16"]), shapes, st.booleans(), data,
       st.sampled_from([None, 0.3]))
def test_naive_error_within_the_bound(name, variant, dtype, shape, causal, drawn, scale):
    recipe = NaiveAttention(**variant) if name == "variant" else name
    seed, spread, shift = drawn
    _check(*_inputs(seed, DTYPES[dtype], (1, 1), *shape, spread, shift), recipe, causal,
           scale)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["bf16", "fp16"]), st.integers(1, 40), st.integers(1, 40),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_exact_is_within_half_a_spacing(dtype, sq, sk, causal, seed):
    sq = min(sq, sk) if causal else sq  # every row sees a key
    q, k, v = _inputs(seed, DTYPES[dtype], (1, 1), sq, sk, 64)
    err, bound = _check(q, k, v, "exact", causal)
    # half a spacing at |O|: at most 2^-p |O| (u |O|), or half the smallest subnormal
    ref = np.abs(_reference(q, k, v, causal))
    u = bounds.unit_roundoff(dtype)
    floor = {"bf16": 2.0**-134, "fp16": 2.0**-25}[dtype]
    assert np.all(bound <= np.maximum(u * ref * (1 + 2.0**-30), floor))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["torch_sdpa_flash.sm90", "triton_tutorial.sm90"]),
       st.sampled_from(["bf16", "fp16"]), shapes, heads, st.booleans(), data)
def test_flash_attention_acceptance_rule(name, dtype, shape, hs, causal, drawn):
    """FlashAttention's own test criterion (tests/test_flash_attn.py): the kernel's largest
    error against the float64 reference is at most twice that of the reference computed in
    the input dtype with the scale applied to k (recipe "naive_lowp")."""
    sq, sk, d = shape
    if causal and name.startswith("triton"):
        sq = sk
    seed, spread, shift = drawn
    q, k, v = _inputs(seed, DTYPES[dtype], hs, sq, sk, d, spread, shift)
    ref = _reference(q, k, v, causal)
    out = ro.attention(q, k, v, name, causal=causal)[0].astype(np.float64)
    low = ro.attention(q, k, v, "naive_lowp", causal=causal)[0].astype(np.float64)
    assert np.abs(out - ref).max() <= 2 * np.abs(low - ref).max()


def test_the_bound_catches_a_kernel_that_accumulates_in_bf16():
    """A kernel whose P V accumulator is bf16 while its recipe says float32: the bound of
    the stated recipe fails."""
    q, k, v = _inputs(7, ml_dtypes.bfloat16, (1, 1), 64, 200, 64, v_shift=4.0)
    bad = dataclasses.replace(TORCH, pv=ro.Accumulator("bf16"))
    out, _ = ro.attention(q, k, v, bad)
    err = np.abs(out.astype(np.float64) - _reference(q, k, v))
    assert np.any(err > bounds.attention_bound(q, k, v, TORCH))
    _check(q, k, v, TORCH, False)  # the stated kernel itself is within


def test_the_bound_catches_a_few_ulps():
    """Where the bound is at most a few units of O's last place, O moved by that many is
    caught: the bound is elementwise and not vacuous."""
    dtype = np.float16
    q, k, v = _inputs(3, dtype, (1, 1), 50, 120, 128)
    err, bound = _check(q, k, v, TORCH, False)
    out = ro.attention(q, k, v, TORCH)[0]
    ulp = np.abs(np.spacing(out)).astype(np.float64)
    assert np.median(bound / ulp) < 8  # a tight bound: a few ulps
    shifted = out.astype(np.float64) + 8 * ulp * np.sign(_reference(q, k, v) - out)
    bad = np.abs(shifted - _reference(q, k, v))
    assert np.mean(bad > bound) > 0.5


def test_rows_without_a_visible_key_are_bounded_by_zero():
    q, k, v = _inputs(5, ml_dtypes.bfloat16, (1, 1), 9, 4, 64)
    for recipe in ("torch_sdpa_flash.sm90", "naive", "naive_lowp",
                   "fp8_fa3.sm90"):
        err, bound = _check(q, k, v, recipe, True)
        assert np.all(bound[..., :5, :] == 0) and np.all(bound[..., 5:, :] > 0)


def test_bound_of_recipe_objects_and_names_agree():
    q, k, v = _inputs(11, np.float16, (2, 1), 20, 70, 64)
    assert np.array_equal(bounds.attention_bound(q, k, v, "triton_tutorial.sm90"),
                          bounds.attention_bound(q, k, v, TRITON))
    with pytest.raises(ValueError, match="recipe"):
        bounds.attention_bound(q, k, v, "no_such_recipe")


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.sampled_from([TORCH, TRITON, FP8]), blocked_variant, st.booleans(),
       st.sampled_from(["bf16", "fp16"]), shapes, heads, st.booleans(), data)
def test_blocked_error_within_the_bound_long(base, variant, use_variant, dtype, shape, hs,
                                             causal, drawn):
    recipe = dataclasses.replace(base, **variant) if use_variant else base
    if base is FP8 and use_variant:
        recipe = dataclasses.replace(recipe, pv=FP8.pv)  # FP8 P needs an FP8 tensor core
    sq, sk, d = shape
    if causal and recipe.scale == "fused":
        sq = sk
    seed, spread, shift = drawn
    _check(*_inputs(seed, DTYPES[dtype], hs, sq, sk, d, spread, shift), recipe, causal)


def test_the_split_kv_path_is_refused_by_name():
    """Few row tiles and keys over several split blocks: PyTorch's split-KV path, which the
    bound does not cover; the error names the recipe and says what to do."""
    q, k, v = _inputs(12, ml_dtypes.bfloat16, (1, 1), 16, 300, 64)
    with pytest.raises(ValueError, match="recipe: .*split-KV"):
        bounds.attention_bound(q, k, v, "torch_sdpa_flash.sm90")
    _check(q, k, v, TORCH, False)  # the single-pass kernel is bounded
