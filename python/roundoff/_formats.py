"""Number formats: a handful of primitive facts, everything else derived (gfloat/APFloat style)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, Optional, Union

import numpy as np

from . import _core

NONFINITE = ("ieee", "nan_all_ones", "nan_neg_zero", "finite")
"""Non-finite policies: IEEE Inf+NaN; no Inf and NaN at the all-ones magnitude code (``fn``);
no Inf, no -0 and NaN at the negative-zero code (``fnuz``); neither Inf nor NaN (FP6/FP4)."""


@dataclasses.dataclass(frozen=True)
class Format:
    """A binary floating-point format, given by its primitive facts.

    Args:
        exp_bits: width of the exponent field (1..11).
        man_bits: width of the stored mantissa (trailing significand), 0..52.
        bias: exponent bias; default the IEEE bias ``2**(exp_bits-1) - 1``.
        nonfinite: one of ``"ieee"``, ``"nan_all_ones"``, ``"nan_neg_zero"``, ``"finite"``.
        subnormals: whether exponent field 0 holds subnormals (else values below the smallest
            normal round to 0 or to the smallest normal).
        signed: whether a sign bit is present.
        has_zero: whether exponent field 0 is reserved for zero/subnormals; ``False`` makes it an
            ordinary binade and the format has no zero (E8M0).
        name: a display name; not part of equality or hashing.

    Formats are immutable, hashable and compare by their facts. Invalid facts raise ``ValueError``
    naming the field.

    >>> Format(4, 3, bias=7, nonfinite="nan_all_ones").max
    448.0
    """

    exp_bits: int
    man_bits: int
    bias: Optional[int] = None
    nonfinite: str = "ieee"
    subnormals: bool = True
    signed: bool = True
    has_zero: bool = True
    name: Optional[str] = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        def need_int(field: str, lo: int, hi: int) -> None:
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"{field}: expected an integer, got {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"{field}: must be in {lo}..{hi}, got {v}")
            object.__setattr__(self, field, int(v))

        need_int("exp_bits", 1, 11)
        need_int("man_bits", 0, 52)
        if self.bias is None:
            object.__setattr__(self, "bias", (1 << (self.exp_bits - 1)) - 1)
        need_int("bias", -(1 << 12), 1 << 12)
        for field in ("subnormals", "signed", "has_zero"):
            v = getattr(self, field)
            if not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"{field}: expected a bool, got {v!r}")
            object.__setattr__(self, field, bool(v))
        if self.nonfinite not in NONFINITE:
            raise ValueError(f"nonfinite: expected one of {NONFINITE}, got {self.nonfinite!r}")
        if self.nonfinite == "ieee" and self.man_bits == 0:
            raise ValueError("man_bits: an 'ieee' format needs man_bits >= 1 to encode NaN")
        if self.nonfinite == "ieee" and self.exp_bits < 2:
            raise ValueError("exp_bits: an 'ieee' format needs exp_bits >= 2")
        if self.nonfinite == "nan_neg_zero" and not self.signed:
            raise ValueError("signed: 'nan_neg_zero' puts NaN at the negative-zero code")
        if not self.signed and self.nonfinite not in ("ieee", "nan_all_ones"):
            raise ValueError("signed: an unsigned format needs a NaN code for negative inputs")
        if not self.has_zero and self.subnormals:
            raise ValueError("subnormals: a format without zero cannot have subnormals")
        if self.bits > 64:
            raise ValueError("exp_bits: the format is wider than 64 bits")
        if self.nonfinite == "nan_all_ones" and self.exp_bits + self.man_bits < 2:
            raise ValueError("exp_bits: 'nan_all_ones' leaves no finite nonzero value")
        # Every value must be a float64, so that max, min and decode to float64 are exact.
        info = _core.format_info(self._facts())
        if info["emax"] > 1023 or self.emin - self.man_bits < -1074:
            raise ValueError(
                f"bias: the range 2^{self.emin}..2^{info['emax']} does not fit in float64"
            )
        if info["emax"] < self.emin:
            raise ValueError("exp_bits: the format has no finite normal binade")

    # -- the facts as the C++ core takes them ------------------------------------------------
    def _facts(self) -> tuple:
        return (
            self.exp_bits,
            self.man_bits,
            self.bias,
            NONFINITE.index(self.nonfinite),
            self.subnormals,
            self.signed,
            self.has_zero,
        )

    @property
    def _info(self) -> Dict[str, Any]:
        cached = self.__dict__.get("_info_cache")
        if cached is None:
            cached = _core.format_info(self._facts())
            object.__setattr__(self, "_info_cache", cached)
        return cached

    # -- derived properties -------------------------------------------------------------------
    @property
    def bits(self) -> int:
        """Width of a code."""
        return int(self.signed) + self.exp_bits + self.man_bits

    @property
    def precision(self) -> int:
        """Significand bits including the hidden bit (p)."""
        return self.man_bits + 1

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal binade."""
        return (1 if self.has_zero else 0) - self.bias

    @property
    def emax(self) -> int:
        """Exponent of the largest finite binade."""
        return int(self._info["emax"])

    @property
    def max(self) -> float:
        """Largest finite value."""
        m = self._info["max_code"] & ((1 << self.man_bits) - 1)
        return math.ldexp(1.0 + m / (1 << self.man_bits), self.emax)

    @property
    def min_normal(self) -> float:
        """Smallest positive normal value, 2^emin."""
        return math.ldexp(1.0, self.emin)

    @property
    def min_subnormal(self) -> float:
        """Smallest positive value (the smallest normal when there are no subnormals)."""
        if self.subnormals and self.man_bits > 0:
            return math.ldexp(1.0, self.emin - self.man_bits)
        return self.min_normal

    @property
    def eps(self) -> float:
        """Gap from 1 to the next larger value, 2^(1-p)."""
        return math.ldexp(1.0, -self.man_bits)

    @property
    def unit_roundoff(self) -> float:
        """u = 2^-p, the relative error bound of round-to-nearest in the normal range."""
        return math.ldexp(1.0, -self.precision)

    @property
    def has_inf(self) -> bool:
        return self.nonfinite == "ieee"

    @property
    def has_nan(self) -> bool:
        return self.nonfinite != "finite"

    @property
    def max_code(self) -> int:
        """Code of +max."""
        return int(self._info["max_code"])

    @property
    def nan_code(self) -> Optional[int]:
        """Canonical NaN code (positive quiet NaN), or None."""
        return self._info["nan_code"]

    @property
    def inf_code(self) -> Optional[int]:
        """Code of +Inf, or None."""
        return self._info["inf_code"]

    @property
    def code_dtype(self) -> np.dtype:
        """Unsigned integer dtype that holds one code."""
        for width, dt in ((8, np.uint8), (16, np.uint16), (32, np.uint32)):
            if self.bits <= width:
                return np.dtype(dt)
        return np.dtype(np.uint64)

    def __repr__(self) -> str:
        facts = (
            f"exp_bits={self.exp_bits}, man_bits={self.man_bits}, bias={self.bias}, "
            f"nonfinite={self.nonfinite!r}"
        )
        for field, default in (("subnormals", True), ("signed", True), ("has_zero", True)):
            if getattr(self, field) != default:
                facts += f", {field}={getattr(self, field)}"
        name = f"name={self.name!r}, " if self.name else ""
        return f"Format({name}{facts})"

    def __str__(self) -> str:
        return self.name or repr(self)

    def is_subset_of(self, other: "Format") -> bool:
        """Whether every value of this format is exactly a value of ``other`` (signed zeros,
        Inf and NaN included)."""
        if self.precision > other.precision or self.emax > other.emax:
            return False
        if (self.has_inf and not other.has_inf) or (self.has_nan and not other.has_nan):
            return False
        if (self.signed and not other.signed) or (self.has_zero and not other.has_zero):
            return False
        if self._info["signed_zero"] and not other._info["signed_zero"]:
            return False
        if self.emin - self.man_bits < other.emin - other.man_bits:
            return False  # lowest significand bit below other's finest quantum
        if not other.subnormals:
            smallest_msb = self.emin - (self.man_bits if self.subnormals else 0)
            return smallest_msb >= other.emin
        return True


def _fmt(name: str, e: int, m: int, bias: Optional[int] = None, nonfinite: str = "ieee",
         **kw: Any) -> Format:
    return Format(e, m, bias, nonfinite, name=name, **kw)


float8_e4m3fn = _fmt("float8_e4m3fn", 4, 3, 7, "nan_all_ones")
float8_e5m2 = _fmt("float8_e5m2", 5, 2, 15)
float8_e4m3fnuz = _fmt("float8_e4m3fnuz", 4, 3, 8, "nan_neg_zero")
float8_e5m2fnuz = _fmt("float8_e5m2fnuz", 5, 2, 16, "nan_neg_zero")
bfloat16 = _fmt("bfloat16", 8, 7)
float16 = _fmt("float16", 5, 10)
float32 = _fmt("float32", 8, 23)
float64 = _fmt("float64", 11, 52)
tfloat32 = _fmt("tfloat32", 8, 10)
float6_e2m3fn = _fmt("float6_e2m3fn", 2, 3, 1, "finite")
float6_e3m2fn = _fmt("float6_e3m2fn", 3, 2, 3, "finite")
float4_e2m1fn = _fmt("float4_e2m1fn", 2, 1, 1, "finite")
float8_e8m0fnu = _fmt("float8_e8m0fnu", 8, 0, 127, "nan_all_ones", subnormals=False,
                      signed=False, has_zero=False)

FORMATS: Dict[str, Format] = {
    f.name: f  # type: ignore[misc]
    for f in (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, bfloat16, float16,
              float32, tfloat32, float6_e2m3fn, float6_e3m2fn, float4_e2m1fn, float8_e8m0fnu,
              float64)
}
"""Predefined formats by their ml_dtypes/LLVM names."""

ALIASES: Dict[str, str] = {
    "e4m3": "float8_e4m3fn", "e4m3fn": "float8_e4m3fn", "fp8_e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2", "fp8_e5m2": "float8_e5m2",
    "e4m3fnuz": "float8_e4m3fnuz", "e5m2fnuz": "float8_e5m2fnuz",
    "bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32",
    "single": "float32", "fp64": "float64", "double": "float64", "tf32": "tfloat32",
    "e2m3": "float6_e2m3fn", "fp6_e2m3": "float6_e2m3fn", "e3m2": "float6_e3m2fn",
    "fp6_e3m2": "float6_e3m2fn", "e2m1": "float4_e2m1fn", "fp4": "float4_e2m1fn",
    "fp4_e2m1": "float4_e2m1fn", "e8m0": "float8_e8m0fnu", "e8m0fnu": "float8_e8m0fnu",
}
"""Short names; lookup is case-insensitive (``"E4M3"``, ``"BF16"``, ...)."""

FormatLike = Union[Format, str, np.dtype, type]


def _dtype_formats() -> Dict[np.dtype, Format]:
    table = {np.dtype(np.float16): float16, np.dtype(np.float32): float32,
             np.dtype(np.float64): float64}
    import ml_dtypes

    for name in FORMATS:
        dt = getattr(ml_dtypes, name, None)
        if dt is not None:
            table[np.dtype(dt)] = FORMATS[name]
    return table


DTYPE_FORMATS = _dtype_formats()
"""NumPy and ml_dtypes dtypes whose elements are codes of a roundoff format."""


def format(fmt: FormatLike) -> Format:  # noqa: A001 - the public lookup is named for what it gives
    """Look up a format by name (``"e4m3"``, ``"float8_e5m2"``, ``"BF16"``), dtype, or pass a
    :class:`Format` through.

    Raises:
        ValueError: unknown name.
        TypeError: anything that is not a name, a dtype or a Format.
    """
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, str):
        key = fmt.strip().lower()
        key = ALIASES.get(key, key)
        if key in FORMATS:
            return FORMATS[key]
        raise ValueError(
            f"fmt: unknown format {fmt!r}; known: {', '.join(FORMATS)} "
            f"(aliases {', '.join(sorted(ALIASES))})"
        )
    try:
        dt = np.dtype(fmt)
    except TypeError:
        dt = None
    if dt is not None and dt in DTYPE_FORMATS:
        return DTYPE_FORMATS[dt]
    raise TypeError(f"fmt: expected a Format, a format name or a float dtype, got {fmt!r}")


def ml_dtype(fmt: FormatLike) -> np.dtype:
    """The NumPy/ml_dtypes dtype whose elements are codes of ``fmt``.

    Raises:
        ValueError: ml_dtypes has no such type (e.g. tfloat32, custom formats).
    """
    f = format(fmt)
    for dt, g in DTYPE_FORMATS.items():
        if g == f:
            return dt
    raise ValueError(f"fmt: ml_dtypes has no dtype for {f}")
