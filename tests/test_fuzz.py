"""Fuzz harnesses: no crashes, no hangs, no silent wrong answers.

* Oracle fuzz: encode / quantize / astype / convert / decode and the elementwise arithmetic
  (``codes=True`` and ``roundoff.ops``) against :mod:`fraction_oracle`, an exact-rational
  oracle that reads formats only through their public facts. Inputs are arbitrary bit
  patterns of every source dtype (NaN payloads, subnormals, Inf, -0), values at and next to
  the target's rounding boundaries (midpoints, the points where floor(D * 2^R) steps, max,
  the overflow threshold, the smallest values) and operands built so that the exact result
  lands there; targets are the predefined formats and random custom formats; every mode,
  saturate, FTZ/DAZ, stochastic rounding with explicit ``rbits`` or Philox bits under a seed.
  Results are compared code for code.
* Robustness fuzz: every public entry point with every NumPy dtype, byte order, strides,
  alignment, 0-d, Python scalars, empty arrays, aliased, read-only and broadcast operands.
  Each call returns a result of the documented shape and dtype or raises TypeError /
  ValueError naming the argument; inputs are unchanged; layouts and thread counts never
  change the bits.

The ``test_found_*`` tests at the end pin what the fuzzers found, as minimal reproducers.

Each fuzz test exists twice (see conftest.py): ``test_<name>`` with the "fuzz-short" profile in
the default suite and ``test_<name>_long`` with "fuzz-long", marked slow (add
``-o faulthandler_timeout=600`` to get tracebacks from a hang):

    .venv/bin/python -m pytest -q tests/test_fuzz.py            # short (default suite)
    .venv/bin/python -m pytest -q -m slow tests/test_fuzz.py    # long
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import Any, Dict, List, Optional

import ml_dtypes as ML
import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import roundoff as ro

import fraction_oracle as fo

MODES = fo.MODES
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


# --------------------------------------------------------------------------------------------
# One body, two tests: short (default suite) and long (slow)
# --------------------------------------------------------------------------------------------

def fuzz(weight: float = 1.0, suppress=(), **strategies):
    """Register ``body`` as ``test_<name>`` (profile "fuzz-short") and ``test_<name>_long``
    (profile "fuzz-long", marked slow), both ``@given(**strategies)``; max_examples is the
    profile's times ``weight``."""

    def register(body):
        module = sys.modules[body.__module__]
        name = "test_" + body.__name__.lstrip("_")
        for suffix, profile, slow in (("", "fuzz-short", False), ("_long", "fuzz-long", True)):
            prof = settings.get_profile(profile)
            test = given(**strategies)(body)
            test = settings(prof, max_examples=max(1, int(prof.max_examples * weight)),
                            suppress_health_check=tuple(suppress))(test)
            test.__name__ = test.__qualname__ = name + suffix
            if slow:
                test = pytest.mark.slow(test)
            setattr(module, name + suffix, test)
        return body

    return register


# --------------------------------------------------------------------------------------------
# Source dtypes, as the README's table defines them (not read from roundoff)
# --------------------------------------------------------------------------------------------

def _S(e, m, bias, nonfinite="ieee", subnormals=True, signed=True, has_zero=True) -> fo.Spec:
    return fo.Spec(e, m, bias, nonfinite, subnormals, signed, has_zero)


DTYPE_SPECS: Dict[np.dtype, fo.Spec] = {
    np.dtype(np.float16): _S(5, 10, 15),
    np.dtype(np.float32): _S(8, 23, 127),
    np.dtype(np.float64): _S(11, 52, 1023),
    np.dtype(ML.bfloat16): _S(8, 7, 127),
    np.dtype(ML.float8_e4m3fn): _S(4, 3, 7, "nan_all_ones"),
    np.dtype(ML.float8_e5m2): _S(5, 2, 15),
    np.dtype(ML.float8_e4m3fnuz): _S(4, 3, 8, "nan_neg_zero"),
    np.dtype(ML.float8_e5m2fnuz): _S(5, 2, 16, "nan_neg_zero"),
    np.dtype(ML.float8_e8m0fnu): _S(8, 0, 127, "nan_all_ones", False, False, False),
    np.dtype(ML.float6_e2m3fn): _S(2, 3, 1, "finite"),
    np.dtype(ML.float6_e3m2fn): _S(3, 2, 3, "finite"),
    np.dtype(ML.float4_e2m1fn): _S(2, 1, 1, "finite"),
    np.dtype(ML.float8_e4m3): _S(4, 3, 7),
    np.dtype(ML.float8_e3m4): _S(3, 4, 3),
    np.dtype(ML.float8_e4m3b11fnuz): _S(4, 3, 11, "nan_neg_zero"),
}
F32 = DTYPE_SPECS[np.dtype(np.float32)]
F64 = DTYPE_SPECS[np.dtype(np.float64)]
FLOAT_DTYPES = list(DTYPE_SPECS)

README_TABLE = {  # name: (e, m, bias, max as printed in the README)
    "float8_e4m3fn": (4, 3, 7, 448), "float8_e5m2": (5, 2, 15, 57344),
    "float8_e4m3fnuz": (4, 3, 8, 240), "float8_e5m2fnuz": (5, 2, 16, 57344),
    "bfloat16": (8, 7, 127, 3.39e38), "float16": (5, 10, 15, 65504),
    "float32": (8, 23, 127, 3.40e38), "tfloat32": (8, 10, 127, 3.40e38),
    "float6_e2m3fn": (2, 3, 1, 7.5), "float6_e3m2fn": (3, 2, 3, 28),
    "float4_e2m1fn": (2, 1, 1, 6), "float8_e8m0fnu": (8, 0, 127, 2.0**127),
}


def code_dtype(s: fo.Spec) -> np.dtype:
    for width, dt in ((8, np.uint8), (16, np.uint16), (32, np.uint32)):
        if s.bits <= width:
            return np.dtype(dt)
    return np.dtype(np.uint64)


def holds(big: fo.Spec, small: fo.Spec) -> bool:
    """Whether every value of ``small`` is a value of ``big`` (the README's rule for
    quantize's result dtype)."""
    if (small.has_inf and not big.has_inf) or (small.has_nan and not big.has_nan):
        return False
    if small.has_zero and not big.has_zero:
        return False
    if small.signed and not big.signed:
        return False
    if small.signed_zero and not big.signed_zero:  # -0 would come back as +0
        return False
    if small.max > big.max or small.man_bits > big.man_bits:
        return False
    finest = small.emin - small.man_bits  # the lowest bit of any value, normal or not
    if big.subnormals and big.has_zero:
        return finest >= big.emin - big.man_bits
    return small.min_positive >= big.min_normal


def spec_dtype(s: fo.Spec) -> Optional[np.dtype]:
    """The NumPy/ml_dtypes dtype whose elements are codes of s, if any."""
    for dt, t in DTYPE_SPECS.items():
        if t == s:
            return dt
    return None


def native(dt) -> np.dtype:
    return np.dtype(dt).newbyteorder("=")


def source_spec(dt: np.dtype) -> fo.Spec:
    """The format of a source dtype (integers and bools are taken as float64)."""
    return DTYPE_SPECS.get(native(dt), F64)


def source_values(x) -> List[fo.Value]:
    """Exact values of an array's elements (flat C order), from the bit-field definitions."""
    a = np.ascontiguousarray(x)
    if a.dtype in DTYPE_SPECS:
        s = DTYPE_SPECS[a.dtype]
        mask = (1 << s.bits) - 1
        return [s.decode(int(c) & mask) for c in a.view(UINT[a.dtype.itemsize]).ravel()]
    return [fo.exact_value(int(v)) for v in a.ravel()]


def quantize_dtype(src: np.dtype, s: fo.Spec) -> np.dtype:
    for cand in (source_spec(src), F32, F64):
        if holds(cand, s):
            return spec_dtype(cand)
    raise AssertionError("float64 holds every format")


def describe_array(x) -> str:
    a = np.asarray(x)
    if a.dtype in DTYPE_SPECS:
        name = a.dtype.name if a.dtype.type.__module__ == "numpy" else f"ml_dtypes.{a.dtype.name}"
        bits = np.ascontiguousarray(a).view(UINT[a.dtype.itemsize])
        return f"np.array({bits.tolist()}, np.uint{8 * a.dtype.itemsize}).view({name})"
    return f"np.array({a.tolist()}, np.{a.dtype.name})"


def describe_fmt(f: ro.Format) -> str:
    return f"ro.{f.name}" if f.name else repr(f)


def describe_policy(pol: Dict[str, Any]) -> str:
    out = []
    for k, v in pol.items():
        if k == "rbits":
            v = f"np.array({np.asarray(v).tolist()}, np.{np.asarray(v).dtype.name})"
        else:
            v = repr(v)
        out.append(f"{k}={v}")
    return ", ".join(out)


def check_codes(got, want: List[int], what: str, element) -> None:
    got = np.asarray(got)
    flat = [int(c) for c in got.ravel()]
    assert len(flat) == len(want), (what, got.shape, len(want))
    bad = [i for i, (g, w) in enumerate(zip(flat, want)) if g != w]
    if bad:
        rows = [f"  [{i}] {element(i)}: got {flat[i]:#x}, want {want[i]:#x}" for i in bad[:6]]
        pytest.fail(f"{what}\n{len(bad)} of {len(want)} differ:\n" + "\n".join(rows))


# --------------------------------------------------------------------------------------------
# The oracle itself: derivations and hand-checked examples
# --------------------------------------------------------------------------------------------

def test_oracle_derivation_matches_readme_table():
    for name, (e, m, bias, readme_max) in README_TABLE.items():
        f = ro.FORMATS[name]
        s = fo.spec(f)
        assert (f.exp_bits, f.man_bits, f.bias) == (e, m, bias), name
        assert float(s.max) == pytest.approx(readme_max, rel=2e-3), name
        if readme_max in (448, 57344, 240, 65504, 7.5, 28, 6, 2.0**127):
            assert s.max == Fraction(readme_max), name
        # and what roundoff publishes agrees with the derivation
        assert (f.max, f.emin, f.emax, f.max_code, f.nan_code, f.inf_code) == (
            float(s.max), s.emin, s.emax, s.max_mag_code, s.nan_code, s.inf_code), name
        assert f.min_normal == float(s.min_normal) and f.min_subnormal == float(s.min_positive)
        if name in ("float32", "bfloat16", "float16"):
            assert s == DTYPE_SPECS[np.dtype(ML.bfloat16 if name == "bfloat16" else name)]


def test_oracle_hand_checked_examples():
    """Each expected code below is worked out by hand from the README's definitions."""
    E4M3, E5M2, BF16, E8M0 = ro.E4M3, ro.E5M2, ro.BF16, ro.float8_e8m0fnu
    F = Fraction
    r = fo.round_fraction
    # 0.3 lies between 0.28125 = 1.125 * 2^-2 (0x29) and 0.3125 = 1.25 * 2^-2 (0x2A), nearer 0.3125
    assert r(F(0.3), E4M3, "nearest_even") == 0x2A == 42
    assert r(F(0.3), E4M3, "toward_zero") == 0x29 == 41
    # -500 > max 448 + ulp 32: NaN with the sign, or -max saturated; 1e-4 < 2^-10 (half the
    # smallest subnormal 2^-9): +0
    assert r(F(-500), E4M3, "nearest_even") == 0xFF and r(F(1e-4), E4M3, "nearest_even") == 0
    assert r(F(-500), E4M3, "nearest_even", saturate=True) == 0xFE
    # 464 = midpoint of 448 (1.110b * 2^8, even) and the virtual 480: ties to even 448
    assert r(F(464), E4M3, "nearest_even") == 0x7E and r(F(465), E4M3, "nearest_even") == 0x7F
    assert r(F(464), E4M3, "nearest_away") == 0x7F  # away: past max, NaN
    assert r(F(470), E4M3, "odd") == 0x7E and r(F(-470), E4M3, "up") == 0xFE  # toward zero
    # -431.99999999999994 (README): nearest E4M3 is -416 (0xFD: field 15, frac 101b)
    assert r(F(-431.99999999999994), E4M3, "nearest_even") == 0xFD
    # E8M0: p = 1, ties to the larger magnitude; no zero; unsigned
    assert r(F(3), E8M0, "nearest_even") == 128 + 1  # 3 -> 4 = 2^2
    assert r(F(3), E8M0, "odd") == 128  # 2 is the odd neighbour (significand 1)
    assert r(F(5, 4), E8M0, "nearest_even") == 127  # 1.25 -> 1
    assert r("+0", E8M0, "up") == r(F(-1), E8M0, "up") == r("nan", E8M0, "up") == 0xFF
    assert r(F(2) ** -130, E8M0, "toward_zero") == 0  # below 2^-127: 2^-127 (code 0)
    # FNUZ: -tiny -> +0 (not the NaN code 0x80); overflow -> the single NaN 0x80
    assert r(F(-1, 2**20), ro.float8_e4m3fnuz, "nearest_even") == 0
    assert r(F(-1000), ro.float8_e4m3fnuz, "nearest_even") == 0x80
    # finite-only: NaN -> +0, Inf and overflow clamp
    assert r("nan", ro.float4_e2m1fn, "up") == 0 and r("-inf", ro.float4_e2m1fn, "up") == 0xF
    assert r(F(7), ro.float4_e2m1fn, "nearest_even") == 0x7  # 6 = max
    # bfloat16: 1 + 2^-9 -> 1.0 (0x3F80) or 1.0078125 (0x3F81) up; sqrt(2) = 1.41421...
    assert r(1 + F(1, 2**9), BF16, "nearest_even") == 0x3F80
    assert r(1 + F(1, 2**9), BF16, "up") == 0x3F81
    assert fo.round_sqrt(F(2), BF16, "nearest_even") == 0x3FB5  # 1.4140625 = 1 + 53/128
    assert fo.round_sqrt(F(2), BF16, "up") == 0x3FB6  # 1.421875
    assert fo.round_sqrt("-0", BF16, "up") == 0x8000 and fo.round_sqrt(F(-1), BF16, "up") == 0x7FC0
    # sub(1.5, 1.5) is +0, -0 under down; 0 * Inf is NaN; 1 / -0 is -Inf
    assert fo.sub_values(F(3, 2), F(3, 2), "down") == "-0"
    assert fo.sub_values(F(3, 2), F(3, 2), "up") == "+0"
    assert fo.mul_values("+0", "-inf") == "nan" and fo.div_values(F(1), "-0") == "-inf"
    assert r(fo.div_values(F(1), "+0"), E4M3, "nearest_even", saturate=True) == 0x7E
    # x = 1 + 2^-7: fma(x, x, -(1 + 2^-6)) = 2^-14 in bf16 (0x3880)
    x = 1 + F(1, 128)
    assert r(fo.fma_values(x, x, -(1 + F(1, 64)), "nearest_even"), BF16, "nearest_even") == 0x3880
    # 1.125 * 1.125 = 1.265625 -> 1.25 (0x3A) in E4M3; 448 * 2 -> NaN 0x7F
    assert r(fo.mul_values(F(9, 8), F(9, 8)), E4M3, "nearest_even") == 0x3A
    assert r(fo.mul_values(F(448), F(2)), E4M3, "nearest_even") == 0x7F
    # stochastic, R = 8: 1 + 3 * 2^-10 is D = 3/8 of the bf16 ulp: up iff r + 96 >= 256
    v = 1 + F(3, 1024)
    ups = sum(r(v, BF16, "stochastic", r=k, sr_bits=8) == 0x3F81 for k in range(256))
    assert ups == 96
    # 1.12890625 = 1.125 + 1/32 of the E4M3 ulp: 8 of 256 round up
    ups = sum(r(F(289, 256), E4M3, "stochastic", r=k, sr_bits=8) == 0x3A for k in range(256))
    assert ups == 8
    # subnormals=False: the gap [0, min_normal] has 0 even and min_normal odd
    nosub = ro.Format(4, 3, subnormals=False)
    half = F(1, 2**7)  # half of min_normal 2^-6
    assert r(half, nosub, "nearest_even") == 0 and r(half, nosub, "nearest_away") == 0x08
    assert r(F(1, 2**20), nosub, "odd") == 0x08 and r(F(1, 2**20), nosub, "up") == 0x08
    # FTZ: 2^-8 is an E5M2 normal but an E4M3 subnormal
    assert r(F(1, 256), E4M3, "nearest_even", flush_subnormals=True) == 0
    assert r(F(-1, 256), E4M3, "nearest_even", flush_subnormals=True) == 0x80
    assert r(F(1, 256), E5M2, "nearest_even", flush_subnormals=True) == 0x1C  # field 7
    # Philox4x32-10 known-answer vectors (Random123)
    assert fo.philox4x32_10((0, 0, 0, 0), (0, 0)) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C,
                                                      0x9B00DBD8)
    assert fo.philox4x32_10((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2) == (
        0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)
    assert fo.philox4x32_10((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
                            (0xA4093822, 0x299F31D0)) == (0xD16CFE09, 0x94FDCCEB, 0x5001E420,
                                                          0x24126EA1)


def test_oracle_sqrt_hidden_tie():
    """float64 x just above m^2 for a float64 midpoint m: sqrt(x) exceeds m by less than
    2^-62 of it; only the integer root's remainder says so."""
    # m^2 = 1 + (2k+1) 2^-52 + (2k+1)^2 2^-106: the float64 above it is within 2^-62 when
    # (2k+1)^2 mod 2^54 is above 2^54 - 2^44
    rng = np.random.default_rng(13)
    k = next(k for k in (int(rng.integers(2**40, 2**51)) for _ in range(10**6))
             if (2 * k + 1) ** 2 % 2**54 > 2**54 - 2**44)
    m = 1 + Fraction(2 * k + 1, 2**53)
    x = Fraction(float(m * m))
    if x < m * m:
        x = Fraction(float(np.nextafter(float(x), np.inf)))
    assert 0 < x - m * m < m * m / 2**62
    lo, hi = m - Fraction(1, 2**53), m + Fraction(1, 2**53)
    f64 = ro.float64
    assert fo.spec(f64).decode(fo.round_sqrt(x, f64, "nearest_even")) == hi
    assert fo.spec(f64).decode(fo.round_sqrt(x, f64, "toward_zero")) == lo
    assert fo.round_sqrt(x, f64, "odd") == fo.spec(f64).mag_code(lo) | 1
    # an exact root stays exact
    assert fo.spec(f64).decode(fo.round_sqrt(Fraction(9, 16), f64, "odd")) == Fraction(3, 4)


def test_oracle_exact_value_matches_bit_decoding():
    """exact_value (through float()) and the oracle's own bit decoding agree on every code of
    the 8-bit dtypes and a sample of the 16/32/64-bit ones."""
    rng = np.random.default_rng(0)
    for dt, s in DTYPE_SPECS.items():
        n = 1 << s.bits
        codes = np.arange(n, dtype=np.uint64) if n <= 256 else np.concatenate([
            rng.integers(0, min(n, 2**63), 300, dtype=np.uint64), np.arange(40, dtype=np.uint64),
            np.uint64(n - 1) - np.arange(40, dtype=np.uint64)])
        arr = codes.astype(UINT[dt.itemsize]).view(dt)
        for c, x in zip(codes.tolist(), arr):
            assert fo.exact_value(x) == s.decode(c), (dt, hex(c))


# --------------------------------------------------------------------------------------------
# Strategies: formats, policies, values
# --------------------------------------------------------------------------------------------

PREDEFINED = tuple(ro.FORMATS.values())


@st.composite
def custom_formats(draw):
    """Any ro.Format the constructor accepts (a rejected combination is rejected here too).
    Unsigned formats and formats without zero take the NaN policies the README defines for
    them (negative inputs and zero give NaN)."""
    e = draw(st.integers(1, 11))
    m = draw(st.one_of(st.integers(0, 10), st.integers(0, 52)))
    kind = draw(st.sampled_from(["signed"] * 6 + ["unsigned", "no_zero"]))
    signed, has_zero = True, True
    subnormals = draw(st.booleans())
    choices = ro.NONFINITE
    if kind == "unsigned":
        signed, choices = False, ("ieee", "nan_all_ones")
    elif kind == "no_zero":
        signed, has_zero, subnormals = draw(st.booleans()), False, False
        choices = ("ieee", "nan_all_ones")
    nonfinite = draw(st.sampled_from(choices))
    default = (1 << (e - 1)) - 1
    lo, hi = max(-(1 << 12), (1 << e) - 1025), min(1 << 12, 1075 - m)
    bias = draw(st.one_of(st.none(), st.integers(default - 6, default + 6),
                          st.integers(min(lo, hi), max(lo, hi))))
    try:
        return ro.Format(e, m, bias=bias, nonfinite=nonfinite, subnormals=subnormals,
                         signed=signed, has_zero=has_zero)
    except ValueError:
        reject()


formats = st.one_of(st.sampled_from(PREDEFINED), custom_formats())


def sr_bits_strategy(man_bits: Optional[int]):
    """1..32; for arithmetic (man_bits given) often right at the documented limit 60 - m."""
    if man_bits is None:
        return st.one_of(st.integers(1, 32), st.sampled_from([1, 2, 31, 32]))
    top = max(1, min(32, 60 - man_bits))
    return st.one_of(st.integers(1, top), st.sampled_from([1, top, min(32, top + 1)]),
                     st.integers(1, 32))


@st.composite
def policies(draw, shape, man_bits: Optional[int] = None):
    """Keyword arguments: rounding, saturate, flush_subnormals and, for stochastic rounding,
    sr_bits with explicit rbits (of the result's shape) or a seed."""
    mode = draw(st.sampled_from(MODES))
    pol: Dict[str, Any] = dict(rounding=mode, saturate=draw(st.booleans()),
                               flush_subnormals=draw(st.booleans()))
    if mode == "stochastic":
        R = draw(sr_bits_strategy(man_bits))
        pol["sr_bits"] = R
        if draw(st.booleans()):
            n = int(np.prod(shape, dtype=np.int64))
            top = (1 << R) - 1
            vals = draw(st.lists(st.one_of(st.integers(0, top),
                                           st.sampled_from([0, top, top >> 1, (top >> 1) + 1])),
                                 min_size=n, max_size=n))
            dts = [np.uint32, np.int64] + ([np.uint16] if R <= 16 else []) + (
                [np.uint8] if R <= 8 else [])
            pol["rbits"] = np.array(vals, dtype=draw(st.sampled_from(dts))).reshape(shape)
        else:
            pol["seed"] = draw(st.one_of(st.just(0), st.integers(0, 2**64 - 1)))
    return pol


def r_of(pol: Dict[str, Any], i: int) -> Optional[int]:
    """The random integer of flat result element i."""
    if pol["rounding"] != "stochastic":
        return None
    if "rbits" in pol:
        return int(np.asarray(pol["rbits"]).ravel()[i])
    return fo.philox_rbits(pol.get("seed", 0), i, pol["sr_bits"])


def r_threshold(v: fo.Value, s: fo.Spec, R: int) -> Optional[int]:
    """The smallest r that rounds v away from zero, 2^R - floor(D * 2^R), if in range."""
    if isinstance(v, str):
        return None
    a = abs(v)
    lo, hi, beyond = fo.neighbours(a, s)
    if beyond or lo == hi or a == lo:
        return None
    r = (1 << R) - math.floor((a - lo) / (hi - lo) * (1 << R))
    return r if 0 <= r < (1 << R) else None


def aim_rbits(data, pol: Dict[str, Any], exact: List[fo.Value], s: fo.Spec) -> None:
    """Sometimes move the explicit random integers to the threshold r (rounds away) or
    r - 1 (does not): off-by-one errors in the stochastic comparison show up at once."""
    if "rbits" not in pol or not data.draw(st.booleans(), label="aim rbits"):
        return
    R = pol["sr_bits"]
    rb = pol["rbits"].copy()
    flat = rb.reshape(-1)
    for i, v in enumerate(exact):
        r = r_threshold(v, s, R)
        if r is not None:
            flat[i] = max(0, r - data.draw(st.integers(0, 1), label="below"))
    pol["rbits"] = rb


def oracle_round(v: fo.Value, s, pol: Dict[str, Any], i: int) -> int:
    return fo.round_fraction(v, s, pol["rounding"], saturate=pol["saturate"],
                             flush_subnormals=pol["flush_subnormals"], r=r_of(pol, i),
                             sr_bits=pol.get("sr_bits", 32))


def to_float(t: Fraction) -> float:
    try:
        return float(t)
    except OverflowError:
        return math.inf if t > 0 else -math.inf


def nudge(x: float, k: int, dtype=np.float64) -> float:
    """x moved by k ulps of dtype (toward +Inf for k > 0)."""
    with np.errstate(over="ignore"):
        v = dtype(x)
        for _ in range(abs(k)):
            v = np.nextafter(v, dtype(math.inf if k > 0 else -math.inf))
    return v


@st.composite
def boundary_points(draw, s: fo.Spec):
    """A nonnegative Fraction at or between two adjacent magnitudes lo < hi of s: the
    values, midpoints, the steps of floor(D * 2^R), max and the virtual value above it."""
    m = s.man_bits
    special = [0, 1, 2, s.max_mag_code, s.max_mag_code - 1, 1 << m, (1 << m) - 1,
               (1 << m) + 1, s.max_mag_code >> 1]
    code = draw(st.one_of(st.integers(0, s.max_mag_code),
                          st.sampled_from([min(max(c, 0), s.max_mag_code) for c in special])))
    v = s.decode(code)
    lo = v if isinstance(v, Fraction) else Fraction(0)
    hi = fo.neighbours(lo + fo.pow2(s.emin - m - 100), s)[1]
    J = draw(st.one_of(st.sampled_from([0, 1, 1, 1, 2]), st.integers(0, 36)))
    j = draw(st.one_of(st.integers(0, 1 << J), st.sampled_from([1 << max(J - 1, 0), 1])))
    t = lo + (hi - lo) * Fraction(j, 1 << J)
    if draw(st.integers(0, 9)) == 0:  # beyond the range
        t = s.virtual_hi * draw(st.sampled_from([1, 2, 3, 1024]))
    return t


def spread(s: fo.Spec):
    """float64 values over the target's exponent range and a little beyond."""
    lo = max(-1074, s.emin - s.man_bits - 4)
    hi = min(1023, s.emax + 2)
    return st.builds(lambda mant, e: math.ldexp(mant, e),
                     st.floats(-2, 2, allow_nan=False, exclude_max=True,
                               exclude_min=True).filter(lambda f: f != 0),
                     st.integers(lo, max(lo, hi)))


SPECIAL_F64 = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 5e-324, -5e-324,
               2.2250738585072014e-308, 1.7976931348623157e308, 1.0, -1.0, 0.5]


@st.composite
def float64_values(draw, s: fo.Spec):
    kind = draw(st.sampled_from(["bits", "special", "boundary", "boundary", "spread"]))
    if kind == "bits":
        return float(np.uint64(draw(st.integers(0, 2**64 - 1))).view(np.float64))
    if kind == "special":
        return draw(st.sampled_from(SPECIAL_F64))
    if kind == "spread":
        return draw(spread(s))
    x = float(nudge(to_float(draw(boundary_points(s))), draw(st.integers(-2, 2))))
    return -x if draw(st.booleans()) else x


@st.composite
def source_arrays(draw, dt, s: fo.Spec, n: int):
    """n elements of dtype dt: arbitrary bit patterns, and for float16/32/64 also values at
    and next to the rounding boundaries of s."""
    dt = np.dtype(dt)
    if dt == np.float64:
        return np.array(draw(st.lists(float64_values(s), min_size=n, max_size=n)), np.float64)
    if dt.kind == "b":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dt)
    if dt.kind in "iu":
        lo, hi = max(int(np.iinfo(dt).min), -(2**53) + 1), min(int(np.iinfo(dt).max), 2**53 - 1)
        ints = st.one_of(st.integers(lo, hi), st.integers(max(lo, -300), 300))
        return np.array(draw(st.lists(ints, min_size=n, max_size=n)), dt)
    bits = DTYPE_SPECS[dt].bits
    raw = st.integers(0, (1 << bits) - 1)
    if dt in (np.dtype(np.float32), np.dtype(np.float16)):
        near = st.builds(lambda t, k, neg: np.array(
            [-nudge(to_float(t), k, dt.type) if neg else nudge(to_float(t), k, dt.type)],
            dt).view(UINT[dt.itemsize])[0].item(),
            boundary_points(s), st.integers(-2, 2), st.booleans())
        raw = st.one_of(raw, near)
    codes = draw(st.lists(raw, min_size=n, max_size=n))
    return np.array(codes, dtype=UINT[dt.itemsize]).view(dt)


SOURCE_DTYPES = [np.dtype(np.float64)] * 4 + [np.dtype(np.float32)] * 2 + FLOAT_DTYPES + [
    np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint16), np.dtype(np.bool_)]


def code_values(s: fo.Spec):
    """Codes of s: any, and the special ones (zeros, NaN payloads, Inf, max, the smallest)."""
    m, sign = s.man_bits, s.sign_bit
    special = [0, sign, 1, sign | 1, s.max_mag_code, sign | s.max_mag_code, 1 << m,
               sign | (1 << m), (1 << m) - 1, (1 << s.bits) - 1, (1 << s.bits) - 2]
    if s.nan_code is not None:
        special += [s.nan_code, sign | s.nan_code]
    if s.inf_code is not None:
        special += [s.inf_code, sign | s.inf_code, s.inf_code | 1, sign | s.inf_code | 1]
    special = sorted({c for c in special if 0 <= c < (1 << s.bits)})
    return st.one_of(st.integers(0, (1 << s.bits) - 1), st.sampled_from(special))


# --------------------------------------------------------------------------------------------
# Oracle fuzz: casts
# --------------------------------------------------------------------------------------------

HEALTH = (HealthCheck.filter_too_much, HealthCheck.too_slow)


def draw_cast(data):
    """(fmt, x, policy, exact source values, expected codes, call text) for a cast."""
    fmt = data.draw(formats, label="fmt")
    s = fo.spec(fmt)
    src = data.draw(st.sampled_from(SOURCE_DTYPES), label="source dtype")
    n = data.draw(st.integers(1, 8), label="n")
    x = data.draw(source_arrays(src, s, n), label="x")
    pol = data.draw(policies((n,)), label="policy")
    vals = source_values(x)
    sspec = source_spec(x.dtype)
    daz = [fo.flush_source(v, sspec) if pol["flush_subnormals"] else v for v in vals]
    aim_rbits(data, pol, daz, s)
    want = [oracle_round(v, s, pol, i) for i, v in enumerate(daz)]
    args = f"{describe_array(x)}, {describe_fmt(fmt)}, {describe_policy(pol)})"
    return fmt, x, pol, vals, want, args


@fuzz(weight=3, suppress=HEALTH, data=st.data())
def _encode_astype_vs_oracle(data):
    fmt, x, pol, vals, want, args = draw_cast(data)
    s = fo.spec(fmt)
    call = "ro.encode(" + args
    x_before = x.tobytes()
    got = ro.encode(x, fmt, **pol)
    assert got.dtype == code_dtype(s) and got.shape == x.shape, call
    check_codes(got, want, call, lambda i: f"x={vals[i]}")
    # astype: the ml_dtypes array of the same codes, or ValueError naming fmt
    adt = spec_dtype(s)
    if adt is None:
        with pytest.raises(ValueError, match=r"^fmt"):
            ro.astype(x, fmt, **pol)
    else:
        a = ro.astype(x, fmt, **pol)
        assert a.dtype == adt and a.shape == x.shape, ("ro.astype(" + args, a.dtype)
        check_codes(a.view(UINT[adt.itemsize]), want, "ro.astype(" + args,
                    lambda i: f"x={vals[i]}")
    assert x.tobytes() == x_before, "input modified: " + call


@fuzz(weight=2, suppress=HEALTH, data=st.data())
def _quantize_vs_oracle(data):
    """quantize = decode(encode) in x's dtype, or float32 / float64 if that dtype cannot hold
    every value of fmt: the expected codes decoded exactly into the expected dtype."""
    fmt, x, pol, vals, want, args = draw_cast(data)
    s = fo.spec(fmt)
    call = "ro.quantize(" + args
    qdt = quantize_dtype(x.dtype, s)
    q = ro.quantize(x, fmt, **pol)
    assert q.dtype == qdt and q.shape == x.shape, (call, f"dtype {q.dtype}, want {qdt}")
    want_q = [fo.round_fraction(s.decode(c), DTYPE_SPECS[qdt], "nearest_even") for c in want]
    check_codes(q.view(UINT[qdt.itemsize]), want_q, call, lambda i: f"x={vals[i]}")


@fuzz(weight=3, suppress=HEALTH, data=st.data())
def _convert_decode_vs_oracle(data):
    src_fmt = data.draw(formats, label="src_fmt")
    dst_fmt = data.draw(formats, label="dst_fmt")
    ss, ds = fo.spec(src_fmt), fo.spec(dst_fmt)
    n = data.draw(st.integers(1, 8), label="n")
    codes = data.draw(st.lists(code_values(ss), min_size=n, max_size=n), label="codes")
    cdts = [code_dtype(ss), np.dtype(np.uint64)] + ([np.dtype(np.int64)] if ss.bits < 63 else [])
    c = np.array(codes, dtype=data.draw(st.sampled_from(cdts), label="codes dtype"))
    pol = data.draw(policies((n,)), label="policy")
    vals = [ss.decode(k) for k in codes]
    daz = [fo.flush_source(v, ss) if pol["flush_subnormals"] else v for v in vals]
    aim_rbits(data, pol, daz, ds)
    want = [oracle_round(v, ds, pol, i) for i, v in enumerate(daz)]
    call = (f"ro.convert(np.array({codes}, np.{c.dtype.name}), {describe_fmt(src_fmt)}, "
            f"{describe_fmt(dst_fmt)}, {describe_policy(pol)})")
    got = ro.convert(c, src_fmt, dst_fmt, **pol)
    assert got.dtype == code_dtype(ds) and got.shape == c.shape, call
    check_codes(got, want, call, lambda i: f"code {codes[i]:#x} = {vals[i]}")

    # decode: exact when dtype holds the format, else rounded once to nearest even
    dt = data.draw(st.sampled_from(FLOAT_DTYPES), label="decode dtype")
    got_d = ro.decode(c, src_fmt, dt)
    call = (f"ro.decode(np.array({codes}, np.{c.dtype.name}), {describe_fmt(src_fmt)}, "
            f"{dt.name})")
    assert got_d.dtype == dt and got_d.shape == c.shape, call
    want_d = [fo.round_fraction(v, DTYPE_SPECS[dt], "nearest_even") for v in vals]
    check_codes(got_d.view(UINT[dt.itemsize]), want_d, call,
                lambda i: f"code {codes[i]:#x} = {vals[i]}")


# --------------------------------------------------------------------------------------------
# Oracle fuzz: arithmetic
# --------------------------------------------------------------------------------------------

ARITY = {"add": 2, "sub": 2, "mul": 2, "div": 2, "fma": 3, "sqrt": 1,
         "neg": 1, "abs": 1, "min": 2, "max": 2}
OPERAND_DTYPES = [np.dtype(np.float64)] * 3 + [
    np.dtype(d) for d in (np.float32, np.float16, ML.bfloat16, ML.float8_e4m3fn, ML.float8_e5m2,
                          ML.float8_e4m3fnuz, ML.float8_e8m0fnu, ML.float4_e2m1fn, np.int64)]


def exact_result(op: str, vals: List[fo.Value], mode: str) -> fo.Value:
    if op == "add":
        return fo.add_values(vals[0], vals[1], mode)
    if op == "sub":
        return fo.sub_values(vals[0], vals[1], mode)
    if op == "mul":
        return fo.mul_values(vals[0], vals[1])
    if op == "div":
        return fo.div_values(vals[0], vals[1])
    if op == "fma":
        return fo.fma_values(vals[0], vals[1], vals[2], mode)
    if op == "neg":
        return fo.neg_value(vals[0])
    if op == "abs":
        return fo.abs_value(vals[0])
    if op in ("min", "max"):
        return fo.minmax_values(vals[0], vals[1], op == "max")
    raise ValueError(op)


def exact_arith(op: str, vals: List[fo.Value], s: fo.Spec, pol: Dict[str, Any]) -> fo.Value:
    """The exact result (sqrt: a value that rounds like it), after DAZ when asked."""
    if pol["flush_subnormals"]:
        vals = [fo.flush_operand(v, s) for v in vals]
    if op == "sqrt":
        special = fo.sqrt_value(vals[0])
        return special if special is not None else fo.sqrt_fraction(vals[0], s,
                                                                     pol.get("sr_bits", 32))
    return exact_result(op, vals, pol["rounding"])


def expected_arith(op: str, vals: List[fo.Value], s: fo.Spec, pol: Dict[str, Any],
                   i: int) -> int:
    """The README's semantics: operands below fmt's smallest normal are zeros under
    flush_subnormals (DAZ), the exact result, rounded once (FTZ included)."""
    if pol["flush_subnormals"]:
        vals = [fo.flush_operand(v, s) for v in vals]
    kw = dict(saturate=pol["saturate"], flush_subnormals=pol["flush_subnormals"],
              r=r_of(pol, i), sr_bits=pol.get("sr_bits", 32))
    if op == "sqrt":
        return fo.round_sqrt(vals[0], s, pol["rounding"], **kw)
    return fo.round_fraction(exact_result(op, vals, pol["rounding"]), s, pol["rounding"], **kw)


@st.composite
def near_boundary_operands(draw, op: str, s: fo.Spec):
    """float64 operands whose exact result lies at or next to a rounding boundary of s (a
    midpoint, a floor(D * 2^R) step, max, ...): one operand is solved for, rounded to
    float64 and nudged by a few ulps, so hidden ties and near-ties both come up."""
    t = draw(boundary_points(s))
    if draw(st.booleans()) and op != "sqrt":
        t = -t
    k = draw(st.integers(-2, 2))
    other = [draw(spread(s)) for _ in range(2)]
    F = Fraction
    try:
        if op == "add":
            a = other[0]
            return [a, float(nudge(to_float(t - F(a)), k))]
        if op == "sub":
            a = other[0]
            return [a, float(nudge(to_float(F(a) - t), k))]
        if op == "mul":
            a = other[0]
            return [a, float(nudge(to_float(t / F(a)), k))]
        if op == "div":
            b = other[0]
            return [float(nudge(to_float(t * F(b)), k)), b]
        if op == "fma":
            a, b = other
            return [a, b, float(nudge(to_float(t - F(a) * F(b)), k))]
        if op == "sqrt":
            return [float(nudge(to_float(t * t), k))]
        if op in ("neg", "abs"):
            return [float(nudge(to_float(t), k))]
        return [float(nudge(to_float(t), k)), other[0]]  # min, max
    except ZeroDivisionError:
        reject()


def _f64_exact(t: Fraction) -> Optional[float]:
    try:
        x = float(t)
    except OverflowError:
        return None
    return x if Fraction(x) == t and math.isfinite(x) else None


@st.composite
def hidden_tie_operands(draw, op: str, s: fo.Spec):
    """float64 operands whose exact result is a boundary t of s (a midpoint, or an exact
    value) plus or minus less than 2^-62 of it: only bits far below the 61 kept ones (the
    sticky information) tell the result from the tie. add/sub/fma: t plus a tiny term (fma
    also: an exact product t plus a tiny addend, or a tiny product and the addend t);
    mul/div/sqrt: a seeded search for a float64 operand pair hiding the tie."""
    t = draw(boundary_points(s))
    if t == 0:
        reject()
    t = t if (op == "sqrt" or draw(st.booleans())) else -t
    e = fo.floor_log2(abs(t))
    sign = draw(st.sampled_from([-1.0, 1.0]))
    depth = draw(st.integers(63, 400))
    tiny = sign * math.ldexp(draw(st.floats(1, 2, exclude_max=True)), max(e - depth, -1074))
    rng = np.random.default_rng(draw(st.integers(0, 2**32)))
    if op in ("add", "sub", "fma"):
        a = _f64_exact(t)
        if a is None:
            reject()
        if op == "add":
            return [a, tiny]
        if op == "sub":
            return [a, -tiny]
        k = int(rng.integers(-20, 21))
        if draw(st.booleans()):
            return [math.ldexp(a, k), math.ldexp(1.0, -k), tiny]  # exact product t, tiny addend
        return [tiny, math.ldexp(float(rng.uniform(0.5, 2)), k), a]  # tiny product, addend t
    limit = abs(t) * Fraction(1, 2**62)
    best = None
    for _ in range(1500):
        if op == "sqrt":  # another boundary of the same kind, t + k quanta
            q = fo.pow2(max(e, s.emin) - s.man_bits)
            u = t + q * int(rng.integers(-(1 << min(s.man_bits, 40)), 1 << min(s.man_bits, 40)))
            x = to_float(u * u) if u > 0 else 0.0
            if not 0 < x < math.inf:
                continue
            ops_, err = [x], Fraction(x) - u * u  # sqrt(x) = u + err / 2u + ...
            close = err != 0 and abs(err) < 2 * u * u * Fraction(1, 2**62)
        else:
            m = float(rng.integers(2**52, 2**53)) * 2.0 ** -52
            b = math.ldexp(m, int(rng.integers(-30, 31)))
            y = to_float(t / Fraction(b)) if op == "mul" else to_float(t * Fraction(b))
            if not math.isfinite(y) or y == 0:
                continue
            ops_ = [y, b]
            ex = Fraction(y) * Fraction(b) if op == "mul" else Fraction(y) / Fraction(b)
            close = ex != t and abs(ex - t) < limit
        best = ops_
        if close:
            return ops_
    if best is None:
        reject()
    return best


@st.composite
def operands(draw, op: str, s: fo.Spec):
    """Operand arrays (or 0-d arrays / Python floats, to broadcast) of op: narrow-format bit
    patterns, float64 values, or float64 values built to land near a boundary of s."""
    k = ARITY[op]
    n = draw(st.integers(1, 6))
    how = draw(st.sampled_from(["near", "near", "hidden", "bits", "bits"]))
    if how != "bits":
        strategy = near_boundary_operands if how == "near" else hidden_tie_operands
        if op not in ("add", "sub", "mul", "div", "fma", "sqrt"):
            strategy = near_boundary_operands
        elems = draw(st.lists(strategy(op, s), min_size=n, max_size=n))
        arrays = [np.array([e[j] for e in elems], np.float64) for j in range(k)]
    else:
        arrays = [draw(source_arrays(draw(st.sampled_from(OPERAND_DTYPES)), s, n))
                  for _ in range(k)]
    out = []
    for a in arrays:
        form = draw(st.sampled_from(["array"] * 4 + ["0d", "python"]))
        if form == "0d":
            a = a[:1].reshape(())
        elif form == "python" and a.dtype == np.float64:
            a = float(a[0])
        out.append(a)
    return out


def _run_arith(data, ops_list):
    op = data.draw(st.sampled_from(ops_list), label="op")
    fmt = data.draw(formats, label="fmt")
    s = fo.spec(fmt)
    xs = data.draw(operands(op, s), label="operands")
    shape = np.broadcast_shapes(*(np.shape(x) for x in xs))
    pol = data.draw(policies(shape, man_bits=s.man_bits), label="policy")
    shown = ", ".join(describe_array(x) if isinstance(x, np.ndarray) else repr(x) for x in xs)
    call = f"ro.{op}({shown}, {describe_fmt(fmt)}, codes=True, {describe_policy(pol)})"
    before = [np.asarray(x).tobytes() for x in xs]
    over_limit = pol["rounding"] == "stochastic" and s.man_bits + pol["sr_bits"] > 60
    try:
        got = getattr(ro, op)(*xs, fmt, codes=True, **pol)
    except ValueError as exc:
        # Arithmetic keeps 61 exact bits: man_bits + sr_bits <= 60 is documented; beyond it
        # a ValueError naming sr_bits is correct.
        assert over_limit and str(exc).startswith("sr_bits"), (call, exc)
        return
    if over_limit and op in ("add", "sub", "mul", "div", "fma", "sqrt"):
        pytest.fail(f"{call}: sr_bits beyond fmt.man_bits + sr_bits <= 60 must raise")
    assert np.shape(got) == shape and np.asarray(got).dtype == code_dtype(s), call
    if shape == () and all(not isinstance(x, np.ndarray) for x in xs):
        assert isinstance(got, np.generic), call
    views = [np.broadcast_to(np.asarray(x), shape) for x in xs]
    vals = [source_values(v) for v in views]
    n = int(np.prod(shape, dtype=np.int64))
    if "rbits" in pol and not over_limit:
        aim_rbits(data, pol, [exact_arith(op, [v[i] for v in vals], s, pol)
                              for i in range(n)], s)
        got = getattr(ro, op)(*xs, fmt, codes=True, **pol)
        call = call.split("rounding=")[0] + describe_policy(pol) + ")"
    want = [expected_arith(op, [v[i] for v in vals], s, pol, i) for i in range(n)]
    check_codes(got, want, call, lambda i: "operands " + ", ".join(str(v[i]) for v in vals))
    assert [np.asarray(x).tobytes() for x in xs] == before, "input modified: " + call


@fuzz(weight=5, suppress=HEALTH, data=st.data())
def _arithmetic_vs_oracle(data):
    _run_arith(data, ["add", "sub", "mul", "div", "fma", "sqrt"])


@fuzz(weight=2, suppress=HEALTH, data=st.data())
def _neg_abs_min_max_vs_oracle(data):
    _run_arith(data, ["neg", "abs", "min", "max"])


@fuzz(weight=1.5, suppress=HEALTH, data=st.data())
def _ops_on_codes_vs_oracle(data):
    """roundoff.ops: codes of fmt in, codes of fmt out, each the exact result rounded once."""
    _run_ops(data, ["add", "sub", "mul", "div", "fma", "sqrt"])


@fuzz(weight=1, suppress=HEALTH, data=st.data())
def _ops_neg_abs_min_max_on_codes_vs_oracle(data):
    _run_ops(data, ["neg", "abs", "min", "max"])


def _run_ops(data, ops_list):
    op = data.draw(st.sampled_from(ops_list), label="op")
    fmt = data.draw(formats, label="fmt")
    s = fo.spec(fmt)
    n = data.draw(st.integers(1, 6), label="n")
    codes = [data.draw(st.lists(code_values(s), min_size=n, max_size=n), label=f"codes {j}")
             for j in range(ARITY[op])]
    arrays = [np.array(c, dtype=code_dtype(s)) for c in codes]
    pol = data.draw(policies((n,), man_bits=s.man_bits), label="policy")
    call = (f"ro.ops.{op}({', '.join(f'np.array({c}, np.{code_dtype(s).name})' for c in codes)}"
            f", {describe_fmt(fmt)}, {describe_policy(pol)})")
    over_limit = pol["rounding"] == "stochastic" and s.man_bits + pol["sr_bits"] > 60
    try:
        got = getattr(ro.ops, op)(*arrays, fmt, **pol)
    except ValueError as exc:
        assert over_limit and str(exc).startswith("sr_bits"), (call, exc)
        return
    if over_limit and op in ("add", "sub", "mul", "div", "fma", "sqrt"):
        pytest.fail(f"{call}: sr_bits beyond fmt.man_bits + sr_bits <= 60 must raise")
    assert got.shape == (n,) and got.dtype == code_dtype(s), call
    vals = [[s.decode(c) for c in cs] for cs in codes]
    if "rbits" in pol and not over_limit:
        aim_rbits(data, pol, [exact_arith(op, [v[i] for v in vals], s, pol)
                              for i in range(n)], s)
        got = getattr(ro.ops, op)(*arrays, fmt, **pol)
        call = call.split("rounding=")[0] + describe_policy(pol) + ")"
    want = [expected_arith(op, [v[i] for v in vals], s, pol, i) for i in range(n)]
    check_codes(got, want, call, lambda i: "operands " + ", ".join(str(v[i]) for v in vals))


# --------------------------------------------------------------------------------------------
# Robustness fuzz: every entry point, every dtype and memory layout
# --------------------------------------------------------------------------------------------

ANY_DTYPES = [np.dtype(d) for d in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, object,
    "U3", "S2", "datetime64[s]", "timedelta64[ms]", ML.bfloat16, ML.float8_e4m3fn,
    ML.float8_e5m2, ML.float8_e4m3fnuz, ML.float8_e5m2fnuz, ML.float8_e8m0fnu,
    ML.float6_e2m3fn, ML.float6_e3m2fn, ML.float4_e2m1fn, ML.float8_e4m3, ML.float8_e3m4,
    ML.float8_e4m3b11fnuz, ML.int4)]
VALUE_DTYPES = FLOAT_DTYPES * 3 + [np.dtype(np.float64)] * 4 + ANY_DTYPES
CODE_DTYPES = [np.dtype(d) for d in (np.uint8, np.uint16, np.uint32, np.uint64, np.int16,
                                     np.int32, np.int64)] * 4 + ANY_DTYPES
INT_EDGES = [0, 1, 2, 127, 128, 255, 256, 2**15, 2**16 - 1, 2**16, 2**19, 2**31, 2**32 - 1,
             2**53 - 1, 2**53, 2**53 + 1, 2**53 + 2, 2**60 + 1, 2**62, 2**63 - 1, 2**63,
             2**63 + 2**11, 2**64 - 1]
INT_EDGES = INT_EDGES + [-v for v in INT_EDGES]

ENTRIES = (["encode", "quantize", "astype", "decode", "convert"]
           + [f"arith.{op}" for op in ARITY] + [f"ops.{op}" for op in ARITY])


def entry_args(entry: str):
    """(name, role) of the array arguments: role 'values' (taken exactly) or 'codes'."""
    if entry in ("encode", "quantize", "astype"):
        return [("x", "values")]
    if entry in ("decode", "convert"):
        return [("codes", "codes")]
    kind, op = entry.split(".")
    return [(n, "values" if kind == "arith" else "codes") for n in "abc"[:ARITY[op]]]


@st.composite
def contents(draw, dt: np.dtype, shape, role: str, code_bits: int):
    """A native C-contiguous array of dtype dt and shape: arbitrary bytes for floats and the
    like; integers at the edges (2^53, 2^63, the code range); anything for object/str."""
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "b":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dt).reshape(shape)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if role == "codes":
            top = min((1 << code_bits) - 1, int(info.max))
            ints = st.one_of(st.integers(0, top), st.integers(0, top),
                             st.sampled_from([0, top, top + 1, -1, int(info.max), int(info.min)]))
        else:
            ints = st.one_of(st.integers(-300, 300), st.integers(int(info.min), int(info.max)),
                             st.sampled_from(INT_EDGES))
        ints = ints.filter(lambda v: info.min <= v <= info.max)
        return np.array(draw(st.lists(ints, min_size=n, max_size=n)), dt).reshape(shape)
    if dt.kind == "O":
        a = np.empty(n, dtype=object)
        for i, v in enumerate(draw(st.lists(st.one_of(st.floats(), st.integers(-5, 5),
                                                      st.none()), min_size=n, max_size=n))):
            a[i] = v
        return a.reshape(shape)
    if dt.kind == "U":
        return np.array(draw(st.lists(st.text(max_size=3), min_size=n, max_size=n)),
                        dt).reshape(shape)
    if dt.kind == "S":
        return np.array(draw(st.lists(st.binary(max_size=2), min_size=n, max_size=n)),
                        dt).reshape(shape)
    if dt == np.float64 and draw(st.booleans()):
        return np.array(draw(st.lists(st.floats(), min_size=n, max_size=n)), dt).reshape(shape)
    raw = draw(st.binary(min_size=n * dt.itemsize, max_size=n * dt.itemsize))
    return np.frombuffer(raw, dtype=dt).copy().reshape(shape)


layouts = st.fixed_dictionaries({
    "form": st.sampled_from(["array"] * 10 + ["python", "list", "broadcast"]),
    "swap": st.booleans(), "unaligned": st.booleans(),
    "step": st.sampled_from([1, 1, 2, 3, -1, -2]), "transpose": st.booleans(),
    "readonly": st.booleans(),
})


def place(L: np.ndarray, lay: Dict[str, Any]):
    """A view with L's values in the layout lay (byte order, alignment, strides, transposed,
    read-only), and the memory that holds it."""
    dt, shape, nd = L.dtype, L.shape, L.ndim
    bits_route = dt.itemsize in UINT and dt.kind not in "cOUS"  # swap via the raw bits
    swap = lay["swap"] and dt.itemsize > 1 and dt.kind != "O"
    mem_dt = dt.newbyteorder() if swap else dt
    step = lay["step"] if nd else 1
    alloc = list(shape)
    if nd:
        alloc[0] *= abs(step)
    transpose = lay["transpose"] and nd >= 2
    if transpose:
        alloc = alloc[::-1]
    store = np.dtype(UINT[dt.itemsize]) if bits_route else mem_dt
    count = int(np.prod(alloc, dtype=np.int64))
    if lay["unaligned"] and dt.kind != "O" and count:
        holder = bytearray(count * store.itemsize + 1)
        B = np.frombuffer(holder, dtype=store, count=count, offset=1).reshape(alloc)
    else:
        B = holder = np.zeros(alloc, dtype=store)
    W = B.T if transpose else B
    V = W[::step] if nd else W
    if bits_route:
        bits = np.ascontiguousarray(L).view(UINT[dt.itemsize])
        V[...] = bits.byteswap() if swap else bits
        V = V.view(mem_dt)
    else:
        V[...] = L
    if lay["readonly"]:
        V.flags.writeable = False
    return V, holder


def snapshot(holders) -> List[bytes]:
    return [bytes(h) if isinstance(h, bytearray) else h.tobytes() for h in holders]


@st.composite
def robust_arg(draw, name: str, role: str, shape, code_bits: int):
    """(obj, ref, holders): obj in some dtype and layout; ref its C-contiguous native copy
    (Python objects are their own reference)."""
    lay = draw(layouts)
    dt = draw(st.sampled_from(VALUE_DTYPES if role == "values" else CODE_DTYPES))
    if lay["form"] == "python":
        dt = draw(st.sampled_from([np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_),
                                   np.dtype(np.complex128), np.dtype("U3")]))
        L = draw(contents(dt, (), role, code_bits))
        obj = L.item()
        if dt == np.int64 and draw(st.integers(0, 4)) == 0:
            obj = draw(st.sampled_from([2**53 + 1, 2**63, 2**64, 2**70, -(2**64)]))
        return obj, obj, []
    if lay["form"] == "list":
        dt = draw(st.sampled_from([np.dtype(np.float64), np.dtype(np.int64),
                                   np.dtype(ML.bfloat16), np.dtype(np.uint16)]))
        L = draw(contents(dt, shape, role, code_bits))
        obj = L.tolist()
        return obj, obj, []
    if lay["form"] == "broadcast" and len(shape):
        small = tuple(1 if draw(st.booleans()) else d for d in shape)
        Ls = draw(contents(dt, small, role, code_bits))
        Vs, holder = place(Ls, dict(lay, step=1, transpose=False))
        return (np.broadcast_to(Vs, shape), np.ascontiguousarray(np.broadcast_to(Ls, shape)),
                [holder])
    L = draw(contents(dt, shape, role, code_bits))
    V, holder = place(L, lay)
    return V, L, [holder]


def validity(obj, role: str, code_bits: int, want_shape=None) -> str:
    """'ok' (must be accepted), 'bad' (must be rejected naming the argument) or 'either'."""
    if isinstance(obj, (str, bytes)):
        return "bad"
    a = np.asarray(obj)
    if want_shape is not None and a.shape != tuple(want_shape):
        return "bad"
    empty = a.size == 0
    if role == "values":
        if native(a.dtype) in DTYPE_SPECS:
            bits = DTYPE_SPECS[native(a.dtype)].bits
            if bits < 8 * a.dtype.itemsize and np.any(
                    np.ascontiguousarray(a).view(UINT[a.dtype.itemsize]) >> bits):
                return "either"  # FP6/FP4 bytes with the unused high bits set
            return "ok"
        if a.dtype.kind == "b":
            return "ok"
        if a.dtype.kind in "iu":
            vals = [int(v) for v in a.ravel()]
            if all(abs(v) < 2**53 for v in vals):
                return "ok"
            return "either" if all(int(float(v)) == v for v in vals) else "bad"
        return "either" if empty else "bad"
    if a.dtype.kind in "iu" or (empty and isinstance(obj, list)):
        return "ok" if all(0 <= int(v) < (1 << code_bits) for v in a.ravel()) else "bad"
    return "either" if (empty or a.dtype.kind == "b") else "bad"


def call_entry(entry: str, args: list, fmt, fmt2, kw: Dict[str, Any]):
    if entry in ("encode", "quantize", "astype"):
        return getattr(ro, entry)(args[0], fmt, **kw)
    if entry == "decode":
        return ro.decode(args[0], fmt, **kw)
    if entry == "convert":
        return ro.convert(args[0], fmt, fmt2, **kw)
    kind, op = entry.split(".")
    return getattr(ro if kind == "arith" else ro.ops, op)(*args, fmt, **kw)


def outcome(fn):
    """('ok', result) or ('raised', exception); anything but TypeError/ValueError escapes."""
    try:
        with np.errstate(all="ignore"):
            return "ok", fn()
    except (TypeError, ValueError) as exc:
        return "raised", exc


def same_bits(r1, r2) -> bool:
    a1, a2 = np.asarray(r1), np.asarray(r2)
    return (type(r1) is type(r2) and a1.dtype == a2.dtype and a1.shape == a2.shape
            and a1.tobytes() == a2.tobytes())


def names_match(exc: Exception, names) -> bool:
    return any(re.match(rf"{re.escape(n)}[:, ]", str(exc)) for n in names)


@fuzz(weight=2, suppress=HEALTH, data=st.data())
def _casts_any_dtype_and_layout(data):
    _robustness(data, ["encode", "quantize", "astype", "decode", "convert"])


@fuzz(weight=2, suppress=HEALTH, data=st.data())
def _arithmetic_any_dtype_and_layout(data):
    _robustness(data, [f"arith.{op}" for op in ("add", "sub", "mul", "div", "fma", "sqrt")])


@fuzz(weight=1, suppress=HEALTH, data=st.data())
def _neg_abs_min_max_any_dtype_and_layout(data):
    _robustness(data, [f"arith.{op}" for op in ("neg", "abs", "min", "max")])


@fuzz(weight=1, suppress=HEALTH, data=st.data())
def _ops_any_dtype_and_layout(data):
    _robustness(data, [f"ops.{op}" for op in ARITY])


def _robustness(data, entries):
    """Every entry point with any dtype and memory layout: a result of the documented dtype,
    shape and order or an error naming an invalid argument; inputs unchanged; the bits of
    the C-contiguous native copies."""
    entry = data.draw(st.sampled_from(entries), label="entry")
    fmt = data.draw(formats, label="fmt")
    fmt2 = data.draw(formats, label="dst_fmt") if entry == "convert" else None
    s = fo.spec(fmt)
    out_spec = fo.spec(fmt2) if fmt2 is not None else s
    nd = data.draw(st.integers(0, 3), label="ndim")
    shape = tuple(data.draw(st.lists(st.sampled_from([0, 1, 2, 3, 4]), min_size=nd,
                                     max_size=nd), label="shape"))
    roles = entry_args(entry)
    objs, refs, holders = [], [], []
    for name, role in roles:
        sh = shape
        if len(roles) > 1 and nd:
            sh = tuple(1 if data.draw(st.integers(0, 3), label=f"{name} dim 1") == 0 else d
                       for d in shape)
            sh = sh[data.draw(st.integers(0, nd), label=f"{name} dims dropped") // 2:]
            if data.draw(st.integers(0, 9), label=f"{name} mismatch") == 0:
                big = [i for i, d in enumerate(sh) if d >= 2]
                if big:
                    sh = tuple(d + 1 if i == big[0] else d for i, d in enumerate(sh))
        obj, ref, hold = data.draw(robust_arg(name, role, sh, s.bits), label=name)
        objs.append(obj)
        refs.append(ref)
        holders += hold
    alias = data.draw(st.sampled_from(["none", "none", "same", "reversed"]), label="alias")
    if len(objs) > 1 and isinstance(objs[0], np.ndarray):
        if alias == "same":
            objs[1], refs[1] = objs[0], refs[0]
        elif alias == "reversed" and objs[0].ndim:
            objs[1], refs[1] = objs[0][::-1], np.ascontiguousarray(refs[0][::-1])
    try:
        out_shape = np.broadcast_shapes(*(np.shape(o) for o in objs))
        mismatch = False
    except ValueError:
        out_shape, mismatch = shape, True

    kw: Dict[str, Any] = {}
    rb_obj = None
    over_limit = False
    if entry == "decode":
        kw["dtype"] = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")
    else:
        mode = data.draw(st.sampled_from(MODES + ("rne", "sr")), label="rounding")
        kw.update(rounding=mode, saturate=data.draw(st.booleans(), label="saturate"),
                  flush_subnormals=data.draw(st.booleans(), label="flush"),
                  seed=data.draw(st.integers(0, 2**64 - 1), label="seed"))
        if mode in ("stochastic", "sr"):
            R = data.draw(sr_bits_strategy(out_spec.man_bits), label="sr_bits")
            kw["sr_bits"] = R
            limited = (entry.split(".")[-1] in ("add", "sub", "mul", "div", "fma", "sqrt")
                       and entry != "convert")  # arithmetic keeps 60 exact bits
            over_limit = limited and out_spec.man_bits + R > 60
            how = data.draw(st.sampled_from(["seed", "rbits", "rbits", "alias"]), label="rbits")
            x0 = objs[0]
            if (how == "alias" and isinstance(x0, np.ndarray) and x0.dtype.itemsize == 4
                    and x0.dtype.kind in "uif" and x0.shape == tuple(out_shape)):
                kw["sr_bits"] = R = 32  # every uint32 is valid random bits
                over_limit = limited and out_spec.man_bits + 32 > 60  # R changed: recheck
                rb_obj = x0.view(np.uint32)
                kw["rbits"], rb_ref = rb_obj, np.array(rb_obj)
            elif how != "seed":
                rb = data.draw(st.lists(st.integers(0, (1 << R) - 1),
                                        min_size=int(np.prod(out_shape, dtype=np.int64)),
                                        max_size=int(np.prod(out_shape, dtype=np.int64))),
                               label="rbits values")
                L = np.array(rb, dtype=data.draw(st.sampled_from(
                    [np.uint32, np.int64, np.uint64] + ([np.uint16] if R <= 16 else [])),
                    label="rbits dtype")).reshape(out_shape)
                rb_obj, hold = place(L, data.draw(layouts, label="rbits layout"))
                holders.append(hold)
                kw["rbits"], rb_ref = rb_obj, L
        if entry.startswith("arith."):
            kw["codes"] = data.draw(st.booleans(), label="codes")
            if not kw["codes"] and data.draw(st.booleans(), label="dtype given"):
                kw["dtype"] = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")

    # What must, may and must not happen.
    verdicts = {name: validity(o, role, s.bits) for (name, role), o in zip(roles, objs)}
    if rb_obj is not None:
        verdicts["rbits"] = validity(rb_obj, "codes", kw["sr_bits"], out_shape)
    bad = {n for n, v in verdicts.items() if v == "bad"}
    may = {n for n, v in verdicts.items() if v == "either"}
    if mismatch:
        bad |= {n for n, _ in roles}
    if over_limit:
        bad.add("sr_bits")
    if entry.split(".")[-1] in ("neg", "abs", "min", "max") and out_spec.man_bits + kw.get(
            "sr_bits", 0) > 60:
        may.add("sr_bits")  # exact operations: the limit may or may not be applied
    if entry == "astype" and spec_dtype(s) is None:
        bad.add("fmt")

    before = snapshot(holders)
    call = lambda args, rkw: call_entry(entry, args, fmt, fmt2, rkw)  # noqa: E731
    what = (f"{entry} fmt={describe_fmt(fmt)} dst={fmt2} args="
            + ", ".join(f"{n}: {type(o).__name__} {getattr(o, 'dtype', '')} "
                        f"{np.shape(o)} strides={getattr(o, 'strides', None)} "
                        f"aligned={getattr(getattr(o, 'flags', None), 'aligned', None)}"
                        for (n, _), o in zip(roles, objs)) + f" kw={kw} verdicts={verdicts}")
    kind, res = outcome(lambda: call(objs, kw))
    assert snapshot(holders) == before, "an input was modified: " + what
    if kind == "raised":
        assert bad or may, f"raised {res!r} on valid input: {what}"
        assert names_match(res, bad | may), f"{res!r} does not name {sorted(bad | may)}: {what}"
    else:
        assert not bad, f"no error although {sorted(bad)} are invalid: {what}"
        # the documented dtype, shape, order, and no memory shared with an input
        if entry == "encode" or entry.startswith("ops.") or kw.get("codes"):
            want_dt = code_dtype(out_spec)
        elif entry == "convert":
            want_dt = code_dtype(out_spec)
        elif entry == "quantize":
            want_dt = quantize_dtype(np.asarray(objs[0]).dtype, s)
        elif entry == "astype":
            want_dt = spec_dtype(s)
        else:
            want_dt = np.dtype(kw.get("dtype", np.float64))
        r = np.asarray(res)
        assert r.dtype == want_dt and r.shape == tuple(out_shape), (r.dtype, r.shape, what)
        if all(not isinstance(o, (np.ndarray, list)) for o in objs):
            assert isinstance(res, np.generic), f"scalars in, {type(res)} out: {what}"
        elif any(isinstance(o, list) or np.ndim(o) for o in objs):
            assert isinstance(res, np.ndarray) and res.flags.c_contiguous, what
        for o in objs + ([rb_obj] if rb_obj is not None else []):
            if isinstance(o, np.ndarray) and isinstance(res, np.ndarray):
                assert not np.shares_memory(res, o), "result shares memory with an input: " + what
    # The same call on C-contiguous native copies gives the same bits (or the same error).
    rkw = dict(kw)
    if rb_obj is not None:
        rkw["rbits"] = rb_ref
    kind2, res2 = outcome(lambda: call(refs, rkw))
    assert kind == kind2, f"layout changed the outcome: {res!r} vs {res2!r}: {what}"
    if kind == "ok":
        assert same_bits(res, res2), f"layout changed the bits: {what}"
    else:
        assert type(res) is type(res2), (res, res2, what)


@fuzz(weight=0.5, suppress=HEALTH, data=st.data())
def _thread_count_and_layout_never_change_bits(data):
    """Arrays of several 4096-element tiles (so two threads split them), any layout: one
    thread, two threads and the contiguous copy give the same bits (seeded SR included)."""
    entry = data.draw(st.sampled_from([e for e in ENTRIES if e != "astype"]), label="entry")
    fmt = data.draw(formats, label="fmt")
    fmt2 = data.draw(formats, label="dst_fmt") if entry == "convert" else None
    s = fo.spec(fmt)
    out_spec = fo.spec(fmt2) if fmt2 is not None else s
    n = data.draw(st.integers(3 * 4096 + 1, 10 * 4096), label="n")
    shape = (n,) if data.draw(st.booleans(), label="1-d") else (n // 97 + 1, 97)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32), label="rng seed"))
    roles = entry_args(entry)
    objs, refs = [], []
    for name, role in roles:
        if role == "codes":
            L = rng.integers(0, 1 << s.bits, size=shape, dtype=np.uint64).astype(code_dtype(s))
        else:
            dt = data.draw(st.sampled_from(FLOAT_DTYPES), label=f"{name} dtype")
            L = rng.integers(0, 1 << DTYPE_SPECS[dt].bits, size=shape, dtype=np.uint64)
            L = L.astype(UINT[dt.itemsize]).view(dt)
            if dt == np.float64 and data.draw(st.booleans(), label=f"{name} normal"):
                L = rng.standard_normal(shape) * float(min(s.max, 2**60))
        V, _ = place(L, data.draw(layouts.map(lambda d: dict(d, form="array")),
                                  label=f"{name} layout"))
        objs.append(V)
        refs.append(L)
    kw: Dict[str, Any] = {}
    if entry == "decode":
        kw["dtype"] = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")
    else:
        mode = data.draw(st.sampled_from(MODES), label="rounding")
        kw.update(rounding=mode, saturate=data.draw(st.booleans(), label="saturate"),
                  flush_subnormals=data.draw(st.booleans(), label="flush"),
                  seed=data.draw(st.integers(0, 2**64 - 1), label="seed"))
        if mode == "stochastic":
            kw["sr_bits"] = data.draw(st.integers(1, max(1, min(32, 60 - out_spec.man_bits))),
                                      label="sr_bits")
        if entry.startswith("arith."):
            kw["codes"] = True
    prev = ro.get_num_threads()
    try:
        results = []
        for threads, args in ((1, objs), (2, objs), (2, refs)):
            ro.set_num_threads(threads)
            results.append(outcome(lambda: call_entry(entry, args, fmt, fmt2, kw)))
    finally:
        ro.set_num_threads(prev)
    what = f"{entry} fmt={describe_fmt(fmt)} dst={fmt2} shape={shape} kw={kw}"
    (k1, r1), (k2, r2), (k3, r3) = results
    assert k1 == k2 == k3 == "ok", (results, what)
    assert same_bits(r1, r2), "1 and 2 threads differ: " + what
    assert same_bits(r2, r3), "layout changed the bits: " + what


# --------------------------------------------------------------------------------------------
# What the fuzzers found, pinned (minimal reproducers; each states the README's behaviour)
# --------------------------------------------------------------------------------------------

def test_found_daz_of_exact_ops_is_relative_to_fmt():
    """flush_subnormals: "operands below fmt's smallest normal are zero" for every
    arithmetic function. 0.0156249 is below E4M3's smallest normal 2^-6, so |x| is +0
    (add does this); and 2^-1023 is a normal of f (emin = -1023), so -x is -2^-1023 even
    though float64 calls it subnormal (sub does this)."""
    x = 0.0156249
    assert int(ro.add(x, 0.0, "e4m3", "up", flush_subnormals=True, codes=True)) == 0x00
    assert int(ro.abs(x, "e4m3", "up", flush_subnormals=True, codes=True)) == 0x00
    assert int(ro.neg(x, "e4m3", flush_subnormals=True, codes=True)) == 0x80
    assert int(ro.max(x, -1.0, "e4m3", "up", flush_subnormals=True, codes=True)) == 0x00
    f = ro.Format(11, 12, bias=1024, subnormals=False)
    assert int(ro.sub(0.0, 2.0**-1023, f, flush_subnormals=True, codes=True)) == 0x801000
    assert int(ro.neg(2.0**-1023, f, flush_subnormals=True, codes=True)) == 0x801000
    assert int(ro.ops.neg(0x1000, f, flush_subnormals=True)) == 0x801000


def test_found_ops_scalar_in_scalar_out():
    """A scalar in gives a NumPy scalar out, as ro.ops.add/sqrt and ro.neg do."""
    assert isinstance(ro.ops.add(0x38, 0x40, "e4m3"), np.generic)
    for out in (ro.ops.neg(0x38, "e4m3"), ro.ops.abs(0x38, "e4m3"),
                ro.ops.min(0x38, 0x40, "e4m3"), ro.ops.max(0x38, 0x40, "e4m3")):
        assert isinstance(out, np.generic), type(out)


def test_found_error_names_the_argument():
    """An FP6 array with a stray high bit: encode and add take it; neg/abs/min/max reject it
    naming 'codes', which is not an argument of theirs."""
    x = np.array([0x40], np.uint8).view(ML.float6_e2m3fn)
    for call, name in ((lambda: ro.abs(x, "e4m3"), "a"), (lambda: ro.neg(x, "e4m3"), "a"),
                       (lambda: ro.min(1.0, x, "e4m3"), "b")):
        kind, res = outcome(call)
        assert kind == "ok" or names_match(res, [name]), res


def test_found_quantize_dtype_must_hold_zero():
    """quantize returns x's dtype only if it holds every value of fmt: E8M0 has no zero, so
    a result 0 must come back as float32 0.0, not as E8M0's NaN."""
    f = ro.Format(8, 0, nonfinite="nan_all_ones", subnormals=False)  # E8M0's range, with zero
    x = np.array([2.0**-127], ML.float8_e8m0fnu)
    assert ro.encode(x, f, "toward_zero").tolist() == [0]
    q = ro.quantize(x, f, "toward_zero")
    assert q.dtype == np.float32 and q.tolist() == [0.0], repr(q)
