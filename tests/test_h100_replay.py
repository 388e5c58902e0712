"""Replay of the vectors captured on an H100 (tests/data/h100, tools/capture_h100.py): every
hardware preset must reproduce every captured output bit for bit, NaN codes included.

The captures hold the GPU's input codes and output codes (torch.mm through cuBLASLt, FP8
torch._scaled_mm, Triton tl.dot); nothing in them comes from a model.
"""

from __future__ import annotations

import json
import pathlib

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro
from roundoff import hw

DATA = pathlib.Path(__file__).parent / "data" / "h100"
FAMILIES = ("matmul", "scaled_mm", "triton_dot")
_VIEW = {"float8_e4m3fn": ml_dtypes.float8_e4m3fn, "float8_e5m2": ml_dtypes.float8_e5m2,
         "bfloat16": ml_dtypes.bfloat16, "float16": np.float16, "tfloat32": np.float32,
         "float32": np.float32}


def _load():
    out = []
    for fam in FAMILIES:
        z = np.load(DATA / f"{fam}.npz")
        for case in json.loads(str(z["cases"])):
            out.append(pytest.param(fam, case, id=case["name"]))
    return out


CASES = _load()
_ARRAYS = {fam: np.load(DATA / f"{fam}.npz") for fam in FAMILIES}


def preset_for(case: dict) -> ro.Accumulator:
    """The preset a user would pick for the captured kernel, with its captured parameters."""
    p, fa, fb, out = case["params"], case["in_dtype_a"], case["in_dtype_b"], case["out_dtype"]
    if case["family"] == "matmul":
        return hw.preset("h100.cublas_gemm", a_fmt=fa, out_fmt=out)
    if case["family"] == "scaled_mm":
        return hw.preset("h100.cublas_scaled_mm", a_fmt=fa, b_fmt=fb,
                         fast_accum=p["use_fast_accum"], out_fmt=out)
    return hw.preset("h100.triton_dot", a_fmt=fa, b_fmt=fb, block_m=p["BLOCK_M"],
                     max_num_imprecise_acc=p["max_num_imprecise_acc"], out_fmt=out)


def test_the_captures_are_all_here():
    assert len(CASES) == 138
    manifest = json.loads((DATA / "manifest.json").read_text())
    assert "H100" in json.dumps(manifest)


@pytest.mark.parametrize("family, case", CASES)
def test_preset_reproduces_h100(family, case):
    z = _ARRAYS[family]
    n = case["name"]
    # Inputs as the GPU held them: FP8/bf16/fp16 codes as values, float32 (tf32) as float32.
    a, b = (z[f"{n}__{x}"].view(_VIEW[case[f"in_dtype_{x}"]]) for x in ("a", "b"))
    kw = {}
    if family == "scaled_mm":
        kw = dict(scale_a=z[f"{n}__scale_a"].view(np.float32),
                  scale_b=z[f"{n}__scale_b"].view(np.float32))
    got = ro.matmul(a, b, preset_for(case), codes=True, **kw)
    want = z[f"{n}__out"]
    bad = np.argwhere(got != want)
    assert bad.size == 0, (f"{len(bad)} of {want.size} differ, e.g. "
                           + ", ".join(f"{tuple(i)}: {int(got[tuple(i)]):#x} vs "
                                       f"{int(want[tuple(i)]):#x}" for i in bad[:3]))
