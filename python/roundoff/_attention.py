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
    """The four per-thread running sums of each row (... x 4) after one block of p (... x
    block_n, float32): thread q folds its columns 8t + 2q, 8t + 2q + 1 in order of t."""
    *lead, n = p.shape
    order = np.moveaxis(p.reshape(*lead, n // 8, 4, 2), -2, -3).reshape(*lead, 4, n // 4)
    if sums is None or alpha is None:
        s = order[..., 0].copy()
    else:  # FMA(sum, alpha, p_first), one rounding
        s = np.asarray(fma(sums, np.broadcast_to(alpha[..., None], sums.shape), order[..., 0],
                           "float32", dtype=np.float32))
    for j in range(1, n // 4):
        s = s + order[..., j]
    return s


def _forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, fmt: str, causal: bool,
             scale: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All heads at once: q (N, Sq, D), k and v (N, Sk, D) float32 values (grouped-query heads
    already repeated). Returns O (float32, before the cast) and the row maxima and sums.

    The kernel's row tiles are independent, and a tile skips only key blocks that its causal
    mask hides entirely; so every row runs through every key block here, from the last: a row
    meets a hidden block as one whose maximum is -inf, whose p are 0, and the next visible
    block then rescales by exp2(-inf) = 0, which leaves the state the tile would have started
    from (sum FMA(0, 0, p) = p, output 0 * 0 = 0, the tensor core's c = 0 as the kernel's
    cleared accumulator). The captured cases check it, causal ones included."""
    n_heads, sq, d = q.shape
    sk = k.shape[1]
    block_n = 128 if d <= 64 else 64
    acc = hw.preset("h100.mma", a_fmt=fmt)
    c = np.float32(float(scale) * _LOG2E)
    n_blocks = -(-sk // block_n)
    pad = n_blocks * block_n - sk  # keys past the end read as zeros, masked
    kp = np.concatenate([k, np.zeros((n_heads, pad, d), np.float32)], axis=1)
    vp = np.concatenate([v, np.zeros((n_heads, pad, d), np.float32)], axis=1)
    rows = np.arange(sq)[:, None]
    m: Optional[np.ndarray] = None
    sums: Optional[np.ndarray] = None
    o = np.zeros((n_heads, sq, d), np.float32)
    for nb in range(n_blocks - 1, -1, -1):
        blk = slice(nb * block_n, (nb + 1) * block_n)
        cols = np.arange(nb * block_n, (nb + 1) * block_n)[None, :]
        s = matmul_f32(q, np.swapaxes(kp[:, blk], 1, 2), acc)
        visible = cols < sk
        if causal:  # lower-right aligned
            visible = visible & (cols <= rows + (sk - sq))
        s = np.where(visible, s, np.float32(-np.inf))
        m_blk = s.max(axis=-1)
        m_new = m_blk if m is None else np.maximum(m, m_blk)
        m_use = np.where(m_new == -np.inf, np.float32(0), m_new)
        with np.errstate(invalid="ignore"):
            p = _ex2((s * c) - (m_use * c)[..., None])
        if m is None:
            sums = _thread_sums(p, None, None)
        else:
            with np.errstate(invalid="ignore"):
                alpha = _ex2((m - m_use) * c)
            o = o * alpha[..., None]
            sums = _thread_sums(p, sums, alpha)
        m = m_new
        p16 = decode(encode(p, fmt), fmt, np.float32)
        o = matmul_f32(p16, vp[:, blk], acc, o)
    assert sums is not None and m is not None  # one block at least (sk >= 1)
    total = (sums[..., 0] + sums[..., 2]) + (sums[..., 1] + sums[..., 3])
    with np.errstate(divide="ignore"):
        inv = np.where((total == 0) | np.isnan(total), np.float32(1), np.float32(1) / total)
    return o * inv[..., None], m, total


def matmul_f32(a: np.ndarray, b: np.ndarray, acc: Any, c: Optional[np.ndarray] = None
               ) -> np.ndarray:
    """a @ b (+ c) through the tensor-core model, as float32 values."""
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
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal: True or False, got {causal!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))
                              or not 0 < scale < np.inf):
        raise ValueError(f"scale: a positive finite number or None, got {scale!r}")
    fmt = kinds[qa.dtype]
    sc = D ** -0.5 if scale is None else float(scale)
    qv, kv, vv = (_exact_values(t, n)[0].astype(np.float32) for t, n in
                  ((qa, "q"), (ka, "k"), (va, "v")))
    group = Hq // Hkv  # query head h reads key/value head h // group
    kv, vv = (np.repeat(t, group, axis=1).reshape(B * Hq, Sk, D) for t in (kv, vv))
    out, m, s = _forward(qv.reshape(B * Hq, Sq, D), kv, vv, fmt, causal, sc)
    with np.errstate(divide="ignore"):
        lse = np.where(s > 0, m.astype(np.float64) * sc + np.log(s), np.inf)
    return encode(out.reshape(qa.shape), fmt).view(qa.dtype), lse.reshape(B, Hq, Sq)


