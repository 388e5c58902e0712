#!/usr/bin/env python3
"""Capture golden vectors of GPU matrix products (H100) for bit-exact CPU replay.

Usage (on the GPU machine, from the repository root)::

    python tools/capture_h100.py --out DIR            # real capture (needs torch + CUDA)
    python tools/capture_h100.py --out DIR --dry-run  # CPU only: numpy stand-in outputs

It writes one compressed ``.npz`` per kernel family into DIR plus ``DIR/manifest.json``
(environment, settings, per-family counts, every skipped case and its reason).

Families (files)
----------------
``triton_dot.npz``
    A Triton kernel: one program per BLOCK_M x BLOCK_N output tile; ``acc`` starts at zeros
    (float32) and ``acc = tl.dot(a_tile, b_tile, acc, input_precision=...,
    max_num_imprecise_acc=...)``
    runs over k = 0, BLOCK_K, 2*BLOCK_K, ... (ascending); the float32 ``acc`` is stored.
``scaled_mm.npz``
    ``torch._scaled_mm(a, b, scale_a, scale_b, out_dtype=..., use_fast_accum=...)``.
``matmul.npz``
    ``torch.mm(a, b)`` (output in the input dtype) and ``torch.mm(a, b, out_dtype=torch.float32)``.
    Primary cases: ``preferred_blas_library("cublaslt")`` with
    ``allow_{bf16,fp16}_reduced_precision_reduction = (False, False)`` (torch 2.11 refuses the
    split-K flag with the default cuBLAS backend: "allow_splitk=False requires the cuBLASLt
    backend").  Cases whose ``params.blas_library`` is "cublas" use the cuBLAS backend with the
    flags set to plain ``False`` and the same inputs (same seed) as their cuBLASLt twin.

Global settings: allow_tf32 = False, float32 matmul precision "highest",
use_deterministic_algorithms(True, warn_only=True), CUBLAS_WORKSPACE_CONFIG=:4096:8,
allow_{bf16,fp16}_reduced_precision_reduction = (False, False) (matmul switches per case, above).

Record layout (every family)
----------------------------
For a case named ``<case>``:

* ``<case>__a``   : M x K matrix of raw input codes, row-major, logical A.
* ``<case>__b``   : K x N matrix of raw input codes, logical B (NOT transposed: ``out = a @ b``).
* ``<case>__out`` : M x N matrix of raw output codes.
* ``<case>__scale_a``, ``<case>__scale_b`` : float32 codes (uint32) of the scales (scaled_mm only);
  shape () for tensor-wise scales, (M, 1) / (1, N) for row-wise scales.
* ``cases``   : 0-d string array, ``json.dumps`` of the list of case dicts (fields below).
* ``skipped`` : 0-d string array, ``json.dumps`` of the list of skipped cases with reasons.

Codes: uint8 for float8_e4m3fn / float8_e5m2, uint16 for bfloat16 / float16, uint32 for float32
(including the "tfloat32" inputs: full float32 codes exactly as they were in GPU memory; the
hardware sees them as tf32 in whatever way it does), uint32 for float32 output, uint16 for
bfloat16 / float16 output.  Decode with ``codes.view(ml_dtypes.<fmt>)`` (np.float16/np.float32).

Transpositions / memory layouts actually used on the GPU (the stored matrices are always the
logical A (M x K) and B (K x N)):

* ``torch._scaled_mm`` needs mat2 column-major: B is uploaded as the contiguous N x K array
  ``B.T`` and passed as ``bt.t()`` (a K x N view with strides (1, K)).
* ``torch.mm``: A and B are contiguous row-major.
* Triton: A row-major; B either row-major K x N ("row") or column-major ("col", i.e. the
  contiguous N x K array B.T with the kernel reading b[k, n] at offset n*K + k).  The case field
  ``layout`` says which was used (the script falls back to the other if one fails to compile).

Case dict fields: ``name``, ``family``, ``kernel``, ``in_dtype_a``, ``in_dtype_b``, ``out_dtype``,
``M``, ``N``, ``K``, ``layout``, ``params`` (kernel parameters: BLOCK_M, BLOCK_N, BLOCK_K,
max_num_imprecise_acc, input_precision, num_warps, num_stages, use_fast_accum, scale_mode,
blas_library, ... where relevant; ``None`` means "not passed / default"), ``input_kind``
("normal", "codes", "spread", "specials"), ``seed``, ``probes`` (list of {"index": i, "name":
...}: probe i occupies row i of A and column i of B, so out[i, i] is the probe's dot product;
all other rows/columns hold the random ``input_kind`` data), and capture info (``repeat_equal``:
two launches gave identical bits; ``gpu_kernels``: CUDA kernel names seen by the profiler for
torch ops; ``ptx_mma``: the MMA instructions in the Triton PTX; ``notes``).
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import zlib

# Device for the torch parts; "cpu" only for plumbing tests (with TRITON_INTERPRET=1).
DEVICE = os.environ.get("CAPTURE_DEVICE", "cuda")

# cuBLAS determinism needs this before the first cuBLAS handle is created.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np  # noqa: E402
import ml_dtypes  # noqa: E402

try:  # GPU-only imports; the dry run works without them
    import torch
except Exception:  # pragma: no cover - CPU machine
    torch = None
try:
    import triton
    import triton.language as tl
except Exception:  # pragma: no cover
    triton = None
    tl = None

# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------

FORMATS = {
    "float8_e4m3fn": dict(np=ml_dtypes.float8_e4m3fn, code=np.uint8, signed=np.uint8, bits=8),
    "float8_e5m2": dict(np=ml_dtypes.float8_e5m2, code=np.uint8, signed=np.uint8, bits=8),
    "bfloat16": dict(np=ml_dtypes.bfloat16, code=np.uint16, signed=np.int16, bits=16),
    "float16": dict(np=np.float16, code=np.uint16, signed=np.int16, bits=16),
    "float32": dict(np=np.float32, code=np.uint32, signed=np.int32, bits=32),
    "tfloat32": dict(np=np.float32, code=np.uint32, signed=np.int32, bits=32),
}
TORCH_DTYPE_NAME = {"float8_e4m3fn": "float8_e4m3fn", "float8_e5m2": "float8_e5m2",
                    "bfloat16": "bfloat16", "float16": "float16", "float32": "float32",
                    "tfloat32": "float32"}


def encode(values, fmt):
    """float64 values -> raw codes of fmt (via float32, as torch would)."""
    f = FORMATS[fmt]
    v32 = np.asarray(values, dtype=np.float64).astype(np.float32)
    if fmt in ("float32", "tfloat32"):
        return v32.view(np.uint32)
    return v32.astype(f["np"]).view(f["code"])


def decode(codes, fmt):
    f = FORMATS[fmt]
    with np.errstate(all="ignore"):
        return np.asarray(codes).astype(f["code"], copy=False).view(f["np"]).astype(np.float64)


_FINITE_CODES = {}


def finite_codes(fmt, maxabs=None):
    key = (fmt, maxabs)
    if key not in _FINITE_CODES:
        f = FORMATS[fmt]
        assert f["bits"] <= 16
        c = np.arange(1 << f["bits"], dtype=np.uint32).astype(f["code"])
        v = decode(c, fmt)
        ok = np.isfinite(v)
        if maxabs is not None:
            ok &= np.abs(v) <= maxabs
        _FINITE_CODES[key] = c[ok]
    return _FINITE_CODES[key]


def max_finite(fmt):
    if FORMATS[fmt]["bits"] == 32:
        return float(np.finfo(np.float32).max)
    return float(np.max(np.abs(decode(finite_codes(fmt), fmt))))


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# --------------------------------------------------------------------------------------------
# Bulk random inputs
# --------------------------------------------------------------------------------------------

SPREAD_EXP = {"float8_e4m3fn": (-9, 7), "float8_e5m2": (-16, 14), "bfloat16": (-40, 40),
              "float16": (-24, 6), "float32": (-40, 40), "tfloat32": (-40, 40)}


def bulk(rng, shape, fmt, kind):
    """Random codes of `shape` in `fmt` for input kind `kind`."""
    n = int(np.prod(shape))
    if kind in ("normal", "specials"):
        # standard normal: |x| < ~6, far inside every format (fp8 E4M3 max 448)
        return encode(rng.standard_normal(n), fmt).reshape(shape)
    if kind == "spread":
        lo, hi = SPREAD_EXP[fmt]
        e = rng.integers(lo, hi + 1, n).astype(np.float64)
        m = rng.uniform(1.0, 2.0, n) * rng.choice([-1.0, 1.0], n)
        v = np.ldexp(m, e.astype(np.int64))
        lim = max_finite(fmt)
        return encode(np.clip(v, -lim, lim), fmt).reshape(shape)  # never overflow to NaN/Inf
    if kind == "codes":
        if fmt in ("float8_e4m3fn", "float8_e5m2"):
            # every finite code; fp8 products and their sums stay far inside float32
            return rng.choice(finite_codes(fmt), n).reshape(shape)
        if fmt == "float16":
            # finite codes with |x| <= 128 so that float16 *outputs* rarely overflow
            return rng.choice(finite_codes(fmt, 128.0), n).reshape(shape)
        # bfloat16 / float32 / tf32: uniform sign, mantissa and biased exponent in
        # [127-56, 127+56] (products < 2^114, sums stay finite); 3% exponent field 0
        # (zeros and subnormals).
        mbits = 7 if fmt == "bfloat16" else 23
        sign = rng.integers(0, 2, n).astype(np.uint64)
        expo = rng.integers(127 - 56, 127 + 57, n).astype(np.uint64)
        expo[rng.random(n) < 0.03] = 0
        mant = rng.integers(0, 1 << mbits, n).astype(np.uint64)
        word = (sign << np.uint64(8 + mbits)) | (expo << np.uint64(mbits)) | mant
        if fmt == "bfloat16":
            return word.astype(np.uint16).reshape(shape)
        return word.astype(np.uint32).reshape(shape)
    raise ValueError(kind)


# --------------------------------------------------------------------------------------------
# Probes: each isolates one parameter of the tensor-core model.  A probe is (name, a_vec, b_vec, a_codes, b_codes):
# float64 vectors of length K plus optional {position: raw code} overrides for special codes.
# Probe i is written into row i of A and column i of B.
# --------------------------------------------------------------------------------------------

def _probe(name, K, a=None, b=None, a_fill=0.0, b_fill=0.0, a_codes=None, b_codes=None):
    av = np.full(K, a_fill, dtype=np.float64)
    bv = np.full(K, b_fill, dtype=np.float64)
    for p, v in (a or {}).items():
        av[p] = v
    for p, v in (b or {}).items():
        bv[p] = v
    return dict(name=name, a=av, b=bv, a_codes=a_codes or {}, b_codes=b_codes or {})


def probes_half(fmt, K):
    """bf16 / fp16: E3 (block size and order), E4 (F, alignment truncation), E5 (RZ, chain)."""
    out = []
    big = 2.0 ** 20 if fmt == "bfloat16" else 2.0 ** 14
    if K >= 32:
        js = [1, 15, 16, 17, 31, 32, 33, 63, 64, K // 2, K - 1]
        js = sorted({j for j in js if 0 < j < K})[:10]
        for j in js:
            out.append(_probe(f"E3_j{j}", K, a={0: big, j: -big}, b={0: big, j: big},
                              a_fill=1.0, b_fill=1.0))
    # E4: p0 = 2^14, p1 = -2^14, p2 = 2^(14-k)  (positions 0, 7, 13 of the first block)
    for k in (24, 25, 26):
        out.append(_probe(f"E4_k{k}", K, a={0: 2.0 ** 7, 7: -2.0 ** 7, 13: 2.0 ** (14 - k)},
                          b={0: 2.0 ** 7, 7: 2.0 ** 7, 13: 1.0}))
    for x in (0.25, 0.5, 0.75, 1.5, -0.25, -0.5, -0.75, -1.5):
        out.append(_probe(f"E4_x{x:+g}", K, a={0: 2.0 ** 7, 7: -2.0 ** 7, 13: x * 2.0 ** -11},
                          b={0: 2.0 ** 7, 7: 2.0 ** 7, 13: 1.0}))
    if K >= 32:
        base = K - 16
        out.append(_probe("E4_k25_lastblock", K,
                          a={base: 2.0 ** 7, base + 7: -2.0 ** 7, base + 13: 2.0 ** -11},
                          b={base: 2.0 ** 7, base + 7: 2.0 ** 7, base + 13: 1.0}))
    # E5: p0 = 1, p1 = 3*2^-25 (a = 1.5*2^-12, b = 2^-12); chain: p16 = 3*2^-25 as well
    t = 1.5 * 2.0 ** -12
    out.append(_probe("E5_pos", K, a={0: 1.0, 1: t}, b={0: 1.0, 1: 2.0 ** -12}))
    out.append(_probe("E5_neg", K, a={0: -1.0, 1: -t}, b={0: 1.0, 1: 2.0 ** -12}))
    if K >= 32:
        out.append(_probe("E5_chain_pos", K, a={0: 1.0, 1: t, 16: t},
                          b={0: 1.0, 1: 2.0 ** -12, 16: 2.0 ** -12}))
        out.append(_probe("E5_chain_neg", K, a={0: -1.0, 1: -t, 16: -t},
                          b={0: 1.0, 1: 2.0 ** -12, 16: 2.0 ** -12}))
    return out


def probes_tf32(K):
    """float32 inputs used as tf32: input rounding, E4 with F=25, L=8 chain, E3."""
    out = []
    one = 1.0
    for nm, v in (("in_half", one + 2.0 ** -11), ("in_half_plus", one + 2.0 ** -11 + 2.0 ** -23),
                  ("in_below_half", one + 2.0 ** -11 - 2.0 ** -23),
                  ("in_tie_odd", one + 2.0 ** -10 + 2.0 ** -11),
                  ("in_neg_half_plus", -(one + 2.0 ** -11 + 2.0 ** -23))):
        out.append(_probe(f"T_{nm}", K, a={0: v}, b={0: 1.0}))
    out.append(_probe("T_in_b_half_plus", K, a={0: 1.0}, b={0: one + 2.0 ** -11 + 2.0 ** -23}))
    out.append(_probe("T_in_both", K, a={0: one + 2.0 ** -11 + 2.0 ** -23},
                      b={0: one + 2.0 ** -12 + 2.0 ** -22}))
    for k in (24, 25, 26):
        out.append(_probe(f"E4_k{k}", K, a={0: 2.0 ** 7, 3: -2.0 ** 7, 6: 2.0 ** (14 - k)},
                          b={0: 2.0 ** 7, 3: 2.0 ** 7, 6: 1.0}))
    t = 1.5 * 2.0 ** -12
    out.append(_probe("E5_pos", K, a={0: 1.0, 1: t}, b={0: 1.0, 1: 2.0 ** -12}))
    if K >= 16:
        out.append(_probe("E5_chain8", K, a={0: 1.0, 1: t, 8: t},
                          b={0: 1.0, 1: 2.0 ** -12, 8: 2.0 ** -12}))
    if K >= 32:
        out.append(_probe("E5_chain16", K, a={0: 1.0, 1: t, 16: t},
                          b={0: 1.0, 1: 2.0 ** -12, 16: 2.0 ** -12}))
        big = 2.0 ** 20
        js = sorted({j for j in (1, 7, 8, 9, 15, 16, 31, K - 1) if 0 < j < K})
        for j in js:
            out.append(_probe(f"E3_j{j}", K, a={0: big, j: -big}, b={0: big, j: big},
                              a_fill=1.0, b_fill=1.0))
    return out


def probes_fp8(K):
    """E7/E11 (promotion interval), E8 (E8M13 truncation, position independence, F=13)."""
    out = []
    u7, u6 = 2.0 ** -7, 2.0 ** -6
    if K >= 64:
        nb = K // 32
        blocks = range(1, nb)
        out.append(_probe("E7_first", K, a={0: 1.0, **{32 * i: u7 for i in blocks}},
                          b={0: 1.0, **{32 * i: u7 for i in blocks}}))
        out.append(_probe("E7_neg", K, a={0: -1.0, **{32 * i: -u7 for i in blocks}},
                          b={0: 1.0, **{32 * i: u7 for i in blocks}}))
        out.append(_probe("E7_last", K, a={0: 1.0, **{32 * i + 31: u7 for i in blocks}},
                          b={0: 1.0, **{32 * i + 31: u7 for i in blocks}}))
        out.append(_probe("E7_all_blocks", K, a={0: 1.0, 1: u7, **{32 * i: u7 for i in blocks}},
                          b={0: 1.0, 1: u7, **{32 * i: u7 for i in blocks}}))
        out.append(_probe("E7_ctrl_2m12", K, a={0: 1.0, **{32 * i: u6 for i in blocks}},
                          b={0: 1.0, **{32 * i: u6 for i in blocks}}))
        out.append(_probe("E7_ctrl_nobig", K, a={32 * i: u7 for i in range(nb)},
                          b={32 * i: u7 for i in range(nb)}))
    for q in (1, 16, 31):
        out.append(_probe(f"E8_p13_q{q}", K, a={0: 1.0, q: u7}, b={0: 1.0, q: u6}))
        out.append(_probe(f"E8_p14_q{q}", K, a={0: 1.0, q: u7}, b={0: 1.0, q: u7}))
    out.append(_probe("E8_negtrunc", K, a={0: 1.0, 1: -1.5 * u7}, b={0: 1.0, 1: u7}))
    out.append(_probe("E8_F13", K, a={0: 1.0, 1: -1.0, 2: u7}, b={0: 1.0, 1: 1.0, 2: u6}))
    out.append(_probe("E8_F14", K, a={0: 1.0, 1: -1.0, 2: u7}, b={0: 1.0, 1: 1.0, 2: u7}))
    out.append(_probe("E8_rz_neg", K, a={0: -1.0, 1: -u7}, b={0: 1.0, 1: u7}))
    return out


NAN_CODES = {  # (quiet NaN, negative NaN, other NaN payload)
    "bfloat16": (0x7FC0, 0xFFC0, 0x7F81), "float16": (0x7E00, 0xFE00, 0x7C01),
    "float32": (0x7FC00000, 0xFFC00000, 0x7F800001),
    "tfloat32": (0x7FC00000, 0xFFC00000, 0x7F800001),
    "float8_e4m3fn": (0x7F, 0xFF, None), "float8_e5m2": (0x7E, 0xFE, 0x7D),
}


def has_inf(fmt):
    return fmt != "float8_e4m3fn"


def probes_specials(fa, fb, K):
    """E12: NaN, Inf*0, Inf-Inf, zero rows, subnormal products, overflow, cancellation."""
    out = []
    L = 16
    ones = {i: 1.0 for i in range(L)}
    qa, na, pa = NAN_CODES[fa]
    qb, nb_, pb = NAN_CODES[fb]
    out.append(_probe("S_nan_a", K, a=ones, b=ones, a_codes={0: qa}))
    out.append(_probe("S_negnan_a", K, a=ones, b=ones, a_codes={0: na}))
    if pa is not None:
        out.append(_probe("S_nanpayload_a", K, a=ones, b=ones, a_codes={0: pa}))
    out.append(_probe("S_nan_b", K, a=ones, b=ones, b_codes={3: qb}))
    if has_inf(fa):
        inf = np.inf
        out.append(_probe("S_inf_a", K, a={**ones, 0: inf}, b=ones))
        out.append(_probe("S_neginf_a", K, a={**ones, 0: -inf}, b=ones))
        out.append(_probe("S_inf_times_zero", K, a={**ones, 0: inf}, b={**ones, 0: 0.0}))
        out.append(_probe("S_inf_minus_inf", K, a={**ones, 0: inf, 1: -inf}, b=ones))
        if K >= 64:
            out.append(_probe("S_inf_later_block", K, a={**ones, 40: inf}, b={**ones, 40: 1.0}))
    elif has_inf(fb):
        inf = np.inf
        out.append(_probe("S_inf_b", K, a=ones, b={**ones, 0: inf}))
        out.append(_probe("S_inf_b_times_zero", K, a={**ones, 0: 0.0}, b={**ones, 0: inf}))
        out.append(_probe("S_inf_b_minus_inf", K, a=ones, b={**ones, 0: inf, 1: -inf}))
    out.append(_probe("S_zero_row_pos", K, a={}, b=ones))
    out.append(_probe("S_zero_row_neg", K, a={i: -0.0 for i in range(K)},
                      b={i: 1.0 for i in range(K)}))
    out.append(_probe("S_cancel_pos_first", K, a={0: 1.0, 1: -1.0}, b={0: 1.0, 1: 1.0}))
    out.append(_probe("S_cancel_neg_first", K, a={0: -1.0, 1: 1.0}, b={0: 1.0, 1: 1.0}))
    ma, mb = max_finite(fa), max_finite(fb)
    out.append(_probe("S_max_products", K, a={0: ma, 1: ma}, b={0: mb, 1: mb}))
    out.append(_probe("S_max_cancel", K, a={0: ma, 1: -ma}, b={0: mb, 1: mb}))
    if fa == "bfloat16":
        out.append(_probe("S_subnormal_products", K, a={i: 2.0 ** -76 for i in range(L)},
                          b={i: 2.0 ** -76 for i in range(L)}))
        out.append(_probe("S_ezero", K, a={0: 2.0 ** -75, 1: -2.0 ** -80},
                          b={0: 2.0 ** -74, 1: 2.0 ** -80}))
        out.append(_probe("S_tiny_products", K, a={i: 2.0 ** -80 for i in range(L)},
                          b={i: 2.0 ** -70 for i in range(L)}))
        out.append(_probe("S_subnormal_inputs", K, a={0: 2.0 ** -133, 1: 3 * 2.0 ** -133},
                          b={0: 2.0 ** 100, 1: 2.0 ** 100}))
    elif fa == "float16":
        out.append(_probe("S_subnormal_products", K, a={i: 2.0 ** -24 for i in range(L)},
                          b={i: 2.0 ** -24 for i in range(L)}))
        out.append(_probe("S_subnormal_inputs", K, a={0: 2.0 ** -24, 1: 3 * 2.0 ** -24},
                          b={0: 2.0 ** 10, 1: 1.0}))
    elif fa in ("float32", "tfloat32"):
        out.append(_probe("S_subnormal_products", K, a={i: 2.0 ** -76 for i in range(8)},
                          b={i: 2.0 ** -76 for i in range(8)}))
        out.append(_probe("S_subnormal_inputs", K, a={0: 2.0 ** -140, 1: 3 * 2.0 ** -140},
                          b={0: 2.0 ** 100, 1: 1.0}))
    else:  # fp8
        sa = 2.0 ** -9 if fa == "float8_e4m3fn" else 2.0 ** -16
        sb = 2.0 ** -9 if fb == "float8_e4m3fn" else 2.0 ** -16
        out.append(_probe("S_subnormal_products", K, a={i: sa for i in range(32 if K >= 32 else K)},
                          b={i: sb for i in range(32 if K >= 32 else K)}))
    return out


def probes_for(fa, fb, K, family, kind):
    if kind == "specials":
        return probes_specials(fa, fb, K)
    if kind == "codes":
        return []
    if fa.startswith("float8"):
        return probes_fp8(K)
    if fa == "tfloat32":
        return probes_tf32(K)
    return probes_half(fa, K)


def make_inputs(spec):
    """Deterministic A (M x K) and B (K x N) codes for a case spec; returns (a, b, probes)."""
    rng = np.random.default_rng(spec["seed"])
    M, N, K = spec["M"], spec["N"], spec["K"]
    fa, fb = spec["in_dtype_a"], spec["in_dtype_b"]
    kind = spec["input_kind"]
    a = bulk(rng, (M, K), fa, kind)
    b = bulk(rng, (K, N), fb, kind)
    probes = probes_for(fa, fb, K, spec["family"], kind)
    nmax = min(M, N)
    if len(probes) > nmax:
        probes = probes[:nmax]
    placed = []
    for i, p in enumerate(probes):
        ac = encode(p["a"], fa)
        bc = encode(p["b"], fb)
        for pos, c in p["a_codes"].items():
            ac[pos] = c
        for pos, c in p["b_codes"].items():
            bc[pos] = c
        # representability check: every finite probe value must survive the cast exactly
        for vec, codes, fmt, who, over in ((p["a"], ac, fa, "a", p["a_codes"]),
                                           (p["b"], bc, fb, "b", p["b_codes"])):
            dec = decode(codes, fmt)
            fin = np.isfinite(vec)
            fin[list(over)] = False  # raw-code overrides are special on purpose
            fmt_eff = fmt
            if not np.array_equal(dec[fin], vec[fin]):
                bad = np.nonzero(dec[fin] != vec[fin])[0][:3]
                raise ValueError(f"probe {p['name']} {who} not representable in {fmt_eff}: "
                                 f"{vec[fin][bad]} -> {dec[fin][bad]}")
            infs = np.isinf(vec)
            if infs.any() and not np.array_equal(dec[infs], vec[infs]):
                raise ValueError(f"probe {p['name']} {who}: Inf not representable in {fmt}")
        a[i, :] = ac
        b[:, i] = bc
        placed.append(dict(index=i, name=p["name"]))
    return np.ascontiguousarray(a), np.ascontiguousarray(b), placed


# --------------------------------------------------------------------------------------------
# Case plans
# --------------------------------------------------------------------------------------------

KINDS = ("normal", "spread", "codes")
SHORT = {"float8_e4m3fn": "e4m3", "float8_e5m2": "e5m2", "bfloat16": "bf16", "float16": "fp16",
         "tfloat32": "tf32", "float32": "fp32"}


def _spec(family, kernel, fa, fb, out, M, N, K, kind, params, name):
    return dict(name=name, family=family, kernel=kernel, in_dtype_a=fa, in_dtype_b=fb,
                out_dtype=out, M=M, N=N, K=K, input_kind=kind, params=params,
                seed=seed_of(name))


def plan_triton():
    specs = []
    TILES = {"mma32": (32, 32, 32, 32), "wg64": (64, 32, 64, 32)}  # BM, BN, M, N

    def add(fa, fb, tile, K, BK, imp, kind):
        BM, BN, M, N = TILES[tile]
        ip = "tf32" if fa == "tfloat32" else None
        nm = (f"{SHORT[fa]}x{SHORT[fb]}_{tile}_K{K}_BK{BK}"
              f"_imp{'None' if imp is None else imp}_{kind}")
        params = dict(BLOCK_M=BM, BLOCK_N=BN, BLOCK_K=BK, max_num_imprecise_acc=imp,
                      input_precision=ip, num_warps=4, num_stages=None, tile=tile)
        specs.append(_spec("triton_dot", "triton_tl_dot", fa, fb, "float32", M, N, K, kind,
                           params, nm))

    rot = iter(range(10 ** 6))

    def kind_next():
        return KINDS[next(rot) % 3]

    e4, e5, bf, fp, tf = "float8_e4m3fn", "float8_e5m2", "bfloat16", "float16", "tfloat32"
    # FP8 E4M3 x E4M3: wgmma tile (BLOCK_M = 64) -- the Hopper path
    for BK in (32, 64, 128):
        for imp in (None, 32, 64, 128):
            if imp is not None and imp > BK:
                continue
            add(e4, e4, "wg64", 256, BK, imp, "normal" if imp is not None else kind_next())
    for K in (32, 64, 128, 512, 1024):
        add(e4, e4, "wg64", K, min(64, K), None, kind_next())
    add(e4, e4, "wg64", 1024, 128, 128, "normal")
    add(e4, e4, "wg64", 1024, 32, 32, "normal")
    add(e4, e4, "wg64", 64, 32, None, "specials")
    # FP8 E4M3 x E4M3: 32x32 tile (mma.sync path)
    for K in (32, 64, 128, 256, 512, 1024):
        add(e4, e4, "mma32", K, 32, None, kind_next())
    add(e4, e4, "mma32", 256, 64, None, "normal")
    add(e4, e4, "mma32", 256, 128, None, "spread")
    add(e4, e4, "mma32", 256, 64, 32, "normal")
    add(e4, e4, "mma32", 64, 32, None, "specials")
    # E5M2 x E5M2 and E4M3 x E5M2
    for fa, fb in ((e5, e5), (e4, e5)):
        for imp in (None, 64, 32):
            add(fa, fb, "wg64", 256, 64, imp, "normal")
        add(fa, fb, "wg64", 64, 64, None, "codes")
        add(fa, fb, "wg64", 512, 64, None, "spread")
        add(fa, fb, "mma32", 64, 32, None, "codes")
        add(fa, fb, "mma32", 256, 32, None, "normal")
        add(fa, fb, "wg64", 64, 32, None, "specials")
    # BF16
    for K in (32, 64, 256, 1024):
        add(bf, bf, "mma32", K, 32, None, kind_next())
    add(bf, bf, "mma32", 256, 128, None, "normal")
    add(bf, bf, "wg64", 64, 64, None, "spread")
    add(bf, bf, "wg64", 256, 64, None, "normal")
    add(bf, bf, "wg64", 256, 128, None, "codes")
    add(bf, bf, "wg64", 1024, 64, None, "normal")
    add(bf, bf, "mma32", 32, 32, None, "specials")
    add(bf, bf, "wg64", 32, 32, None, "specials")
    # FP16
    add(fp, fp, "mma32", 32, 32, None, "codes")
    add(fp, fp, "mma32", 256, 32, None, "normal")
    add(fp, fp, "mma32", 256, 128, None, "spread")
    add(fp, fp, "wg64", 256, 64, None, "normal")
    add(fp, fp, "mma32", 32, 32, None, "specials")
    # float32 inputs, input_precision = "tf32"
    add(tf, tf, "mma32", 32, 32, None, "normal")
    add(tf, tf, "mma32", 128, 32, None, "codes")
    add(tf, tf, "mma32", 128, 64, None, "spread")
    add(tf, tf, "wg64", 128, 32, None, "normal")
    add(tf, tf, "wg64", 128, 64, None, "codes")
    add(tf, tf, "mma32", 32, 32, None, "specials")
    return specs


def plan_scaled_mm():
    specs = []
    e4, e5 = "float8_e4m3fn", "float8_e5m2"
    rot = iter(range(10 ** 6))

    def add(fa, fb, K, fast, out, kind, scale_mode="tensor_one", MN=None):
        M = N = MN or (16 if K >= 4096 else 32)
        out_tag = "f32" if out == "float32" else "bf16"
        nm = (f"{SHORT[fa]}x{SHORT[fb]}_K{K}_fast{int(fast)}_{out_tag}"
              f"_{scale_mode}_{kind}")
        params = dict(use_fast_accum=fast, scale_mode=scale_mode)
        specs.append(_spec("scaled_mm", "torch._scaled_mm", fa, fb, out, M, N, K, kind, params, nm))

    for K in (32, 64, 128, 256, 512, 1024, 4096):
        kind = "normal" if K >= 4096 else KINDS[next(rot) % 3]
        for fast in (False, True):
            add(e4, e4, K, fast, "float32", kind)
    for K in (128, 512, 4096):
        for fast in (False, True):
            add(e4, e4, K, fast, "bfloat16", "normal")
    for K in (64, 256, 1024):
        for fast in (False, True):
            add(e4, e5, K, fast, "float32", ("normal", "codes", "spread")[(64, 256, 1024).index(K)])
    for fast in (False, True):
        for out in ("float32", "bfloat16"):
            add(e4, e4, 256, fast, out, "normal", "tensor_0.75_1.3125")
    for out in ("float32", "bfloat16"):
        add(e4, e4, 256, False, out, "normal", "tensor_bits")
    for fast in (False, True):
        for out in ("bfloat16", "float32"):
            add(e4, e4, 256, fast, out, "normal", "rowwise")
    for fast in (False, True):
        add(e4, e4, 64, fast, "float32", "specials")
    add(e4, e5, 64, False, "float32", "specials")
    return specs


def plan_matmul():
    """torch.mm.  Primary cases run with preferred_blas_library("cublaslt") and
    allow_{bf16,fp16}_reduced_precision_reduction = (False, False) (split-K off; torch 2.11 only
    accepts the split-K flag with cuBLASLt).  The "cublas" variants reuse the inputs (same seed)
    of a primary case and run with the cuBLAS backend and the flags set to plain False
    (reduced-precision reduction off, split-K left to cuBLAS)."""
    specs = []

    def add(f, out, MN, K, kind, blas="cublaslt"):
        nm = f"{SHORT[f]}_{'f32' if out == 'float32' else SHORT[f]}out_MN{MN}_K{K}_{blas}_{kind}"
        flags = "(False, False)" if blas == "cublaslt" else "False"
        params = dict(out_dtype_arg=(out == "float32"), blas_library=blas,
                      reduced_precision_flags=flags)
        kernel = "torch.mm(out_dtype=float32)" if out == "float32" else "torch.mm"
        sp = _spec("matmul", kernel, f, f, out, MN, MN, K, kind, params, nm)
        sp["seed"] = seed_of(nm.replace("_cublas_", "_cublaslt_"))
        specs.append(sp)
        return sp

    bf, fp = "bfloat16", "float16"
    for i, K in enumerate((16, 32, 64, 128, 256, 1024)):
        add(bf, "float32", 32, K, KINDS[i % 3])
    for i, K in enumerate((16, 64, 256, 1024)):
        add(fp, "float32", 32, K, KINDS[(i + 1) % 3])
    add(bf, "float32", 64, 64, "normal")
    add(bf, "float32", 64, 256, "codes")
    add(fp, "float32", 64, 256, "normal")
    for i, K in enumerate((16, 64, 256)):
        add(bf, bf, 32, K, KINDS[i % 3])
        add(fp, fp, 32, K, KINDS[(i + 2) % 3])
    add(bf, bf, 64, 256, "normal")
    add(bf, bf, 32, 1024, "normal")
    add(fp, fp, 32, 1024, "spread")
    for f in (bf, fp):
        add(f, "float32", 32, 32, "specials")
        add(f, f, 32, 32, "specials")
    # cuBLAS-backend variants on the same inputs as the named primary cases
    primary = {sp["name"]: sp for sp in specs}
    for nm in ("bf16_f32out_MN32_K64_cublaslt_codes", "bf16_f32out_MN32_K256_cublaslt_spread",
               "bf16_f32out_MN32_K1024_cublaslt_codes", "fp16_f32out_MN32_K256_cublaslt_normal",
               "bf16_bf16out_MN32_K256_cublaslt_codes", "bf16_bf16out_MN32_K1024_cublaslt_normal",
               "fp16_fp16out_MN32_K256_cublaslt_spread", "bf16_f32out_MN32_K32_cublaslt_specials"):
        p = primary[nm]
        add(p["in_dtype_a"], p["out_dtype"], p["M"], p["K"], p["input_kind"], "cublas")
    return specs


PLANS = {"matmul": plan_matmul, "scaled_mm": plan_scaled_mm, "triton_dot": plan_triton}
ORDER = ("matmul", "scaled_mm", "triton_dot")

SCALE_BITS = (0x3F79A8CB, 0x3F1273D2)  # anchors E9: sa, sb as float32 bit patterns


def scales_for(spec):
    """Scale arrays (float32) for a scaled_mm case."""
    mode = spec["params"]["scale_mode"]
    M, N = spec["M"], spec["N"]
    if mode == "tensor_one":
        return np.float32(1.0).reshape(()), np.float32(1.0).reshape(())
    if mode == "tensor_0.75_1.3125":
        return np.array(0.75, np.float32), np.array(1.3125, np.float32)
    if mode == "tensor_bits":
        return (np.array(SCALE_BITS[0], np.uint32).view(np.float32),
                np.array(SCALE_BITS[1], np.uint32).view(np.float32))
    if mode == "rowwise":
        rng = np.random.default_rng(spec["seed"] + 1)
        sa = rng.uniform(0.5, 2.0, (M, 1)).astype(np.float32)
        sb = rng.uniform(0.5, 2.0, (1, N)).astype(np.float32)
        return sa, sb
    raise ValueError(mode)


# --------------------------------------------------------------------------------------------
# Reference (float64) product, used for the dry run and for sanity numbers
# --------------------------------------------------------------------------------------------

def ref_product(a_codes, b_codes, spec, sa=None, sb=None):
    A = decode(a_codes, spec["in_dtype_a"])
    B = decode(b_codes, spec["in_dtype_b"])
    with np.errstate(all="ignore"):
        C = A @ B
        if sa is not None:
            C = C * np.asarray(sa, np.float64) * np.asarray(sb, np.float64)
    return C


def cast_out(C, out_dtype):
    with np.errstate(all="ignore"):
        c32 = C.astype(np.float32)
        if out_dtype == "float32":
            return c32.view(np.uint32)
        return c32.astype(FORMATS[out_dtype]["np"]).view(np.uint16)


def sanity_stats(out_codes, spec, C):
    out = decode(out_codes, spec["out_dtype"]) if spec["out_dtype"] != "float32" else \
        out_codes.view(np.float32).astype(np.float64)
    fin = np.isfinite(out) & np.isfinite(C)
    with np.errstate(all="ignore"):
        rel = np.abs(out - C)[fin] / np.maximum(np.abs(C[fin]), 1e-300)
    return dict(median_rel=float(np.median(rel)) if rel.size else None,
                max_rel=float(np.max(rel)) if rel.size else None,
                n_out_nonfinite=int((~np.isfinite(out)).sum()),
                n_ref_nonfinite=int((~np.isfinite(C)).sum()))


# --------------------------------------------------------------------------------------------
# GPU execution (torch / triton).  Everything touching the GPU lives below.
# --------------------------------------------------------------------------------------------

def to_dev(codes, fmt):
    f = FORMATS[fmt]
    t = torch.from_numpy(np.ascontiguousarray(codes).view(f["signed"]).copy())
    t = t.view(getattr(torch, TORCH_DTYPE_NAME[fmt]))
    return t.to(DEVICE)


def from_dev(t, out_dtype):
    t = t.detach().contiguous().cpu()
    if out_dtype == "float32":
        assert t.dtype == torch.float32, t.dtype
        return t.view(torch.int32).numpy().view(np.uint32).copy()
    assert t.dtype == getattr(torch, out_dtype), t.dtype
    return t.view(torch.int16).numpy().view(np.uint16).copy()


_PROFILER_OK = [True]
_PROFILER_CALLS = [0]


def kernel_names(fn):
    """CUDA kernel names launched by fn() (best effort, via torch.profiler)."""
    if not _PROFILER_OK[0]:
        return None
    try:
        from torch.profiler import ProfilerActivity, profile
        t0 = time.time()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            fn()
            if DEVICE == "cuda":
                torch.cuda.synchronize()
        names = []
        for e in prof.events():
            dt = getattr(e, "device_type", None)
            if dt is not None and "CUDA" in str(dt):
                names.append(e.name)
        _PROFILER_CALLS[0] += 1
        if time.time() - t0 > (60.0 if _PROFILER_CALLS[0] == 1 else 5.0):
            _PROFILER_OK[0] = False
            log("profiler slow; disabling kernel-name capture")
        return names
    except Exception as ex:  # pragma: no cover
        _PROFILER_OK[0] = False
        log(f"profiler failed ({ex!r}); disabling kernel-name capture")
        return None


def run_twice(fn, out_dtype):
    o1 = from_dev(fn(), out_dtype)
    o2 = from_dev(fn(), out_dtype)
    return o1, bool(np.array_equal(o1, o2))


def _set_reduced_precision_flags(flags):
    m = torch.backends.cuda.matmul
    val = (False, False) if flags == "(False, False)" else False
    m.allow_bf16_reduced_precision_reduction = val
    m.allow_fp16_reduced_precision_reduction = val
    return dict(allow_bf16_reduced_precision_reduction=repr(
        m.allow_bf16_reduced_precision_reduction),
                allow_fp16_reduced_precision_reduction=repr(m.allow_fp16_reduced_precision_reduction))


def gpu_matmul(spec, a, b):
    f = spec["in_dtype_a"]
    A, B = to_dev(a, f), to_dev(b, f)
    p = spec["params"]
    prev_lib = torch.backends.cuda.preferred_blas_library()
    try:
        # order matters: the (False, False) split-K flag is refused unless cuBLASLt is preferred
        if p["blas_library"] == "cublaslt":
            torch.backends.cuda.preferred_blas_library("cublaslt")
            flags = _set_reduced_precision_flags(p["reduced_precision_flags"])
        else:
            flags = _set_reduced_precision_flags(p["reduced_precision_flags"])
            torch.backends.cuda.preferred_blas_library(p["blas_library"])
        if spec["out_dtype"] == "float32":
            try:
                torch.mm(A, B, out_dtype=torch.float32)
                fn = lambda: torch.mm(A, B, out_dtype=torch.float32)  # noqa: E731
            except TypeError:  # older signature: call the overload directly
                fn = lambda: torch.ops.aten.mm.dtype(A, B, torch.float32)  # noqa: E731
        else:
            fn = lambda: torch.mm(A, B)  # noqa: E731
        out, rep = run_twice(fn, spec["out_dtype"])
        names = kernel_names(fn)
        info = dict(repeat_equal=rep, gpu_kernels=names, flags_effective=flags,
                    blas_library_effective=str(torch.backends.cuda.preferred_blas_library()),
                    layout="a: row-major MxK contiguous; b: row-major KxN contiguous")
        return out, info
    finally:
        # back to the script-wide state: cuBLASLt preferred, (False, False)
        torch.backends.cuda.preferred_blas_library("cublaslt")
        _set_reduced_precision_flags("(False, False)")
        torch.backends.cuda.preferred_blas_library(prev_lib)


def gpu_scaled_mm(spec, a, b, sa, sb):
    A = to_dev(a, spec["in_dtype_a"])
    Bt = to_dev(np.ascontiguousarray(b.T), spec["in_dtype_b"])  # N x K contiguous
    B = Bt.t()  # K x N, column-major
    SA = torch.from_numpy(np.array(sa, dtype=np.float32, copy=True)).to(DEVICE)  # keeps 0-d
    SB = torch.from_numpy(np.array(sb, dtype=np.float32, copy=True)).to(DEVICE)
    od = getattr(torch, spec["out_dtype"])
    fast = spec["params"]["use_fast_accum"]
    fn = lambda: torch._scaled_mm(A, B, scale_a=SA, scale_b=SB, out_dtype=od,  # noqa: E731
                                  use_fast_accum=fast)
    out, rep = run_twice(fn, spec["out_dtype"])
    names = kernel_names(fn)
    return out, dict(repeat_equal=rep, gpu_kernels=names,
                     layout="a: row-major MxK contiguous; b: column-major KxN "
                            "(uploaded as contiguous NxK B.T, passed as bt.t())")


if triton is not None:
    @triton.jit
    def _mm_kernel(a_ptr, b_ptr, c_ptr, K,
                   stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                   INPUT_PRECISION: tl.constexpr, MAX_IMPRECISE: tl.constexpr):
        pid_m = tl.program_id(0)
        pid_n = tl.program_id(1)
        rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        rk = tl.arange(0, BLOCK_K)
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for k0 in range(0, K, BLOCK_K):
            a = tl.load(a_ptr + rm[:, None] * stride_am + (k0 + rk)[None, :] * stride_ak)
            b = tl.load(b_ptr + (k0 + rk)[:, None] * stride_bk + rn[None, :] * stride_bn)
            acc = tl.dot(a, b, acc, input_precision=INPUT_PRECISION,
                         max_num_imprecise_acc=MAX_IMPRECISE)
        tl.store(c_ptr + rm[:, None] * stride_cm + rn[None, :] * stride_cn, acc)


def _ptx_mma(compiled):
    try:
        ptx = compiled.asm["ptx"]
    except Exception:
        return None, None
    ins = set()
    for line in ptx.splitlines():
        s = line.strip()
        for key in ("wgmma.mma_async", "mma.sync"):
            if s.startswith(key):
                ins.add(s.split()[0])
    extra = dict(cvt_tf32=("cvt.rna.tf32.f32" in ptx or "cvt.rn.tf32.f32" in ptx
                           or "cvt.rz.tf32.f32" in ptx),
                 n_wgmma=ptx.count("wgmma.mma_async"), n_mma_sync=ptx.count("mma.sync"),
                 n_add_f32=ptx.count("add.f32") + ptx.count("add.rn.f32"))
    return sorted(ins), extra


def gpu_triton(spec, a, b):
    p = spec["params"]
    M, N, K = spec["M"], spec["N"], spec["K"]
    A = to_dev(a, spec["in_dtype_a"])
    prefer_col = spec["in_dtype_b"].startswith("float8") or spec["in_dtype_b"] == "tfloat32"
    layouts = ["col", "row"] if prefer_col else ["row", "col"]
    errors = []
    for lay in layouts:
        try:
            if lay == "row":
                B = to_dev(b, spec["in_dtype_b"])
                sbk, sbn = B.stride(0), B.stride(1)
            else:
                Bt = to_dev(np.ascontiguousarray(b.T), spec["in_dtype_b"])
                B = Bt
                sbk, sbn = 1, K
            C = torch.empty((M, N), dtype=torch.float32, device=DEVICE)
            grid = (M // p["BLOCK_M"], N // p["BLOCK_N"])

            def fn():
                C.fill_(np.nan)
                k = _mm_kernel[grid](A, B, C, K, A.stride(0), A.stride(1), sbk, sbn,
                                     C.stride(0), C.stride(1),
                                     BLOCK_M=p["BLOCK_M"], BLOCK_N=p["BLOCK_N"],
                                     BLOCK_K=p["BLOCK_K"],
                                     INPUT_PRECISION=p["input_precision"],
                                     MAX_IMPRECISE=p["max_num_imprecise_acc"],
                                     num_warps=p["num_warps"])
                fn.compiled = k
                return C

            out, rep = run_twice(fn, "float32")
            ins, extra = _ptx_mma(getattr(fn, "compiled", None))
            lay_txt = ("a: row-major MxK; b: " +
                       ("row-major KxN (N contiguous)" if lay == "row" else
                        "column-major KxN (contiguous NxK B.T; K contiguous)"))
            info = dict(repeat_equal=rep, ptx_mma=ins, ptx_info=extra, layout=lay_txt,
                        b_layout=lay)
            if errors:
                info["notes"] = f"layout {layouts[0]} failed: {errors[0]}"
            return out, info
        except Exception as ex:
            errors.append(f"{type(ex).__name__}: {str(ex)[:300]}")
    raise RuntimeError(" | ".join(errors))


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def set_torch_flags():
    st = {}
    if torch is None:
        return st
    m = torch.backends.cuda.matmul
    m.allow_tf32 = False
    st["allow_tf32"] = m.allow_tf32
    for attr in ("allow_bf16_reduced_precision_reduction",
                 "allow_fp16_reduced_precision_reduction"):
        try:
            setattr(m, attr, (False, False))
            st[attr + "_set"] = "(False, False)"
        except Exception as ex:
            setattr(m, attr, False)
            st[attr + "_set"] = f"False (tuple refused: {ex!r})"
        st[attr] = repr(getattr(m, attr))
    try:
        st["allow_fp16_accumulation"] = repr(m.allow_fp16_accumulation)
    except Exception:
        pass
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    st["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    st["deterministic_algorithms"] = torch.are_deterministic_algorithms_enabled()
    st["CUBLAS_WORKSPACE_CONFIG"] = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    try:
        st["preferred_blas_library"] = str(torch.backends.cuda.preferred_blas_library())
    except Exception as ex:
        st["preferred_blas_library"] = repr(ex)
    return st


def env_info(dry):
    env = dict(python=platform.python_version(), numpy=np.__version__,
               ml_dtypes=getattr(ml_dtypes, "__version__", "?"), platform=platform.platform(),
               date_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               dry_run=dry)
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_cuda"] = torch.version.cuda
        try:
            env["torch_compiled_cuda"] = torch._C._cuda_getCompiledVersion()
        except Exception:
            pass
        if torch.cuda.is_available():
            env["gpu_name"] = torch.cuda.get_device_name()
            env["gpu_capability"] = list(torch.cuda.get_device_capability())
            env["gpu_sm_count"] = torch.cuda.get_device_properties(0).multi_processor_count
    if triton is not None:
        env["triton"] = triton.__version__
    try:
        r = subprocess.run(["nvcc", "--version"], capture_output=True, text=True, timeout=20)
        env["nvcc"] = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else None
    except Exception:
        pass
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                            "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
        env["nvidia_smi"] = r.stdout.strip()
    except Exception:
        pass
    try:
        import importlib.metadata as md
        for pkg in ("nvidia-cublas", "nvidia-cublas-cu12", "nvidia-cublas-cu13", "cupy-cuda13x"):
            try:
                env[f"pkg_{pkg}"] = md.version(pkg)
            except Exception:
                pass
    except Exception:
        pass
    return env


def cublas_info():
    """cuBLAS / cuBLASLt versions of the libraries loaded in this process (best effort)."""
    info = {}
    try:
        with open("/proc/self/maps") as fh:
            libs = sorted({ln.split()[-1] for ln in fh if "libcublas" in ln and "/" in ln})
        info["loaded"] = libs
        for p in libs:
            lib = ctypes.CDLL(p)
            if "libcublasLt" in os.path.basename(p):
                f = lib.cublasLtGetVersion
                f.restype = ctypes.c_size_t
                info["cublasLt_version"] = int(f())
            else:
                vals = []
                for t in range(3):
                    v = ctypes.c_int(0)
                    lib.cublasGetProperty(t, ctypes.byref(v))
                    vals.append(v.value)
                info["cublas_version"] = ".".join(map(str, vals))
    except Exception as ex:
        info["error"] = repr(ex)
    return info


def run_family(fam, outdir, dry, deadline, manifest):
    specs = PLANS[fam]()
    arrays, cases, skipped, stats = {}, [], [], []
    tf = time.time()
    for spec in specs:
        nm = spec["name"]
        if time.time() > deadline:
            skipped.append(dict(name=nm, reason="time budget of the capture run exhausted"))
            continue
        try:
            if fam == "triton_dot" and spec["params"]["max_num_imprecise_acc"] is not None and \
                    spec["params"]["max_num_imprecise_acc"] > spec["params"]["BLOCK_K"]:
                raise ValueError("max_num_imprecise_acc > BLOCK_K is rejected by Triton")
            a, b, placed = make_inputs(spec)
            sa = sb = None
            if fam == "scaled_mm":
                sa, sb = scales_for(spec)
            C = ref_product(a, b, spec, sa, sb)
            if dry:
                out = cast_out(C, spec["out_dtype"])
                info = dict(repeat_equal=None, notes="DRY RUN: numpy stand-in output")
            elif fam == "matmul":
                out, info = gpu_matmul(spec, a, b)
            elif fam == "scaled_mm":
                out, info = gpu_scaled_mm(spec, a, b, sa, sb)
            else:
                out, info = gpu_triton(spec, a, b)
            assert out.shape == (spec["M"], spec["N"]), out.shape
            rec = dict(spec)
            rec["probes"] = placed
            rec.setdefault("layout", "a: row-major MxK; b: logical KxN")
            rec.update(info)
            arrays[f"{nm}__a"] = a
            arrays[f"{nm}__b"] = b
            arrays[f"{nm}__out"] = out
            if sa is not None:
                arrays[f"{nm}__scale_a"] = np.asarray(sa, np.float32).view(np.uint32)
                arrays[f"{nm}__scale_b"] = np.asarray(sb, np.float32).view(np.uint32)
                rec["scale_a"] = np.asarray(sa, np.float32).ravel()[:4].tolist()
                rec["scale_b"] = np.asarray(sb, np.float32).ravel()[:4].tolist()
                rec["scale_shape_a"] = list(np.shape(sa))
                rec["scale_shape_b"] = list(np.shape(sb))
            st = sanity_stats(out, spec, C)
            rec["sanity"] = st
            stats.append(st)
            cases.append(rec)
            log(f"{fam}: ok   {nm}  median_rel={st['median_rel']} nonfinite={st['n_out_nonfinite']}"
                f" rep={info.get('repeat_equal')} {info.get('ptx_mma') or ''}"
                f" {(info.get('gpu_kernels') or [''])[:2]}")
        except Exception as ex:
            msg = f"{type(ex).__name__}: {str(ex)[:600]}"
            skipped.append(dict(name=nm, reason=msg))
            log(f"{fam}: SKIP {nm}: {msg}")
            if os.environ.get("CAPTURE_TRACEBACK"):
                traceback.print_exc()
    path = os.path.join(outdir, f"{fam}.npz")
    np.savez_compressed(path, cases=np.array(json.dumps(cases)),
                        skipped=np.array(json.dumps(skipped)), **arrays)
    meds = [s["median_rel"] for s in stats if s["median_rel"] is not None]
    manifest["families"][fam] = dict(
        file=f"{fam}.npz", n_cases=len(cases), n_skipped=len(skipped),
        bytes=os.path.getsize(path), seconds=round(time.time() - tf, 1),
        median_of_case_median_rel=float(np.median(meds)) if meds else None)
    manifest["skipped"].extend(dict(family=fam, **s) for s in skipped)
    log(f"{fam}: wrote {path} ({os.path.getsize(path)} bytes, {len(cases)} cases, "
        f"{len(skipped)} skipped)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU only: generate inputs and write numpy stand-in outputs")
    ap.add_argument("--families", default=",".join(ORDER))
    ap.add_argument("--time-budget", type=float, default=330.0,
                    help="seconds after which remaining cases are skipped (logged)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    dry = args.dry_run
    if not dry and (torch is None or (DEVICE == "cuda" and not torch.cuda.is_available())):
        sys.exit("torch with CUDA is required (use --dry-run on a CPU machine)")
    manifest = dict(script="tools/capture_h100.py", argv=sys.argv, families={}, skipped=[])
    manifest["settings"] = set_torch_flags() if not dry else {}
    manifest["env"] = env_info(dry)
    deadline = T0 + args.time_budget
    mpath = os.path.join(args.out, "manifest.json")
    for fam in [f for f in ORDER if f in args.families.split(",")]:
        if fam == "triton_dot" and not dry and triton is None:
            manifest["skipped"].append(dict(family=fam, name="*", reason="triton not importable"))
            continue
        try:
            run_family(fam, args.out, dry, deadline, manifest)
        except Exception as ex:
            manifest["skipped"].append(dict(family=fam, name="*",
                                            reason=f"family failed: {type(ex).__name__}: {ex}"))
            log(f"family {fam} failed: {ex!r}")
            traceback.print_exc()
        if not dry and fam in ("matmul", "scaled_mm") and "cublas" not in manifest["env"]:
            manifest["env"]["cublas"] = cublas_info()
        with open(mpath, "w") as fh:
            json.dump(manifest, fh, indent=1, default=str)
    if not dry and "cublas" not in manifest["env"]:
        manifest["env"]["cublas"] = cublas_info()
    manifest["total_seconds"] = round(time.time() - T0, 1)
    manifest["total_bytes"] = sum(v["bytes"] for v in manifest["families"].values())
    with open(mpath, "w") as fh:
        json.dump(manifest, fh, indent=1, default=str)
    log(f"done: {manifest['total_bytes']} bytes in {len(manifest['families'])} files; "
        f"{len(manifest['skipped'])} skipped")


if __name__ == "__main__":
    main()
