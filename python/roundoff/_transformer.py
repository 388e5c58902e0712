"""One pre-LayerNorm transformer block, emulated in a stated precision and in float64.

The block on a residual stream x (n tokens x d = heads x d_h): h = LN(x); q, k, v = h Wq,
h Wk, h Wv split into heads; x += attention(q, k, v) Wo; h = LN(x); x += GELU(h W1) W2 (W1:
d x 4d). LayerNorm has no gain or bias (eps 1e-5); GELU is the erf form. Weights are given as
a dict with keys ``"q", "k", "v", "o", "1", "2"`` of float64 arrays (values of the
activations' format for the emulation to read them exactly).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Tuple, Union

import numpy as np

from . import hw
from ._attention import TORCH_SDPA_FLASH_SM90
from ._casts import decode, encode
from ._formats import FormatLike, ml_dtype
from .accumulate import matmul

Weights = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class BlockPrecision:
    """How the emulated block computes each step.

    Fields:
        act: the format of the activations, the weights and the residual stream.
        linear: ``"gemm"`` (cuBLAS's wgmma chain, ``hw.preset("h100.cublas_gemm")``: float32
            accumulation, output rounded into ``act``) or ``"fp8_current"`` (input and weight
            each scaled per tensor into E4M3 by amax / 448, as Transformer Engine's current
            scaling, multiplied by ``hw.preset("h100.cublas_scaled_mm")`` into ``act``).
        attention: an attention recipe or its name (:func:`roundoff.attention`); the named
            precisions take PyTorch's flash kernel in its single pass for every shape.
        norm, activation: :mod:`roundoff.nn` recipes or preset names for LayerNorm and GELU.
        causal: causal attention.
    """

    act: FormatLike = "bf16"
    linear: str = "gemm"
    attention: Any = "torch_sdpa_flash.sm90"
    norm: Any = "pytorch_sm90"
    activation: Any = "pytorch_sm90"
    causal: bool = True

    def __post_init__(self) -> None:
        if self.linear not in ("gemm", "fp8_current"):
            raise ValueError(f"linear: 'gemm' or 'fp8_current', got {self.linear!r}")


# PyTorch's flash kernel in its single pass for every shape (its split-KV path, taken for few
# row tiles, has no bound yet: roundoff.bounds.transformer_block_bound needs one).
_FLASH = dataclasses.replace(TORCH_SDPA_FLASH_SM90, split_kv_sms=None)
BLOCK_PRECISIONS: Dict[str, BlockPrecision] = {
    "bf16": BlockPrecision("bf16", attention=_FLASH),
    "fp16": BlockPrecision("fp16", attention=_FLASH),
    "fp8": BlockPrecision("bf16", linear="fp8_current", attention="fp8_fa3.sm90"),
}


def block_precision(p: Union[str, BlockPrecision]) -> BlockPrecision:
    if isinstance(p, BlockPrecision):
        return p
    if p not in BLOCK_PRECISIONS:
        raise ValueError(f"precision: one of {sorted(BLOCK_PRECISIONS)} or a BlockPrecision, "
                         f"got {p!r}")
    return BLOCK_PRECISIONS[p]


def split_heads(x: np.ndarray, heads: int) -> np.ndarray:
    """(n, d) -> (heads, n, d / heads)."""
    return np.swapaxes(x.reshape(x.shape[0], heads, -1), 0, 1)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(heads, n, d_h) -> (n, heads d_h)."""
    return np.swapaxes(x, 0, 1).reshape(x.shape[1], -1)


def fp8_operands(h: np.ndarray, w: np.ndarray) -> Tuple[np.ndarray, np.ndarray, Any, Any]:
    """h and w scaled per tensor into E4M3 (scale = amax / 448 in float32): their E4M3 values
    and the two scales."""
    out = []
    for t in (h, w):
        amax = np.float32(np.abs(t).max())
        s = np.float32(amax / np.float32(448)) if amax > 0 else np.float32(1)
        out.append((np.asarray(decode(encode(t / np.float64(s), "e4m3"), "e4m3", np.float64)),
                    s))
    return out[0][0], out[1][0], out[0][1], out[1][1]


def linear(h: np.ndarray, w: np.ndarray, p: BlockPrecision) -> np.ndarray:
    """h @ w as ``p.linear`` computes it; float64 values of ``p.act``."""
    if p.linear == "gemm":
        return np.asarray(matmul(h, w, hw.preset("h100.cublas_gemm", a_fmt=p.act)))
    hq, wq, sh, sw = fp8_operands(h, w)
    return np.asarray(matmul(hq, wq, hw.preset("h100.cublas_scaled_mm", out_fmt=p.act),
                             scale_a=sh, scale_b=sw))


def transformer_block(x: np.ndarray, w: Weights, precision: Union[str, BlockPrecision] = "bf16",
                      *, heads: int = 1, temperature: float = 1.0) -> np.ndarray:
    """The block's output for x (n x d, values of the activations' format) as ``precision``
    computes it (float64 values of its ``act`` format). The softmax scale is temperature /
    sqrt(d_h)."""
    from ._attention import attention
    from .nn import gelu, layer_norm, residual_add
    p = block_precision(precision)
    dtype = ml_dtype(p.act)
    d_h = x.shape[1] // heads
    scale = temperature / math.sqrt(d_h)

    def typed(v: np.ndarray) -> np.ndarray:
        return encode(v, p.act).view(dtype)

    h = np.asarray(layer_norm(typed(x), recipe=p.norm), np.float64)
    q, k, v = (typed(split_heads(linear(h, w[n], p), heads))[None] for n in "qkv")
    o = attention(q, k, v, p.attention, causal=p.causal, scale=scale)[0][0]
    a = linear(merge_heads(o.astype(np.float64)), w["o"], p)
    x = np.asarray(residual_add(typed(x), typed(a)), np.float64)
    h = np.asarray(layer_norm(typed(x), recipe=p.norm), np.float64)
    g = np.asarray(gelu(typed(linear(h, w["1"], p)), recipe=p.activation), np.float64)
    return np.asarray(residual_add(typed(x), typed(linear(g, w["2"], p))), np.float64)


def layer_norm64(x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def gelu64(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def attention64(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float, causal: bool
                ) -> np.ndarray:
    """Attention of (H, n, d_h) arrays in float64 (causal: upper-left, n_q = n_k)."""
    s = q @ np.swapaxes(k, -1, -2) * scale
    n = s.shape[-1]
    if causal:
        s = np.where(np.arange(n)[None, :] > np.arange(n)[:, None], -np.inf, s)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p @ v) / p.sum(axis=-1, keepdims=True)


def transformer_block_reference(x: np.ndarray, w: Weights, *, heads: int = 1,
                                temperature: float = 1.0, causal: bool = True) -> np.ndarray:
    """The same block in float64 arithmetic (the reference the study measures against)."""
    scale = temperature / math.sqrt(x.shape[1] // heads)
    h = layer_norm64(x)
    q, k, v = (split_heads(h @ w[n], heads) for n in "qkv")
    x = x + merge_heads(attention64(q, k, v, scale, causal)) @ w["o"]
    return x + gelu64(layer_norm64(x) @ w["1"]) @ w["2"]
