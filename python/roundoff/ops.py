"""Arithmetic on codes: operands and results are codes of one format, so a computation can
chain operations in that format without decoding and re-encoding.

Every function takes codes of ``fmt`` (integer arrays, validated like :func:`roundoff.decode`'s
input), rounds the exact result once into ``fmt`` and returns its codes. Keywords as in
:func:`roundoff.add`.

>>> import roundoff as ro
>>> x = ro.encode([1.0, 2.0, 3.0], "e4m3")
>>> y = ro.ops.mul(x, x, "e4m3")                   # codes of 1, 4, 9
>>> ro.decode(ro.ops.add(y, x, "e4m3"), "e4m3")    # 1+1, 4+2, 9+3
array([ 2.,  6., 12.], dtype=float32)
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np
from numpy.typing import ArrayLike

from . import _arith
from ._casts import _codes, decode
from ._formats import FormatLike, format
from ._interop import tensor_io
from ._rounding import RoundingMode


_KEYWORDS = ("saturate", "seed", "sr_bits", "rbits", "flush_subnormals")


def _run(op: str, operands: Tuple[ArrayLike, ...], fmt: FormatLike, rounding: str,
         kw: Dict[str, Any]) -> Any:
    unknown = sorted(set(kw) - set(_KEYWORDS))
    if unknown:  # a misspelt keyword must not be ignored
        raise TypeError(f"{op}() got an unexpected keyword argument {unknown[0]!r}; it takes "
                        f"{', '.join(_KEYWORDS)}")
    return _arith._elementwise(op, operands, fmt, rounding, kw.get("saturate", False),
                               kw.get("seed"), kw.get("sr_bits", 32), kw.get("rbits"),
                               kw.get("flush_subnormals", False), np.float64, True,
                               on_codes=True)  # np.float64: unused, codes come out


@tensor_io
def add(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",
        **kw: Any) -> Any:
    """Codes of round(a + b)."""
    return _run("add", (a, b), fmt, rounding, kw)


@tensor_io
def sub(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",
        **kw: Any) -> Any:
    """Codes of round(a - b)."""
    return _run("sub", (a, b), fmt, rounding, kw)


@tensor_io
def mul(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",
        **kw: Any) -> Any:
    """Codes of round(a * b)."""
    return _run("mul", (a, b), fmt, rounding, kw)


@tensor_io
def div(a: ArrayLike, b: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",
        **kw: Any) -> Any:
    """Codes of round(a / b)."""
    return _run("div", (a, b), fmt, rounding, kw)


@tensor_io
def fma(a: ArrayLike, b: ArrayLike, c: ArrayLike, fmt: FormatLike,
        rounding: RoundingMode = "nearest_even", **kw: Any) -> Any:
    """Codes of round(a * b + c), one rounding."""
    return _run("fma", (a, b, c), fmt, rounding, kw)


@tensor_io
def sqrt(a: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", **kw: Any) -> Any:
    """Codes of round(sqrt(a))."""
    return _run("sqrt", (a,), fmt, rounding, kw)


def _values(codes: ArrayLike, fmt: FormatLike, name: str) -> Any:
    """The values of codes of fmt as float64 (a scalar for a scalar)."""
    f = format(fmt)
    c, scalar = _codes(codes, f, name)
    v = decode(c, f, "float64")
    return v[()] if scalar else v


@tensor_io
def neg(a: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",
        **kw: Any) -> Any:
    """Codes of -a (exact; FNUZ formats have no -0)."""
    return _arith.neg(_values(a, fmt, "a"), fmt, rounding, codes=True, **kw)


@tensor_io
def abs(a: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even",  # noqa: A001
        **kw: Any) -> Any:
    """Codes of |a| (exact)."""
    return _arith.abs(_values(a, fmt, "a"), fmt, rounding, codes=True, **kw)


@tensor_io
def min(a: ArrayLike, b: ArrayLike, fmt: FormatLike,  # noqa: A001
        rounding: RoundingMode = "nearest_even", **kw: Any) -> Any:
    """Codes of IEEE 754-2019 minimum(a, b)."""
    return _arith.min(_values(a, fmt, "a"), _values(b, fmt, "b"), fmt, rounding, codes=True,
                      **kw)


@tensor_io
def max(a: ArrayLike, b: ArrayLike, fmt: FormatLike,  # noqa: A001
        rounding: RoundingMode = "nearest_even", **kw: Any) -> Any:
    """Codes of IEEE 754-2019 maximum(a, b)."""
    return _arith.max(_values(a, fmt, "a"), _values(b, fmt, "b"), fmt, rounding, codes=True,
                      **kw)
