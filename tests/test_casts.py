"""Casts: round trips of every code, float32 sources bit for bit against ml_dtypes, decode,
convert (one rounding) and astype.

ml_dtypes is a reference only for round-to-nearest-even casts from float32 (and float16) sources;
its known deviations are excluded here and pinned against the exact oracle instead:
* NaN inputs (ml_dtypes keeps the NaN's sign; finite-only formats give -0 or +0 by sign);
* float8_e8m0fnu for float32 subnormals in (2^-127, 2^-126), which ml_dtypes all rounds up.
"""

from __future__ import annotations

import functools

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro

import oracle
from oracle import assert_codes_equal

MODES = oracle.DETERMINISTIC_MODES

ML_NAMES = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "bfloat16",
            "float16", "float6_e2m3fn", "float6_e3m2fn", "float4_e2m1fn", "float8_e8m0fnu",
            "float32"]


def ml_dt(name: str) -> np.dtype:
    return np.dtype(getattr(ml_dtypes, name, None) or getattr(np, name))


def all_codes(fmt: ro.Format) -> np.ndarray:
    """Every code of fmt; for float32/float64 a strided sample plus every special code."""
    if fmt.bits <= 16:
        return np.arange(1 << fmt.bits, dtype=np.uint64).astype(fmt.code_dtype)
    ut = fmt.code_dtype
    e, m = fmt.exp_bits, fmt.man_bits
    all_ones = ((1 << e) - 1) << m
    special = []
    for sign in (0, 1 << (e + m)):
        special += [sign, sign | 1, sign | 2, sign | ((1 << m) - 1), sign | (1 << m),
                    sign | (all_ones - 1), sign | all_ones, sign | (all_ones + 1),
                    sign | (all_ones | (1 << (m - 1))), sign | (all_ones | ((1 << m) - 1))]
    if fmt.bits == 32:
        sample = np.arange(0, 1 << 32, 4099, dtype=np.uint64)
    elif fmt.bits == 64:
        rng = np.random.default_rng(64)
        sample = rng.integers(0, 2**63, 1_000_000, dtype=np.uint64)
        sample = np.concatenate([sample, sample | np.uint64(1 << 63)])
    else:  # tfloat32 (19 bits): every code
        sample = np.arange(1 << fmt.bits, dtype=np.uint64)
    return np.concatenate([np.array(special, dtype=np.uint64), sample]).astype(ut)


def is_nan_code(codes: np.ndarray, fmt: ro.Format) -> np.ndarray:
    c = codes.astype(np.uint64)
    mag = c & np.uint64((1 << (fmt.exp_bits + fmt.man_bits)) - 1)
    field = mag >> np.uint64(fmt.man_bits)
    frac = mag & np.uint64((1 << fmt.man_bits) - 1)
    if fmt.nonfinite == "ieee":
        return (field == np.uint64((1 << fmt.exp_bits) - 1)) & (frac != 0)
    if fmt.nonfinite == "nan_all_ones":
        return mag == np.uint64((1 << (fmt.exp_bits + fmt.man_bits)) - 1)
    if fmt.nonfinite == "nan_neg_zero":
        return c == np.uint64(1 << (fmt.exp_bits + fmt.man_bits))
    return np.zeros(c.shape, dtype=bool)


def is_inf_code(codes: np.ndarray, fmt: ro.Format) -> np.ndarray:
    if fmt.nonfinite != "ieee":
        return np.zeros(codes.shape, dtype=bool)
    mag = codes.astype(np.uint64) & np.uint64((1 << (fmt.exp_bits + fmt.man_bits)) - 1)
    return mag == np.uint64(((1 << fmt.exp_bits) - 1) << fmt.man_bits)


# --- (a) round trips ---------------------------------------------------------------------------

@pytest.mark.parametrize("saturate", [False, True], ids=["nosat", "sat"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", list(ro.FORMATS.values()), ids=list(ro.FORMATS))
def test_every_code_round_trips(fmt, mode, saturate):
    """decode(code) to float64 is exact, so re-encoding gives the code back in every mode;
    NaN codes give the canonical NaN; with saturate, Inf codes give +-max."""
    codes = all_codes(fmt)
    values = ro.decode(codes, fmt, np.float64)
    back = ro.encode(values, fmt, mode, saturate=saturate)
    want = codes.copy()
    nan = is_nan_code(codes, fmt)
    if fmt.has_nan:
        want[nan] = fmt.nan_code
    if saturate:
        inf = is_inf_code(codes, fmt)
        sign = codes[inf].astype(np.uint64) & np.uint64(1 << (fmt.bits - 1))
        want[inf] = (sign | np.uint64(fmt.max_code)).astype(fmt.code_dtype)
    assert back.dtype == fmt.code_dtype
    assert_codes_equal(values, back, want, f"{fmt} {mode}")
    # The NaN codes decode to NaN, and the others to a non-NaN.
    assert np.array_equal(np.isnan(values), nan)


@pytest.mark.parametrize("fmt", [f for f in ro.FORMATS.values() if f.bits <= 16],
                         ids=[n for n, f in ro.FORMATS.items() if f.bits <= 16])
def test_round_trip_flush_subnormals(fmt):
    """With FTZ, the subnormal codes come back as zeros of their sign (FNUZ: +0)."""
    codes = all_codes(fmt)
    values = ro.decode(codes, fmt, np.float64)
    back = ro.encode(values, fmt, flush_subnormals=True)
    want = codes.copy()
    if fmt.has_nan:
        want[is_nan_code(codes, fmt)] = fmt.nan_code
    if fmt.has_zero and fmt.subnormals:
        mag = codes.astype(np.uint64) & np.uint64((1 << (fmt.exp_bits + fmt.man_bits)) - 1)
        sub = (mag != 0) & (mag < np.uint64(1 << fmt.man_bits))
        assert sub.sum() == (2 if fmt.signed else 1) * ((1 << fmt.man_bits) - 1)
        keep_sign = fmt.nonfinite != "nan_neg_zero"
        signbit = np.uint64(1 << (fmt.bits - 1))
        want[sub] = (codes[sub].astype(np.uint64) & signbit if keep_sign else 0)
    assert_codes_equal(values, back, want, f"{fmt} FTZ")


# --- (b) float32 sources against ml_dtypes -----------------------------------------------------

@functools.lru_cache(maxsize=None)
def random_float32() -> np.ndarray:
    """~2M random float32 bit patterns (uniform over all 2^32), NaNs removed, plus edges."""
    rng = np.random.default_rng(32)
    bits = rng.integers(0, 2**32, 2_000_000, dtype=np.uint64).astype(np.uint32)
    # extra density in the small/subnormal and the low-precision-range exponents
    dense = rng.integers(0, 2**31, 200_000, dtype=np.uint64).astype(np.uint32)
    dense = (dense & np.uint32(0x807FFFFF)) | (rng.integers(0, 0x50, dense.size).astype(
        np.uint32) + np.uint32(0x40)) << np.uint32(23)
    x = np.concatenate([bits, dense, np.arange(0, 1 << 16, dtype=np.uint32),
                        np.arange(0, 1 << 16, dtype=np.uint32) | np.uint32(0x80000000)])
    x = x.view(np.float32)
    return x[~np.isnan(x)]


@functools.lru_cache(maxsize=None)
def edge_float32(name: str) -> np.ndarray:
    """Every midpoint of the target and its float32 neighbours, every value +-1 float32 ulp, and
    the max/overflow edges, both signs."""
    T = oracle.table(ro.FORMATS[name]) if ro.FORMATS[name].bits <= 19 else None
    f32max = np.finfo(np.float32).max
    if T is None:  # float32 itself: its edges
        pos = np.array([0.0, 1e-45, 1.1754942e-38, 1.1754944e-38, 1.0, f32max, np.inf],
                       dtype=np.float32)
    else:
        mids = T.midpoints()
        fits = mids <= f32max
        m32 = mids[fits].astype(np.float32)
        assert np.array_equal(m32.astype(np.float64), mids[fits]), "midpoint not exact in f32"
        vals = np.append(T.mags, [T.virtual_hi, T.max]).astype(np.float64)
        v32 = vals[vals <= f32max].astype(np.float32)
        inf32 = np.float32(np.inf)
        with np.errstate(over="ignore"):
            big = np.array([f32max, np.inf, 2 * T.max, 1.5 * T.max, T.max * 1.0001],
                           dtype=np.float32)
        pos = np.concatenate([
            m32, np.nextafter(m32, inf32), np.nextafter(m32, np.float32(0)),
            v32, np.nextafter(v32, inf32), np.nextafter(v32, np.float32(0)),
            big,
        ])
    return np.concatenate([pos, -pos])


def e8m0_deviation(x: np.ndarray) -> np.ndarray:
    a = np.abs(x.astype(np.float64))
    return (a > 2.0**-127) & (a < 2.0**-126)


def compare_with_ml_dtypes(x: np.ndarray, name: str) -> None:
    fmt = ro.FORMATS[name]
    x = x[~np.isnan(x)]
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(ml_dt(name)).view(fmt.code_dtype)
    got = ro.encode(x, fmt)
    if name == "float8_e8m0fnu":
        dev = e8m0_deviation(x)
        # ml_dtypes' known deviation: checked against the exact oracle instead.
        assert_codes_equal(x[dev], got[dev], oracle.round_table(x[dev], fmt), "e8m0 vs oracle")
        x, got, want = x[~dev], got[~dev], want[~dev]
    assert_codes_equal(x, got, want, f"{name} vs ml_dtypes")


@pytest.mark.parametrize("name", ML_NAMES)
def test_float32_random_bits_vs_ml_dtypes(name):
    compare_with_ml_dtypes(random_float32(), name)


@pytest.mark.parametrize("name", ML_NAMES)
def test_float32_midpoints_and_edges_vs_ml_dtypes(name):
    compare_with_ml_dtypes(edge_float32(name), name)


@pytest.mark.parametrize("name", [n for n in ML_NAMES if n != "float32"])
def test_float32_sources_vs_oracle_all_modes(name):
    """The same float32 inputs, every deterministic mode, against the exact table oracle."""
    fmt = ro.FORMATS[name]
    x = np.concatenate([random_float32()[::8], edge_float32(name),
                        np.array([np.nan, np.inf, -np.inf], dtype=np.float32)])
    for mode in MODES:
        for sat in (False, True):
            assert_codes_equal(x, ro.encode(x, fmt, mode, saturate=sat),
                        oracle.round_table(x.astype(np.float64), fmt, mode, saturate=sat),
                        f"{name} {mode} sat={sat}")


def test_e8m0_float32_subnormals_pinned():
    """ml_dtypes rounds every float32 in (2^-127, 2^-126) up to 2^-126; the nearest is 2^-127
    below the midpoint 1.5 * 2^-127, and the midpoint itself ties to the larger magnitude."""
    e8m0 = ro.float8_e8m0fnu
    lo = np.float32(2.0**-127)
    mid = np.float32(1.5 * 2.0**-127)
    x = np.array([np.nextafter(lo, np.float32(1)), np.nextafter(mid, np.float32(0)), mid,
                  np.nextafter(mid, np.float32(1)), np.nextafter(np.float32(2.0**-126),
                                                                np.float32(0))])
    assert ro.encode(x, e8m0).tolist() == [0, 0, 1, 1, 1]
    assert ro.encode(x, e8m0, "toward_zero").tolist() == [0, 0, 0, 0, 0]
    assert ro.encode(x, e8m0, "up").tolist() == [1, 1, 1, 1, 1]
    with np.errstate(all="ignore"):
        assert x.astype(ml_dtypes.float8_e8m0fnu).view(np.uint8).tolist() == [1, 1, 1, 1, 1]


def test_nan_inputs_vs_ml_dtypes_deviation_pinned():
    """Negative NaN: ml_dtypes keeps the sign; roundoff gives the canonical positive NaN."""
    x = np.array([np.nan, -np.float32(np.nan)], dtype=np.float32)
    assert np.signbit(x[1])
    for name in ML_NAMES:
        fmt = ro.FORMATS[name]
        want = fmt.nan_code if fmt.has_nan else 0
        assert ro.encode(x, fmt).tolist() == [want, want], name


@pytest.mark.parametrize("name", [n for n in ML_NAMES if n != "float32"] + ["tfloat32"])
def test_all_float16_inputs_vs_oracle(name):
    """Every float16 code as the source, every mode, saturate and FTZ/DAZ on and off."""
    fmt = ro.FORMATS[name]
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    x64 = x.astype(np.float64)
    daz = np.where(np.abs(x64) < np.finfo(np.float16).tiny, np.copysign(0.0, x64), x64)
    for mode in MODES:
        for sat in (False, True):
            for flush in (False, True):
                got = ro.encode(x, fmt, mode, saturate=sat, flush_subnormals=flush)
                want = oracle.round_table(daz if flush else x64, fmt, mode, saturate=sat,
                                          flush_subnormals=flush)
                assert_codes_equal(x, got, want, f"f16->{name} {mode} sat={sat} flush={flush}")
    # RNE from float16 sources also matches ml_dtypes (through exact float32).
    if name in ML_NAMES:
        compare_with_ml_dtypes(x.astype(np.float32), name)


def test_decode_narrowing_matches_numpy():
    """decode into a narrower NumPy type rounds once to nearest even, like NumPy's casts."""
    rng = np.random.default_rng(33)
    b = rng.integers(0, 2**64, 500_000, dtype=np.uint64)
    x = b.view(np.float64)
    x = x[np.isfinite(x)]
    x = np.concatenate([x, x * 2.0**-970, x * 2.0**-1000])  # the float32 range and subnormals
    with np.errstate(over="ignore"):
        want = x.astype(np.float32)
    got = ro.decode(x.view(np.uint64), "float64", np.float32)
    assert_codes_equal(x, got.view(np.uint32), want.view(np.uint32), "f64->f32")
    y = random_float32()
    with np.errstate(over="ignore"):
        want16 = y.astype(np.float16)
    assert_codes_equal(y, ro.decode(y.view(np.uint32), "float32", np.float16).view(np.uint16),
                want16.view(np.uint16), "f32->f16")


def test_shapes_scalars_and_empty():
    assert ro.encode(np.empty((0, 3)), "e4m3").shape == (0, 3)
    assert ro.encode(np.empty((0, 3)), "e4m3").dtype == np.uint8
    s = ro.encode(1.0, "bf16")
    assert isinstance(s, np.uint16) and int(s) == 0x3F80
    assert ro.encode(np.float32(1.0), "float32").dtype == np.uint32
    assert ro.encode(np.ones((2, 3, 4), np.float32)[:, ::2, ::-1], "e5m2").shape == (2, 2, 4)
    assert ro.encode([3, -2, 0], "e4m3").tolist() == [0x44, 0xC0, 0x00]  # integers: exact
    x = np.arange(12.0).reshape(3, 4)
    before = x.copy()
    ro.encode(x, "e4m3", "sr", seed=1)
    assert np.array_equal(x, before)  # inputs are never modified


def test_bf16_nearest_fast_path_equals_the_routine():
    """Bug class: a fast path drifting from the rounding routine. float32 -> BF16 to nearest
    takes a carry trick (convert_driver.cpp); float64 sources of the same values take the
    routine. Around every BF16 code (the dropped half: 0, 1, just below, at and above the
    midpoint, all ones), both signs, NaN payloads and Inf, and random codes."""
    hi = np.arange(1 << 16, dtype=np.uint32) << 16
    low = np.array([0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF], dtype=np.uint32)
    rng = np.random.default_rng(16)
    x = np.concatenate([(hi[:, None] | low).ravel(),
                        rng.integers(0, 1 << 32, 1 << 18, dtype=np.uint64).astype(np.uint32)])
    x = x.view(np.float32)
    with np.errstate(invalid="ignore"):
        routine = ro.encode(x.astype(np.float64), "bf16")
    assert_codes_equal(x, ro.encode(x, "bf16"), routine, "bf16 fast path vs routine")
    assert np.all(ro.encode(x[np.isnan(x)], "bf16") == 0x7FC0)
    with np.errstate(invalid="ignore"):  # saturation takes the routine itself
        want = ro.encode(x.astype(np.float64), "bf16", saturate=True)
    assert_codes_equal(x, ro.encode(x, "bf16", saturate=True), want, "bf16 saturate")


# --- (c) exhaustive float32 (slow) --------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2", "bfloat16"])
def test_all_float32_inputs_vs_ml_dtypes(name):
    fmt = ro.FORMATS[name]
    dt = ml_dt(name)
    chunk = 1 << 24
    for start in range(0, 1 << 32, chunk):
        x = np.arange(start, start + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        got = ro.encode(x, fmt)
        with np.errstate(over="ignore", invalid="ignore"):
            want = x.astype(dt).view(fmt.code_dtype)
        ok = np.where(np.isnan(x), got == 0x7FC0 if name == "bfloat16" else True, got == want)
        if name == "bfloat16":  # the nearest-even fast path against the routine itself
            with np.errstate(invalid="ignore"):
                ok &= got == ro.encode(x.astype(np.float64), fmt)
        if not ok.all():
            compare_with_ml_dtypes(x, name)  # reports the first differences
            pytest.fail(f"chunk {start:#x}")


# --- (d) decode ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in ML_NAMES if n != "float32"])
def test_decode_vs_ml_dtypes(name):
    fmt = ro.FORMATS[name]
    codes = all_codes(fmt)
    got = ro.decode(codes, fmt, np.float32)
    want = codes.view(ml_dt(name)).astype(np.float32)
    assert got.dtype == np.float32
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert_codes_equal(codes[~nan], got[~nan].view(np.uint32), want[~nan].view(np.uint32),
                f"decode {name}")
    # The NaNs are the canonical float32 NaN.
    assert (got[nan].view(np.uint32) == 0x7FC00000).all()
    # And to float64 / to the format's own ml_dtype.
    g64 = ro.decode(codes, fmt, np.float64)
    assert np.array_equal(g64[~nan], want[~nan].astype(np.float64))
    g_own = ro.decode(codes, fmt, ml_dt(name))
    assert g_own.dtype == ml_dt(name)
    expect_own = codes.copy()
    if fmt.has_nan:
        expect_own[nan] = fmt.nan_code
    assert_codes_equal(codes, g_own.view(fmt.code_dtype), expect_own, f"decode {name} to itself")


def test_decode_scalar_and_narrowing():
    assert float(ro.decode(0x7E, "e4m3")) == 448.0
    assert isinstance(ro.decode(0x7E, "e4m3"), np.float32)
    # bfloat16 values into float16: rounded once, to nearest even (overflow to Inf).
    codes = np.arange(1 << 16, dtype=np.uint16)
    vals = ro.decode(codes, "bf16", np.float64)
    got = ro.decode(codes, "bf16", np.float16)
    assert_codes_equal(vals, got.view(np.uint16), oracle.round_table(vals, ro.float16), "bf16->f16")


# --- (e) convert --------------------------------------------------------------------------------

SMALL = [f for f in ro.FORMATS.values() if f.bits <= 16] + [
    ro.Format(3, 4, nonfinite="ieee", name="custom_e3m4"),
    ro.Format(4, 3, bias=5, nonfinite="finite", subnormals=False, name="custom_e4m3_nosub"),
    ro.Format(4, 3, nonfinite="ieee", signed=False, name="custom_unsigned_e4m3"),
]
PAIR_DST = [ro.float8_e4m3fn, ro.float8_e5m2, ro.float8_e4m3fnuz, ro.float8_e8m0fnu,
            ro.bfloat16, ro.float16, ro.float4_e2m1fn, ro.float6_e3m2fn, ro.tfloat32, ro.float32,
            ro.Format(3, 4, nonfinite="ieee")]


@pytest.mark.parametrize("src", SMALL, ids=[str(f) for f in SMALL])
def test_convert_equals_encode_of_decoded_value(src):
    codes = all_codes(src)
    values = ro.decode(codes, src, np.float64)
    for dst in PAIR_DST:
        for mode in MODES:
            for sat in (False, True):
                got = ro.convert(codes, src, dst, mode, saturate=sat)
                want = ro.encode(values, dst, mode, saturate=sat)
                assert_codes_equal(values, got, want, f"{src}->{dst} {mode} sat={sat}")
                if dst.bits <= 19:
                    table = oracle.round_table(values, dst, mode, saturate=sat)
                    assert_codes_equal(values, got, table,
                                       f"{src}->{dst} {mode} sat={sat} vs oracle")


@pytest.mark.parametrize("mode", MODES)
def test_convert_float32_codes_single_rounding(mode):
    x = np.concatenate([random_float32()[::4], edge_float32("float8_e4m3fn")])
    for dst in (ro.float8_e4m3fn, ro.float8_e5m2, ro.bfloat16, ro.float4_e2m1fn):
        got = ro.convert(x.view(np.uint32), "float32", dst, mode)
        assert_codes_equal(x, got, ro.encode(x, dst, mode), f"f32 codes->{dst} {mode}")
        assert_codes_equal(x, got, oracle.round_table(x.astype(np.float64), dst, mode),
                    f"f32 codes->{dst} {mode} vs oracle")
    # float64 codes too
    y = np.concatenate([oracle.table(ro.float8_e4m3fn).midpoints() * (1 + 2.0**-40)])
    y = np.concatenate([y, -y])
    assert_codes_equal(y, ro.convert(y.view(np.uint64), "float64", "e4m3", mode),
                oracle.round_table(y, ro.float8_e4m3fn, mode), f"f64 codes->e4m3 {mode}")


def test_convert_is_not_a_double_rounding():
    # float16 1.0625 + 2^-10 is above the e4m3 tie 1.0625; via bfloat16 it would become the tie
    # (1.0625) and then round to even 1.0.
    code16 = int(np.array(1.0625 + 2.0**-10, dtype=np.float16).view(np.uint16))
    assert int(ro.convert(code16, "fp16", "e4m3")) == 0x39  # 1.125
    via_bf16 = ro.convert(ro.convert(code16, "fp16", "bf16"), "bf16", "e4m3")
    assert int(via_bf16) == 0x38  # the double rounding
    # convert of fp8 codes into float32 is exact (a subset): equal to ml_dtypes' decode.
    c = np.arange(256, dtype=np.uint8)
    f32 = ro.convert(c, "e5m2", "float32").view(np.float32)
    ref = c.view(ml_dtypes.float8_e5m2).astype(np.float32)
    both_nan = np.isnan(f32) & np.isnan(ref)
    assert np.array_equal(f32.view(np.uint32)[~both_nan], ref.view(np.uint32)[~both_nan])


def test_convert_flush_subnormals_applies_to_the_source():
    # e5m2 subnormal 2^-16 (code 0x01) into bfloat16: exact normally, zero with DAZ.
    assert int(ro.convert(0x01, "e5m2", "bf16")) == 0x3780
    assert int(ro.convert(0x01, "e5m2", "bf16", flush_subnormals=True)) == 0x0000
    assert int(ro.convert(0x81, "e5m2", "bf16", flush_subnormals=True)) == 0x8000


# --- (f) astype ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in ML_NAMES])
def test_astype_dtype_and_values(name):
    fmt = ro.FORMATS[name]
    x = np.concatenate([edge_float32(name)[:5000], random_float32()[:5000]]).astype(np.float64)
    x = x[: x.size // 2 * 2].reshape(2, -1)[:, ::3]  # a non-contiguous 2-D view
    for mode in ("nearest_even", "toward_zero", "odd"):
        a = ro.astype(x, fmt, mode, saturate=True)
        assert a.dtype == ml_dt(name)
        assert a.shape == x.shape
        assert np.array_equal(a.view(fmt.code_dtype), ro.encode(x, fmt, mode, saturate=True))
    s = ro.astype(1.0625 + 2.0**-40, fmt)
    assert np.ndim(s) == 0 and np.asarray(s).dtype == ml_dt(name)
    assert np.asarray(s).view(fmt.code_dtype) == ro.encode(1.0625 + 2.0**-40, fmt)
    r = ro.astype(x, fmt, "stochastic", seed=5)
    assert np.array_equal(r.view(fmt.code_dtype), ro.encode(x, fmt, "stochastic", seed=5))


def test_astype_without_ml_dtype_raises():
    with pytest.raises(ValueError):
        ro.astype([1.0], "tf32")
    with pytest.raises(ValueError):
        ro.astype([1.0], ro.Format(3, 5))


@pytest.mark.parametrize("mode", ["nearest_even", "odd", "stochastic"])
def test_strided_broadcast_and_reversed_inputs(mode):
    """Any strides (negative, zero, transposed) give the result of the C-contiguous copy."""
    rng = np.random.default_rng(34)
    x = rng.standard_normal((70, 90)) * 100
    views = [x[::-1], x[:, ::-1], x[::-3, ::-7], np.broadcast_to(x[0], (50, 90)),
             np.broadcast_to(x[:, :1], (70, 5000)), x.T, x[5:6, :], x[:, 3:4],
             x.astype(np.float32)[::2, ::-5]]
    for v in views:
        c = np.ascontiguousarray(v)
        for fmt in ("e4m3", "bf16", "e2m1"):
            got = ro.encode(v, fmt, mode, seed=9)
            assert got.shape == v.shape and got.flags.c_contiguous
            assert np.array_equal(got, ro.encode(c, fmt, mode, seed=9)), (v.strides, fmt)
