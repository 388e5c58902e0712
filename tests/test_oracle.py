"""encode() from float64 sources against the exact oracles of tests/oracle.py.

* the table oracle (every value of the format, neighbours by searchsorted) for every predefined
  format of at most 19 bits and two custom formats, in every deterministic mode, saturate on/off;
* MPFR (gmpy2) for float32, tfloat32, bfloat16 and float16 targets;
* the two oracles against each other, and the oracle's decoding against roundoff.decode.

Float64 inputs are used on purpose: ml_dtypes narrows them through float32 (a double rounding),
so it cannot be the reference here.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import roundoff as ro

import oracle

MODES = oracle.DETERMINISTIC_MODES

CUSTOM_IEEE = ro.Format(3, 4, nonfinite="ieee", name="custom_e3m4_ieee")
CUSTOM_FINITE_NOSUB = ro.Format(4, 3, bias=5, nonfinite="finite", subnormals=False,
                                name="custom_e4m3_b5_finite_nosub")
TABLE_FORMATS = [f for f in ro.FORMATS.values() if f.bits <= 19] + [CUSTOM_IEEE,
                                                                    CUSTOM_FINITE_NOSUB]
TABLE_IDS = [str(f) for f in TABLE_FORMATS]

F64_TINY = np.finfo(np.float64).tiny


def _assert_codes_equal(x, got, want, what=""):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    bad = np.flatnonzero(got.ravel() != want.ravel())
    if bad.size:
        xs = np.asarray(x, dtype=np.float64).ravel()
        rows = [f"x={xs[i]!r} ({xs[i].hex()}): got {int(got.ravel()[i]):#x}, "
                f"want {int(want.ravel()[i]):#x}" for i in bad[:8]]
        pytest.fail(f"{what}: {bad.size} of {xs.size} codes differ:\n  " + "\n  ".join(rows))


@functools.lru_cache(maxsize=None)
def float64_inputs(fmt: ro.Format) -> np.ndarray:
    """Hard float64 inputs for fmt: ties, near-ties float32 cannot hold, range edges, random."""
    T = oracle.table(fmt)
    rng = np.random.default_rng(20240611 + fmt.bits)
    mids = T.midpoints()
    if mids.size > 40000:  # tfloat32: a strided sample plus both ends of the range
        mids = np.concatenate([mids[:2000], mids[2000:-2000:37], mids[-2000:]])
    mags = np.append(T.mags, T.virtual_hi)
    if mags.size > 40000:
        mags = np.concatenate([mags[:2000], mags[2000:-2000:37], mags[-2000:]])
    pos = [
        mids,
        np.nextafter(mids, 0.0), np.nextafter(mids, np.inf),  # +-1 ulp of float64
        mids * (1 + 2.0**-40), mids * (1 - 2.0**-40),          # near-ties float32 cannot hold
        mags, np.nextafter(mags, 0.0), np.nextafter(mags, np.inf),
    ]
    # Random values over the whole range, from far below the smallest value to far above max.
    lo_exp = np.log2(T.min_positive) - 4
    hi_exp = np.log2(T.virtual_hi) + 4
    pos.append(2.0 ** rng.uniform(lo_exp, hi_exp, 30000))
    # Random points inside random intervals (uniform D).
    k = rng.integers(0, T.mags.size, 20000)
    pos.append(mags_all(T)[k] + (mags_all(T)[k + 1] - mags_all(T)[k]) * rng.random(20000))
    # Random float64 bit patterns (huge, tiny, subnormal float64).
    bitpat = rng.integers(0, 2**63, 5000, dtype=np.uint64).view(np.float64)
    pos.append(np.abs(bitpat[np.isfinite(bitpat)]))
    pos.append(np.array([5e-324, F64_TINY, np.nextafter(F64_TINY, 0.0), 1e-300, 1e300,
                         np.finfo(np.float64).max]))
    p = np.concatenate(pos)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    return np.concatenate([p, -p, specials])


def mags_all(T):
    return np.append(T.mags, T.virtual_hi)


@pytest.mark.parametrize("saturate", [False, True], ids=["nosat", "sat"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", TABLE_FORMATS, ids=TABLE_IDS)
def test_float64_vs_table_oracle(fmt, mode, saturate):
    x = float64_inputs(fmt)
    got = ro.encode(x, fmt, mode, saturate=saturate)
    want = oracle.round_table(x, fmt, mode, saturate=saturate)
    _assert_codes_equal(x, got, want, f"{fmt} {mode} saturate={saturate}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", TABLE_FORMATS, ids=TABLE_IDS)
def test_float64_flush_subnormals_vs_table_oracle(fmt, mode):
    """FTZ/DAZ: float64 subnormal inputs are zeros; subnormal results become signed zeros."""
    x = float64_inputs(fmt)
    got = ro.encode(x, fmt, mode, flush_subnormals=True)
    want = oracle.round_table(x, fmt, mode, flush_subnormals=True)
    _assert_codes_equal(x, got, want, f"{fmt} {mode} flush")


def test_flush_subnormals_examples():
    e4m3 = ro.float8_e4m3fn
    # 2^-8 is an E4M3 subnormal (min normal 2^-6): flushed to signed zero.
    assert int(ro.encode(2.0**-8, e4m3, flush_subnormals=True)) == 0x00
    assert int(ro.encode(-(2.0**-8), e4m3, flush_subnormals=True)) == 0x80
    assert int(ro.encode(2.0**-8, e4m3)) == 0x02
    # A value just below min normal that rounds up to min normal is not flushed.
    assert int(ro.encode(2.0**-6 * (1 - 2.0**-10), e4m3, flush_subnormals=True)) == 0x08
    # A float64 subnormal input is a zero (DAZ) even when rounding up would make it nonzero.
    assert int(ro.encode(5e-324, e4m3, "up", flush_subnormals=True)) == 0x00
    assert int(ro.encode(5e-324, e4m3, "up")) == 0x01
    # FNUZ has no -0: a flushed negative is +0.
    assert int(ro.encode(-(2.0**-9), ro.float8_e4m3fnuz, flush_subnormals=True)) == 0x00


def test_known_double_rounding_examples():
    e4m3 = ro.float8_e4m3fn
    # float32(-431.99999999999994) is -432, a tie between 416 and 448 that RNE sends to 448;
    # the float64 value itself is below the midpoint: -416.
    x = -431.99999999999994
    assert np.float32(x) == -432.0
    assert int(ro.encode(x, e4m3)) == 0xFD
    assert float(ro.decode(ro.encode(x, e4m3), e4m3)) == -416.0
    assert float(ro.quantize(x, e4m3)) == -416.0
    assert int(ro.encode(np.float32(x), e4m3)) == 0xFE  # -448: the float32 tie
    # 1.0625 + 2^-40 is above the 1.0625 tie between 1.0 and 1.125; float32 would lose 2^-40.
    y = 1.0625 + 2.0**-40
    assert np.float32(y) == 1.0625
    assert float(ro.quantize(y, e4m3, "nearest_even")) == 1.125
    assert int(ro.encode(y, e4m3, "nearest_even")) == 0x39
    assert int(ro.encode(np.float32(y), e4m3, "nearest_even")) == 0x38  # tie to even 1.0
    # Same for a 2-D float64 array and for Python lists (taken as float64).
    assert ro.encode([[x, y]], e4m3).tolist() == [[0xFD, 0x39]]


def test_documented_overflow_examples():
    e4m3 = ro.float8_e4m3fn
    assert int(ro.encode(448.0, e4m3)) == 0x7E
    assert int(ro.encode(464.0, e4m3)) == 0x7E  # tie to even 448
    assert int(ro.encode(465.0, e4m3)) == 0x7F  # NaN
    assert int(ro.encode(-500.0, e4m3)) == 0xFF  # NaN with the sign kept
    assert int(ro.encode(-500.0, e4m3, saturate=True)) == 0xFE
    assert int(ro.encode(500.0, e4m3, "toward_zero")) == 0x7E
    assert int(ro.encode(500.0, e4m3, "odd")) == 0x7E
    assert int(ro.encode(500.0, e4m3, "down")) == 0x7E
    assert int(ro.encode(500.0, e4m3, "up")) == 0x7F
    assert int(ro.encode(-500.0, e4m3, "up")) == 0xFE
    assert int(ro.encode(-500.0, e4m3, "down")) == 0xFF
    e5m2 = ro.float8_e5m2
    assert int(ro.encode(61440.0, e5m2)) == 0x7C  # tie between 57344 (odd) and 65536: Inf
    assert int(ro.encode(61440.0, e5m2, "toward_zero")) == 0x7B
    assert int(ro.encode(-1e300, e5m2)) == 0xFC
    assert int(ro.encode(-np.inf, e5m2, saturate=True)) == 0xFB
    for f in (ro.float6_e2m3fn, ro.float6_e3m2fn, ro.float4_e2m1fn):
        sign = 1 << (f.bits - 1)
        assert int(ro.encode(1e300, f, "up")) == f.max_code
        assert int(ro.encode(-np.inf, f)) == sign | f.max_code
        assert int(ro.encode(np.nan, f)) == 0
    # E8M0: no zero, unsigned.
    e8m0 = ro.float8_e8m0fnu
    assert int(ro.encode(0.0, e8m0)) == 0xFF
    assert int(ro.encode(-1.0, e8m0)) == 0xFF
    assert int(ro.encode(2.0**-140, e8m0, "toward_zero")) == 0x00
    assert int(ro.encode(1.5 * 2.0**-127, e8m0)) == 0x01  # tie: larger magnitude
    assert int(ro.encode(1.4 * 2.0**-127, e8m0)) == 0x00
    assert int(ro.encode(3.0, e8m0)) == 0x81  # tie between 2 and 4: 4
    assert int(ro.encode(1e300, e8m0)) == 0xFF
    assert int(ro.encode(1e300, e8m0, saturate=True)) == 0xFE


def test_nan_inputs_give_canonical_nan():
    neg_nan = -np.float64(np.nan)
    assert np.signbit(neg_nan)
    expect = {"float8_e4m3fn": 0x7F, "float8_e5m2": 0x7E, "bfloat16": 0x7FC0, "float16": 0x7E00,
              "float8_e4m3fnuz": 0x80, "float8_e5m2fnuz": 0x80, "float8_e8m0fnu": 0xFF,
              "float6_e2m3fn": 0, "float6_e3m2fn": 0, "float4_e2m1fn": 0,
              "float32": 0x7FC00000, "tfloat32": 0x3FE00, "float64": 0x7FF8000000000000}
    for name, code in expect.items():
        for mode in MODES + ("stochastic",):
            for sat in (False, True):
                got = ro.encode(np.array([np.nan, neg_nan]), name, mode, saturate=sat)
                assert got.tolist() == [code, code], (name, mode, sat)


def test_fnuz_tiny_negatives_are_positive_zero():
    for f in (ro.float8_e4m3fnuz, ro.float8_e5m2fnuz):
        tiny = -f.min_subnormal / 4
        for mode in MODES:
            code = int(ro.encode(tiny, f, mode))
            if mode == "down" or mode == "odd":
                assert code == 0x81, (f, mode)  # -min_subnormal
            else:
                assert code == 0x00, (f, mode)  # never 0x80 (NaN)
        assert int(ro.encode(-0.0, f)) == 0x00


@pytest.mark.parametrize("fmt", TABLE_FORMATS, ids=TABLE_IDS)
def test_oracle_decoding_matches_decode(fmt):
    """The oracle's own bit-field decoding equals roundoff.decode to float64 for every code."""
    T = oracle.table(fmt)
    codes = np.arange(1 << fmt.bits, dtype=np.uint64).astype(fmt.code_dtype)
    got = ro.decode(codes, fmt, np.float64)
    want = T.value
    same = (got.view(np.uint64) == want.view(np.uint64)) | (np.isnan(got) & np.isnan(want))
    if fmt.subnormals is False:  # non-canonical zero codes: any signed zero
        same |= (got == 0) & (want == 0)
    assert same.all(), codes[~same][:8]
    # And the format's derived facts.
    assert fmt.max == T.max and fmt.max_code == T.max_code
    assert fmt.nan_code == T.nan_code and fmt.inf_code == T.inf_code
    assert fmt.min_subnormal == T.min_positive and fmt.min_normal == T.min_normal


# --- MPFR --------------------------------------------------------------------------------------

needs_gmpy2 = pytest.mark.skipif(oracle.gmpy2 is None, reason="gmpy2 is not installed")

MPFR_FORMATS = ["float32", "tfloat32", "bfloat16", "float16"]


@functools.lru_cache(maxsize=None)
def mpfr_inputs(name: str) -> np.ndarray:
    """float64 inputs for an IEEE target: ties (exact in float64), +-1 ulp, near-ties, random."""
    fmt = ro.FORMATS[name]
    rng = np.random.default_rng(7 + fmt.bits)
    e, m = oracle.IEEE_FORMATS[name]
    n = 1500
    # Random finite codes of the target, weighted to include subnormals and the top binade.
    top = ((1 << e) - 1) << m
    codes = np.concatenate([rng.integers(0, top, n), rng.integers(0, 1 << m, n // 5),
                            rng.integers(top - (1 << m), top, n // 5), [0, 1, top - 1]])
    # values v = code decoded; w = next value (virtual 2^(emax+1) after max)
    bias = (1 << (e - 1)) - 1
    field, frac = codes >> m, codes & ((1 << m) - 1)
    v = np.where(field == 0, np.ldexp(frac.astype(np.float64), 1 - bias - m),
                 np.ldexp((frac + (1 << m)).astype(np.float64), field - bias - m))
    ulp = np.ldexp(1.0, np.maximum(field, 1) - bias - m)
    w = v + ulp
    mid = (v + w) / 2
    x = np.concatenate([mid, np.nextafter(mid, 0), np.nextafter(mid, np.inf),
                        mid * (1 + 2.0**-40), v, np.nextafter(v, np.inf),
                        v + ulp * rng.random(v.size)])
    lo_exp, hi_exp = 1 - bias - m - 3, bias + 3
    x = np.concatenate([x, 2.0 ** rng.uniform(lo_exp, hi_exp, 2000)])
    x = np.concatenate([x, -x])
    return x[np.isfinite(x)]


@needs_gmpy2
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", MPFR_FORMATS)
def test_float64_vs_mpfr(name, mode):
    x = mpfr_inputs(name)
    want = oracle.round_mpfr(x, name, mode)
    got = ro.encode(x, name, mode)
    _assert_codes_equal(x, got, want, f"{name} {mode} vs MPFR")


@needs_gmpy2
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["float16", "bfloat16", "float8_e5m2", "tfloat32"])
def test_oracles_agree(name, mode):
    """The table oracle and MPFR agree (a check of the oracles, not of roundoff)."""
    fmt = ro.FORMATS[name]
    x = float64_inputs(fmt)
    x = x[np.isfinite(x)][::7]
    _assert_codes_equal(x, oracle.round_mpfr(x, name, mode), oracle.round_table(x, fmt, mode),
                        f"oracles {name} {mode}")


# --- random custom formats (Hypothesis) -----------------------------------------------------

@st.composite
def small_formats(draw):
    e = draw(st.integers(1, 5))
    m = draw(st.integers(0, 5))
    bias = draw(st.one_of(st.none(), st.integers(-4, 20)))
    kw = dict(nonfinite=draw(st.sampled_from(ro.NONFINITE)), subnormals=draw(st.booleans()),
              signed=draw(st.booleans()), has_zero=draw(st.booleans()))
    try:
        f = ro.Format(e, m, bias, **kw)
    except ValueError:
        assume(False)
    assume(f.bits <= 11)
    return f


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(fmt=small_formats(), mode=st.sampled_from(MODES + ("stochastic",)),
       saturate=st.booleans(), flush=st.booleans(), seed=st.integers(0, 2**32 - 1),
       sr_bits=st.integers(1, 32))
def test_custom_formats_vs_table_oracle(fmt, mode, saturate, flush, seed, sr_bits):
    """Odd formats (p = 1, unsigned, no zero, negative bias, FNUZ, ...) in every mode
    (stochastic rounding with random user bits)."""
    T = oracle.table(fmt)
    rng = np.random.default_rng(seed)
    mids = T.midpoints()
    mags = mags_all(T)
    base = np.concatenate([mids, np.nextafter(mids, 0), np.nextafter(mids, np.inf), mags,
                           mags[:-1] + (mags[1:] - mags[:-1]) * rng.random(mags.size - 1),
                           [mags[0] / 3, T.virtual_hi * 3, 1e300, 5e-324]])
    x = np.concatenate([base, -base, [0.0, -0.0, np.inf, -np.inf, np.nan]])
    kw = {}
    if mode == "stochastic":
        kw = dict(sr_bits=sr_bits,
                  rbits=rng.integers(0, 1 << sr_bits, x.size, dtype=np.uint64).astype(np.uint32))
    got = ro.encode(x, fmt, mode, saturate=saturate, flush_subnormals=flush, **kw)
    want = oracle.round_table(x, fmt, mode, saturate=saturate, flush_subnormals=flush, **kw)
    _assert_codes_equal(x, got, want, f"{fmt!r} {mode} sat={saturate} flush={flush} {kw}")
