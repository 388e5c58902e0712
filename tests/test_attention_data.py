"""The captured GPU attention cases (tests/data/attention_sm90, tools/capture_attention.py):
what tests/test_attention.py replays roundoff.attention against. These tests pin the data
themselves."""

from __future__ import annotations

import functools
import json
import pathlib

import numpy as np
import pytest

import roundoff as ro

DATA = pathlib.Path(__file__).parent / "data" / "attention_sm90"


@functools.lru_cache(maxsize=None)
def load(folder: str, stem: str):
    """A capture's JSON record and its arrays: tests/data/FOLDER/STEM.json and .npz."""
    path = DATA.parent / folder
    with open(path / f"{stem}.json") as fh:
        meta = json.load(fh)
    return meta, np.load(path / f"{stem}.npz")


def capture():
    return load("attention_sm90", "attention")


def test_provenance_is_recorded():
    meta, _ = capture()
    env = meta["environment"]
    assert env["gpu"] == "NVIDIA H200" and env["capability"] == [9, 0]
    assert env["torch"].startswith("2.11") and "580." in env["nvidia_smi"]
    assert meta["script"] == "tools/capture_attention.py" and len(meta["cases"]) == 28


def test_inputs_are_numpy_draws_rounded_to_nearest_even():
    """The inputs regenerate on any machine: default_rng(seed) standard normals times the
    case's scale in float32, rounded to the dtype by torch (nearest-even, as roundoff's cast)."""
    meta, z = capture()
    for case in meta["cases"]:
        B, Hq, Hkv, Sq, Sk, D = case["shape"]
        rng = np.random.default_rng(case["seed"])
        s = case["input_scale"]
        for name, shape, scale in (("q", (B, Hq, Sq, D), s), ("k", (B, Hkv, Sk, D), s),
                                   ("v", (B, Hkv, Sk, D), 1.0), ("do", (B, Hq, Sq, D), 1.0)):
            x = rng.standard_normal(shape).astype(np.float32) * np.float32(scale)
            want = ro.encode(x, "bf16" if case["dtype"] == "bfloat16" else "fp16")
            assert np.array_equal(z[f"{case['name']}__{name}"], want), (case["name"], name)


def test_outputs_have_the_inputs_shapes_and_flash_forward_is_deterministic():
    meta, z = capture()
    for case in meta["cases"]:
        n = case["name"]
        for out, inp in (("o", "q"), ("dq", "q"), ("dk", "k"), ("dv", "v")):
            assert z[f"{n}__flash_{out}"].shape == z[f"{n}__{inp}"].shape
        B, Hq, _, Sq, _, _ = case["shape"]
        lse = z[f"{n}__flash_lse"]
        assert lse.dtype == np.float32 and lse.shape == (B, Hq, Sq) and np.all(np.isfinite(lse))
        assert case["lse_output_equal"]
        # O, dK and dV repeat bit for bit; dQ (added across key blocks with atomics) may not.
        assert all(case["repeat_equal"][t] for t in ("o", "dk", "dv")), n


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_flash_output_is_close_to_the_exact_attention(dtype):
    """A sanity check of what was captured (not a model): O within 2^-6 relative of the float64
    attention of the captured inputs, everywhere, for every case of the dtype."""
    meta, z = capture()
    for case in (c for c in meta["cases"] if c["dtype"] == dtype):
        n = case["name"]
        B, Hq, Hkv, Sq, Sk, D = case["shape"]
        fmt = "bf16" if dtype == "bfloat16" else "fp16"
        q, k, v = (ro.decode(z[f"{n}__{t}"], fmt) for t in ("q", "k", "v"))
        k = np.repeat(k, Hq // Hkv, axis=1)
        v = np.repeat(v, Hq // Hkv, axis=1)
        s = q @ np.swapaxes(k, -1, -2) * case["softmax_scale"]
        if case["causal"]:  # lower-right aligned: query i sees keys j <= i + Sk - Sq
            keep = np.arange(Sk)[None, :] <= np.arange(Sq)[:, None] + (Sk - Sq)
            s = np.where(keep, s, -np.inf)
        m = s.max(axis=-1, keepdims=True)
        p = np.exp(s - m)
        o = (p / p.sum(axis=-1, keepdims=True)) @ v
        lse = (m[..., 0] + np.log(p.sum(axis=-1)))
        got = ro.decode(z[f"{n}__flash_o"], fmt)
        scale = np.abs(o).max(axis=-1, keepdims=True) + np.abs(v).max()
        assert np.all(np.abs(got - o) <= 2.0 ** -6 * scale), n
        assert np.allclose(z[f"{n}__flash_lse"], lse, rtol=2.0 ** -16, atol=2.0 ** -14), n
