"""Every ml_dtypes float type, discovered from ml_dtypes itself, against ml_dtypes bit for bit.

What is compared, for each type:
* its facts against ``ml_dtypes.finfo``;
* decode: every code, to float64 and float32 (NaN positions equal, every other value bit-equal);
* encode from float32 (round to nearest even, ``saturate=False``): dense random float32 bit
  patterns, every midpoint between adjacent values with its float32 neighbours, and values
  beyond the largest (overflow), both signs. ml_dtypes overflows like roundoff without
  ``saturate``: to Inf, to NaN in formats without Inf, to +-max in finite-only formats.
  Excluded, as the README documents: NaN inputs (ml_dtypes keeps the NaN's sign; roundoff gives
  the canonical NaN, or +0 in finite-only formats: checked on their own here) and float8_e8m0fnu
  from float32 subnormals in (2^-127, 2^-126) (ml_dtypes always rounds those up);
* ties to even at every midpoint, against the code parity (not only against ml_dtypes);
* arrays of the type as ``encode`` inputs, and the type as an ``astype`` target.
"""

from __future__ import annotations

import re

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro
from roundoff import _formats

from oracle import assert_codes_equal


def discovered_float_types() -> dict:
    """The real floating-point types ml_dtypes exports: finfo describes them, and describes them
    themselves (a complex type's finfo describes its real part; integer types have none)."""
    found = {}
    for name in dir(ml_dtypes):
        t = getattr(ml_dtypes, name)
        if name.startswith("_") or not isinstance(t, type) or not issubclass(t, np.generic):
            continue
        try:
            info = ml_dtypes.finfo(t)
        except (TypeError, ValueError):
            continue
        if np.dtype(info.dtype) == np.dtype(t):
            found[name] = np.dtype(t)
    return found


TYPES = discovered_float_types()
NAMES = sorted(TYPES)
UINT = {1: np.uint8, 2: np.uint16}

# With ml_dtypes 0.6 (the version the README compares with) these are all there.
EXPECTED_AT_LEAST = {
    "bfloat16", "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4", "float8_e4m3",
    "float8_e4m3b11fnuz", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
    "float8_e8m0fnu",
}


def codes_of(name: str) -> np.ndarray:
    """Every code of the type, in the unsigned integer type of its width in bytes."""
    dt = TYPES[name]
    bits = int(ml_dtypes.finfo(dt).bits)
    return np.arange(1 << bits, dtype=np.uint64).astype(UINT[dt.itemsize])


def ml_values(name: str) -> np.ndarray:
    """Every code's value, decoded by ml_dtypes, as float64."""
    with np.errstate(all="ignore"):
        return codes_of(name).view(TYPES[name]).astype(np.float64)


def assert_values_equal(got, want, what):
    """NaN positions equal; every other float bit-equal (so -0 differs from +0)."""
    got, want = np.asarray(got), np.asarray(want)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), f"{what}: NaN positions differ"
    uint = UINT.get(got.itemsize) or {4: np.uint32, 8: np.uint64}[got.itemsize]
    assert_codes_equal(np.flatnonzero(~nan), got[~nan].view(uint), want[~nan].view(uint), what)


def ml_encode(x: np.ndarray, name: str) -> np.ndarray:
    dt = TYPES[name]
    with np.errstate(all="ignore"):
        return x.astype(dt).view(UINT[dt.itemsize])


def e8m0_deviation(x: np.ndarray) -> np.ndarray:
    a = np.abs(x.astype(np.float64))
    return (a > 2.0**-127) & (a < 2.0**-126)


def compare_encode(x: np.ndarray, name: str) -> None:
    """roundoff's RNE encode of float32 x against ml_dtypes', NaN inputs and the documented
    E8M0 range excluded (see the module docstring)."""
    x = x[~np.isnan(x)]
    if name == "float8_e8m0fnu":
        x = x[~e8m0_deviation(x)]
    assert_codes_equal(x, ro.encode(x, name), ml_encode(x, name), f"encode {name}")


def dense_float32() -> np.ndarray:
    """Random float32 bit patterns, half of them in the exponents of the low-precision formats
    (2^-64..2^63), and every float32 with 16 trailing zero bits, both signs."""
    rng = np.random.default_rng(2024)
    anywhere = rng.integers(0, 2**32, 100_000, dtype=np.uint64).astype(np.uint32)
    low = rng.integers(0, 2**32, 100_000, dtype=np.uint64).astype(np.uint32)
    low = (low & np.uint32(0x807FFFFF)) | ((low >> np.uint32(24)) % np.uint32(128)
                                            + np.uint32(63)) << np.uint32(23)
    coarse = np.arange(1 << 16, dtype=np.uint32) << np.uint32(16)
    return np.concatenate([anywhere, low, coarse]).view(np.float32)


def finite_order(name: str):
    """The type's distinct finite values in increasing order, and each one's code (ml_dtypes)."""
    v = ml_values(name)
    ok = np.isfinite(v) & ~((v == 0) & np.signbit(v))  # one zero: +0
    codes = codes_of(name)[ok]
    order = np.argsort(v[ok], kind="stable")
    return v[ok][order], codes[order]


# --- which types are there ------------------------------------------------------------------------

def test_discovery_agrees_and_the_expected_types_are_formats():
    assert set(_formats.ml_dtypes_float_types()) == set(TYPES)
    assert EXPECTED_AT_LEAST <= set(TYPES), "ml_dtypes lacks a type this suite expects"
    # Every float8/float6/float4/bfloat16/e8m0 type ml_dtypes has is a named format: none skipped.
    family = {n for n in TYPES if re.match(r"(float[468]_|bfloat16$)", n)}
    assert family >= EXPECTED_AT_LEAST
    assert not family & set(_formats.ML_DTYPES_SKIPPED), _formats.ML_DTYPES_SKIPPED
    for name in TYPES:  # anything else is a format or skipped with a reason
        assert name in ro.FORMATS or _formats.ML_DTYPES_SKIPPED.get(name)


def test_derive_format_refuses_what_it_cannot_check():
    with pytest.raises(ValueError, match="^float32: 32-bit codes"):
        _formats.derive_format("float32", np.float32)


def test_a_type_that_cannot_be_derived_is_skipped_with_its_reason(monkeypatch):
    real = _formats.derive_format

    def refuse_bfloat16(name, dtype):
        if name == "bfloat16":
            raise ValueError("bfloat16: refused by this test")
        return real(name, dtype)

    monkeypatch.setattr(_formats, "derive_format", refuse_bfloat16)
    monkeypatch.setattr(_formats, "ML_DTYPES_SKIPPED", {})
    table = _formats._dtype_formats()
    assert np.dtype(ml_dtypes.bfloat16) not in table
    assert _formats.ML_DTYPES_SKIPPED == {"bfloat16": "bfloat16: refused by this test"}
    assert table[TYPES["float8_e5m2"]] is ro.float8_e5m2


# --- per type ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_named_format_and_dtype_lookup(name):
    dt, fmt = TYPES[name], ro.FORMATS[name]
    assert fmt.name == name
    assert ro.format(name) is fmt and ro.format(name.upper()) is fmt
    assert ro.format(dt) is fmt and ro.format(dt.type) is fmt
    assert _formats.DTYPE_FORMATS[dt] is fmt and dt in _formats.DTYPE_FORMATS
    assert ro.ml_dtype(fmt) == dt and ro.ml_dtype(name) == dt


@pytest.mark.parametrize("name", NAMES)
def test_facts_agree_with_finfo(name):
    fmt, info = ro.FORMATS[name], ml_dtypes.finfo(TYPES[name])
    assert (fmt.bits, fmt.exp_bits, fmt.man_bits) == (info.bits, info.nexp, info.nmant)
    assert fmt.max == float(info.max)
    assert fmt.min_normal == float(info.smallest_normal)
    assert fmt.min_subnormal == float(info.smallest_subnormal)
    assert fmt.eps == float(info.eps)


@pytest.mark.parametrize("name", NAMES)
def test_decode_every_code(name):
    codes, want = codes_of(name), ml_values(name)
    assert_values_equal(ro.decode(codes, name, np.float64), want, f"decode {name} to float64")
    with np.errstate(all="ignore"):
        want32 = codes.view(TYPES[name]).astype(np.float32)
    assert_values_equal(ro.decode(codes, name, np.float32), want32, f"decode {name} to float32")


@pytest.mark.parametrize("name", NAMES)
def test_encode_dense_float32(name):
    compare_encode(dense_float32(), name)


@pytest.mark.parametrize("name", NAMES)
def test_encode_every_midpoint_and_overflow(name):
    vals, _ = finite_order(name)
    mids = (vals[:-1] + vals[1:]) / 2
    m32 = mids.astype(np.float32)
    assert np.array_equal(m32.astype(np.float64), mids), "a midpoint is not a float32"
    top = vals[-1]
    with np.errstate(over="ignore"):
        beyond = np.array([top * (1 + 2.0**-k) for k in range(1, 12)] + [2 * top, 4 * top,
                          np.finfo(np.float32).max, np.inf], dtype=np.float32)
    inf32 = np.float32(np.inf)
    x = np.concatenate([m32, np.nextafter(m32, inf32), np.nextafter(m32, -inf32), beyond,
                        -beyond, vals.astype(np.float32)])
    compare_encode(x, name)


@pytest.mark.parametrize("name", NAMES)
def test_ties_go_to_the_even_code(name):
    """Between adjacent values of codes c and c' (same sign), the midpoint gives the code whose
    significand is even: the code's last bit for p >= 2. (p = 1, E8M0: ties go up, as in
    ml_dtypes; the midpoint test above covers it.)"""
    fmt = ro.FORMATS[name]
    if fmt.man_bits == 0:
        pytest.skip("p = 1: ties go to the larger magnitude")
    vals, codes = finite_order(name)
    pos = vals >= 0  # +0 with the positives; -min_subnormal..-max with increasing magnitude
    for v, c in ((vals[pos], codes[pos]), (vals[~pos][::-1], codes[~pos][::-1])):
        lo, hi = c[:-1].astype(np.uint64), c[1:].astype(np.uint64)
        mids = (v[:-1] + v[1:]) / 2
        even = np.where(lo % 2 == 0, lo, hi)
        got = ro.encode(mids, name).astype(np.uint64)
        assert_codes_equal(mids, got, even, f"ties {name}")


@pytest.mark.parametrize("name", NAMES)
def test_nan_inputs_give_the_canonical_nan(name):
    fmt = ro.FORMATS[name]
    got = ro.encode(np.float32([np.nan, -np.nan]), name)
    want = fmt.nan_code if fmt.has_nan else 0  # finite-only formats: +0 (README)
    assert got.tolist() == [want, want]
    # ml_dtypes agrees up to the NaN's sign: its result decodes to NaN (or to zero).
    back = ml_encode(np.float32([np.nan, -np.nan]), name).view(TYPES[name]).astype(np.float64)
    assert np.isnan(back).all() if fmt.has_nan else (back == 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_arrays_of_the_type_are_encode_inputs(name):
    """x of the type is taken exactly: to float64 it is ml_dtypes' value, to itself every code
    comes back (NaN codes as the canonical NaN)."""
    fmt, codes = ro.FORMATS[name], codes_of(name)
    x = codes.view(TYPES[name])
    as64 = ro.encode(x, "float64").view(np.float64)
    assert_values_equal(as64, ml_values(name), f"{name} as float64")
    back = ro.encode(x, fmt).astype(np.uint64)
    want = codes.astype(np.uint64)
    if fmt.has_nan:
        want[np.isnan(ml_values(name))] = fmt.nan_code
    assert_codes_equal(codes, back, want, f"{name} to itself")
    q = ro.quantize(x[:7], fmt)
    assert q.dtype == TYPES[name] and np.array_equal(q.view(codes.dtype), codes[:7])


@pytest.mark.parametrize("name", NAMES)
def test_the_type_is_an_astype_target(name):
    x = dense_float32()[::50]
    x = x[~np.isnan(x)]
    if name == "float8_e8m0fnu":
        x = x[~e8m0_deviation(x)]
    for target in (name, TYPES[name], TYPES[name].type):
        a = ro.astype(x, target)
        assert a.dtype == TYPES[name]
        assert_codes_equal(x, a.view(UINT[a.itemsize]), ml_encode(x, name), f"astype {name}")
    s = ro.astype(1.0, name)
    assert np.ndim(s) == 0 and np.asarray(s).dtype == TYPES[name]
