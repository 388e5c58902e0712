"""Number formats: a handful of primitive facts, everything else derived (gfloat/APFloat style)."""

from __future__ import annotations

import dataclasses
import math
import re
import types
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np

from . import _core

FormatFacts = Tuple[int, int, int, int, bool, bool, bool]
"""A format as the C++ core takes it: exp_bits, man_bits, bias, the index of its
:data:`NONFINITE` policy, subnormals, signed, has_zero."""

NONFINITE = ("ieee", "nan_all_ones", "nan_neg_zero", "finite", "inf_nan_neg_zero")
"""Non-finite policies: IEEE Inf+NaN; no Inf and NaN at the all-ones magnitude code (``fn``);
no Inf, no -0 and NaN at the negative-zero code (``fnuz``); neither Inf nor NaN (FP6/FP4);
+-Inf at the largest magnitude codes, no -0 and NaN at the negative-zero code (IEEE P3109's
binary formats, as gfloat defines them: for 8 bits NaN 0x80, Inf 0x7F and 0xFF)."""


@dataclasses.dataclass(frozen=True)
class Format:
    """A binary floating-point format, given by its primitive facts.

    Args:
        exp_bits: width of the exponent field (1..11).
        man_bits: width of the stored mantissa (trailing significand), 0..52.
        bias: exponent bias; default the IEEE bias ``2**(exp_bits-1) - 1``.
        nonfinite: one of ``"ieee"``, ``"nan_all_ones"``, ``"nan_neg_zero"``, ``"finite"``,
            ``"inf_nan_neg_zero"`` (:data:`NONFINITE`).
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
    bias: int = None  # type: ignore[assignment]  # None becomes the IEEE bias (__post_init__)
    nonfinite: str = "ieee"
    subnormals: bool = True
    signed: bool = True
    has_zero: bool = True
    name: Optional[str] = dataclasses.field(default=None, compare=False)

    if TYPE_CHECKING:  # what the constructor takes; the fields say what a Format holds
        def __init__(self, exp_bits: int, man_bits: int, bias: Optional[int] = None,
                     nonfinite: str = "ieee", subnormals: bool = True, signed: bool = True,
                     has_zero: bool = True, name: Optional[str] = None) -> None: ...

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
        if self.nonfinite in ("nan_neg_zero", "inf_nan_neg_zero") and not self.signed:
            raise ValueError(f"signed: {self.nonfinite!r} puts NaN at the negative-zero code")
        if not self.signed and self.nonfinite not in ("ieee", "nan_all_ones"):
            raise ValueError("signed: an unsigned format needs a NaN code for negative inputs")
        if not self.has_zero and self.subnormals:
            raise ValueError("subnormals: a format without zero cannot have subnormals")
        if self.bits > 64:
            raise ValueError("exp_bits: the format is wider than 64 bits")
        if (self.nonfinite in ("nan_all_ones", "inf_nan_neg_zero")
                and self.exp_bits + self.man_bits < 2):
            raise ValueError(f"exp_bits: {self.nonfinite!r} leaves no finite nonzero value")
        # Every value must be a float64, so that max, min and decode to float64 are exact.
        info = _core.format_info(self._facts())
        if info["emax"] > 1023 or self.emin - self.man_bits < -1074:
            raise ValueError(
                f"bias: the range 2^{self.emin}..2^{info['emax']} does not fit in float64"
            )
        if info["emax"] < self.emin:
            raise ValueError("exp_bits: the format has no finite normal binade")

    # -- the facts as the C++ core takes them ------------------------------------------------
    def _facts(self) -> FormatFacts:
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
    def _info(self) -> _core.FormatInfo:
        cached: Optional[_core.FormatInfo] = self.__dict__.get("_info_cache")
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
        return self.nonfinite in ("ieee", "inf_nan_neg_zero")

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
    str(f): f  # each one's name
    for f in (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, bfloat16, float16,
              float32, tfloat32, float6_e2m3fn, float6_e3m2fn, float4_e2m1fn, float8_e8m0fnu,
              float64)
}
"""Named formats: the ones above, then every further ml_dtypes float type under its ml_dtypes
name (``float8_e4m3``, ``float8_e3m4``, ``float8_e4m3b11fnuz``, ...), derived at import."""

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

_UINT_OF_ITEMSIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_MAX_DERIVED_BITS = 16
"""Widest ml_dtypes type whose facts are derived: every code is decoded to check them."""


def ml_dtypes_float_types() -> Dict[str, np.dtype]:
    """Every real floating-point type ml_dtypes exports, by name: discovered, not listed.

    A type counts if ``ml_dtypes.finfo`` describes it (integer types have no finfo) and describes
    it itself (a complex type's finfo describes its real part).
    """
    import ml_dtypes

    found: Dict[str, np.dtype] = {}
    for name in sorted(dir(ml_dtypes)):
        t = getattr(ml_dtypes, name)
        if name.startswith("_") or not isinstance(t, type) or not issubclass(t, np.generic):
            continue
        try:
            dt, info = np.dtype(t), ml_dtypes.finfo(t)
            own = np.dtype(info.dtype) == dt
        except Exception:  # noqa: BLE001 - any type finfo cannot describe is not a float type
            continue
        if own:
            found[name] = dt
    return found


def _decode_with(fmt: Format, codes: np.ndarray) -> np.ndarray:
    """Values of codes under fmt's facts, as roundoff's core decodes them (float64; NaN codes
    give NaN)."""
    out = np.empty(codes.shape, dtype=np.uint64)
    _core.convert(codes, out, fmt._facts(), float64._facts(), 0, False, False, False, 32, 0,
                  None)
    return out.view(np.float64)


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit equality of float64 arrays, any NaN equal to any NaN."""
    nan = np.isnan(a)
    return bool(np.array_equal(nan, np.isnan(b))
                and np.array_equal(a[~nan].view(np.uint64), b[~nan].view(np.uint64)))


def derive_format(name: str, dtype: Any) -> Format:
    """The :class:`Format` whose codes are the elements of an ml_dtypes float type.

    The widths come from ``ml_dtypes.finfo``; the bias from its smallest normal; zero,
    subnormals, Inf and the NaN codes from decoding every code through ml_dtypes. The facts are
    then checked: roundoff must decode every code to the value ml_dtypes gives, bit for bit.

    Raises:
        ValueError: no Format expresses the type (the message says which fact).
    """
    import ml_dtypes

    dt = np.dtype(dtype)
    info = ml_dtypes.finfo(dt)
    bits, exp_bits, man_bits = int(info.bits), int(info.nexp), int(info.nmant)
    if not 1 <= bits <= min(_MAX_DERIVED_BITS, 8 * dt.itemsize):
        raise ValueError(f"{name}: {bits}-bit codes in {dt.itemsize} bytes are not derived "
                         f"(at most {_MAX_DERIVED_BITS} bits)")
    if bits not in (exp_bits + man_bits, exp_bits + man_bits + 1):
        raise ValueError(f"{name}: {bits} bits is not e{exp_bits}m{man_bits} with or without "
                         f"a sign bit")
    signed = bits == exp_bits + man_bits + 1
    codes = np.arange(1 << bits, dtype=np.uint64).astype(_UINT_OF_ITEMSIZE[dt.itemsize])
    with np.errstate(all="ignore"):
        values = codes.view(dt).astype(np.float64)
    nan, inf = np.isnan(values), np.isinf(values)
    has_zero = bool(values[0] == 0.0)
    smallest_normal = float(info.smallest_normal)
    mantissa, exponent = math.frexp(smallest_normal)
    if mantissa != 0.5:
        raise ValueError(f"{name}: smallest normal {smallest_normal!r} is not a power of two")
    bias = (1 if has_zero else 0) - (exponent - 1)
    subnormals = has_zero and float(info.smallest_subnormal) < smallest_normal
    if inf.any() and signed and int(nan.sum()) == 1 and nan[1 << (bits - 1)]:
        nonfinite = "inf_nan_neg_zero"  # Inf at the top magnitude, NaN at the -0 code
    elif inf.any():
        nonfinite = "ieee"
    elif not nan.any():
        nonfinite = "finite"
    elif signed and int(nan.sum()) == 1 and nan[1 << (bits - 1)]:
        nonfinite = "nan_neg_zero"  # the negative-zero code is the only NaN
    else:
        nonfinite = "nan_all_ones"
    fmt = Format(exp_bits, man_bits, bias, nonfinite, subnormals, signed, has_zero, name=name)
    if not _same_values(values, _decode_with(fmt, codes)):
        raise ValueError(f"{name}: the facts {fmt!r} do not give every code's ml_dtypes value")
    return fmt


ML_DTYPES_SKIPPED: Dict[str, str] = {}
"""ml_dtypes float types that no Format expresses, by name: why each was skipped."""


def _dtype_formats() -> Dict[np.dtype, Format]:
    """NumPy's float dtypes, then every ml_dtypes float type that a Format expresses; new ml_dtypes
    names join FORMATS."""
    table: Dict[np.dtype, Format] = {np.dtype(np.float16): float16,
                                     np.dtype(np.float32): float32,
                                     np.dtype(np.float64): float64}
    for name, dt in ml_dtypes_float_types().items():
        try:
            derived = derive_format(name, dt)
        except Exception as exc:  # noqa: BLE001 - a type we cannot model must not break import
            ML_DTYPES_SKIPPED[name] = str(exc)
            continue
        listed = FORMATS.setdefault(name, derived)
        # The listed object where it agrees (format(dtype) is format(name)); a disagreement keeps
        # the dtype's true facts here, and tests/test_ml_dtypes.py reports it.
        table[dt] = listed if listed == derived else derived
    return table


DTYPE_FORMATS: Mapping[np.dtype, Format] = types.MappingProxyType(_dtype_formats())
"""NumPy and ml_dtypes dtypes whose elements are codes of a roundoff format (read-only)."""

_DTYPE_OF_FORMAT: Dict[Format, np.dtype] = {}
for _dt, _f in DTYPE_FORMATS.items():
    _DTYPE_OF_FORMAT.setdefault(_f, _dt)  # equal facts: NumPy's dtype, then the first ml_dtypes
del _dt, _f

_CUSTOM_NAME = re.compile(r"e(\d{1,6})m(\d{1,6})")


def _torch_dtype_name(obj: Any) -> Optional[str]:
    """``"bfloat16"`` for ``torch.bfloat16`` (recognised without importing torch), else None."""
    t = type(obj)
    if t.__module__ != "torch" or t.__name__ != "dtype":
        return None
    text = str(obj)
    return text[len("torch."):] if text.startswith("torch.") else text


def format(fmt: FormatLike) -> Format:  # noqa: A001 - the public lookup is named for what it gives
    """Look up a format; a :class:`Format` passes through.

    ``fmt`` may be:

    * a name, case-insensitive: a name of :data:`FORMATS` (every ml_dtypes float type among
      them), an alias of :data:`ALIASES`, or else ``"e<E>m<M>"`` for the IEEE-style format
      ``Format(E, M)`` (bias ``2**(E-1) - 1``, Inf and NaN);
    * a NumPy or ml_dtypes float dtype or scalar type (``np.float16``, ``ml_dtypes.bfloat16``,
      ``float``), in either byte order;
    * a torch float dtype (``torch.bfloat16``: the format of that name; torch is not imported).

    >>> format("e4m3").name, format("float8_e3m4").max
    ('float8_e4m3fn', 15.5)
    >>> format("e6m9")
    Format(name='e6m9', exp_bits=6, man_bits=9, bias=31, nonfinite='ieee')

    Raises:
        ValueError: an unknown name, or an ``e<E>m<M>`` no Format allows (``"e0m3"``).
        TypeError: anything else: ``None``, values and arrays, NumPy type codes as bytes,
            non-float dtypes, torch dtypes without a format (integer or packed ones).
    """
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, str):
        return _format_by_name(fmt)
    torch_name = _torch_dtype_name(fmt)
    if torch_name is not None:
        if torch_name in FORMATS:  # torch names follow ml_dtypes'; no aliases, no e<E>m<M>
            return FORMATS[torch_name]
        raise TypeError(f"fmt: {fmt} has no roundoff format; a torch float dtype maps to the "
                        f"format of its name (float32, bfloat16, float8_e4m3fn, ...)")
    # Only dtypes and types: np.dtype() would also take None (float64), values (np.float16(1))
    # and byte strings, none of which names a format.
    dt: Optional[np.dtype] = None
    if isinstance(fmt, np.dtype):
        dt = fmt
    elif isinstance(fmt, type) and issubclass(fmt, (float, np.generic)):
        try:
            dt = np.dtype(fmt)
        except TypeError:  # abstract types: np.floating, np.inexact
            dt = None
    if dt is not None:
        found = DTYPE_FORMATS.get(dt if dt.isnative else dt.newbyteorder("="))
        if found is not None:
            return found
        raise TypeError(f"fmt: dtype {dt} is not a floating-point format (expected float16/32/64 "
                        f"or an ml_dtypes float type)")
    raise TypeError(f"fmt: expected a Format, a format name, a float dtype or a torch float "
                    f"dtype, got {fmt!r}")


def _format_by_name(text: str) -> Format:
    key = text.strip().lower()
    key = ALIASES.get(key, key)
    if key in FORMATS:
        return FORMATS[key]
    custom = _CUSTOM_NAME.fullmatch(key)
    if custom is not None:
        e, m = int(custom.group(1)), int(custom.group(2))
        try:
            return Format(e, m, name=f"e{e}m{m}")
        except ValueError as exc:
            raise ValueError(f"fmt: {text!r} is not a valid IEEE-style e<E>m<M> format: {exc}"
                             ) from None
    raise ValueError(
        f"fmt: unknown format {text!r}; known: {', '.join(FORMATS)} "
        f"(aliases {', '.join(sorted(ALIASES))}), or e<E>m<M> for an IEEE-style custom format"
    )


def ml_dtype(fmt: FormatLike) -> np.dtype:
    """The NumPy/ml_dtypes dtype whose elements are codes of ``fmt`` (compared by facts).

    Raises:
        ValueError: ml_dtypes has no such type (e.g. tfloat32, custom formats).
    """
    f = format(fmt)
    dt = _DTYPE_OF_FORMAT.get(f)
    if dt is None:
        raise ValueError(f"fmt: ml_dtypes has no dtype for {f}")
    return dt
