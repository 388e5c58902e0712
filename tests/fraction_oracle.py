"""An exact-rational rounding oracle, independent of roundoff's internals.

A format is read only through its public facts (exp_bits, man_bits, bias, nonfinite,
subnormals, signed, has_zero); everything else (emin, emax, max, the canonical NaN and Inf
codes, the code of every value) is derived here from the README's definitions:

* a code is [sign] [exp_bits exponent field] [man_bits fraction]; the sign bit exists iff
  ``signed``;
* ``has_zero``: field 0 holds zero and (with ``subnormals``) the subnormals
  frac * 2^(emin - man_bits); emin = 1 - bias.  Without zero, field 0 is an ordinary binade
  and emin = -bias (E8M0);
* a normal code is (2^man_bits + frac) * 2^(field - bias - man_bits);
* ``nonfinite``: ``ieee`` (all-ones field: Inf with frac 0, NaN otherwise, so the largest
  finite field is 2^e - 2), ``nan_all_ones`` (only the all-ones magnitude is NaN, no Inf),
  ``nan_neg_zero`` (the negative-zero code is the only NaN, no Inf, no -0), ``finite``
  (every code is a number), ``inf_nan_neg_zero`` (P3109: the all-ones magnitude is Inf, the
  negative-zero code the only NaN, no -0);
* the canonical NaN is positive: IEEE all-ones field with the quiet bit, the all-ones
  magnitude, or the negative-zero code (FNUZ).

Values are :class:`fractions.Fraction` (never 0) or one of the specials ``'nan'``, ``'+inf'``,
``'-inf'``, ``'+0'``, ``'-0'``.  :func:`round_fraction` rounds one such value into a format in
any of the seven modes, with the README's rules for overflow, saturation, signed zeros, FTZ,
formats without subnormals or without zero, and stochastic rounding with an explicit random
integer r (round away iff r + floor(D * 2^R) >= 2^R).  :func:`round_sqrt` rounds a square root
exactly (integer square root of a scaled integer, the remainder as the sticky information).
The ``*_values`` helpers give the exact results of the arithmetic operations with IEEE 754's
special cases (signed zeros, Inf, NaN), as the README states them.  :func:`philox4x32_10`
and :func:`philox_rbits` reproduce the README's random-bit definition.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Tuple, Union

from oracle import Layout

SPECIALS = ("nan", "+inf", "-inf", "+0", "-0")
MODES = ("nearest_even", "nearest_away", "toward_zero", "up", "down", "odd", "stochastic")

Value = Union[Fraction, str]


def pow2(k: int) -> Fraction:
    return Fraction(1 << k) if k >= 0 else Fraction(1, 1 << -k)


def floor_log2(q: Fraction) -> int:
    """floor(log2(q)) for a Fraction q > 0, exactly."""
    n, d = q.numerator, q.denominator
    k = n.bit_length() - d.bit_length()
    # 2^k <= q iff n >= d * 2^k
    if k >= 0:
        if n < (d << k):
            k -= 1
    elif (n << -k) < d:
        k -= 1
    return k


# --------------------------------------------------------------------------------------------
# The format, from its facts
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec(Layout):
    """A format's facts (the bit fields of oracle.Layout) and what follows from them, exactly."""

    @staticmethod
    def of(fmt) -> "Spec":
        if isinstance(fmt, Spec):
            return fmt
        return _spec_of(int(fmt.exp_bits), int(fmt.man_bits), int(fmt.bias), str(fmt.nonfinite),
                        bool(fmt.subnormals), bool(fmt.signed), bool(fmt.has_zero))

    # -- bit fields (the rest: oracle.Layout) -------------------------------------------------
    @property
    def field_ones(self) -> int:
        return (1 << self.exp_bits) - 1

    # -- derived range ------------------------------------------------------------------------
    @functools.cached_property
    def max_mag_code(self) -> int:
        if self.nonfinite == "ieee":  # field 2^e - 2, fraction all ones
            return ((self.field_ones - 1) << self.man_bits) | ((1 << self.man_bits) - 1)
        if self.nonfinite in ("nan_all_ones", "inf_nan_neg_zero"):  # just below NaN / Inf
            return self.mag_mask - 1
        return self.mag_mask  # nan_neg_zero, finite: every magnitude is a number

    @functools.cached_property
    def emax(self) -> int:
        return (self.max_mag_code >> self.man_bits) - self.bias

    @functools.cached_property
    def max(self) -> Fraction:
        frac = self.max_mag_code & ((1 << self.man_bits) - 1)
        return ((1 << self.man_bits) + frac) * pow2(self.emax - self.man_bits)

    @functools.cached_property
    def min_normal(self) -> Fraction:
        return pow2(self.emin)

    @functools.cached_property
    def min_positive(self) -> Fraction:
        if self.has_zero and self.subnormals and self.man_bits > 0:
            return pow2(self.emin - self.man_bits)
        return self.min_normal

    @functools.cached_property
    def ulp_max(self) -> Fraction:
        return pow2(self.emax - self.man_bits)

    @functools.cached_property
    def virtual_hi(self) -> Fraction:
        """The first value above max, were the exponent range unbounded."""
        return self.max + self.ulp_max

    @property
    def has_nan(self) -> bool:
        return self.nonfinite != "finite"

    @property
    def has_inf(self) -> bool:
        return self.nonfinite in ("ieee", "inf_nan_neg_zero")

    @functools.cached_property
    def nan_code(self) -> Optional[int]:
        """The canonical (positive, quiet) NaN."""
        if self.nonfinite == "ieee":
            return (self.field_ones << self.man_bits) | (1 << (self.man_bits - 1))
        if self.nonfinite == "nan_all_ones":
            return self.mag_mask
        if self.nonfinite in ("nan_neg_zero", "inf_nan_neg_zero"):
            return self.sign_bit
        return None

    @functools.cached_property
    def inf_code(self) -> Optional[int]:
        if self.nonfinite == "inf_nan_neg_zero":
            return self.mag_mask
        return (self.field_ones << self.man_bits) if self.nonfinite == "ieee" else None

    @functools.cached_property
    def signed_zero(self) -> bool:
        return self.signed and self.has_zero and self.nonfinite not in ("nan_neg_zero",
                                                                        "inf_nan_neg_zero")

    # -- codes <-> values ---------------------------------------------------------------------
    def quantum(self, a: Fraction) -> Fraction:
        """Spacing of the representable magnitudes at a > 0 (a inside the range)."""
        if a < self.min_normal:
            if self.has_zero and self.subnormals:
                return pow2(self.emin - self.man_bits)
            return self.min_normal  # the gap [0, min_normal] of a format without subnormals
        return pow2(min(floor_log2(a), self.emax) - self.man_bits)

    def mag_code(self, v: Fraction) -> int:
        """Magnitude code of a representable magnitude v (0 allowed when the format has zero)."""
        if v == 0:
            assert self.has_zero
            return 0
        if v < self.min_normal:
            assert self.has_zero and self.subnormals, v
            k = v / pow2(self.emin - self.man_bits)
            assert k.denominator == 1 and 0 < k < (1 << self.man_bits), v
            return int(k)
        E = floor_log2(v)
        sig = v / pow2(E - self.man_bits)
        assert sig.denominator == 1 and (1 << self.man_bits) <= sig < (2 << self.man_bits), v
        field = E + self.bias
        code = (field << self.man_bits) | (int(sig) - (1 << self.man_bits))
        assert code <= self.max_mag_code, v
        return code

    def decode(self, code: int) -> Value:
        """The value of a code, from the bit-field definitions."""
        code = int(code)
        assert 0 <= code < (1 << self.bits), code
        neg = bool(code & self.sign_bit)
        mag = code & self.mag_mask
        field = mag >> self.man_bits
        frac = mag & ((1 << self.man_bits) - 1)
        if self.nonfinite == "ieee" and field == self.field_ones:
            return "nan" if frac else ("-inf" if neg else "+inf")
        if self.nonfinite == "nan_all_ones" and mag == self.mag_mask:
            return "nan"
        if self.nonfinite in ("nan_neg_zero", "inf_nan_neg_zero") and code == self.sign_bit:
            return "nan"
        if self.nonfinite == "inf_nan_neg_zero" and mag == self.mag_mask:
            return "-inf" if neg else "+inf"
        if self.has_zero and field == 0:
            if frac == 0 or not self.subnormals:
                return "-0" if neg else "+0"
            v = frac * pow2(self.emin - self.man_bits)
        else:
            v = ((1 << self.man_bits) + frac) * pow2(field - self.bias - self.man_bits)
        return -v if neg else v


@functools.lru_cache(maxsize=4096)
def _spec_of(*facts) -> Spec:
    return Spec(*facts)


def spec(fmt) -> Spec:
    return Spec.of(fmt)


# --------------------------------------------------------------------------------------------
# Rounding
# --------------------------------------------------------------------------------------------

def is_neg(v: Value) -> bool:
    if isinstance(v, str):
        return v in ("-inf", "-0")
    return v < 0


def neighbours(a: Fraction, fmt) -> Tuple[Fraction, Fraction, bool]:
    """(lo, hi, beyond) for a magnitude a > 0: lo <= a < hi adjacent representable magnitudes
    (hi may be the virtual value max + ulp(max)); beyond: a >= max + ulp(max). Magnitudes
    below the smallest value of a format without zero give (min, min, False)."""
    s = Spec.of(fmt)
    assert a > 0
    if a >= s.virtual_hi:
        return s.max, s.virtual_hi, True
    if a < s.min_normal and not s.has_zero:
        return s.min_normal, s.min_normal, False
    q = s.quantum(a)
    lo = (a // q) * q
    return lo, lo + q, False


def _overflow_code(s: Spec, neg: bool, toward_zero: bool, saturate: bool) -> int:
    sign = s.sign_bit if neg else 0
    if saturate or not s.has_nan or toward_zero:
        return sign | s.max_mag_code
    if s.has_inf:
        return sign | s.inf_code
    return sign | s.nan_code  # E4M3: 0xFF for negatives; FNUZ: the single NaN 0x80


def round_fraction(q: Value, fmt, mode: str, *, saturate: bool = False,
                   flush_subnormals: bool = False, r: Optional[int] = None,
                   sr_bits: int = 32) -> int:
    """The code of the value q (a nonzero Fraction or a special) rounded once into fmt.

    flush_subnormals is FTZ only: results below the smallest normal become zeros of their
    sign. (DAZ depends on the source and is the caller's: pass the flushed value.)
    """
    s = Spec.of(fmt)
    if mode not in MODES:
        raise ValueError(mode)
    nan = s.nan_code if s.has_nan else 0  # finite-only formats: NaN gives +0
    if isinstance(q, str):
        if q == "nan":
            return nan
        if q in ("+0", "-0"):
            if not s.has_zero:
                return nan  # E8M0: zero is not a value
            return s.sign_bit if (q == "-0" and s.signed_zero) else 0
        if q in ("+inf", "-inf"):
            neg = q == "-inf"
            if neg and not s.signed:
                return nan
            sign = s.sign_bit if neg else 0
            if saturate or not s.has_nan:
                return sign | s.max_mag_code
            return sign | (s.inf_code if s.has_inf else s.nan_code)
        raise ValueError(q)
    q = Fraction(q)
    if q == 0:
        return round_fraction("+0", s, mode, saturate=saturate,
                              flush_subnormals=flush_subnormals, r=r, sr_bits=sr_bits)
    neg = q < 0
    if neg and not s.signed:
        return nan
    sign = s.sign_bit if neg else 0
    a = -q if neg else q
    toward_zero = (mode in ("toward_zero", "odd") or (mode == "down" and not neg)
                   or (mode == "up" and neg))
    lo, hi, beyond = neighbours(a, s)
    if beyond:
        return _overflow_code(s, neg, toward_zero, saturate)
    if lo == hi:  # below the smallest value of a format without zero
        return sign | s.mag_code(lo)
    quantum = hi - lo
    d = (a - lo) / quantum  # 0 <= d < 1
    exact = d == 0
    lo_odd = ((lo / quantum).numerator % 2) == 1  # the parity of the integer significand
    if exact:
        take_hi = False
    elif mode == "nearest_even":
        take_hi = d > Fraction(1, 2) or (d == Fraction(1, 2) and lo_odd)
    elif mode == "nearest_away":
        take_hi = d >= Fraction(1, 2)
    elif mode == "toward_zero":
        take_hi = False
    elif mode == "up":
        take_hi = not neg
    elif mode == "down":
        take_hi = neg
    elif mode == "odd":
        take_hi = not lo_odd
    else:  # stochastic
        R = int(sr_bits)
        if r is None or not 0 <= int(r) < (1 << R):
            raise ValueError(f"r={r} is not an integer in 0..2^{R}-1")
        take_hi = int(r) + math.floor(d * (1 << R)) >= (1 << R)
    mag = hi if take_hi else lo
    if mag > s.max:
        return _overflow_code(s, neg, toward_zero, saturate)
    if flush_subnormals and s.has_zero and mag < s.min_normal:
        mag = Fraction(0)
    if mag == 0:
        return s.sign_bit if (neg and s.signed_zero) else 0
    return sign | s.mag_code(mag)


# --------------------------------------------------------------------------------------------
# Exact source values
# --------------------------------------------------------------------------------------------

def from_float(f: float) -> Value:
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "+inf" if f > 0 else "-inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "+0"
    return Fraction(f)


def exact_value(x) -> Value:
    """float16/32/64, ml_dtypes scalars, Python floats, ints and bools as Fraction/special.

    Every value of these types is a float64 value, and float() of an ml_dtypes scalar widens
    exactly (through float32)."""
    import numpy as np  # only to classify the scalar types

    if isinstance(x, Fraction):
        return x if x != 0 else "+0"
    if isinstance(x, (bool, np.bool_)):
        return Fraction(int(x)) if x else "+0"
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x)) if int(x) else "+0"
    if isinstance(x, np.longdouble) and np.dtype(np.longdouble).itemsize > 8:
        raise TypeError("longdouble is not a source type")
    if isinstance(x, np.ndarray):
        assert x.ndim == 0
        x = x[()]
    return from_float(float(x))


def flush_operand(v: Value, fmt) -> Value:
    """DAZ as a unit working in fmt sees it: magnitudes below fmt's smallest normal are zeros
    of their sign."""
    if isinstance(v, str):
        return v
    if abs(v) < Spec.of(fmt).min_normal:
        return "-0" if v < 0 else "+0"
    return v


def flush_source(v: Value, src_fmt) -> Value:
    """DAZ of a cast: subnormals of the source format are zeros."""
    return flush_operand(v, src_fmt)


# --------------------------------------------------------------------------------------------
# Exact arithmetic with IEEE 754 special cases
# --------------------------------------------------------------------------------------------

def _is_zero(v: Value) -> bool:
    return v in ("+0", "-0")


def _is_inf(v: Value) -> bool:
    return v in ("+inf", "-inf")


def _signed_inf(neg: bool) -> str:
    return "-inf" if neg else "+inf"


def _signed_zero(neg: bool) -> str:
    return "-0" if neg else "+0"


def neg_value(v: Value) -> Value:
    if v == "nan":
        return v
    if isinstance(v, str):
        return {"+inf": "-inf", "-inf": "+inf", "+0": "-0", "-0": "+0"}[v]
    return -v


def abs_value(v: Value) -> Value:
    return neg_value(v) if (v != "nan" and is_neg(v)) else v


def add_values(x: Value, y: Value, mode: str) -> Value:
    """x + y exactly; an exact zero sum of nonzero terms (or of zeros of opposite signs) is +0,
    or -0 under ``down``."""
    if x == "nan" or y == "nan":
        return "nan"
    if _is_inf(x) or _is_inf(y):
        if _is_inf(x) and _is_inf(y) and x != y:
            return "nan"
        return x if _is_inf(x) else y
    if _is_zero(x) and _is_zero(y):
        return x if x == y else _signed_zero(mode == "down")
    if _is_zero(x):
        return y
    if _is_zero(y):
        return x
    s = x + y
    return s if s != 0 else _signed_zero(mode == "down")


def sub_values(x: Value, y: Value, mode: str) -> Value:
    return add_values(x, neg_value(y), mode)


def mul_values(x: Value, y: Value) -> Value:
    if x == "nan" or y == "nan":
        return "nan"
    neg = is_neg(x) != is_neg(y)
    if _is_inf(x) or _is_inf(y):
        if _is_zero(x) or _is_zero(y):
            return "nan"
        return _signed_inf(neg)
    if _is_zero(x) or _is_zero(y):
        return _signed_zero(neg)
    return x * y


def div_values(x: Value, y: Value) -> Value:
    if x == "nan" or y == "nan":
        return "nan"
    neg = is_neg(x) != is_neg(y)
    if _is_inf(x):
        return "nan" if _is_inf(y) else _signed_inf(neg)
    if _is_inf(y):
        return _signed_zero(neg)
    if _is_zero(y):
        return "nan" if _is_zero(x) else _signed_inf(neg)
    if _is_zero(x):
        return _signed_zero(neg)
    return x / y


def fma_values(x: Value, y: Value, z: Value, mode: str) -> Value:
    """x * y + z with the product exact (0 * Inf is NaN even when z is NaN or Inf)."""
    if "nan" in (x, y, z):
        return "nan"
    p = mul_values(x, y)
    return add_values(p, z, mode)


def minmax_values(x: Value, y: Value, want_max: bool) -> Value:
    """IEEE 754-2019 minimum / maximum: NaN if either is NaN, -0 < +0."""
    if x == "nan" or y == "nan":
        return "nan"

    def key(v):
        if v == "-inf":
            return (-math.inf, 0)
        if v == "+inf":
            return (math.inf, 0)
        if v == "-0":
            return (0, -1)
        if v == "+0":
            return (0, 1)
        return (v, 0)

    kx, ky = key(x), key(y)
    if want_max:
        return x if kx >= ky else y
    return x if kx <= ky else y


def sqrt_value(v: Value) -> Optional[Value]:
    """The result of sqrt(v) when it is special (NaN for negative numbers and -Inf; +Inf, +0
    and -0 themselves); None for a positive Fraction, whose root :func:`round_sqrt`
    rounds."""
    if v == "nan" or v == "-inf":
        return "nan"
    if isinstance(v, str):
        return v  # +inf, +0, -0 (sqrt(-0) = -0)
    if v < 0:
        return "nan"
    return None


def round_sqrt(v: Value, fmt, mode: str, *, saturate: bool = False,
               flush_subnormals: bool = False, r: Optional[int] = None,
               sr_bits: int = 32) -> int:
    """sqrt(v) rounded once into fmt, exactly.

    For v > 0, t = isqrt(floor(v * 4^k)) = floor(sqrt(v) * 2^k), with k chosen so that 2^-k is
    below every rounding boundary's spacing that can matter (a quantum of fmt at or below
    sqrt(v), divided by 2^(R+4)): sqrt(v) is t / 2^k exactly when t^2 = v * 4^k, else it lies
    strictly inside (t / 2^k, (t+1) / 2^k), an interval that contains no rounding boundary, so
    its midpoint (2t+1) / 2^(k+1) rounds exactly like sqrt(v) in every mode, including
    floor(D * 2^R) for stochastic rounding."""
    kw = dict(saturate=saturate, flush_subnormals=flush_subnormals, r=r, sr_bits=sr_bits)
    special = sqrt_value(v)
    if special is not None:
        return round_fraction(special, fmt, mode, **kw)
    return round_fraction(sqrt_fraction(v, Spec.of(fmt), sr_bits), fmt, mode, **kw)


def sqrt_fraction(v: Fraction, s: Spec, sr_bits: int = 32) -> Fraction:
    """A Fraction that rounds exactly like sqrt(v) into s (see :func:`round_sqrt`)."""
    assert v > 0
    e_low = floor_log2(v) // 2 - 1  # <= floor(log2(sqrt(v)))
    k = s.man_bits + max(int(sr_bits), 1) + 6 - min(e_low, s.emin)
    scaled = v * pow2(2 * k)
    n = scaled.numerator // scaled.denominator  # floor(v * 4^k)
    t = math.isqrt(n)
    assert t > 0
    if t * t == scaled:  # exact root
        return t * pow2(-k)
    return (2 * t + 1) * pow2(-(k + 1))


# --------------------------------------------------------------------------------------------
# Philox4x32-10 (the README's random bits)
# --------------------------------------------------------------------------------------------

_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = 0xFFFFFFFF


def philox4x32_10(counter: Tuple[int, int, int, int], key: Tuple[int, int]):
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for rnd in range(10):
        if rnd:
            k0 = (k0 + _W0) & _MASK32
            k1 = (k1 + _W1) & _MASK32
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & _MASK32, (p0 >> 32) ^ c3 ^ k1,
                          p0 & _MASK32)
    return c0, c1, c2, c3


def philox_rbits(seed: int, index: int, sr_bits: int) -> int:
    """The random integer of element ``index`` under ``seed``: word index mod 4 of
    Philox4x32-10(counter = (index // 4 low, index // 4 high, 0, 0), key = (seed low, seed
    high)), shifted right by 32 - R."""
    block = index // 4
    words = philox4x32_10((block & _MASK32, block >> 32, 0, 0),
                          (seed & _MASK32, (seed >> 32) & _MASK32))
    return words[index % 4] >> (32 - int(sr_bits))
