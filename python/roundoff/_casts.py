"""Casts: values to codes (encode), codes to values (decode), codes to codes (convert)."""

from __future__ import annotations

import os
import warnings
from typing import Any, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _core
from ._formats import DTYPE_FORMATS, Format, FormatLike, float32, float64, format, ml_dtype
from ._interop import tensor_io
from ._rounding import MODES, RoundingMode, rounding_mode
from ._seeds import SeedLike, check_seed, resolve_key

_UINT_FOR_SIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _as_array(x: ArrayLike, name: str) -> Tuple[np.ndarray, bool]:
    """x as a native-byte-order array (the C++ core reads raw bytes), and whether x was a scalar."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name}: expected numbers, got {type(x).__name__}")
    if isinstance(x, np.ma.MaskedArray):  # its mask would be silently dropped
        raise TypeError(f"{name}: masked arrays are not supported (the mask would be ignored); "
                        f"pass {name}.filled(value) or {name}.compressed()")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name}: cannot be read as a numeric array ({exc})") from None
    scalar = not isinstance(x, np.ndarray) and a.ndim == 0
    return (a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))), scalar


def _distinct(a: np.ndarray) -> np.ndarray:
    """The part of a that is distinct in memory: a broadcast view (stride-0 axes) cut to one
    index along each such axis, so checks and conversions cost what its data costs."""
    if 0 not in a.strides or a.size == 0:
        return a
    return a[tuple(slice(0, 1) if stride == 0 else slice(None) for stride in a.strides)]


def _map_distinct(a: np.ndarray, f: Any) -> np.ndarray:
    """f applied to the distinct part of a, broadcast back to a's shape (read-only then)."""
    d = _distinct(a)
    return f(a) if d is a else np.broadcast_to(f(d), a.shape)


def _exact_integers(a: np.ndarray, name: str) -> np.ndarray:
    """Integers as float64 values, checked to be exact (uint64 values near 2^64 round up to
    2^64, which casts back to garbage: silenced, then rejected as inexact)."""
    f = a.astype(np.float64)
    with np.errstate(invalid="ignore"):
        exact = a.dtype.kind == "b" or a.size == 0 or np.array_equal(f.astype(a.dtype), a)
    if not exact:
        raise ValueError(f"{name}: integers beyond 2^53 cannot be taken exactly; pass floats")
    return f


def _source(x: ArrayLike, name: str = "x") -> Tuple[np.ndarray, Format, bool]:
    """The input as (codes array, its format, whether it was a scalar). Values are taken exactly."""
    a, scalar = _as_array(x, name)
    fmt = DTYPE_FORMATS.get(a.dtype)
    if fmt is not None:
        codes = a.view(_UINT_FOR_SIZE[a.dtype.itemsize])
        if fmt.bits < 8 * a.dtype.itemsize:  # FP6/FP4 bytes: the bits above the code are 0
            d = _distinct(codes)
            if d.size and int(d.max()) >> fmt.bits:
                raise ValueError(f"{name}: {a.dtype} data holds bytes that are not codes of "
                                 f"its {fmt.bits}-bit format (values 0..{(1 << fmt.bits) - 1})")
        return codes, fmt, scalar
    if a.dtype.kind in "biu":
        f = _map_distinct(a, lambda d: _exact_integers(d, name))
        return f.view(np.uint64), float64, scalar
    raise TypeError(
        f"{name}: expected float16/32/64, ml_dtypes or integer data, got dtype {a.dtype}"
    )


def _python_integers(codes: Any, a: np.ndarray, fmt: Format, name: str) -> np.ndarray:
    """Python integers that NumPy read as float64 or objects ([0, 2**63] mixes int64 and
    uint64): as codes, if they all are integers; else a unchanged (rejected by the caller)."""
    items = np.array(codes, dtype=object).ravel()
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        return a
    if any(not 0 <= int(v) < 1 << fmt.bits for v in items):
        raise ValueError(f"{name}: values must be in 0..{(1 << fmt.bits) - 1} for {fmt}")
    return np.array([int(v) for v in items], dtype=fmt.code_dtype).reshape(a.shape)


def _codes(codes: ArrayLike, fmt: Format, name: str = "codes") -> Tuple[np.ndarray, bool]:
    """Validated codes of fmt in fmt's code dtype."""
    a, scalar = _as_array(codes, name)
    if a.size == 0 and not isinstance(codes, np.ndarray):
        a = a.astype(fmt.code_dtype)  # [] reads as float64
    if a.dtype.kind in "fO" and not isinstance(codes, np.ndarray):
        a = _python_integers(codes, a, fmt, name)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer codes, got dtype {a.dtype}")
    want = fmt.code_dtype
    if a.dtype == want and fmt.bits == 8 * want.itemsize:
        return a, scalar
    d = _distinct(a)
    if d.size and (int(d.min()) < 0 or int(d.max()) >= (1 << fmt.bits)):
        raise ValueError(f"{name}: values must be in 0..{(1 << fmt.bits) - 1} for {fmt}")
    return _map_distinct(a, lambda v: v.astype(want)), scalar


def _rbits(rbits: ArrayLike, shape: Tuple[int, ...], sr_bits: int) -> np.ndarray:
    r, _ = _as_array(rbits, "rbits")
    if r.dtype.kind not in "iu":
        raise TypeError(f"rbits: expected unsigned integers, got dtype {r.dtype}")
    if r.shape != tuple(shape):
        raise ValueError(f"rbits: shape {r.shape} does not match the input's {tuple(shape)}")
    if r.dtype.kind == "u" and r.dtype.itemsize <= 4 and 8 * r.dtype.itemsize <= sr_bits:
        return r
    d = _distinct(r)
    if d.size and (int(d.min()) < 0 or int(d.max()) >= (1 << sr_bits)):
        raise ValueError(f"rbits: values must be in 0..2^{sr_bits}-1 (sr_bits={sr_bits})")
    if r.dtype.kind == "u" and r.dtype.itemsize <= 4:
        return r
    return _map_distinct(r, lambda v: v.astype(np.uint32))


def _check_policy(saturate: Any, seed: Any, sr_bits: Any, flush: Any) -> None:
    for name, v in (("saturate", saturate), ("flush_subnormals", flush)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{name}: expected a bool, got {v!r}")
    check_seed(seed)
    if isinstance(sr_bits, bool) or not isinstance(sr_bits, (int, np.integer)):
        raise TypeError(f"sr_bits: expected an integer, got {sr_bits!r}")
    if not 1 <= int(sr_bits) <= 32:
        raise ValueError(f"sr_bits: must be in 1..32, got {sr_bits}")


def _cast(src: np.ndarray, src_fmt: Format, dst_fmt: Format, rounding: str, saturate: bool,
          seed: SeedLike, sr_bits: int, rbits: Optional[ArrayLike], flush: bool,
          flush_inputs: Optional[bool] = None) -> np.ndarray:
    """Codes of src_fmt to codes of dst_fmt. flush: FTZ on the results and DAZ on the inputs
    (subnormals of src_fmt), unless flush_inputs says otherwise."""
    mode = rounding_mode(rounding)
    _check_policy(saturate, seed, sr_bits, flush)
    daz = flush if flush_inputs is None else flush_inputs
    r = None
    if rbits is not None:
        if mode != "stochastic":
            raise ValueError("rbits: random bits are only used with rounding='stochastic'")
        r = _rbits(rbits, src.shape, int(sr_bits))
    key = resolve_key(seed, mode == "stochastic" and r is None)
    out = np.empty(src.shape, dtype=dst_fmt.code_dtype)
    _core.convert(src, out, src_fmt._facts(), dst_fmt._facts(), MODES.index(mode),
                  bool(saturate), bool(daz), bool(flush), int(sr_bits), key, r)
    return out


def _result(out: np.ndarray, scalar: bool) -> Any:
    return out[()] if scalar else out


@tensor_io
def encode(x: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
           saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
           rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False) -> Any:
    """Round values to ``fmt`` and return their codes (uint8/16/32/64 by the format's width).

    Each value is rounded once, from its exact value: a float64 is never narrowed to float32 first.

    Args:
        x: float16/32/64 or ml_dtypes array of any shape and strides, a scalar or a sequence.
            Integers are taken exactly when below 2^53.
        fmt: a :class:`Format`, a format name (``"e4m3"``) or a dtype.
        rounding: ``nearest_even`` (``rne``), ``nearest_away`` (``rna``), ``toward_zero``
            (``rtz``), ``up`` (``rup``), ``down`` (``rdn``), ``odd`` (``rto``) or
            ``stochastic`` (``sr``).
        saturate: overflow and Inf give ±max (PTX ``cvt.satfinite``) instead of the format's
            Inf or NaN.
        seed: stochastic rounding key. None (default): a fresh key per call from the package
            generator (:func:`roundoff.manual_seed` makes it reproducible); a
            ``numpy.random.Generator``: a key drawn from it; an integer 0..2^64-1: that key,
            the same bits everywhere. Element i uses Philox4x32-10 word i mod 4 of counter
            i // 4.
        sr_bits: R, the number of random bits (1..32).
        rbits: your own random integers in 0..2^R-1, one per element (shape of ``x``).
        flush_subnormals: take subnormal inputs as zero and flush subnormal results to zero,
            keeping the sign (hardware FTZ/DAZ).

    Returns:
        Codes, an array of ``x``'s shape (C order), or a NumPy scalar for a scalar input.

    >>> int(encode(448.0, "e4m3")), int(encode(464.0, "e4m3")), int(encode(465.0, "e4m3"))
    (126, 126, 127)
    """
    dst = format(fmt)
    src, src_fmt, scalar = _source(x)
    return _result(_cast(src, src_fmt, dst, rounding, saturate, seed, sr_bits, rbits,
                         flush_subnormals), scalar)


@tensor_io
def decode(codes: ArrayLike, fmt: FormatLike, dtype: DTypeLike = np.float32) -> Any:
    """Values of ``codes`` of ``fmt`` as ``dtype`` (float16/32/64 or an ml_dtypes type).

    Exact when every value of ``fmt`` is a value of ``dtype`` (e.g. any FP8 into float32);
    otherwise each value is rounded once to nearest-even. NaN codes give the canonical NaN.

    >>> float(decode(0x7E, "e4m3"))
    448.0
    """
    f = format(fmt)
    dt = np.dtype(dtype)
    target = DTYPE_FORMATS.get(dt)
    if target is None:
        raise TypeError(f"dtype: expected float16/32/64 or an ml_dtypes float type, got {dt}")
    c, scalar = _codes(codes, f)
    out = _cast(c, f, target, "nearest_even", False, 0, 32, None, False).view(dt)
    return _result(out, scalar)


@tensor_io
def convert(codes: ArrayLike, src_fmt: FormatLike, dst_fmt: FormatLike,
            rounding: RoundingMode = "nearest_even", *, saturate: bool = False,
            seed: SeedLike = None, sr_bits: int = 32, rbits: Optional[ArrayLike] = None,
            flush_subnormals: bool = False) -> Any:
    """Codes of ``src_fmt`` to codes of ``dst_fmt``, one rounding from the exact value.

    Keyword arguments as in :func:`encode`.

    >>> int(convert(0x3F80, "bf16", "e4m3"))  # 1.0
    56
    """
    s, d = format(src_fmt), format(dst_fmt)
    c, scalar = _codes(codes, s)
    return _result(_cast(c, s, d, rounding, saturate, seed, sr_bits, rbits, flush_subnormals),
                   scalar)


def _value_dtype(src_fmt: Format, fmt: Format) -> np.dtype:
    """The input's own dtype if it holds every value of fmt, else float32 or float64."""
    for cand in (src_fmt, float32, float64):
        if fmt.is_subset_of(cand):
            return ml_dtype(cand)
    return np.dtype(np.float64)


@tensor_io
def quantize(x: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
             saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
             rbits: Optional[ArrayLike] = None, flush_subnormals: bool = False) -> Any:
    """``decode(encode(x, ...))``: the rounded values, in ``x``'s float dtype.

    When that dtype cannot hold every value of ``fmt`` (say bfloat16 values from a float16
    input), the result is float32, or float64 if float32 cannot either. Integer and Python
    inputs give float64. Keyword arguments as in :func:`encode`.

    >>> float(quantize(0.1, "bf16"))
    0.10009765625
    """
    f = format(fmt)
    src, src_fmt, scalar = _source(x)
    codes = _cast(src, src_fmt, f, rounding, saturate, seed, sr_bits, rbits, flush_subnormals)
    dt = _value_dtype(src_fmt, f)
    out = _cast(codes, f, DTYPE_FORMATS[dt], "nearest_even", False, 0, 32, None, False)
    return _result(out.view(dt), scalar)


@tensor_io
def astype(x: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",
           **kwargs: Any) -> Any:
    """Round to ``fmt`` and return an array of the matching ml_dtypes (or NumPy) dtype.

    Like ``x.astype(ml_dtypes.float8_e4m3fn)``, but with every rounding mode, saturation,
    stochastic rounding and exact float64 sources. Keyword arguments as in :func:`encode`.

    Raises:
        ValueError: ml_dtypes has no dtype for ``fmt``.
    """
    dt = ml_dtype(fmt)
    codes = encode(x, fmt, rounding, **kwargs)
    return np.asarray(codes).view(dt)[()] if np.ndim(codes) == 0 else codes.view(dt)


MAX_THREADS = 1024


def set_num_threads(n: int) -> None:
    """Threads for the C++ kernels: 1..1024, or 0 for OpenMP's default (the CPUs this process
    may use). Results do not depend on it. More threads than CPUs only oversubscribe them:
    that warns (``RuntimeWarning``)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n: expected an integer, got {n!r}")
    if not 0 <= n <= MAX_THREADS:
        raise ValueError(f"n: must be in 0..{MAX_THREADS} (0: OpenMP's default), got {n}")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus and n > cpus:
        warnings.warn(f"set_num_threads({n}): this process may use {cpus} CPUs; the kernels "
                      f"will oversubscribe them", RuntimeWarning, stacklevel=2)
    _core.set_num_threads(int(n))


def get_num_threads() -> int:
    """Threads the C++ kernels use."""
    return int(_core.get_num_threads())


