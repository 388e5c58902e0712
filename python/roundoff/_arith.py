"""Elementwise arithmetic: the exact result of each operation, rounded once into a format."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _core
from ._casts import _cast, _check_policy, _codes, _rbits, _result, _source, decode
from ._formats import (DTYPE_FORMATS, Format, FormatLike, float16, float32, float64, format,
                       ml_dtype)
from ._interop import tensor_io
from ._rounding import MODES, RoundingMode, rounding_mode
from ._seeds import SeedLike, resolve_key

_OPS = ("add", "sub", "mul", "div", "fma", "sqrt", "dot2")  # dot2: a * b + c * d
# Results carry P = 61 exact significand bits (the lowest may be uncertain after a sticky
# subtraction): stochastic rounding reads sr_bits bits below the quantum, so man_bits + sr_bits
# must stay within 60.
_EXACT_BITS = 60


def _random_bits(dst: Format, mode: str, seed: SeedLike, sr_bits: int,
                 rbits: Optional[ArrayLike], shape: Tuple[int, ...], what: str
                 ) -> Tuple[Optional[np.ndarray], int]:
    """The caller's random bits (checked, of the result's shape) or None, and the key: for
    operations whose exact results keep _EXACT_BITS significand bits (``what`` names them, with
    its verb, in the error)."""
    if mode == "stochastic" and dst.man_bits + int(sr_bits) > _EXACT_BITS:
        raise ValueError(
            f"sr_bits: {what} {_EXACT_BITS - dst.man_bits} exact bits below the "
            f"rounding position of {dst}; pass sr_bits <= {_EXACT_BITS - dst.man_bits}")
    r = None
    if rbits is not None:
        if mode != "stochastic":
            raise ValueError("rbits: random bits are only used with rounding='stochastic'")
        r = _rbits(rbits, shape, int(sr_bits))
    return r, resolve_key(seed, mode == "stochastic" and r is None)


def _elementwise(op: str, operands: Tuple[ArrayLike, ...], fmt: FormatLike, rounding: str,
                 saturate: bool, seed: SeedLike, sr_bits: int, rbits: Optional[ArrayLike],
                 flush_subnormals: bool, dtype: DTypeLike, codes: bool, on_codes: bool = False,
                 names: Tuple[str, ...] = ("a", "b", "c", "d")) -> Any:
    dst = format(fmt)
    mode = rounding_mode(rounding)
    _check_policy(saturate, seed, sr_bits, flush_subnormals)
    names = names[:len(operands)]
    if on_codes:  # operands are codes of dst
        read = (_codes(x, dst, name) for x, name in zip(operands, names))
        src = [(c, dst, scalar) for c, scalar in read]
    else:
        src = [_source(x, name) for x, name in zip(operands, names)]
    try:
        shape = np.broadcast_shapes(*(s[0].shape for s in src))
    except ValueError:
        shapes = " and ".join(str(s[0].shape) for s in src)
        raise ValueError(f"{', '.join(names)}: shapes {shapes} do not broadcast") from None
    r, key = _random_bits(dst, mode, seed, sr_bits, rbits, shape, "arithmetic keeps")
    if not codes and np.dtype(dtype) not in DTYPE_FORMATS:  # checked before any work
        raise TypeError(f"dtype: expected float16/32/64 or an ml_dtypes float type, got {dtype}")
    out = np.empty(shape, dtype=dst.code_dtype)
    views = [np.broadcast_to(s[0], shape) for s in src]
    facts = [s[1]._facts() for s in src]
    absent: List[None] = [None] * (4 - len(src))  # operands beyond the op's arity
    b_view, c_view, d_view = views[1:] + absent
    b_facts, c_facts, d_facts = facts[1:] + absent
    _core.arith(_OPS.index(op), views[0], b_view, c_view, d_view, out, facts[0], b_facts,
                c_facts, d_facts, dst._facts(), MODES.index(mode),
                bool(saturate), bool(flush_subnormals), bool(flush_subnormals), int(sr_bits), key,
                r)
    result = out if codes else decode(out, dst, dtype)
    return _result(result, all(s[2] for s in src))


_DOC = """{summary}

    The exact {what} of ``a`` and ``b`` (taken exactly: float16/32/64, ml_dtypes or integers
    below 2^53; NumPy broadcasting) rounded once into ``fmt``.

    Args:
        a, b: the operands.
        fmt: the result format (a :class:`Format`, a name such as ``"bf16"``, or a dtype).
        rounding: any mode of :func:`encode`, including ``stochastic`` and ``odd``.
        saturate: overflow and Inf give ±max instead of the format's Inf or NaN.
        seed: stochastic rounding key, as :func:`encode` takes it (None: a fresh key per
            call); element i of the result uses Philox word i mod 4 of counter i // 4.
        sr_bits: R, the number of random bits (``fmt.man_bits + sr_bits <= 60``).
        rbits: your own random integers in 0..2^R-1, one per result element.
        flush_subnormals: operands below ``fmt``'s smallest normal are zeros (DAZ, as a unit
            working in ``fmt`` sees them) and subnormal results flush to zero (FTZ), keeping
            the sign.
        dtype: the float dtype of the returned values (default float64; each result value is
            decoded exactly when the dtype holds ``fmt``, else rounded to nearest-even).
        codes: return the result's codes of ``fmt`` instead of values.

    Returns:
        An array of the broadcast shape (a NumPy scalar when both operands are scalars).

    {example}
    """


@tensor_io
def add(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
        saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
        rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    return _elementwise("add", (a, b), fmt, rounding, saturate, seed, sr_bits, rbits,
                        flush_subnormals, dtype, codes)


@tensor_io
def sub(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
        saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
        rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    return _elementwise("sub", (a, b), fmt, rounding, saturate, seed, sr_bits, rbits,
                        flush_subnormals, dtype, codes)


@tensor_io
def mul(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
        saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
        rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    return _elementwise("mul", (a, b), fmt, rounding, saturate, seed, sr_bits, rbits,
                        flush_subnormals, dtype, codes)


@tensor_io
def div(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
        impl: str = "cr", saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
        rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    if impl != "cr":
        from ._special import hardware_div
        return hardware_div(a, b, impl, fmt, rounding, saturate, seed, sr_bits, rbits,
                            flush_subnormals, dtype, codes)
    return _elementwise("div", (a, b), fmt, rounding, saturate, seed, sr_bits, rbits,
                        flush_subnormals, dtype, codes)


@tensor_io
def fma(a: ArrayLike, b: ArrayLike, c: ArrayLike, fmt: FormatLike,
        rounding: RoundingMode = "nearest_even", *, saturate: bool = False, seed: SeedLike = None,
        sr_bits: int = 32, rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    """``a * b + c`` with one rounding into ``fmt``: the product is never rounded.

    Operands, broadcasting and keywords as in :func:`add`. The exact product and sum are
    formed in 128-bit integers; only the final value is rounded, so there is no double
    rounding and no lost low-order product bits. Sign of an exact zero: as IEEE 754 (the
    sign of a zero ``a * b + c`` with both terms zero follows the sum's rule; +0 otherwise,
    -0 under ``down``).

    >>> x = 1.0 + 2.0**-7                      # a BF16 value: x * x = 1 + 2^-6 + 2^-14
    >>> float(fma(x, x, -(1.0 + 2.0**-6), "bf16"))   # the low product bits survive
    6.103515625e-05
    >>> float(sub(mul(x, x, "bf16"), 1.0 + 2.0**-6, "bf16"))  # rounded product: they are gone
    0.0
    """
    return _elementwise("fma", (a, b, c), fmt, rounding, saturate, seed, sr_bits, rbits,
                        flush_subnormals, dtype, codes)


@tensor_io
def sqrt(a: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
         impl: str = "cr", saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
         rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
         dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    """``sqrt(a)`` rounded once into ``fmt``: sqrt(-0) = -0; negative numbers and -Inf give
    NaN. Keywords as in :func:`add`; ``impl`` is ``"cr"`` only (the GPU's ``sqrt.rn`` is
    correctly rounded; ``sqrt.approx`` is not modelled).

    >>> float(sqrt(2.0, "bf16")), float(sqrt(2.0, "bf16", "up")), float(sqrt(-0.0, "e4m3"))
    (1.4140625, 1.421875, -0.0)
    """
    if impl != "cr":
        from ._special import _impl
        _impl("sqrt", impl)  # raises, naming the choices
    return _elementwise("sqrt", (a,), fmt, rounding, saturate, seed, sr_bits, rbits,
                        flush_subnormals, dtype, codes)


add.__doc__ = _DOC.format(
    summary="``a + b`` rounded once into ``fmt``.", what="sum",
    example=""">>> float(add(1.0, 2.0**-9, "bf16")), float(add(1.0, 2.0**-9, "bf16", "up"))
    (1.0, 1.0078125)""")
sub.__doc__ = _DOC.format(
    summary="``a - b`` rounded once into ``fmt``.", what="difference",
    example=""">>> float(sub(1.0, 1.0, "e4m3")), float(sub(1.0, 1.0, "e4m3", "down"))
    (0.0, -0.0)""")
div.__doc__ = _DOC.format(
    summary="``a / b`` rounded once into ``fmt``; x / 0 is a signed Inf (then per the format).\n\n"
            "    ``impl``: ``\"cr\"`` (default), or the GPU's ``\"sm90:div.full.f32\"`` (``a * "
            "MUFU.RCP(b)``,\n    up to 2 ulp off) or ``\"sm90:div.rn.f32\"`` (IEEE): float32 operands, "
            "the float32\n    result rounded into ``fmt`` (see :func:`roundoff.exp`).",
    what="quotient",
    example=""">>> float(div(1.0, 3.0, "bf16")), float(div(1.0, 3.0, "bf16", "up"))
    (0.333984375, 0.333984375)""")
mul.__doc__ = _DOC.format(
    summary="``a * b`` rounded once into ``fmt``.", what="product",
    example=""">>> float(mul(1.0 + 2.0**-3, 1.0 + 2.0**-3, "e4m3"))  # 1.265625 -> 1.25
    1.25""")


def _exact_values(x: ArrayLike, name: str) -> Tuple[np.ndarray, bool]:
    """x's exact values as float64 (every format's values are float64 values), and whether
    x was a scalar."""
    codes, fmt, scalar = _source(x, name)
    if fmt in (float16, float32, float64):  # NumPy widens these exactly (facts, not names)
        src = codes.view(ml_dtype(fmt))
        if src.ndim == 0 or src.size <= _WIDEN_CHUNK:
            with np.errstate(invalid="ignore"):
                return np.asarray(src, dtype=np.float64), scalar
        # Large arrays in slices along the first axis: Ctrl-C is seen between them (a single
        # NumPy call would hold it for seconds where fresh memory is slow to fault in).
        out = np.empty(src.shape, dtype=np.float64)
        step = _WIDEN_CHUNK * src.shape[0] // src.size or 1  # rows per slice
        with np.errstate(invalid="ignore"):
            for i in range(0, src.shape[0], step):
                out[i:i + step] = src[i:i + step]
        return out, scalar
    return np.asarray(decode(codes, fmt, np.float64)), scalar


_WIDEN_CHUNK = 1 << 20


def _flush_operands(v: np.ndarray, fmt: FormatLike, flush_subnormals: bool) -> np.ndarray:
    """DAZ as a unit working in fmt sees it: operands below fmt's smallest normal are zeros
    of their sign (the arithmetic kernels do the same)."""
    if not flush_subnormals:
        return v
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(v) < format(fmt).min_normal, np.copysign(0.0, v), v)


def _round_values(v: np.ndarray, scalar: bool, fmt: FormatLike, rounding: str, saturate: bool,
                  seed: SeedLike, sr_bits: int, rbits: Optional[ArrayLike],
                  flush_subnormals: bool, dtype: DTypeLike, codes: bool) -> Any:
    """v (exact values, operands already flushed) rounded once into fmt; flush_subnormals
    flushes subnormal results (FTZ)."""
    dst = format(fmt)
    if not codes and np.dtype(dtype) not in DTYPE_FORMATS:
        raise TypeError(f"dtype: expected float16/32/64 or an ml_dtypes float type, got {dtype}")
    src, src_fmt, _ = _source(v, "a")
    c = _cast(src, src_fmt, dst, rounding, saturate, seed, sr_bits, rbits, flush_subnormals,
              flush_inputs=False)  # DAZ relative to fmt is the caller's
    out = c if codes else decode(c, dst, dtype)
    return _result(np.asarray(out), scalar)


@tensor_io
def neg(a: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
        saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
        rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    """``-a`` rounded once into ``fmt`` (negation itself is exact; -0 stays distinct).

    >>> float(neg(0.0, "bf16")), float(neg(-3.0, "e4m3"))
    (-0.0, 3.0)
    """
    v, scalar = _exact_values(a, "a")
    v = _flush_operands(v, fmt, flush_subnormals)
    return _round_values(np.negative(v), scalar, fmt, rounding, saturate, seed, sr_bits, rbits,
                         flush_subnormals, dtype, codes)


@tensor_io
def abs(a: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,  # noqa: A001
        saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
        rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    """``|a|`` rounded once into ``fmt`` (NaN stays NaN; |-0| = +0).

    >>> float(abs(-0.0, "bf16")), float(abs(-1e-3, "e4m3"))
    (0.0, 0.001953125)
    """
    v, scalar = _exact_values(a, "a")
    v = _flush_operands(v, fmt, flush_subnormals)
    return _round_values(np.abs(v), scalar, fmt, rounding, saturate, seed, sr_bits, rbits,
                         flush_subnormals, dtype, codes)


def _min_max(a: ArrayLike, b: ArrayLike, want_max: bool, fmt: FormatLike,
             flush_subnormals: bool) -> Tuple[np.ndarray, bool]:
    va, sa = _exact_values(a, "a")
    vb, sb = _exact_values(b, "b")
    va = _flush_operands(va, fmt, flush_subnormals)
    vb = _flush_operands(vb, fmt, flush_subnormals)
    try:
        va, vb = np.broadcast_arrays(va, vb)
    except ValueError:
        raise ValueError(f"a and b: shapes {va.shape} and {vb.shape} do not broadcast") from None
    with np.errstate(invalid="ignore"):
        r = np.maximum(va, vb) if want_max else np.minimum(va, vb)  # NaN propagates
    zeros = (va == 0) & (vb == 0)
    neg_zero = (np.signbit(va) & np.signbit(vb)) if want_max else (np.signbit(va) | np.signbit(vb))
    return np.where(zeros, np.where(neg_zero, -0.0, 0.0), r), sa and sb


@tensor_io
def min(a: ArrayLike, b: ArrayLike, fmt: FormatLike,  # noqa: A001
        rounding: RoundingMode = "nearest_even", *, saturate: bool = False, seed: SeedLike = None,
        sr_bits: int = 32, rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    """IEEE 754-2019 ``minimum(a, b)`` rounded once into ``fmt``: NaN if either is NaN, and
    -0 < +0. Operands broadcast; keywords as in :func:`add`.

    >>> float(min(0.0, -0.0, "bf16")), float(min(1.0, 3.0, "e4m3"))
    (-0.0, 1.0)
    """
    v, scalar = _min_max(a, b, False, fmt, flush_subnormals)
    return _round_values(v, scalar, fmt, rounding, saturate, seed, sr_bits, rbits,
                         flush_subnormals, dtype, codes)


@tensor_io
def max(a: ArrayLike, b: ArrayLike, fmt: FormatLike,  # noqa: A001
        rounding: RoundingMode = "nearest_even", *, saturate: bool = False, seed: SeedLike = None,
        sr_bits: int = 32, rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False,
        dtype: DTypeLike = np.float64, codes: bool = False) -> Any:
    """IEEE 754-2019 ``maximum(a, b)`` rounded once into ``fmt``: NaN if either is NaN, and
    +0 > -0. Operands broadcast; keywords as in :func:`add`.

    >>> float(max(-0.0, 0.0, "bf16")), float(max(500.0, 3.0, "e4m3", saturate=True))
    (0.0, 448.0)
    """
    v, scalar = _min_max(a, b, True, fmt, flush_subnormals)
    return _round_values(v, scalar, fmt, rounding, saturate, seed, sr_bits, rbits,
                         flush_subnormals, dtype, codes)
