"""Vectors captured on real GPUs (tools/capture_h100.py): load them and replay them through the
hardware presets, bit for bit.

A capture file is a NumPy ``.npz``: ``cases`` (JSON: one dict per case with ``name``,
``family``, ``in_dtype_a``, ``in_dtype_b``, ``out_dtype``, ``params``, ...) and, per case,
``<name>__a``, ``<name>__b``, ``<name>__out`` (raw codes; ``__scale_a``/``__scale_b`` for
scaled products). The full H100 set is in the repository's tests/data/h100 (its README gives
the schema); a small sample ships with the package (:data:`SAMPLE`).
"""

from __future__ import annotations

import json
import pathlib
import zipfile
import zlib
from typing import Any, Dict, Iterator, List, NamedTuple, Tuple, Union

import ml_dtypes
import numpy as np

from . import hw
from .accumulate import Accumulator, matmul

__all__ = ["SAMPLE", "Replay", "cases", "preset_for", "replay"]

SAMPLE = pathlib.Path(__file__).parent / "data" / "h100_sample.npz"
"""Four H100 cases: FP8 ``torch._scaled_mm`` with and without fast accumulation (K = 1024),
a bf16 ``torch.mm`` with bf16 output, and a Triton FP8 ``tl.dot`` on an mma.sync tile."""

Case = Dict[str, Any]
"""One case as the file's ``cases`` JSON describes it."""
CaseArrays = Dict[str, np.ndarray]
"""One case's arrays by name: ``a``, ``b``, ``out``, and ``scale_a``/``scale_b`` if scaled."""

_VIEW = {"float8_e4m3fn": ml_dtypes.float8_e4m3fn, "float8_e5m2": ml_dtypes.float8_e5m2,
         "bfloat16": ml_dtypes.bfloat16, "float16": np.float16, "tfloat32": np.float32,
         "float32": np.float32}


class Replay(NamedTuple):
    """One replayed case: its name, how many output elements match the GPU's bits, and how
    many there are."""

    name: str
    matched: int
    total: int


def preset_for(case: Case) -> Accumulator:
    """The preset of the kernel a case was captured from, with the case's parameters."""
    p, fa, fb, out = case["params"], case["in_dtype_a"], case["in_dtype_b"], case["out_dtype"]
    if case["family"] == "matmul":
        return hw.preset("h100.cublas_gemm", a_fmt=fa, out_fmt=out)
    if case["family"] == "scaled_mm":
        return hw.preset("h100.cublas_scaled_mm", a_fmt=fa, b_fmt=fb,
                         fast_accum=p["use_fast_accum"], out_fmt=out)
    if case["family"] == "triton_dot":
        return hw.preset("h100.triton_dot", a_fmt=fa, b_fmt=fb, block_m=p["BLOCK_M"],
                         max_num_imprecise_acc=p["max_num_imprecise_acc"], out_fmt=out)
    raise ValueError(f"case {case.get('name')!r}: unknown family {case.get('family')!r}")


# Everything a damaged file can raise while it is read (zip, zlib, npy, JSON, fields).
# A damaged header may also claim an array too large to allocate (MemoryError).
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, IndexError, TypeError,
                ValueError, AttributeError, UnicodeDecodeError, OSError, MemoryError)
_CODE_DTYPES = {"float8_e4m3fn": np.uint8, "float8_e5m2": np.uint8, "bfloat16": np.uint16,
                "float16": np.uint16, "tfloat32": np.uint32, "float32": np.uint32}


def _case_arrays(z: Any, case: Case) -> CaseArrays:
    """The arrays of one case, checked against its description (raises KeyError, ValueError)."""
    n = case["name"]
    if not isinstance(n, str) or case["family"] not in ("matmul", "scaled_mm", "triton_dot"):
        raise ValueError(f"case {n!r}: a name and a known family expected")
    preset_for(case)  # every parameter the preset reads is present and valid
    arrays: CaseArrays = {}
    for x in ("a", "b", "out"):
        dt = case["out_dtype"] if x == "out" else case[f"in_dtype_{x}"]
        raw = np.asarray(z[f"{n}__{x}"])
        if raw.ndim != 2 or raw.dtype != _CODE_DTYPES[dt]:
            raise ValueError(f"case {n!r}: {x} must be a 2-d array of {dt} codes")
        arrays[x] = raw if x == "out" else raw.view(_VIEW[dt])
    (M, K), (K2, N) = arrays["a"].shape, arrays["b"].shape
    if K != K2 or arrays["out"].shape != (M, N):
        raise ValueError(f"case {n!r}: shapes {arrays['a'].shape} @ {arrays['b'].shape} -> "
                         f"{arrays['out'].shape} do not fit")
    for s in ("scale_a", "scale_b"):
        if f"{n}__{s}" in z:
            raw = np.asarray(z[f"{n}__{s}"])
            if raw.dtype != np.uint32 or np.broadcast_shapes(raw.shape, (M, N)) != (M, N):
                raise ValueError(f"case {n!r}: {s} must be float32 codes that broadcast to "
                                 f"the output")
            arrays[s] = raw.view(np.float32)
    return arrays


def _load(path: Union[str, pathlib.Path]) -> List[Tuple[Case, CaseArrays]]:
    """Every (case, arrays) of a capture file, read and checked whole."""
    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(f"path: no capture file at {str(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as z:
            described = json.loads(str(z["cases"][()]))
            if not isinstance(described, list) or not all(isinstance(c, dict)
                                                          for c in described):
                raise ValueError("'cases' must be a JSON list of objects")
            return [(case, _case_arrays(z, case)) for case in described]
    except _READ_ERRORS as exc:
        raise ValueError(f"path: {str(path)!r} is not a valid capture file "
                         f"({type(exc).__name__}: {exc})") from None


def cases(path: Union[str, pathlib.Path]) -> Iterator[Tuple[Case, CaseArrays]]:
    """(case, arrays) for every case of a capture file; arrays holds ``a``, ``b`` (as the GPU
    held them: FP8/bf16/fp16 as ml_dtypes/NumPy values, tf32 operands as float32), ``out``
    (raw codes) and, for scaled products, ``scale_a``, ``scale_b`` (float32).

    The file is read and checked whole first: a damaged or foreign file raises ``ValueError``
    naming ``path``, a missing one ``FileNotFoundError``."""
    yield from _load(path)


def replay(path: Union[str, pathlib.Path] = SAMPLE) -> List[Replay]:
    """Every case of a capture file through its preset: how many output codes match."""
    out = []
    for case, arr in _load(path):
        kw: Any = {s: arr[s] for s in ("scale_a", "scale_b") if s in arr}
        got = matmul(arr["a"], arr["b"], preset_for(case), codes=True, **kw)
        out.append(Replay(case["name"], int(np.sum(got == arr["out"])), int(arr["out"].size)))
    return out
