"""Blocked (FlashAttention-style) attention with every rounding stated.

The first recipe is ``"torch_sdpa_flash.sm90"``: the forward pass of PyTorch 2.11's SDPA flash
backend (its vendored FlashAttention-2) on Hopper, bf16 and fp16, head dims 64 and 128, as read
from its source and machine code:

* tiles of 128 query rows by 128 keys (D <= 64) or 64 keys (D = 128); the key blocks of a row
  tile run from the last to the first, causal tiles skipping the blocks past their diagonal;
* S = Q K^T by the tensor core's mma.sync chain over D (``hw.preset("h100.mma")``), from zero;
  keys past the end and above the (lower-right aligned) causal diagonal masked to -inf;
* the row maximum m (exact); p = exp2f(RN(RN(S * c) - RN(m * c))) with c = RN_f32(scale *
  log2 e), exp2f being ``ex2.approx.f32`` (MUFU.EX2, ``sm90:ex2.approx.f32``); for later blocks
  alpha = exp2f(RN(RN(m_old - m_new) * c)) rescales the output accumulator (one rounding) and
  the running sum;
* the running sum: each of the four threads that hold a row keeps its own chain across all
  blocks, over its columns 2q, 2q + 1, 8 + 2q, 9 + 2q, ... (q = lane % 4): the first block's from
  its first value, later ones as FMA(sum, alpha, p_first) + p_next + ...; the four are added
  in the epilogue as (s0 + s2) + (s1 + s3);
* P rounded to the input format (nearest-even) and multiplied into the output accumulator by
  the same mma.sync chain (the accumulator its c operand; padded keys add zeros);
* O = RN(acc * RN(1 / sum)) (IEEE reciprocal; 1 where the sum is 0 or NaN), rounded to the
  input format.

This is PyTorch's ``flash_fwd_kernel``. It reproduces its output bit for bit on all 18
captured cases that ran it (tests/data/attention_sm90, tools/capture_attention.py;
tests/test_attention.py): head dims 64 and 128, partial key blocks, grouped-query heads,
causal. When batch x heads x row blocks of 64 is below 0.8 x twice the SM count and the keys
span several blocks, PyTorch runs ``flash_fwd_splitkv_kernel`` instead (key blocks of 256 for
D = 64, split across thread blocks, then combined through each part's log-sum-exp): that path
is not modelled, as its log-sum-exp goes through MUFU.LG2 (``lg2.approx``, not modelled
either); on the 18 captured cases of the first capture that took it, this model matches 55-99%
of O's elements. The backward pass, the
log-sum-exp's bits, the other recipes of the design and the bounds are not here yet.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike

from . import hw
from ._arith import _exact_values, fma
from ._casts import decode, encode
from ._special import exp2

RECIPES = ("torch_sdpa_flash.sm90",)
_LOG2E = 1.4426950408889634074  # M_LOG2E, the double the host code multiplies by
_EX2 = "sm90:ex2.approx.f32"


def _ex2(x: np.ndarray) -> np.ndarray:
    return np.asarray(exp2(x, "float32", impl=_EX2, dtype=np.float32))


def _thread_sums(p: np.ndarray, sums: Optional[np.ndarray], alpha: Optional[np.ndarray]
                 ) -> np.ndarray:
    """The four per-thread running sums of each row (rows x 4) after one block of p (rows x
    block_n, float32): thread q folds its columns 8t + 2q, 8t + 2q + 1 in order of t."""
    rows, n = p.shape
    order = p.reshape(rows, n // 8, 4, 2).transpose(0, 2, 1, 3).reshape(rows, 4, n // 4)
    if sums is None or alpha is None:
        s = order[:, :, 0].copy()
    else:  # FMA(sum, alpha, p_first), one rounding
        s = np.asarray(fma(sums, np.broadcast_to(alpha[:, None], sums.shape), order[:, :, 0],
                           "float32", dtype=np.float32))
    for j in range(1, n // 4):
        s = s + order[:, :, j]
    return s


def _forward_head(q: np.ndarray, k: np.ndarray, v: np.ndarray, fmt: str, causal: bool,
                  scale: float) -> Tuple[np.ndarray, np.ndarray]:
    """One head: q (Sq, D), k and v (Sk, D) float32 values. Returns O's codes and the row
    maxima and sums (for the log-sum-exp)."""
    sq, d = q.shape
    sk = k.shape[0]
    block_m, block_n = 128, (128 if d <= 64 else 64)
    acc = hw.preset("h100.mma", a_fmt=fmt)
    c = np.float32(float(scale) * _LOG2E)
    n_blocks = -(-sk // block_n)
    pad = n_blocks * block_n - sk
    kp = np.concatenate([k, np.zeros((pad, d), np.float32)])
    vp = np.concatenate([v, np.zeros((pad, d), np.float32)])
    cols = np.arange(n_blocks * block_n)
    out = np.empty((sq, d), np.float32)
    row_max = np.empty(sq, np.float32)
    row_sum = np.empty(sq, np.float32)
    for r0 in range(0, sq, block_m):
        rows = np.arange(r0, min(sq, r0 + block_m))
        qb = q[rows]
        last = n_blocks
        if causal:  # blocks past the tile's diagonal are skipped
            last = min(n_blocks, -(-(r0 + block_m + sk - sq) // block_n))
        if last <= 0:  # no key visible to the tile: O = 0, sum 0 (log-sum-exp +Inf)
            out[rows], row_max[rows], row_sum[rows] = 0, -np.inf, 0
            continue
        m = sums = o = None
        for nb in range(last - 1, -1, -1):
            blk = slice(nb * block_n, (nb + 1) * block_n)
            s = np.asarray(matmul_f32(qb, kp[blk].T, acc))
            visible = cols[None, blk] < sk
            if causal:
                visible = visible & (cols[None, blk] <= rows[:, None] + (sk - sq))
            s = np.where(visible, s, np.float32(-np.inf))
            m_blk = s.max(axis=1)
            m_new = m_blk if m is None else np.maximum(m, m_blk)
            m_use = np.where(m_new == -np.inf, np.float32(0), m_new)
            with np.errstate(invalid="ignore"):
                p = _ex2((s * c) - (m_use * c)[:, None])
            if m is None or o is None:
                sums = _thread_sums(p, None, None)
            else:
                with np.errstate(invalid="ignore"):
                    alpha = _ex2((m - m_use) * c)
                o = o * alpha[:, None]
                sums = _thread_sums(p, sums, alpha)
            m = m_new
            p16 = decode(encode(p, fmt), fmt, np.float32)
            o = np.asarray(matmul_f32(p16, vp[blk], acc, o))
        assert sums is not None and o is not None and m is not None  # one block at least
        total = (sums[:, 0] + sums[:, 2]) + (sums[:, 1] + sums[:, 3])
        with np.errstate(divide="ignore"):
            inv = np.where((total == 0) | np.isnan(total), np.float32(1),
                           np.float32(1) / total)
        out[rows] = o * inv[:, None]
        row_max[rows], row_sum[rows] = m, total
    return out, np.stack([row_max, row_sum])


def matmul_f32(a: np.ndarray, b: np.ndarray, acc: Any, c: Optional[np.ndarray] = None
               ) -> np.ndarray:
    from .accumulate import matmul
    return np.asarray(matmul(a, b, acc, c=c, dtype=np.float32))


def attention(q: ArrayLike, k: ArrayLike, v: ArrayLike, recipe: str = "torch_sdpa_flash.sm90",
              *, causal: bool = False, scale: Optional[float] = None
              ) -> Tuple[np.ndarray, np.ndarray]:
    """softmax(q k^T * scale) v over the last two axes, as ``recipe`` computes it.

    Args:
        q: ``(B, H_q, S_q, D)`` bf16 or fp16 values (ml_dtypes arrays, or codes' values).
        k, v: ``(B, H_kv, S_k, D)``, H_q a multiple of H_kv (grouped-query heads share them).
        recipe: ``"torch_sdpa_flash.sm90"`` (the only one so far; see the module docstring).
        causal: mask keys j > i + S_k - S_q (lower-right aligned, as FlashAttention-2).
        scale: the softmax scale (default 1/sqrt(D)).

    Returns:
        (O as an array of q's dtype, the log-sum-exp as float64: m * scale + ln(sum), computed
        in float64 from the emulated row maximum and sum: not the GPU's bits).
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe: one of {RECIPES}, got {recipe!r}")
    qa, ka, va = (np.asarray(t) for t in (q, k, v))
    import ml_dtypes
    kinds = {np.dtype(ml_dtypes.bfloat16): "bf16", np.dtype(np.float16): "fp16"}
    if qa.dtype not in kinds or ka.dtype != qa.dtype or va.dtype != qa.dtype:
        raise TypeError(f"q, k, v: bfloat16 or float16 arrays of one dtype, got {qa.dtype}, "
                        f"{ka.dtype}, {va.dtype}")
    if qa.ndim != 4 or ka.ndim != 4 or va.shape != ka.shape:
        raise ValueError(f"q, k, v: shapes (B, H, S, D) with k and v alike, got {qa.shape}, "
                         f"{ka.shape}, {va.shape}")
    B, Hq, Sq, D = qa.shape
    Bk, Hkv, Sk, Dk = ka.shape
    if Bk != B or Dk != D or Hq % Hkv:
        raise ValueError(f"k: batch and head dim of q, heads dividing q's; got q {qa.shape}, "
                         f"k {ka.shape}")
    if D not in (64, 128):
        raise ValueError(f"q: the recipe {recipe!r} covers head dims 64 and 128, got {D}")
    fmt = kinds[qa.dtype]
    sc = D ** -0.5 if scale is None else float(scale)
    qv, kv, vv = (_exact_values(t, n)[0].astype(np.float32) for t, n in
                  ((qa, "q"), (ka, "k"), (va, "v")))
    out = np.empty(qa.shape, np.float32)
    lse = np.empty((B, Hq, Sq))
    for b in range(B):
        for h in range(Hq):
            g = h // (Hq // Hkv)
            o, (m, s) = _forward_head(qv[b, h], kv[b, g], vv[b, g], fmt, causal, sc)
            out[b, h] = o
            with np.errstate(divide="ignore"):
                lse[b, h] = np.where(s > 0, m.astype(np.float64) * sc + np.log(s), np.inf)
    return encode(out, fmt).view(qa.dtype), lse


