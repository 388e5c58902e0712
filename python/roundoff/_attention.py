"""Attention with every rounding stated: blocked (FlashAttention-style) kernels as GPUs run
them, the materialised softmax(QK^T)V, and the exact attention rounded once.

A recipe is data (:class:`BlockedAttention`, :class:`NaiveAttention`, :class:`ExactAttention`;
``RECIPES`` holds the named ones); :func:`attention` runs the forward pass and
:func:`attention_backward` FlashAttention-2's backward pass. Named recipes:

* ``"torch_sdpa_flash.sm90"``: PyTorch 2.11's SDPA flash backend (its vendored
  FlashAttention-2) on Hopper, bf16 and fp16, head dims 64 and 128, read from its source and
  machine code. Forward (``flash_fwd_kernel``): tiles of 128 query rows by 128 keys (D <= 64)
  or 64 keys (D = 128), key blocks from the last; S = Q K^T by the tensor core's mma.sync
  chain over D (``hw.preset("h100.mma")``); masked keys -inf; p = exp2f(RN(RN(S c) - RN(m
  c))) with c = RN_f32(scale log2 e) and exp2f ``ex2.approx.f32`` (MUFU.EX2); alpha =
  exp2f(RN(RN(m_old - m_new) c)); each of the four threads holding a row keeps its own sum
  across all blocks, added in the epilogue as (s0 + s2) + (s1 + s3); P rounded to the input
  format into the same mma chain; O = RN(acc RN(1 / sum)); the log-sum-exp FFMA(m, scale,
  __logf(sum)) in float32, __logf = RN(MUFU.LG2(sum) ln 2). For few row tiles (batch x heads
  x row blocks of 64 below 0.8 x twice the SM count) and keys spanning several blocks,
  PyTorch's heuristic splits the keys (``flash_fwd_splitkv_kernel``: blocks of 256 keys for
  D <= 64, 128 for D = 128, each split as above, then ``flash_fwd_splitkv_combine_kernel``
  through expf and logf). O and the log-sum-exp bit for bit on all 44 captured cases, the 26
  split ones included (tests/data/attention_sm90). Backward: dK and dV bit for bit on all 28
  captured cases, dQ up to the order of its atomic adds.
* ``"triton_tutorial.sm90"``: Triton 3.6's tutorial fused attention (float16; BLOCK_M 128,
  BLOCK_N 64, wgmma; the scale fused into one FMA, per-block row sums by the butterfly,
  div.full): forward and backward bit for bit on its 8 deterministic captures
  (tests/data/triton_attention_sm90, tools/capture_triton_attention.py).
* ``"fp8_fa3.sm90"``: FlashAttention-3's FP8 forward as its paper describes it (E4M3 Q, K, V
  with per-tensor scales, P in E4M3, wgmma): stated, not captured (PyTorch ships no such
  kernel).
* ``"naive"``: PyTorch's math backend (q and k times sqrt(scale), float32 matmuls, its
  softmax kernel, then the cast; cuBLAS's summation order is not modelled: sequential);
  ``"naive_lowp"``: FlashAttention's test reference in the inputs' format (k times the scale,
  S, P and O rounded to it).
* ``"exact"``: the exact attention rounded once.

The forward's log-sum-exp is returned in float64: PyTorch's own float32 bits for
``torch_sdpa_flash.sm90`` (``lse="fast_logf"``), Triton's M = m + log2f(l) times ln 2 for
``triton_tutorial.sm90`` (``lse="log2f"``: M is the float32 nearest lse / ln 2); for the
other recipes formed in float64 from the emulated row maximum and sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from . import hw
from ._arith import _exact_values, div, fma
from ._casts import decode, encode
from ._formats import FormatLike, format, ml_dtype
from ._special import exp2
from .accumulate import Accumulator

_LOG2E = 1.4426950408889634074  # M_LOG2E, the double the host code multiplies by
_LOG2E_F32 = np.float32(1.44269504)  # the float literal Triton's kernel multiplies by
AccumulatorLike = Union[str, Accumulator]


@dataclass(frozen=True)
class BlockedAttention:
    """A blocked (online-softmax) attention kernel. Per row: the key blocks in ``key_order``;
    per block S = Q K^T (``qk``), the running maximum m, p = exp2(t) (``exp``, float32), the
    rescale alpha = exp2(m_old - m_new) of the output accumulator (one rounding) and of the
    running sum, P = p rounded into ``p_format``, acc = P V + acc (``pv``, the accumulator as
    the c operand); then the epilogue. All state is float32.

    Fields:
        block_n: keys per block: an int, or ``((max_head_dim, block_n), ...)`` ascending.
        block_m: query rows per tile (matters for ``scale="fused"`` causal diagonal blocks).
        key_order: ``"reverse"`` (last block first, as PyTorch's flash kernel) or
            ``"forward"``.
        qk, pv: a tensor-core preset name (:func:`roundoff.hw.preset`, given the operands'
            formats) or an :class:`~roundoff.Accumulator`; the chain runs over D (qk) and over
            the keys of a block (pv).
        qkv_format: None (the inputs as they are) or a format Q, K, V are scaled into
            (x / s, s = amax / the format's max, s in float32) and rounded (nearest-even,
            saturating as FP8 conversions do: cvt.rn.satfinite; so is prescaled Q);
            S is then multiplied by RN(s_q s_k) (one rounding) and O by s_v at the end.
        qkv_scaling: ``"per_tensor"`` or ``"per_block"`` (Q per ``block_m`` rows and K per
            ``block_n`` keys of each head; V per tensor), with ``qkv_format``.
        scale: where the softmax scale goes, with c the scale times log2 e in float32:
            ``"unfused"``: t = RN(RN(S c) - RN(m c)), m the maximum of S, alpha from
            RN(RN(m_old - m_new) c) (PyTorch's flash kernel; c = RN(scale * M_LOG2E));
            ``"fused"``: m the maximum of RN(S c) per block, t = FMA(S, c, -m) (one rounding),
            alpha from RN(m_old - m_new); on causal blocks that cross a tile's diagonal
            t0 = FMA(S, c, 0 or -1e6 where masked), m over t0, t = RN(t0 - m) (Triton's
            tutorial; c = RN(RN_f32(scale) * 1.44269504f));
            ``"prescaled_q"``: Q rounded to its format after multiplying by c, then t =
            RN(S - m) and alpha from RN(m_old - m_new).
        exp: the exp2 impl (``"cr"`` or an :func:`roundoff.exp2` GPU impl).
        row_sum: ``"per_thread"``: each of the four threads of a row keeps one chain across
            all blocks (FMA(sum, alpha, p_first) + ...), added as (s0 + s2) + (s1 + s3) at the
            end; ``"per_block"``: each block's four thread folds are added by the butterfly
            (xor 2, xor 1) and the running sum is FMA(sum, alpha, block_sum). A thread folds
            its columns 8t + 2q, 8t + 2q + 1 (q = 0..3) in order of t (the mma fragment).
        p_format: the format P is rounded into (None: the inputs' format); ``p_scale`` (a
            power of two) multiplies p before that rounding and divides O at the end.
        epilogue: ``"reciprocal"`` (O = RN(acc RN(1 / sum)), IEEE), ``"divide"`` (RN(acc /
            sum)) or ``"div_full"`` (CUDA's div.full.f32: MUFU.RCP based).
        bwd_loops: the backward kernel (:func:`attention_backward`):
            ``"fa2_seqk_parallel"`` (PyTorch's FlashAttention-2: per key block the query
            blocks from the last; P from RN(S c) - RN(lse log2 e); dQ per key block added with
            atomics) or ``"triton_tutorial"`` (Triton's tutorial: K pre-scaled by c on the
            host and rounded to the format, P from S - M with M = m + log2 l; dK, dV chained
            over the query rows from the key block's diagonal; dQ per query block over its
            diagonal keys, then the keys before; always causal, upper-left; dQ times ln 2).
        bwd_blocks: the backward kernel's (block_m, block_n): ``((max_head_dim, block_m,
            block_n), ...)`` ascending.
        delta_threads: the threads that share a row in Delta = rowsum(dO O) (None: D / 8).
        lse: how the log-sum-exp is formed: ``"float64"`` (from the emulated row maximum and
            sum, in float64), ``"fast_logf"`` (the kernel's float32 FFMA(m, scale,
            __logf(sum)), __logf being MUFU.LG2 times ln 2: PyTorch's) or ``"log2f"``
            (Triton's M = m + log2f(sum) in float32, m in log2 units; returned times ln 2).
        split_kv_sms: None, or the SM count of PyTorch's split-KV choice: when batch x heads
            x row blocks of 64 is below 0.8 x twice it, the keys are split (blocks of
            ``split_block_n``) into as many parts as its heuristic picks, each part's O and
            log-sum-exp formed as above, and the parts combined in float32 through expf and
            logf (``flash_fwd_splitkv_combine_kernel``).
        split_block_n: the split kernel's keys per block, a table like ``block_n``.
    """

    block_n: Union[int, Tuple[Tuple[int, int], ...]] = 64
    block_m: int = 128
    key_order: str = "forward"
    qk: AccumulatorLike = "h100.mma"
    pv: AccumulatorLike = "h100.mma"
    qkv_format: Optional[FormatLike] = None
    qkv_scaling: str = "per_tensor"
    scale: str = "unfused"
    exp: str = "sm90:ex2.approx.f32"
    row_sum: str = "per_block"
    p_format: Optional[FormatLike] = None
    p_scale: float = 1.0
    epilogue: str = "reciprocal"
    bwd_loops: str = "fa2_seqk_parallel"
    bwd_blocks: Tuple[Tuple[int, int, int], ...] = ((64, 128, 128), (256, 64, 128))
    delta_threads: Optional[int] = 8
    lse: str = "float64"
    split_kv_sms: Optional[int] = None
    split_block_n: Tuple[Tuple[int, int], ...] = ((64, 256), (128, 128), (256, 64))

    def __post_init__(self) -> None:
        choices = {"key_order": ("reverse", "forward"), "qkv_scaling": ("per_tensor",
                   "per_block"), "scale": ("unfused", "fused", "prescaled_q"),
                   "row_sum": ("per_thread", "per_block"),
                   "epilogue": ("reciprocal", "divide", "div_full"),
                   "bwd_loops": ("fa2_seqk_parallel", "triton_tutorial"),
                   "lse": ("float64", "fast_logf", "log2f")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: one of {allowed}, got {getattr(self, name)!r}")
        for name in ("block_m",) + (("block_n",) if isinstance(self.block_n, int) else ()):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 8 or value % 8:
                raise ValueError(f"{name}: a positive multiple of 8, got {value!r}")
        p = self.p_scale
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p < math.inf or \
                math.frexp(p)[0] != 0.5:
            raise ValueError(f"p_scale: a power of two, got {p!r}")

    def block_n_for(self, head_dim: int) -> int:
        """The keys per block at this head dim."""
        if isinstance(self.block_n, int):
            return self.block_n
        for top, n in self.block_n:
            if head_dim <= top:
                return n
        raise ValueError(f"q: head dim {head_dim} above this recipe's block table "
                         f"{self.block_n}")

    def bwd_blocks_for(self, head_dim: int) -> Tuple[int, int]:
        """The backward kernel's (block_m, block_n) at this head dim."""
        for top, bm, bn in self.bwd_blocks:
            if head_dim <= top:
                return bm, bn
        raise ValueError(f"q: head dim {head_dim} above this recipe's backward block table "
                         f"{self.bwd_blocks}")


@dataclass(frozen=True)
class NaiveAttention:
    """The materialised softmax(Q K^T scale) V, each step rounded into a stated format.

    Fields:
        scale_at: where the scale multiplies: ``"both_sqrt"`` (q and k each times
            sqrt(scale), as PyTorch's math backend), ``"q"``, ``"k"`` (FlashAttention's
            test reference with ``reorder_ops``) or ``"scores"``; the product is rounded into
            ``compute`` (the scale itself first, to ``compute``).
        compute: the format of the scaled q/k, of S (``qk`` rounds into it) and of O before
            the output rounding (None: the inputs' format).
        qk, pv: accumulators of the two products (default float32, sequential, FMA).
        softmax: a :class:`roundoff.nn.Softmax` or a preset name of :mod:`roundoff.nn`
            (chosen per row length), over S, rounded into ``p_format``.
        p_format: the format of P (None: ``compute``).
    """

    scale_at: str = "both_sqrt"
    compute: Optional[FormatLike] = "float32"
    qk: Accumulator = Accumulator()
    pv: Accumulator = Accumulator()
    softmax: Any = "pytorch_sm90"
    p_format: Optional[FormatLike] = None

    def __post_init__(self) -> None:
        if self.scale_at not in ("both_sqrt", "q", "k", "scores"):
            raise ValueError(f"scale_at: 'both_sqrt', 'q', 'k' or 'scores', got "
                             f"{self.scale_at!r}")


@dataclass(frozen=True)
class ExactAttention:
    """Every output the exact attention softmax(Q K^T scale) V of the inputs' values, rounded
    once (nearest-even) into the inputs' format. A float64 evaluation with an error bound
    decides almost every element; the rest are decided in decimal arithmetic of growing
    precision, exact ties found exactly (two keys' exponentials of distinct rational scores
    are linearly independent over the rationals, Lindemann-Weierstrass: O lies on a midpoint
    only when, for every set of keys of equal score, their values average to it)."""


Recipe = Union[BlockedAttention, NaiveAttention, ExactAttention]

TORCH_SDPA_FLASH_SM90 = BlockedAttention(
    block_n=((64, 128), (256, 64)), block_m=128, key_order="reverse", qk="h100.mma",
    pv="h100.mma", scale="unfused", exp="sm90:ex2.approx.f32", row_sum="per_thread",
    epilogue="reciprocal", bwd_loops="fa2_seqk_parallel",
    bwd_blocks=((64, 128, 128), (256, 64, 128)), delta_threads=8, lse="fast_logf",
    split_kv_sms=132)
TRITON_TUTORIAL_SM90 = BlockedAttention(
    block_n=64, block_m=128, key_order="forward", qk="h100.wgmma", pv="h100.wgmma",
    scale="fused", exp="sm90:ex2.approx.ftz.f32", row_sum="per_block", epilogue="div_full",
    bwd_loops="triton_tutorial", bwd_blocks=((256, 128, 128),), delta_threads=None,
    lse="log2f")
FP8_FA3_SM90 = BlockedAttention(
    block_n=128, block_m=128, key_order="reverse", qk="h100.wgmma", pv="h100.wgmma",
    qkv_format="e4m3", qkv_scaling="per_tensor", scale="unfused", exp="sm90:ex2.approx.f32",
    row_sum="per_thread", p_format="e4m3", epilogue="reciprocal")

RECIPES: Dict[str, Recipe] = {
    "torch_sdpa_flash.sm90": TORCH_SDPA_FLASH_SM90,
    "triton_tutorial.sm90": TRITON_TUTORIAL_SM90,
    "fp8_fa3.sm90": FP8_FA3_SM90,
    "naive": NaiveAttention(),
    "naive_lowp": NaiveAttention(scale_at="k", compute=None),
    "exact": ExactAttention(),
}


def visible_keys(sq: int, sk: int, causal: bool) -> np.ndarray:
    """(sq, sk) booleans: key j visible to row i (causal: j <= i + sk - sq, lower-right
    aligned as FlashAttention-2 aligns it)."""
    if not causal:
        return np.ones((sq, sk), bool)
    return np.arange(sk)[None, :] <= np.arange(sq)[:, None] + (sk - sq)


def _recipe(recipe: Any) -> Recipe:
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"recipe: one of {sorted(RECIPES)} or a recipe object, got "
                             f"{recipe!r}")
        return RECIPES[recipe]
    if not isinstance(recipe, (BlockedAttention, NaiveAttention, ExactAttention)):
        raise TypeError(f"recipe: a name or a BlockedAttention, NaiveAttention or "
                        f"ExactAttention, got {type(recipe).__name__}")
    return recipe


def _accumulator(acc: AccumulatorLike, a_fmt: FormatLike, b_fmt: FormatLike) -> Accumulator:
    if isinstance(acc, Accumulator):
        return acc
    return hw.preset(acc, a_fmt=a_fmt, b_fmt=b_fmt)


def matmul_f32(a: np.ndarray, b: np.ndarray, acc: Accumulator, c: Optional[np.ndarray] = None
               ) -> np.ndarray:
    """a @ b (+ c) through ``acc``, as float32 values."""
    from .accumulate import matmul
    return np.asarray(matmul(a, b, acc, c=c, out_fmt="float32", dtype=np.float32))


def _round(x: np.ndarray, fmt: FormatLike, saturate: bool = False) -> np.ndarray:
    """x rounded to nearest-even into fmt, as float32 values (fmt within float32)."""
    return np.asarray(decode(encode(x, fmt, saturate=saturate), fmt, np.float32))


def _ex2(x: np.ndarray, impl: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(exp2(x, "float32", impl=impl, dtype=np.float32))


def _thread_folds(p: np.ndarray) -> np.ndarray:
    """p (... x n) regrouped as (... x 4 x n/4): thread q's columns 8t + 2q, 8t + 2q + 1 in
    order of t (the mma accumulator fragment)."""
    *lead, n = p.shape
    return np.moveaxis(p.reshape(*lead, n // 8, 4, 2), -2, -3).reshape(*lead, 4, n // 4)


def _fold(first: np.ndarray, rest: np.ndarray) -> np.ndarray:
    s = first
    for j in range(rest.shape[-1]):
        s = s + rest[..., j]
    return s


def _quad(s: np.ndarray) -> np.ndarray:
    """The four thread values of a row added by the butterfly xor 2, xor 1."""
    return (s[..., 0] + s[..., 2]) + (s[..., 1] + s[..., 3])


def _quantize(x: np.ndarray, fmt: FormatLike, rows: Optional[int]) -> Tuple[np.ndarray, Any]:
    """x (N, S, D) scaled into fmt: its values there and the float32 scale s = amax / fmt's
    max (a scalar per tensor; per block of ``rows`` rows of each head, (N, S, 1))."""
    top = np.float32(format(fmt).max)
    if rows is None:
        amax = np.float32(np.abs(x).max()) if x.size else np.float32(0)
        s = amax / top if amax > 0 else np.float32(1)
        return _round(x / s, fmt, saturate=True), np.float32(s)
    n, s_len, d = x.shape
    nb = -(-s_len // rows)
    pad = np.zeros((n, nb * rows - s_len, d), np.float32)
    amax = np.abs(np.concatenate([x, pad], 1)).reshape(n, nb, rows * d).max(-1)
    scales = np.repeat(np.where(amax > 0, amax / top, np.float32(1)), rows, axis=1)
    scales = scales[:, :s_len, None].astype(np.float32)
    return _round(x / scales, fmt, saturate=True), scales


def _blocked_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, fmt: str, causal: bool,
                     scale: float, r: BlockedAttention, block_n: Optional[int] = None,
                     key_blocks: Optional[Tuple[int, int]] = None
                     ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All heads at once: q (N, Sq, D), k and v (N, Sk, D) float32 values (grouped-query heads
    repeated). Returns O (float32, before its cast), the row maxima (in the units of t) and
    the row sums.

    Row tiles are independent and a tile skips only key blocks its causal mask hides
    entirely, so every row runs through every key block here: a row meets a hidden block as
    one whose maximum is -inf and whose p are 0, and the next visible block rescales by
    exp2(-inf) = 0, which leaves the state the tile would have started from (sum FMA(0, 0, p)
    = p, output 0 * 0 = 0, the cleared accumulator). The captured cases check it."""
    n_heads, sq, d = q.shape
    sk = k.shape[1]
    block_n = r.block_n_for(d) if block_n is None else block_n
    in_fmt: FormatLike = fmt
    s_qk: Any = np.float32(1)
    s_v: Any = np.float32(1)
    if r.qkv_format is not None:
        in_fmt = r.qkv_format
        per_block = r.qkv_scaling == "per_block"
        q, sq_scale = _quantize(q, in_fmt, r.block_m if per_block else None)
        k, sk_scale = _quantize(k, in_fmt, block_n if per_block else None)
        v, s_v = _quantize(v, in_fmt, None)
        s_qk = sq_scale * (np.swapaxes(sk_scale, 1, 2) if per_block else sk_scale)
    p_fmt = in_fmt if r.p_format is None else r.p_format
    qk = _accumulator(r.qk, in_fmt, in_fmt)
    pv = _accumulator(r.pv, p_fmt, in_fmt)
    if r.scale == "fused":
        c = np.float32(np.float32(scale) * _LOG2E_F32)
    else:
        c = np.float32(float(scale) * _LOG2E)
    if r.scale == "prescaled_q":
        q = _round(q * c, in_fmt, saturate=r.qkv_format is not None)
    n_blocks = -(-sk // block_n)
    pad = n_blocks * block_n - sk  # keys past the end read as zeros, masked
    kp, vp = (np.concatenate([t, np.zeros((n_heads, pad, d), np.float32)], axis=1)
              for t in (k, v))
    if np.ndim(s_qk) == 3:
        s_qk = np.concatenate([s_qk, np.ones((n_heads, sq, pad), np.float32)], axis=2)
    rows = np.arange(sq)[:, None]
    tile = (rows // r.block_m) * r.block_m + (sk - sq)  # first diagonal key of the row's tile
    m = np.full((n_heads, sq), -np.inf, np.float32)
    sums: Optional[np.ndarray] = None
    o = np.zeros((n_heads, sq, d), np.float32)
    lo, hi = (0, n_blocks) if key_blocks is None else key_blocks  # a split's key blocks
    order = range(hi - 1, lo - 1, -1) if r.key_order == "reverse" else range(lo, hi)
    for step, nb in enumerate(order):
        blk = slice(nb * block_n, (nb + 1) * block_n)
        cols = np.arange(nb * block_n, (nb + 1) * block_n)[None, :]
        s = matmul_f32(q, np.swapaxes(kp[:, blk], 1, 2), qk)
        if r.qkv_format is not None:  # S times RN(s_q s_k)
            s = s * (s_qk[..., blk] if np.ndim(s_qk) == 3 else s_qk)
        visible = cols < sk
        if causal:  # lower-right aligned
            visible = visible & (cols <= rows + (sk - sq))
        with np.errstate(invalid="ignore", over="ignore"):
            m_new, t = _shifted(s, visible, m, c, r.scale,
                                causal and r.scale == "fused",
                                (cols[0, 0] < tile + r.block_m) & (cols[0, -1] >= tile))
            m_use = np.where(m_new == -np.inf, np.float32(0), m_new)
            p = _ex2(t, r.exp)
            if r.scale == "unfused":
                alpha = _ex2((m - m_use) * c, r.exp)
            else:
                alpha = _ex2(m - m_use, r.exp)
        folds = _thread_folds(p)
        if r.row_sum == "per_thread":
            if sums is None:
                sums = _fold(folds[..., 0], folds[..., 1:])
            else:
                first = np.asarray(fma(sums, np.broadcast_to(alpha[..., None], sums.shape),
                                       folds[..., 0], "float32", dtype=np.float32))
                sums = _fold(first, folds[..., 1:])
        else:
            block_sum = _quad(_fold(folds[..., 0], folds[..., 1:]))
            if sums is None:  # Triton starts from sum 1 and alpha = exp2(-inf) = 0
                sums = block_sum
            else:
                sums = np.asarray(fma(sums, alpha, block_sum, "float32", dtype=np.float32))
        if step:  # the first block's accumulator is 0 (Triton's 0 * exp2(-inf) = 0 too)
            o = o * alpha[..., None]
        m = m_new
        o = matmul_f32(_round(p * np.float32(r.p_scale), p_fmt), vp[:, blk], pv, o)
    if sums is None:  # an empty split: nothing added
        return o, m, np.zeros((n_heads, sq), np.float32)
    total = _quad(sums) if r.row_sum == "per_thread" else sums
    o = _epilogue(o, total, r.epilogue)
    if r.p_scale != 1:
        o = o * np.float32(1 / r.p_scale)
    if r.qkv_format is not None:
        o = o * s_v
    return o, m, total


def _shifted(s: np.ndarray, visible: np.ndarray, m: np.ndarray, c: np.float32, scale: str,
             two_step: bool, diagonal: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The new running maximum and t (the exponent of p) of one block, as ``scale`` says."""
    neg = np.float32(-np.inf)
    if scale == "unfused":
        s = np.where(visible, s, neg)
        m_new = np.maximum(m, s.max(axis=-1))
        m_use = np.where(m_new == -np.inf, np.float32(0), m_new)
        return m_new, (s * c) - (m_use * c)[..., None]
    if scale == "prescaled_q":
        s = np.where(visible, s, neg)
        m_new = np.maximum(m, s.max(axis=-1))
        m_use = np.where(m_new == -np.inf, np.float32(0), m_new)
        return m_new, s - m_use[..., None]
    # fused: m over RN(S c); t = FMA(S, c, -m); Triton's diagonal tiles in two steps
    sc = np.where(visible, s * c, neg)
    m_new = np.maximum(m, sc.max(axis=-1))
    m_use = np.where(m_new == -np.inf, np.float32(0), m_new)
    t = np.asarray(fma(s, c, -m_use[..., None], "float32", dtype=np.float32))
    t = np.where(visible, t, neg)
    if two_step and np.any(diagonal):
        t0 = np.asarray(fma(s, c, np.where(visible, np.float32(0), np.float32(-1e6)),
                            "float32", dtype=np.float32))
        m_diag = np.maximum(m, t0.max(axis=-1))
        t_diag = t0 - m_diag[..., None]
        t = np.where(diagonal, t_diag, t)
        m_new = np.where(diagonal[:, 0], m_diag, m_new)
    return m_new, t


def _epilogue(acc: np.ndarray, total: np.ndarray, kind: str) -> np.ndarray:
    """O from the accumulator and the row sum (rows whose sum is 0 or NaN divide by 1)."""
    bad = (total == 0) | np.isnan(total)
    den = np.where(bad, np.float32(1), total)
    if kind == "reciprocal":
        return acc * (np.float32(1) / den)[..., None]
    if kind == "divide":
        return acc / den[..., None]
    return np.asarray(div(acc, np.broadcast_to(den[..., None], acc.shape), "float32",
                          impl="sm90:div.full.f32", dtype=np.float32))


_LN2_F32 = np.float32(0.693147182)  # the float __logf multiplies MUFU.LG2 by
_LG2_TABLE: Dict[str, np.ndarray] = {}


def _lg2_mufu(x: np.ndarray) -> np.ndarray:
    """MUFU.LG2 (lg2.approx.f32) of float32 x >= 1 (or +inf): RZ(e + T0(m)) into float32, for
    x = 2^e (1 + m 2^-23) and T0 the unit's values on [1, 2), captured on an H200; that
    structure matched every normal float32 input of every binade e >= 0 there
    (tools/capture_mufu_lg2.py)."""
    from . import _tables
    if "t0" not in _LG2_TABLE:
        with open(_tables.path("sm90", "lg2"), "rb") as fh:
            _LG2_TABLE["t0"] = _tables.unpack_fixed(fh.read()).view(np.float32).astype(
                np.float64)
    codes = np.asarray(x, np.float32).view(np.uint32)
    e = (codes >> 23).astype(np.int64) - 127
    s = e + _LG2_TABLE["t0"][codes & 0x7FFFFF]  # exact in float64
    f = np.asarray(decode(encode(s, "float32", "toward_zero"), "float32", np.float32))
    return np.where(np.isinf(x), np.float32(np.inf), f)


def _log2f_triton(x: np.ndarray) -> np.ndarray:
    """Triton 3.6's ``tl.math.log2`` of normal float32 x > 0: libdevice ``__nv_log2f`` as Triton
    emits it (its PTX is kept in tests/data/triton_attention_sm90/log2.ptx): x = m 2^e with
    m in [0.6, 1.2) by an integer trick, a degree-10 FMA polynomial in t = m - 1, then e + t
    log2(e) + t^2 p. Its results matched the GPU's on 1.2 million inputs
    (tools/capture_triton_log2.py)."""
    def c(code: int) -> np.float32:
        return np.uint32(code).view(np.float32)

    def ffma(a: Any, b: Any, d: Any) -> np.ndarray:
        return np.asarray(fma(a, b, d, "float32", dtype=np.float32))

    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.int64)
    e_bits = (bits + (2**32 - 1060439283)) & 0xFF800000
    m = ((bits - e_bits) % 2**32).astype(np.uint32).view(np.float32)
    e = ffma(e_bits.astype(np.uint32).view(np.int32).astype(np.float32), c(0x34000000),
             np.float32(0))
    t = m - np.float32(1)
    p = ffma(c(0x3DC6B27F), t, c(0xBE2C7F30))
    for k in (0x3E2FCF2A, 0xBE374E43, 0x3E520BF4, 0xBE763C8B, 0x3E93BF99, 0xBEB8AA49,
              0x3EF6384A, 0xBF38AA3B):
        p = ffma(p, t, c(k))
    return e + ffma(t, c(0x3FB8AA3B), t * (t * p))


def _kernel_lse(m: np.ndarray, total: np.ndarray, scale: float, empty: float) -> np.ndarray:
    """PyTorch's flash log-sum-exp: FFMA(m, scale, __logf(sum)) in float32 with __logf =
    RN(MUFU.LG2(sum) ln 2) (sums are at least 1: the maximum's p is 1); ``empty`` where the
    sum is 0 or NaN."""
    bad = (total == 0) | np.isnan(total)
    lg = _lg2_mufu(np.where(bad, np.float32(1), total))
    logf = lg * _LN2_F32
    lse = np.asarray(fma(m, np.float32(scale), logf, "float32", dtype=np.float32))
    return np.where(bad, np.float32(empty), lse)


def _num_splits(work: int, sms2: int, n_blocks: int, max_splits: int = 128) -> int:
    """FlashAttention-2's num_splits_heuristic: 1 when the row tiles almost fill the SMs, else
    the fewest splits within 85% of the best wave efficiency."""
    if work >= 0.8 * sms2:
        return 1
    max_splits = min(max_splits, sms2, n_blocks)

    def eligible(n: int) -> bool:
        return n == 1 or -(-n_blocks // n) != -(-n_blocks // (n - 1))

    eff = []
    for n in range(1, max_splits + 1):
        waves = work * n / sms2
        eff.append(waves / math.ceil(waves) if eligible(n) else 0.0)
    best = max(eff)
    for n in range(1, max_splits + 1):
        if eligible(n) and eff[n - 1] >= 0.85 * best:
            return n
    return 1


def _split_kv_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, fmt: str, causal: bool,
                      scale: float, r: BlockedAttention, splits: int, block_n: int
                      ) -> Tuple[np.ndarray, np.ndarray]:
    """PyTorch's split-KV flash forward: each split's key blocks as ``flash_fwd_kernel`` runs
    them (O_s = acc / sum in float32, lse_s = FFMA(m, scale, __logf(sum)), -inf if empty),
    then ``flash_fwd_splitkv_combine_kernel``: M = max lse_s (0 if -inf), L = logf(sum of
    expf(lse_s - M) by the butterfly over the splits' power-of-two slots) + M, O = the FMA
    chain over the splits of expf(lse_s - L) O_s, from 0 (expf, logf: libdevice's). Returns
    O (float32) and L."""
    from ._special import exp, log
    n_blocks = -(-k.shape[1] // block_n)
    per = -(-n_blocks // splits)
    outs, lses = [], []
    for i in range(splits):
        lo, hi = i * per, min(n_blocks, (i + 1) * per)
        o, m, total = _blocked_forward(q, k, v, fmt, causal, scale, r, block_n,
                                       (lo, max(lo, hi)))
        outs.append(o)
        lses.append(_kernel_lse(m, total, scale, -np.inf))
    lse = np.stack(lses)
    top = lse.max(axis=0)
    top = np.where(top == -np.inf, np.float32(0), top)
    slots = 1 << max(1, (splits - 1).bit_length())  # kMaxSplits: a power of two
    with np.errstate(invalid="ignore"):
        terms = np.asarray(exp(lse - top, "float32", impl="sm90:expf", dtype=np.float32))
    terms = np.concatenate([terms, np.zeros((slots - splits,) + top.shape, np.float32)])
    while terms.shape[0] > 1:  # Allreduce over the slots: halves added, xor h/2 first
        half = terms.shape[0] // 2
        terms = terms[:half] + terms[half:]
    total = terms[0]
    bad = (total == 0) | np.isnan(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        logsum = np.asarray(log(np.where(bad, np.float32(1), total), "float32",
                                impl="sm90:logf", dtype=np.float32)) + top
    logsum = np.where(bad, np.float32(np.inf), logsum)
    o = np.zeros_like(outs[0])
    for i in range(splits):
        with np.errstate(invalid="ignore"):
            w = np.asarray(exp(lse[i] - logsum, "float32", impl="sm90:expf",
                               dtype=np.float32))
        o = np.asarray(fma(np.broadcast_to(w[..., None], o.shape), outs[i], o, "float32",
                           dtype=np.float32))
    return o, logsum


def _naive_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, fmt: str, causal: bool,
                   scale: float, r: NaiveAttention) -> Tuple[np.ndarray, np.ndarray]:
    """O (float64 values of ``compute``) and the log-sum-exp of the materialised attention."""
    from .accumulate import matmul
    from .nn import softmax
    comp = fmt if r.compute is None else r.compute
    p_fmt = comp if r.p_format is None else r.p_format

    def rn(x: Any) -> np.ndarray:
        return np.asarray(decode(encode(np.asarray(x, np.float64), comp), comp, np.float64))

    sc = rn(math.sqrt(scale) if r.scale_at == "both_sqrt" else scale)
    if r.scale_at in ("both_sqrt", "q"):
        q = rn(q * sc)
    if r.scale_at in ("both_sqrt", "k"):
        k = rn(k * sc)
    s = np.asarray(matmul(q, np.swapaxes(k, 1, 2), r.qk, out_fmt=comp))
    if r.scale_at == "scores":
        s = rn(s * sc)
    sq, sk = s.shape[1:]
    if causal:
        s = np.where(visible_keys(sq, sk, True), s, -np.inf)
    with np.errstate(invalid="ignore"):
        p = _exact_values(softmax(encode(s, comp).view(ml_dtype(comp)), r.softmax, fmt=p_fmt),
                          "p")[0]
    p = np.where(np.isnan(p), 0.0, p)  # rows without a visible key (PyTorch's _safe_softmax)
    o = np.asarray(matmul(p, v, r.pv, out_fmt=comp))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = s.max(axis=-1)
        lse = m + np.log(np.exp(s - m[..., None]).sum(axis=-1))
    return o, np.where(np.isfinite(m), lse, np.inf)


def _exact_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, fmt: str, causal: bool,
                   scale: float) -> Tuple[np.ndarray, np.ndarray]:
    """Codes of the exact O rounded once into fmt, and the log-sum-exp (float64), for q (N,
    Sq, D), k and v (N, Sk, D) float64 values.

    The float64 evaluation errs by at most ``err`` (below); where O - err and O + err (each
    moved a float64 step outward, past their own rounding) round alike, so does the exact O
    (rounding is monotone). Otherwise :func:`_exact_element` decides."""
    n, sq, d = q.shape
    sk = k.shape[1]
    u = 2.0 ** -53
    s = (q @ np.swapaxes(k, 1, 2)) * scale
    # |s - s_exact| <= gamma_(D+1) |q||k| scale: the dot in float64, then the scale.
    ds = (d + 2) * u * 1.01 * ((np.abs(q) @ np.abs(np.swapaxes(k, 1, 2))) * scale)
    visible = visible_keys(sq, sk, causal)
    s = np.where(visible, s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    live = np.isfinite(m)
    m = np.where(live, m, 0.0)
    with np.errstate(invalid="ignore"):
        p = np.exp(s - m)
    total = p.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        o = np.where(live, (p @ v) / total, 0.0)
        # p_j errs relatively by eta <= 2 max ds + |s - m| u + 2u (exp and the subtraction);
        # the sums (Sk terms) add gamma_Sk; the quotient 2u: a bound on |o - O| of
        # (2 eta + 2 gamma_Sk + 2u) (p|v|) / total, doubled for the terms neglected.
        eta = 2 * np.where(visible, ds, 0).max(axis=-1, keepdims=True) + \
            np.where(visible, np.abs(s - m), 0).max(axis=-1, keepdims=True) * u + 2 * u
        err = 2 * (2 * eta + 2 * (sk + 2) * u + 2 * u) * (p @ np.abs(v)) / total
    err = np.where(live, err, 0.0)
    lo, hi = (encode(_outward(x, w), fmt) for x, w in ((o - err, -np.inf), (o + err, np.inf)))
    codes = encode(o, fmt)
    for idx in zip(*np.nonzero((lo != hi) & live)):  # rows without a key: +0
        h, i, j = (int(x) for x in idx)
        codes[h, i, j] = _exact_element(q[h, i], k[h], v[h, :, j], visible[i], scale, fmt)
    with np.errstate(divide="ignore"):
        lse = np.where(live[..., 0], m[..., 0] + np.log(total[..., 0]), np.inf)
    return codes, lse


def _exact_element(q_row: np.ndarray, k: np.ndarray, v_col: np.ndarray, visible: np.ndarray,
                   scale: float, fmt: str) -> int:
    """The code of one O element rounded once: MPFR at growing precision brackets O between
    two doubles; rounding is decided when the bracket's ends round alike, or by comparing the
    bracket with the one midpoint inside it (exactly: MPFR compares with doubles exactly)."""
    import gmpy2
    keys = np.nonzero(visible)[0]
    fq = [Fraction(float(x)) for x in q_row]
    sc = Fraction(scale)
    scores = [sc * sum((a * Fraction(float(b)) for a, b in zip(fq, k[j])), Fraction(0))
              for j in keys]
    vals = [float(v_col[j]) for j in keys]
    top = max(scores)
    bits = 128
    while True:
        with gmpy2.context(precision=bits):
            w = [gmpy2.exp(gmpy2.mpq(x.numerator, x.denominator)) for x in
                 (s - top for s in scores)]
            total = sum(w)
            o = sum(wi * vi for wi, vi in zip(w, vals)) / total
            # Each weight, sum and the quotient err by a few units of 2^-bits relative to
            # sum(w |v|) / sum(w): a generous multiple of that.
            slack = (len(vals) + 16) * 2.0 ** (4 - bits) * \
                sum(wi * abs(vi) for wi, vi in zip(w, vals)) / total
        with gmpy2.context(precision=53, round=gmpy2.RoundDown):
            lo_f = float(gmpy2.mpfr(o - slack))
        with gmpy2.context(precision=53, round=gmpy2.RoundUp):
            hi_f = float(gmpy2.mpfr(o + slack))
        lo, hi = int(encode(np.float64(lo_f), fmt)), int(encode(np.float64(hi_f), fmt))
        if lo == hi:
            return lo
        a_val, b_val = (float(decode(np.asarray(c, encode(0.0, fmt).dtype), fmt, np.float64))
                        for c in (lo, hi))
        mid = (a_val + b_val) / 2  # exact: the formats' midpoints are doubles
        if int(encode(np.nextafter(mid, -np.inf), fmt)) == lo and \
                int(encode(np.nextafter(mid, np.inf), fmt)) == hi:  # adjacent codes
            with gmpy2.context(precision=bits + 64, round=gmpy2.RoundDown):
                o_lo = o - slack
            with gmpy2.context(precision=bits + 64, round=gmpy2.RoundUp):
                o_hi = o + slack
            if o_lo > mid:
                return hi
            if o_hi < mid:
                return lo
            # The bracket holds the midpoint: a tie only if, per set of keys of equal score,
            # the values average to it (Lindemann-Weierstrass); else more bits decide.
            groups: Dict[Fraction, Fraction] = {}
            for sj, vj in zip(scores, vals):
                groups[sj] = groups.get(sj, Fraction(0)) + (Fraction(vj) - Fraction(mid))
            if all(g == 0 for g in groups.values()):
                return int(encode(np.float64(mid), fmt))
        bits *= 2


def _outward(x: Any, direction: float) -> Any:
    """x moved one float64 step towards ``direction``: past the rounding of its computation."""
    return np.nextafter(x, direction)


def _inputs(q: ArrayLike, k: ArrayLike, v: ArrayLike, r: Recipe, causal: Any, scale: Any,
            extra: Tuple[Tuple[str, ArrayLike], ...] = ()) -> Tuple[Any, ...]:
    """Checked inputs: (format name, dtype, shapes, softmax scale, float64 values of q, k, v
    and of ``extra``, grouped-query k and v repeated per query head, all as (N, S, D))."""
    import ml_dtypes
    kinds = {np.dtype(ml_dtypes.bfloat16): "bf16", np.dtype(np.float16): "fp16"}
    if not isinstance(r, BlockedAttention):
        kinds[np.dtype(np.float32)] = "float32"
    arrays = [np.asarray(t) for t in (q, k, v)]
    qa, ka, va = arrays
    names = ", ".join(str(d) for d in dict.fromkeys(kinds))
    if qa.dtype not in kinds or ka.dtype != qa.dtype or va.dtype != qa.dtype:
        raise TypeError(f"q, k, v: arrays of one dtype ({names} for this recipe), got "
                        f"{qa.dtype}, {ka.dtype}, {va.dtype}")
    if qa.ndim != 4 or ka.ndim != 4 or va.shape != ka.shape:
        raise ValueError(f"q, k, v: shapes (B, H, S, D) with k and v alike, got {qa.shape}, "
                         f"{ka.shape}, {va.shape}")
    B, Hq, Sq, D = qa.shape
    Bk, Hkv, Sk, Dk = ka.shape
    if Bk != B or Dk != D or Hkv == 0 or Hq % Hkv or Sk == 0:
        raise ValueError(f"k: q's batch and head dim, at least one key, heads dividing q's; "
                         f"got q {qa.shape}, k {ka.shape}")
    if isinstance(r, BlockedAttention):
        if r is TORCH_SDPA_FLASH_SM90 and D not in (64, 128):
            raise ValueError(f"q: the recipe torch_sdpa_flash.sm90 covers head dims 64 and "
                             f"128, got {D}")
        if D % 8 or D > 256:
            raise ValueError(f"q: blocked recipes take head dims that are multiples of 8 up "
                             f"to 256, got {D}")
        r.block_n_for(D)
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal: True or False, got {causal!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))
                              or not 0 < scale < np.inf):
        raise ValueError(f"scale: a positive finite number or None, got {scale!r}")
    if isinstance(r, BlockedAttention) and r.scale == "fused" and causal and Sq != Sk:
        raise ValueError("causal: a recipe with scale='fused' (Triton's tutorial) aligns the "
                         f"causal mask for S_q == S_k only, got {Sq} and {Sk}")
    fmt = kinds[qa.dtype]
    sc = D ** -0.5 if scale is None else float(scale)
    group = Hq // Hkv  # query head h reads key/value head h // group
    vals = [_exact_values(t, n)[0] for t, n in ((qa, "q"), (ka, "k"), (va, "v"))]
    qv = vals[0].reshape(B * Hq, Sq, D)
    kv, vv = (np.repeat(t, group, axis=1).reshape(B * Hq, Sk, D) for t in vals[1:])
    more = []
    for name, t in extra:
        a = np.asarray(t)
        want = qa.shape if name in ("out", "grad_out") else qa.shape[:3]
        if a.shape != want:
            raise ValueError(f"{name}: shape {want}, got {a.shape}")
        if name in ("out", "grad_out") and a.dtype != qa.dtype:
            raise TypeError(f"{name}: q's dtype {qa.dtype}, got {a.dtype}")
        more.append(_exact_values(a, name)[0].reshape((B * Hq,) + want[2:]))
    return (fmt, qa.dtype, qa.shape, ka.shape, sc, qv, kv, vv, *more)


def _splits(r: BlockedAttention, shape: Tuple[int, ...], sk: int) -> Tuple[int, int]:
    """(the number of key splits PyTorch's heuristic picks, the split kernel's block_n)."""
    if r.split_kv_sms is None:
        return 1, 0
    B, Hq, Sq, D = shape
    block_n = next(n for top, n in r.split_block_n if D <= top)
    n_blocks = -(-sk // block_n)
    if n_blocks <= 1:
        return 1, block_n
    return _num_splits(B * Hq * -(-Sq // 64), 2 * r.split_kv_sms, n_blocks), block_n


def attention(q: ArrayLike, k: ArrayLike, v: ArrayLike,
              recipe: Union[str, Recipe] = "torch_sdpa_flash.sm90", *, causal: bool = False,
              scale: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray]:
    """softmax(q k^T * scale) v over the last two axes, as ``recipe`` computes it.

    Args:
        q: ``(B, H_q, S_q, D)`` bf16 or fp16 values (ml_dtypes arrays; float32 too for the
            naive and exact recipes).
        k, v: ``(B, H_kv, S_k, D)``, H_q a multiple of H_kv (grouped-query heads share them).
        recipe: a name in ``RECIPES`` (``"torch_sdpa_flash.sm90"``, ``"triton_tutorial.sm90"``,
            ``"fp8_fa3.sm90"``, ``"naive"``, ``"naive_lowp"``, ``"exact"``) or a recipe
            object (:class:`BlockedAttention`, :class:`NaiveAttention`,
            :class:`ExactAttention`).
        causal: mask keys j > i + S_k - S_q (lower-right aligned, as FlashAttention-2); rows
            without a visible key give 0.
        scale: the softmax scale (default 1/sqrt(D)).

    Returns:
        (O as an array of q's dtype, the natural log-sum-exp ``(B, H_q, S_q)`` as float64:
        the kernel's float32 values where the recipe forms it as the kernel does
        (``lse="fast_logf"``), else formed in float64 from the emulated row maximum and sum;
        +inf for rows without a visible key).

    A recipe with ``split_kv_sms`` picks its kernel from the whole shape, as PyTorch does:
    computing a subset of the heads can run the other kernel (different bits).
    """
    r = _recipe(recipe)
    fmt, dtype, shape, _, sc, qv, kv, vv = _inputs(q, k, v, r, causal, scale)
    if isinstance(r, ExactAttention):
        codes, lse = _exact_forward(qv, kv, vv, fmt, bool(causal), sc)
        return codes.reshape(shape).view(dtype), lse.reshape(shape[:3])
    if isinstance(r, NaiveAttention):
        o, lse = _naive_forward(qv, kv, vv, fmt, bool(causal), sc, r)
        return encode(o.reshape(shape), fmt).view(dtype), lse.reshape(shape[:3])
    qf, kf, vf = (t.astype(np.float32) for t in (qv, kv, vv))
    splits, split_n = _splits(r, shape, kf.shape[1])
    if splits > 1:
        out, lse32 = _split_kv_forward(qf, kf, vf, fmt, bool(causal), sc, r, splits, split_n)
        return encode(out.reshape(shape), fmt).view(dtype), lse32.astype(
            np.float64).reshape(shape[:3])
    out, m, s = _blocked_forward(qf, kf, vf, fmt, bool(causal), sc, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        if r.lse == "fast_logf":
            lse = _kernel_lse(m, s, sc, np.inf).astype(np.float64)
        elif r.lse == "log2f":  # Triton's M, in log2 units; returned times ln 2
            ok = s >= np.float32(2.0 ** -126)  # normal sums (the largest p is about 1)
            big = _log2f_triton(np.where(ok, s, np.float32(1)))
            lse = np.where(ok, (m + big).astype(np.float64) * math.log(2), np.inf)
        elif r.scale == "unfused":
            lse = np.where(s > 0, m.astype(np.float64) * sc + np.log(s), np.inf)
        else:  # m in units of log2 (t = S c - m)
            lse = np.where(s > 0, (m.astype(np.float64) + np.log2(s)) * math.log(2), np.inf)
    return encode(out.reshape(shape), fmt).view(dtype), lse.reshape(shape[:3])


def _row_dot(a: np.ndarray, b: np.ndarray, threads: int) -> np.ndarray:
    """Delta = rowsum(a * b) in float32 as the backward kernels form it: ``threads`` threads a
    row, thread t folding its 8-element chunks (columns 8t + 8 threads c .. + 7, chunk c in
    order) from the first product, then the butterfly from threads / 2 down to 1. (The
    products of two 16-bit values are exact in float32: fused or not, the same sums.)"""
    *lead, d = a.shape
    pad = -d % (8 * threads)
    if pad:
        z = np.zeros((*lead, pad), np.float32)
        a, b = np.concatenate([a, z], -1), np.concatenate([b, z], -1)
    # (..., chunk c, thread t, 8) -> (..., t, c * 8)
    per = [np.moveaxis(x.reshape(*lead, -1, threads, 8), -3, -2).reshape(*lead, threads, -1)
           for x in (a, b)]
    s = per[0][..., 0] * per[1][..., 0]
    for j in range(1, per[0].shape[-1]):
        s = s + per[0][..., j] * per[1][..., j]
    while s.shape[-1] > 1:
        half = s.shape[-1] // 2
        s = s[..., :half] + s[..., half:]
    return s[..., 0]


def _blocked_backward(q: np.ndarray, k: np.ndarray, v: np.ndarray, o: np.ndarray,
                      do: np.ndarray, stat: np.ndarray, fmt: str, causal: bool, scale: float,
                      r: BlockedAttention, dq_order: Optional[Sequence[int]] = None
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FlashAttention-2's backward pass in the loop structure ``r.bwd_loops`` names; float32
    values in (``stat`` the forward's saved row statistic), float32 dQ, dK, dV (per query
    head) before their cast. S, P, dP and dS are formed whole: each element's arithmetic
    does not depend on the tiling; the loops fix only the order of the chained products."""
    n_heads, sq, d = q.shape
    sk = k.shape[1]
    bm, bn = r.bwd_blocks_for(d)
    acc = _accumulator(r.qk, fmt, fmt)
    triton = r.bwd_loops == "triton_tutorial"
    delta = _row_dot(do, o, r.delta_threads or d // 8)
    c = np.float32(float(scale) * _LOG2E)
    with np.errstate(invalid="ignore", over="ignore"):
        if triton:  # K pre-scaled on the host (a float32 product rounded to the format)
            k = _round(k * c, fmt)
            shift = stat  # M = m + log2(l), the forward's
        else:  # max_scaled = RN(lse * (float)M_LOG2E); 0 for -inf
            shift = np.where(stat == -np.inf, np.float32(0), stat * np.float32(_LOG2E))
        s = matmul_f32(q, np.swapaxes(k, 1, 2), acc)
        if triton:  # its backward applies the causal mask, upper-left, whatever the forward
            visible = np.arange(sk)[None, :] <= np.arange(sq)[:, None]
        else:
            visible = visible_keys(sq, sk, causal)
        t = s - shift[..., None] if triton else (s * c) - shift[..., None]
        p = np.where(visible, _ex2(np.where(visible, t, np.float32(-np.inf)), r.exp),
                     np.float32(0))
    dp = matmul_f32(do, np.swapaxes(v, 1, 2), acc)
    ds = p * (dp - delta[..., None])
    p16, ds16 = _round(p, fmt), _round(ds, fmt)
    dk = np.zeros((n_heads, sk, d), np.float32)
    dv = np.zeros_like(dk)
    n_m, n_n = -(-sq // bm), -(-sk // bn)
    for nb in range(n_n):
        ks = slice(nb * bn, min((nb + 1) * bn, sk))
        if triton:  # query rows from the block's diagonal on, ascending
            order = np.arange(nb * bn, sq)
        else:  # query blocks from the last, each ascending; rows past the end are zeros
            first = max(0, (nb * bn + sq - sk) // bm) if causal else 0
            order = np.concatenate([np.arange(mb * bm, (mb + 1) * bm)
                                    for mb in range(n_m - 1, first - 1, -1)]).astype(int)
        live = order < sq
        pt, dst = (np.where(live[:, None], x[:, np.minimum(order, sq - 1), ks], np.float32(0))
                   for x in (p16, ds16))
        qo, doo = (np.where(live[:, None], x[:, np.minimum(order, sq - 1)], np.float32(0))
                   for x in (q, do))
        dv[:, ks] = matmul_f32(np.swapaxes(pt, 1, 2), doo, acc)
        dk[:, ks] = matmul_f32(np.swapaxes(dst, 1, 2), qo, acc) * np.float32(scale)
    dq = np.zeros((n_heads, sq, d), np.float32)
    if triton:  # per query block one chain: its diagonal keys, then the keys before them
        for mb in range(n_m):
            qs = slice(mb * bm, min((mb + 1) * bm, sq))
            keys = np.r_[np.arange(mb * bm, min((mb + 1) * bm, sk)), np.arange(0, mb * bm)]
            dq[:, qs] = matmul_f32(ds16[:, qs][:, :, keys], k[:, keys], acc) * \
                np.float32(math.log(2))
        return dq, dk, dv
    # Each key block's dS K from zero, added into a float32 buffer in dq_order (the GPU's
    # atomics); then times the scale.
    for nb in (range(n_n) if dq_order is None else dq_order):
        ks = slice(nb * bn, min((nb + 1) * bn, sk))
        dq = dq + matmul_f32(ds16[:, :, ks], k[:, ks], acc)
    return dq * np.float32(scale), dk, dv


def attention_backward(q: ArrayLike, k: ArrayLike, v: ArrayLike, out: ArrayLike,
                       grad_out: ArrayLike, lse: ArrayLike,
                       recipe: Union[str, BlockedAttention] = "torch_sdpa_flash.sm90", *,
                       causal: bool = False, scale: Optional[float] = None,
                       dq_order: Optional[Sequence[int]] = None
                       ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dQ, dK, dV of :func:`attention` for the output gradient ``grad_out``, by
    FlashAttention-2's algorithm as ``recipe`` (a blocked recipe) runs it.

    The recipe's ``bwd_loops`` names the kernel's loop structure (see
    :class:`BlockedAttention`); in both, S = Q K^T through the ``qk`` accumulator; P = exp2
    (``exp``) of the shifted scores, recomputed from the forward's row statistic; dP = dO V^T;
    dS = RN(P RN(dP - Delta)) with Delta = rowsum(dO O) in float32 (``delta_threads``); P and
    dS rounded to the inputs' format; dV = P^T dO and dK = dS^T Q chained through the tensor
    core over the query rows in the kernel's order; dQ = dS K as the kernel accumulates it
    (``"fa2_seqk_parallel"``: per key block from zero, added into a float32 buffer with
    atomics in no fixed order: ``dq_order``; with two key blocks or fewer the order does not
    matter); dK and dQ times the scale (float32; Triton's dQ times ln 2 instead); all three
    rounded to the inputs' format; grouped-query heads sum their dK, dV over the group in
    float32 (sequentially) and round again.

    ``"torch_sdpa_flash.sm90"`` reproduces dK and dV bit for bit on all 28 captured cases and
    dQ up to the order of its atomic adds; ``"triton_tutorial.sm90"`` all three on every
    captured case the tutorial ran deterministically (tests/test_attention.py).

    Args:
        q, k, v: as :func:`attention`.
        out: the forward output O, q's shape and dtype (Delta reads it).
        grad_out: dO, q's shape and dtype.
        lse: the forward's row statistic ``(B, H_q, S_q)``, read as float32: the natural
            log-sum-exp for ``"fa2_seqk_parallel"`` (:func:`attention`'s equals PyTorch's bit
            for bit), Triton's M = m + log2 l for ``"triton_tutorial"`` (:func:`attention`'s
            log-sum-exp / ln 2, rounded to float32, is Triton's M bit for bit).
        recipe: a blocked recipe with Q, K, V and P in the inputs' format, or its name.
        causal, scale: as :func:`attention`.
        dq_order: for ``"fa2_seqk_parallel"``, the order in which the key blocks' dQ parts
            are added (a permutation of range(ceil(S_k / block_n))); default ascending.

    Returns:
        (dQ, dK, dV) as arrays of q's dtype with q's, k's and v's shapes.
    """
    r = _recipe(recipe)
    if not isinstance(r, BlockedAttention) or r.qkv_format is not None or \
            r.p_format is not None:
        raise ValueError("recipe: the backward pass is modelled for blocked recipes with Q, "
                         f"K, V and P in the inputs' format, got {recipe!r}")
    fmt, dtype, shape, k_shape, sc, qv, kv, vv, ov, dov, lv = _inputs(
        q, k, v, r, causal, scale, (("out", out), ("grad_out", grad_out), ("lse", lse)))
    with np.errstate(over="ignore", invalid="ignore"):
        qf, kf, vf, of, dof = (t.astype(np.float32) for t in (qv, kv, vv, ov, dov))
        lse32 = lv.astype(np.float32)
    n_key_blocks = -(-k_shape[2] // r.bwd_blocks_for(shape[3])[1])
    if dq_order is not None and sorted(int(i) for i in dq_order) != list(range(n_key_blocks)):
        raise ValueError(f"dq_order: a permutation of range({n_key_blocks}), got {dq_order!r}")
    dq, dk, dv = _blocked_backward(qf, kf, vf, of, dof, lse32, fmt, bool(causal), sc, r,
                                   dq_order)
    B, Hq, Sq, D = shape
    Hkv, Sk = k_shape[1], k_shape[2]

    def per_kv(x: np.ndarray) -> np.ndarray:
        x = _round(x, fmt).reshape(B, Hkv, Hq // Hkv, Sk, D)
        total = x[:, :, 0]
        for g in range(1, x.shape[2]):
            total = total + x[:, :, g]
        return encode(total, fmt).view(dtype)

    return (encode(dq.reshape(shape), fmt).view(dtype), per_kv(dk), per_kv(dv))
