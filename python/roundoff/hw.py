"""Hardware presets: NVIDIA tensor-core accumulations as parameter tables, not code.

A preset is an :class:`~roundoff.Accumulator` with a :class:`~roundoff.FusedAdder` whose
parameters come from :data:`TENSOR_CORES` (the published tensor-core models of MMA-Sim and of
Khattak and Mikaitis, which match H100 outputs bit for bit) plus the kernel's own
structure (promotion, output cast). ``tests/data/h100`` holds vectors captured on an H100 that
the tests replay through these presets.

>>> from roundoff import hw
>>> sorted(hw.PRESETS)[:3]
['a100.mma', 'ada.mma', 'b200.mma']
>>> acc = hw.preset("h100.wgmma", a_fmt="e4m3", b_fmt="e4m3")
>>> acc.fused.terms, acc.fused.frac_bits, str(acc.fused.out_fmt)
(32, 13, 'e8m13')
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional

from ._formats import (Format, FormatLike, bfloat16, float8_e4m3fn, float8_e5m2, float16, format,
                       tfloat32)
from .accumulate import Accumulator, FusedAdder

__all__ = ["TENSOR_CORES", "PRESETS", "preset", "E8M13"]

E8M13 = Format(8, 13, name="e8m13")
"""The Hopper FP8 tensor core's step result: float32's range, 14 significant bits."""

# Per architecture and input class: (F, L, step result format, its rounding); e_zero for fp32 /
# fp16 step results. Input classes: "fp16" (also bf16), "tf32", "fp8" (E4M3/E5M2).
TENSOR_CORES: Dict[str, Dict[str, Any]] = {
    "volta": {"fp16": (23, 4, "float32", "toward_zero"), "e_zero": (-131, -19)},
    "turing": {"fp16": (24, 8, "float32", "toward_zero"), "e_zero": (-132, -20)},
    "ampere": {"fp16": (24, 8, "float32", "toward_zero"), "tf32": (24, 4, "float32",
               "toward_zero"), "e_zero": (-132, -20)},
    "ada": {"fp16": (24, 8, "float32", "toward_zero"), "tf32": (24, 4, "float32", "toward_zero"),
            "fp8": (13, 16, E8M13, "toward_zero"), "e_zero": (-132, -20)},
    "hopper": {"fp16": (25, 16, "float32", "toward_zero"), "tf32": (25, 8, "float32",
               "toward_zero"), "fp8": (13, 32, E8M13, "toward_zero"), "e_zero": (-133, -21)},
    "blackwell": {"fp16": (25, 16, "float32", "toward_zero"), "tf32": (25, 8, "float32",
                  "toward_zero"), "fp8": (25, 32, "float32", "toward_zero"),
                  "e_zero": (-133, -21)},
}
_CHIPS = {"v100": "volta", "t4": "turing", "a100": "ampere", "ada": "ada", "l40s": "ada",
          "h100": "hopper", "h200": "hopper", "b200": "blackwell"}


def _input_class(a: Format, b: Format) -> str:
    pair = {a, b}  # formats compare (and hash) by their facts, not their names
    if pair <= {float8_e4m3fn, float8_e5m2}:
        return "fp8"
    if pair <= {bfloat16} or pair <= {float16}:
        return "fp16"
    if pair <= {tfloat32}:
        return "tf32"
    raise ValueError(f"a_fmt, b_fmt: no tensor-core instruction takes {a} x {b} (expected both "
                     f"fp16, both bf16, both tf32, or E4M3/E5M2)")


def tensor_core(arch: str, a_fmt: FormatLike, b_fmt: FormatLike,
                accumulate: FormatLike = "float32") -> FusedAdder:
    """The fused adder of one MMA step of ``arch`` for these inputs; ``accumulate`` float16
    selects the fp16-accumulate instruction (step result rounded to nearest fp16)."""
    table = TENSOR_CORES[_CHIPS.get(arch, arch)]
    cls = _input_class(format(a_fmt), format(b_fmt))
    if cls not in table:
        raise ValueError(f"{arch}: no tensor-core instruction for {cls} inputs")
    F, L, out, rnd = table[cls]
    if format(accumulate) == float16:
        return FusedAdder(L, F, "float16", "nearest_even", table["e_zero"][1])
    return FusedAdder(L, F, out, rnd, table["e_zero"][0])


def _gpu_nan(fmt: Optional[FormatLike]) -> Optional[int]:
    """NVIDIA's NaN result: the all-ones positive magnitude (0x7FFFFFFF, 0x7FFF), captured."""
    f = format("float32" if fmt is None else fmt)
    return int((1 << (f.bits - 1)) - 1) if f.has_nan and f.nonfinite == "ieee" else None


def _inputs(a_fmt: FormatLike, b_fmt: FormatLike) -> Dict[str, Any]:
    """Input quantization: tf32 operands are float32 registers read with the low 13 bits
    ignored (truncated; captured on H100), other formats are taken as they are (rounded to
    nearest when they are not)."""
    tf32 = {str(format(a_fmt)), str(format(b_fmt))} == {"tfloat32"}
    return dict(a_fmt=a_fmt, b_fmt=b_fmt,
                input_rounding="truncate_bits" if tf32 else "nearest_even")


def _mma(chip: str) -> Callable[..., Accumulator]:
    def make(a_fmt: FormatLike = "bf16", b_fmt: Optional[FormatLike] = None,
             accumulate: FormatLike = "float32", out_fmt: Optional[FormatLike] = None
             ) -> Accumulator:
        b_fmt = a_fmt if b_fmt is None else b_fmt
        return Accumulator("float32", **_inputs(a_fmt, b_fmt),
                           fused=tensor_core(chip, a_fmt, b_fmt, accumulate), out_fmt=out_fmt,
                           out_nan=_gpu_nan(out_fmt))
    make.__doc__ = (f"One {chip} tensor-core chain over K (ascending k, one MMA step per block "
                    f"of L), as a single warp's mma/wgmma sequence.")
    return make


def _h100_wgmma(a_fmt: FormatLike = "e4m3", b_fmt: Optional[FormatLike] = None,
                promote_every_k: Optional[int] = None, out_fmt: FormatLike = "float32"
                ) -> Accumulator:
    """Triton ``tl.dot`` on sm_90 with a float32 accumulator: one wgmma chain over K. For FP8,
    ``promote_every_k`` (Triton's ``max_num_imprecise_acc``; None: 2^30, never) adds the
    chained partial into a float32 register (round to nearest) every that many K elements."""
    b_fmt = a_fmt if b_fmt is None else b_fmt
    f = tensor_core("hopper", a_fmt, b_fmt)
    return Accumulator("float32", **_inputs(a_fmt, b_fmt), fused=f,
                       promote_every=promote_every_k, out_fmt=out_fmt, out_nan=_gpu_nan(out_fmt))


# Triton 3.6 on sm_90: tiles with BLOCK_M a multiple of 64 use wgmma; smaller ones use
# mma.sync m16n8k16, which for FP8 operands first converts them to fp16 (exactly) and feeds
# each k16 step the k pairs (0, 1, 4, 5, ..., 28, 29), then (2, 3, 6, 7, ...) of every 32.
_TRITON_FP8_MMA_K_ORDER = tuple([k + i for k in range(0, 32, 4) for i in (0, 1)] +
                                [k + i for k in range(0, 32, 4) for i in (2, 3)])


def _h100_triton_dot(a_fmt: FormatLike = "bf16", b_fmt: Optional[FormatLike] = None,
                     block_m: int = 64, max_num_imprecise_acc: Optional[int] = None,
                     out_fmt: FormatLike = "float32") -> Accumulator:
    """Triton ``tl.dot`` on sm_90 in a K loop with a float32 accumulator, as captured with
    Triton 3.6: ``block_m`` a multiple of 64 gives ``h100.wgmma`` (FP8 promotion every
    ``max_num_imprecise_acc`` elements); smaller tiles give mma.sync, where FP8 operands are
    converted to fp16 and fed to each k16 step in pairs (``k_order``)."""
    b_fmt = a_fmt if b_fmt is None else b_fmt
    fp8 = _input_class(format(a_fmt), format(b_fmt)) == "fp8"
    if block_m % 64 == 0:
        return _h100_wgmma(a_fmt, b_fmt, max_num_imprecise_acc if fp8 else None, out_fmt)
    if not fp8:
        return _mma("h100")(a_fmt, b_fmt, out_fmt=out_fmt)
    return _mma("h100")("float16", "float16", out_fmt=out_fmt).replace(
        k_order=_TRITON_FP8_MMA_K_ORDER)


def _h100_scaled_mm(a_fmt: FormatLike = "e4m3", b_fmt: FormatLike = "e4m3",
                    fast_accum: bool = False, promote_every_k: int = 128,
                    out_fmt: FormatLike = "bfloat16") -> Accumulator:
    """FP8 ``torch._scaled_mm`` through cuBLASLt: the wgmma chain; with ``fast_accum`` False,
    promoted into float32 every ``promote_every_k`` elements (4 WGMMAs, captured on H100). The
    scales given to :func:`~roundoff.matmul` are applied in float32 as ``acc * fl(sa * sb)``
    (per-tensor: cuBLASLt's alpha) or ``(acc * sb) * sa`` (rowwise), both captured; then the
    result is rounded to nearest into ``out_fmt``."""
    f = tensor_core("hopper", a_fmt, b_fmt)
    return Accumulator("float32", **_inputs(a_fmt, b_fmt), fused=f,
                       promote_every=None if fast_accum else promote_every_k, out_fmt=out_fmt,
                       out_nan=_gpu_nan(out_fmt), scale_order="cublaslt")


def _h100_gemm(a_fmt: FormatLike = "bf16", out_fmt: Optional[FormatLike] = None) -> Accumulator:
    """bf16/fp16 ``torch.matmul`` through cuBLAS without split-K: the wgmma chain (float32,
    truncated per 16-element step), then the output rounded to nearest into ``out_fmt``
    (default: the input format)."""
    f = tensor_core("hopper", a_fmt, a_fmt)
    out_fmt = a_fmt if out_fmt is None else out_fmt
    return Accumulator("float32", **_inputs(a_fmt, a_fmt), fused=f, out_fmt=out_fmt,
                       out_nan=_gpu_nan(out_fmt))


PRESETS: Dict[str, Callable[..., Accumulator]] = {
    **{f"{chip}.mma": _mma(chip) for chip in _CHIPS},
    "h100.wgmma": _h100_wgmma,
    "h100.triton_dot": _h100_triton_dot,
    "h100.cublas_scaled_mm": _h100_scaled_mm,
    "h100.cublas_gemm": _h100_gemm,
}


def preset(name: str, **params: Any) -> Accumulator:
    """The accumulator of a named hardware kernel; ``params`` as the preset's docstring says
    (``roundoff.hw.PRESETS[name].__doc__``).

    Raises:
        ValueError: unknown name (the message lists the known ones).
        TypeError: a parameter the preset does not take (the message lists those it takes).
    """
    if name not in PRESETS:
        raise ValueError(f"preset: unknown name {name!r}; known: {', '.join(sorted(PRESETS))}")
    make = PRESETS[name]
    takes = inspect.signature(make).parameters
    unknown = sorted(set(params) - set(takes))
    if unknown:
        raise TypeError(f"preset: {name!r} takes no parameter {', '.join(unknown)}; its "
                        f"parameters: {', '.join(takes) or 'none'}")
    return make(**params)

