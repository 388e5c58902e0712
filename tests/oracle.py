"""Independent exact oracles for roundoff's casts.

Nothing here imports roundoff's internals: a format is read only through its public facts
(exp_bits, man_bits, bias, nonfinite, subnormals, signed, has_zero) and the codes are decoded from
the bit-field definitions below, in plain Python/NumPy.

* :class:`Table` -- every finite value of a small format (<= 19 bits: all FP8/FP6/FP4 formats,
  bfloat16, float16, tfloat32, E8M0) as a sorted float64 array. Every such value is exact in
  float64, and so is every midpoint between two neighbours (at most 12 significant bits).
  :func:`round_table` rounds exact float64 inputs onto the table in every deterministic mode
  (and stochastic rounding with given random integers).
* :func:`round_mpfr` -- MPFR (gmpy2) rounding for the IEEE-style formats (float32, tfloat32,
  bfloat16, float16, float8_e5m2), one value at a time; round-to-odd is RTZ with the last bit
  set when inexact.

Rounding definitions used by the table oracle. Let lo <= |x| <= hi be the neighbours of |x| in
the table (hi = max + ulp(max) is a *virtual* value above the largest finite one). The parity of
a neighbour v is (v / (hi - lo)) mod 2, i.e. the parity of its integer significand at the quantum
of the interval. In the ordinary case that is the last bit of the code; for E8M0 (p = 1) lo is
odd and hi even, so ties go to the larger magnitude; in the gap [0, min_normal] of a format
without subnormals 0 is even and min_normal is odd.

  nearest_even  nearer neighbour; a tie goes to the even one
  nearest_away  nearer neighbour; a tie goes to hi
  toward_zero   lo
  up / down     hi / lo for positive x, lo / hi for negative x
  odd           |x| itself if exact, else the odd neighbour
  stochastic    hi iff r + floor(D * 2^R) >= 2^R, D = (|x| - lo) / (hi - lo)

Choosing the virtual hi is overflow. Overflow (and any |x| >= max + ulp(max)) gives +-max with
saturate=True, in the finite-only formats, and for modes that point toward zero (toward_zero,
odd, down for x > 0, up for x < 0); otherwise the format's Inf, or its NaN with the sign kept.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Tuple

import numpy as np

DETERMINISTIC_MODES = ("nearest_even", "nearest_away", "toward_zero", "up", "down", "odd")


# --------------------------------------------------------------------------------------------
# Decoding codes from the bit fields
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """The bit-field layout of a format, from its primitive facts only."""

    exp_bits: int
    man_bits: int
    bias: int
    nonfinite: str
    subnormals: bool
    signed: bool
    has_zero: bool

    @staticmethod
    def of(fmt) -> "Layout":
        return Layout(fmt.exp_bits, fmt.man_bits, fmt.bias, fmt.nonfinite, fmt.subnormals,
                      fmt.signed, fmt.has_zero)

    @property
    def mag_bits(self) -> int:
        return self.exp_bits + self.man_bits

    @property
    def bits(self) -> int:
        return self.mag_bits + int(self.signed)

    @property
    def sign_bit(self) -> int:
        return (1 << self.mag_bits) if self.signed else 0

    @property
    def mag_mask(self) -> int:
        return (1 << self.mag_bits) - 1

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal binade."""
        return (1 if self.has_zero else 0) - self.bias

    @property
    def code_dtype(self):
        for width, dt in ((8, np.uint8), (16, np.uint16), (32, np.uint32)):
            if self.bits <= width:
                return np.dtype(dt)
        return np.dtype(np.uint64)

    def classify(self, code: int) -> Tuple[str, float]:
        """('nan' | 'inf' | 'finite', value) of one code, straight from the definitions."""
        neg = bool(code & self.sign_bit)
        mag = code & self.mag_mask
        field = mag >> self.man_bits
        frac = mag & ((1 << self.man_bits) - 1)
        all_ones = (1 << self.exp_bits) - 1
        sign = -1.0 if neg else 1.0
        if self.nonfinite == "ieee" and field == all_ones:
            return ("inf", sign * math.inf) if frac == 0 else ("nan", math.nan)
        if self.nonfinite == "nan_all_ones" and mag == self.mag_mask:
            return "nan", math.nan
        if self.nonfinite in ("nan_neg_zero", "inf_nan_neg_zero") and code == self.sign_bit:
            return "nan", math.nan
        if self.nonfinite == "inf_nan_neg_zero" and mag == self.mag_mask:  # P3109: top = Inf
            return "inf", sign * math.inf
        if self.has_zero and field == 0:
            if not self.subnormals:
                return "finite", sign * 0.0
            # subnormal: frac * 2^(emin - man)
            return "finite", sign * math.ldexp(frac, self.emin - self.man_bits)
        # normal (without zero, field 0 is an ordinary binade: 2^-bias * 1.frac)
        sig = (1 << self.man_bits) | frac
        return "finite", sign * math.ldexp(sig, field - self.bias - self.man_bits)


@functools.lru_cache(maxsize=None)
def _table(layout: Layout) -> "Table":
    return Table(layout)


def table(fmt) -> "Table":
    """The (cached) value table of a format."""
    return _table(Layout.of(fmt))


class Table:
    """All codes of a format decoded, and the sorted magnitudes for rounding."""

    def __init__(self, layout: Layout):
        if layout.bits > 20:
            raise ValueError("the table oracle is for formats of at most 20 bits")
        L = self.layout = layout
        n = 1 << L.bits
        kinds = []
        values = np.empty(n, dtype=np.float64)
        for c in range(n):
            k, v = L.classify(c)
            kinds.append(k)
            values[c] = v
        self.kind = np.array(kinds)
        self.value = values  # value of every code (NaN for NaN codes)
        self.is_nan = self.kind == "nan"
        codes = np.arange(n, dtype=np.uint64)
        pos = (self.kind == "finite") & ((codes & np.uint64(L.sign_bit)) == 0)
        # Canonical magnitude codes (for subnormals=False, non-canonical zero codes are dropped).
        pos_codes = codes[pos]
        pos_vals = values[pos]
        order = np.lexsort((pos_codes, pos_vals))
        mags, first = np.unique(pos_vals[order], return_index=True)
        self.mags = mags  # sorted distinct finite magnitudes (0 first when the format has zero)
        self.mag_codes = pos_codes[order][first]  # their (smallest) codes
        self.max = float(mags[-1])
        self.max_code = int(self.mag_codes[-1])
        self.ulp_max = math.ldexp(1.0, math.frexp(self.max)[1] - 1 - L.man_bits)
        self.virtual_hi = self.max + self.ulp_max  # the first value above max
        self.min_normal = math.ldexp(1.0, L.emin)
        self.min_positive = float(mags[1] if L.has_zero else mags[0])
        # Special codes.
        self.has_inf = L.nonfinite in ("ieee", "inf_nan_neg_zero")
        self.has_nan = L.nonfinite != "finite"
        all_ones_field = ((1 << L.exp_bits) - 1) << L.man_bits
        if L.nonfinite == "ieee":
            self.inf_code = all_ones_field
            self.nan_code = all_ones_field | (1 << (L.man_bits - 1))  # quiet bit, positive
        elif L.nonfinite == "nan_all_ones":
            self.inf_code = None
            self.nan_code = L.mag_mask
        elif L.nonfinite == "nan_neg_zero":
            self.inf_code = None
            self.nan_code = L.sign_bit
        elif L.nonfinite == "inf_nan_neg_zero":
            self.inf_code = L.mag_mask
            self.nan_code = L.sign_bit
        else:
            self.inf_code = self.nan_code = None
        self.signed_zero = L.signed and L.has_zero and L.nonfinite not in ("nan_neg_zero",
                                                                           "inf_nan_neg_zero")

    # -- derived helpers used by the tests ------------------------------------------------------
    def midpoints(self) -> np.ndarray:
        """Midpoints between adjacent magnitudes, and between max and the virtual next value."""
        m = np.append(self.mags, self.virtual_hi)
        return (m[:-1] + m[1:]) / 2

    def neighbours(self, a: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(lo, hi) with lo <= a < hi for magnitudes a in [mags[0], virtual_hi); lo == a if exact."""
        m = np.append(self.mags, self.virtual_hi)
        i = np.clip(np.searchsorted(m, a, side="right") - 1, 0, len(m) - 2)
        return m[i], m[i + 1]

    def code_of_mag(self, v: np.ndarray) -> np.ndarray:
        """Magnitude code of table magnitudes v (which must be in the table)."""
        i = np.searchsorted(self.mags, v)
        assert np.all(self.mags[np.minimum(i, len(self.mags) - 1)] == v), "not a table value"
        return self.mag_codes[i]

    def overflow_code(self, neg: np.ndarray, toward_zero: np.ndarray, saturate: bool) -> np.ndarray:
        L = self.layout
        sign = np.where(neg, np.uint64(L.sign_bit), np.uint64(0))
        max_signed = sign | np.uint64(self.max_code)
        if saturate or not self.has_nan:
            return max_signed
        big = sign | np.uint64(self.inf_code if self.has_inf else self.nan_code)
        return np.where(toward_zero, max_signed, big)


def _parity(v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """1 where v / (hi - lo) is odd (exact: hi - lo is a power of two)."""
    q = v / (hi - lo)
    return np.mod(q, 2.0) == 1.0


def round_table(x, fmt, mode: str = "nearest_even", *, saturate: bool = False,
                flush_subnormals: bool = False, rbits: Optional[np.ndarray] = None,
                sr_bits: int = 32) -> np.ndarray:
    """Codes of the float64 values x rounded to fmt (a roundoff.Format), exactly.

    mode is one of DETERMINISTIC_MODES or "stochastic" (then rbits, integers < 2^sr_bits, are
    the random integers r, one per element). flush_subnormals: float64 subnormal inputs are
    zeros and results below the smallest normal become signed zeros.
    """
    T = table(fmt)
    L = T.layout
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    x = x.ravel()
    neg = np.signbit(x)
    a = np.abs(x)
    nan = np.isnan(x)
    inf = np.isinf(x)
    if flush_subnormals:
        a = np.where(a < np.finfo(np.float64).tiny, 0.0, a)
    zero = a == 0
    finite_nz = ~nan & ~inf & ~zero
    sign = np.where(neg, np.uint64(L.sign_bit), np.uint64(0))
    toward_zero = {
        "toward_zero": np.ones_like(neg), "odd": np.ones_like(neg),
        "down": ~neg, "up": neg,
    }.get(mode, np.zeros_like(neg))

    # Finite nonzero values: neighbours and choice.
    af = np.where(finite_nz, a, T.mags[-1])  # a harmless placeholder elsewhere
    below = af < T.mags[0]  # only without zero (E8M0): clamp to the smallest value
    af_in = np.where(below, T.mags[0], af)
    beyond = af_in >= T.virtual_hi
    lo, hi = T.neighbours(np.where(beyond, T.max, af_in))
    exact = af_in == lo
    mid = (lo + hi) / 2
    lo_odd = _parity(lo, lo, hi)
    if mode == "nearest_even":
        take_hi = (af_in > mid) | ((af_in == mid) & lo_odd)
    elif mode == "nearest_away":
        take_hi = af_in >= mid
    elif mode == "toward_zero":
        take_hi = np.zeros_like(neg)
    elif mode == "up":
        take_hi = ~exact & ~neg
    elif mode == "down":
        take_hi = ~exact & neg
    elif mode == "odd":
        take_hi = ~exact & ~lo_odd
    elif mode == "stochastic":
        R = int(sr_bits)
        r = np.asarray(rbits).ravel().astype(np.float64)  # < 2^32: exact
        # (af - lo) is exact (Sterbenz, or lo == 0); dividing by a power of two is exact.
        with np.errstate(over="ignore", invalid="ignore"):  # only at unused placeholders
            dfloor = np.floor((af_in - lo) / (hi - lo) * 2.0**R)
        take_hi = r + dfloor >= 2.0**R
    else:
        raise ValueError(mode)
    take_hi &= ~exact
    pick = np.where(take_hi, hi, lo)
    overflow = beyond | (pick >= T.virtual_hi)
    pick = np.where(overflow, T.max, pick)
    if flush_subnormals and L.has_zero:
        pick = np.where(pick < T.min_normal, 0.0, pick)
    mag = T.code_of_mag(pick).astype(np.uint64)
    zero_result = (pick == 0)
    finite_code = np.where(zero_result, sign if T.signed_zero else np.uint64(0), sign | mag)
    finite_code = np.where(overflow, T.overflow_code(neg, toward_zero, saturate), finite_code)

    # Specials.
    nan_code = np.uint64(T.nan_code if T.has_nan else 0)
    if not L.has_zero:
        zero_code = np.full(x.shape, nan_code, dtype=np.uint64)
    else:
        zero_code = sign if T.signed_zero else np.zeros(x.shape, dtype=np.uint64)
    if saturate or not T.has_nan:
        inf_code = sign | np.uint64(T.max_code)
    else:
        inf_code = sign | np.uint64(T.inf_code if T.has_inf else T.nan_code)

    out = np.where(finite_nz, finite_code, np.uint64(0))
    out = np.where(zero, zero_code, out)
    out = np.where(inf, inf_code, out)
    if not L.signed:  # no negative values: NaN (a negative zero is still zero)
        out = np.where(neg & ~zero & ~nan, nan_code, out)
    out = np.where(nan, nan_code, out)
    return out.astype(L.code_dtype).reshape(shape)


def decode_table(codes, fmt) -> np.ndarray:
    """float64 values of codes, from the oracle's own decoding."""
    return table(fmt).value[np.asarray(codes).astype(np.int64)]


def sr_fraction(x: float, fmt) -> Tuple[float, float, Fraction]:
    """(lo, hi, D) for a finite nonzero float64 x inside the range: D = (|x| - lo) / (hi - lo)."""
    T = table(fmt)
    a = abs(float(x))
    lo, hi = T.neighbours(np.array([a]))
    lo, hi = float(lo[0]), float(hi[0])
    assert lo <= a < hi
    return lo, hi, (Fraction(a) - Fraction(lo)) / (Fraction(hi) - Fraction(lo))


# --------------------------------------------------------------------------------------------
# MPFR oracle (gmpy2) for IEEE-style formats
# --------------------------------------------------------------------------------------------

try:  # pragma: no cover - the tests skip without gmpy2
    import gmpy2
except ImportError:  # pragma: no cover
    gmpy2 = None

# name -> (exp_bits, man_bits)
IEEE_FORMATS = {
    "float32": (8, 23),
    "tfloat32": (8, 10),
    "bfloat16": (8, 7),
    "float16": (5, 10),
    "float8_e5m2": (5, 2),
    "float64": (11, 52),
}


def _pack_ieee(v: float, e: int, m: int) -> int:
    """Code of a value of the IEEE format (e, m): v is a float64 that the format holds exactly."""
    bias = (1 << (e - 1)) - 1
    sign = (1 << (e + m)) if math.copysign(1.0, v) < 0 else 0
    a = abs(v)
    if math.isinf(a):
        return sign | (((1 << e) - 1) << m)
    if a == 0:
        return sign
    mant, ex = math.frexp(a)  # a = mant * 2^ex, 0.5 <= mant < 1
    if ex - 1 >= 1 - bias:  # normal
        field = ex - 1 + bias
        frac = int(math.ldexp(mant * 2 - 1, m))
        assert math.ldexp(1 + math.ldexp(frac, -m), ex - 1) == a
        return sign | (field << m) | frac
    frac = math.ldexp(a, bias - 1 + m)  # a / 2^(emin - m)
    assert frac == int(frac)
    return sign | int(frac)


def round_mpfr(values, name: str, mode: str) -> np.ndarray:
    """Codes of finite float64 values rounded by MPFR to the IEEE-style format `name`.

    Modes: nearest_even (RNDN), toward_zero (RNDZ), up (RNDU), down (RNDD), odd (RNDZ, then the
    last bit set when inexact) and nearest_away. gmpy2's RoundAwayZero is MPFR's *directed*
    RNDA, not ties-away, so nearest_away takes the RNDZ and RNDA neighbours from MPFR and
    picks RNDA iff |x| is at or above their midpoint.
    """
    if gmpy2 is None:
        raise RuntimeError("gmpy2 is not installed")
    wide = gmpy2.context(precision=53, emin=-1200, emax=1200)
    xs = [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]
    with gmpy2.context(wide):
        exact = [gmpy2.mpfr(v) for v in xs]
    return round_mpfr_exact(exact, name, mode).reshape(np.shape(values))


def round_mpfr_exact(exact, name: str, mode: str) -> np.ndarray:
    """round_mpfr for exact finite values given as gmpy2 mpfr numbers (any precision)."""
    e, m = IEEE_FORMATS[name]
    p = m + 1
    bias = (1 << (e - 1)) - 1
    emin_ieee, emax_ieee = 1 - bias, bias
    ctx_args = dict(precision=p, emin=emin_ieee - p + 2, emax=emax_ieee + 1, subnormalize=True)
    rnd = {
        "nearest_even": gmpy2.RoundToNearest,
        "toward_zero": gmpy2.RoundToZero,
        "odd": gmpy2.RoundToZero,
        "up": gmpy2.RoundUp,
        "down": gmpy2.RoundDown,
        "nearest_away": gmpy2.RoundAwayZero,
    }[mode]
    out = []
    with gmpy2.context(**ctx_args) as ctx:
        for xm in exact:
            sign = -1.0 if xm < 0 else 1.0
            if mode == "nearest_away":
                # Round-to-nearest-ties-away: RNDA (away from zero) if |x| is at or above the
                # midpoint of its RTZ and RNDA neighbours, else RTZ. Both neighbours come from MPFR.
                ctx.round = gmpy2.RoundToZero
                down = float(+xm)
                ctx.round = gmpy2.RoundAwayZero
                away = float(+xm)
                if math.isinf(away):  # the next value past max: max + ulp(max)
                    away = math.copysign(math.ldexp(2.0, emax_ieee), sign)
                # The midpoint as an exact rational (not a float64 for float64 targets).
                mid = (Fraction(abs(down)) + Fraction(abs(away))) / 2
                at_or_above = abs(Fraction(*xm.as_integer_ratio())) >= mid
                r = away if at_or_above else down
                if math.isinf(r) or abs(r) > math.ldexp(2.0 - 2.0 ** -m, emax_ieee):
                    r = math.copysign(math.inf, sign)
                out.append(_pack_ieee(r, e, m))
                continue
            ctx.round = rnd
            r = float(+xm)
            code = _pack_ieee(r, e, m)
            if mode == "odd" and r != xm:
                code |= 1
            out.append(code)
    bits = 1 + e + m
    dt = np.uint64 if bits > 32 else np.uint32 if bits > 16 else np.uint16 if bits > 8 else np.uint8
    return np.array(out, dtype=dt)


def assert_codes_equal(x, got, want, what: str) -> None:
    """Fail naming the first (up to 8) inputs x whose codes got and want differ."""
    import pytest

    got, want = np.asarray(got).ravel(), np.asarray(want).ravel()
    bad = np.flatnonzero(got != want)
    if bad.size:
        xs = np.asarray(x).ravel()
        rows = [f"i={i} x={xs[i]!r}: got {int(got[i]):#x}, want {int(want[i]):#x}"
                for i in bad[:8]]
        pytest.fail(f"{what}: {bad.size} of {got.size} differ:\n  " + "\n  ".join(rows))
