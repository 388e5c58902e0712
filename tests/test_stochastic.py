"""Stochastic rounding: the Philox4x32-10 bits, the exact rounding rule, unbiasedness,
reproducibility across seeds and threads, symmetry, signs and overflow.

Rule (README, Exact semantics): with D the discarded fraction in units of the last kept bit and
r an R-bit integer, round away from zero iff r + floor(D * 2^R) >= 2^R. Element i (flat C order) uses
word (i mod 4) of Philox4x32-10(counter = {(i//4) lo32, (i//4) hi32, 0, 0},
key = {seed lo32, seed hi32}), r = word >> (32 - R).
"""

from __future__ import annotations

import math
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro
from roundoff import _core

import oracle
from oracle import assert_codes_equal

MASK32 = 0xFFFFFFFF
PHILOX_M0, PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85

# Random123 known-answer vectors for philox4x32-10: (counter, key, output).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((MASK32,) * 4, (MASK32, MASK32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def philox4x32_10(ctr, key):
    """Pure-Python Philox4x32-10 (Salmon et al., SC'11; Random123's philox4x32_R(10, ...))."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0 = PHILOX_M0 * c0
        p1 = PHILOX_M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK32, p1 & MASK32, \
                         ((p0 >> 32) ^ c3 ^ k1) & MASK32, p0 & MASK32
        k0 = (k0 + PHILOX_W0) & MASK32
        k1 = (k1 + PHILOX_W1) & MASK32
    return c0, c1, c2, c3


def philox_words_np(seed: int, first: int, n: int) -> np.ndarray:
    """The same generator vectorised with NumPy: the words of elements first..first+n-1."""
    assert first % 4 == 0
    blocks = (n + 3) // 4
    c = np.arange(blocks, dtype=np.uint64) + np.uint64(first // 4)
    m32 = np.uint64(MASK32)
    c0, c1 = c & m32, c >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = seed & MASK32, seed >> 32
    for _ in range(10):
        p0 = np.uint64(PHILOX_M0) * c0
        p1 = np.uint64(PHILOX_M1) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)), p1 & m32, \
                         ((p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)), p0 & m32
        k0 = (k0 + PHILOX_W0) & MASK32
        k1 = (k1 + PHILOX_W1) & MASK32
    return np.stack([c0, c1, c2, c3], axis=1).ravel()[:n].astype(np.uint32)


def sr_rbits(seed: int, n: int, R: int) -> np.ndarray:
    return philox_words_np(seed, 0, n) >> np.uint32(32 - R)


@pytest.fixture
def restore_threads():
    before = ro.get_num_threads()
    yield
    ro.set_num_threads(0)
    assert ro.get_num_threads() == before


# --- Philox --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ctr,key,want", KAT)
def test_philox_known_answers(ctr, key, want):
    assert tuple(_core.philox_block(ctr, key)) == want
    assert philox4x32_10(ctr, key) == want


def test_numpy_philox_equals_pure_python():
    for seed in (0, 1, 0x123456789ABCDEF0):
        w = philox_words_np(seed, 4 * (2**32 - 2), 16)  # the counter's high word changes
        for b in range(4):
            c = 2**32 - 2 + b
            ref = philox4x32_10((c & MASK32, c >> 32, 0, 0), (seed & MASK32, seed >> 32))
            assert tuple(int(v) for v in w[4 * b:4 * b + 4]) == ref


@pytest.mark.parametrize("seed", [0, 1, 42, 0xDEADBEEF, 2**32 + 5, 2**64 - 1])
@pytest.mark.parametrize("first", [0, 1, 3, 4, 4097, 4098, 2**34, 2**60 + 2])
def test_philox_words_equal_the_reference_stream(seed, first):
    n = 1001
    got = _core.philox_words(seed, first, n)
    assert got.dtype == np.uint32 and got.shape == (n,)
    skip = first % 4  # a first index inside a block: the rest of that block first
    assert np.array_equal(got, philox_words_np(seed, first - skip, n + skip)[skip:])
    assert np.array_equal(_core.philox_words(seed, first, 2), got[:2])
    # And the block function directly.
    c = first // 4
    blk = _core.philox_block((c & MASK32, c >> 32, 0, 0), (seed & MASK32, seed >> 32))
    assert tuple(int(v) for v in got[:4 - skip]) == tuple(blk)[skip:]


# --- the bits encode uses ----------------------------------------------------------------------

SR_FORMATS = [ro.float8_e4m3fn, ro.float8_e5m2, ro.bfloat16, ro.float16, ro.float8_e4m3fnuz,
              ro.float4_e2m1fn, ro.float8_e8m0fnu,
              ro.Format(4, 3, bias=5, nonfinite="finite", subnormals=False)]
SR_IDS = [str(f) for f in SR_FORMATS]


def interval_samples(fmt, n, rng, *, signed=True, include_overflow=True):
    """Random float64 values inside random intervals of fmt (any D), incl. the overflow interval."""
    T = oracle.table(fmt)
    mags = np.append(T.mags, T.virtual_hi)
    top = mags.size - 1 if include_overflow else mags.size - 2
    k = rng.integers(0, top, n)
    x = mags[k] + (mags[k + 1] - mags[k]) * rng.random(n)
    if signed:
        x = np.where(rng.random(n) < 0.5, -x, x)
    return x


@pytest.mark.parametrize("fmt", SR_FORMATS, ids=SR_IDS)
def test_encode_uses_the_philox_stream(fmt):
    """encode(seed=s) == encode(rbits = philox words >> (32 - R)) == the oracle with those bits;
    across tiles (n > 4096, not a multiple of 4), for float64, float32 and float16 sources."""
    rng = np.random.default_rng(11)
    x64 = interval_samples(fmt, 10007, rng)
    x64[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300, 5e-324]
    with np.errstate(over="ignore"):
        sources = (x64, x64.astype(np.float32), x64.astype(np.float16))
    for x in sources:
        for seed in (0, 7, 2**40 + 3):
            for R in (1, 5, 8, 16, 24, 32):
                r = sr_rbits(seed, x.size, R)
                got = ro.encode(x, fmt, "stochastic", seed=seed, sr_bits=R)
                with_bits = ro.encode(x, fmt, "stochastic", rbits=r, sr_bits=R)
                assert_codes_equal(x, got, with_bits, f"{fmt} seed={seed} R={R} {x.dtype}")
                want = oracle.round_table(x.astype(np.float64), fmt, "stochastic", rbits=r,
                                          sr_bits=R)
                assert_codes_equal(x, got, want, f"{fmt} seed={seed} R={R} {x.dtype} vs oracle")
    # The default R is 32 (the default seed, None, draws a key: tests/test_seeds.py).
    r = philox_words_np(0, 0, x64.size)
    assert_codes_equal(x64, ro.encode(x64, fmt, "sr", seed=0), ro.encode(x64, fmt, "sr", rbits=r),
                "defaults")


def test_encode_bits_follow_the_flat_c_order_of_a_view():
    """A non-contiguous view uses the index of each element in the view's C order."""
    rng = np.random.default_rng(12)
    base = interval_samples(ro.bfloat16, 300 * 301, rng).reshape(300, 301)
    view = base[::2, 1::3].T  # non-contiguous, transposed
    assert not view.flags.c_contiguous
    for R in (8, 32):
        r = sr_rbits(99, view.size, R).reshape(view.shape)
        got = ro.encode(view, "bf16", "sr", seed=99, sr_bits=R)
        assert got.shape == view.shape and got.flags.c_contiguous
        want = oracle.round_table(np.ascontiguousarray(view), ro.bfloat16, "stochastic",
                                  rbits=r, sr_bits=R)
        assert_codes_equal(view, got, want, f"view R={R}")
        # user rbits given as a non-contiguous view too
        rb = np.zeros((view.shape[1], view.shape[0] * 2), dtype=np.uint32)
        rb[:, ::2] = r.T
        rview = rb[:, ::2].T
        assert_codes_equal(view, ro.encode(view, "bf16", "sr", rbits=rview, sr_bits=R), want,
                    f"rbits view R={R}")


# --- the exact rule -----------------------------------------------------------------------------

EXACT_FORMATS = [ro.float8_e4m3fn, ro.float8_e5m2, ro.bfloat16, ro.float16, ro.float8_e5m2fnuz,
                 ro.float4_e2m1fn, ro.float6_e2m3fn, ro.float8_e8m0fnu,
                 ro.Format(4, 3, bias=5, nonfinite="finite", subnormals=False)]


@pytest.mark.parametrize("fmt", EXACT_FORMATS, ids=[str(f) for f in EXACT_FORMATS])
def test_exact_round_up_counts(fmt):
    """Enumerating all 2^R values of r: exactly floor(D * 2^R) of them round away from zero, and
    they are the largest ones (r >= 2^R - floor(D * 2^R)); D exact as a Fraction."""
    rng = np.random.default_rng(13)
    x64 = interval_samples(fmt, 48, rng, include_overflow=False)
    with np.errstate(over="ignore"):
        sources = [x64, x64.astype(np.float32), x64.astype(np.float16),
                   x64.astype(ml_dtypes.bfloat16)]
    for x in sources:
        xf = x.astype(np.float64)
        keep = np.isfinite(xf) & (xf != 0) & (np.abs(xf) < oracle.table(fmt).max)
        if not fmt.signed:
            keep &= xf > 0
        x, xf = x[keep], xf[keep]
        tz = oracle.round_table(xf, fmt, "toward_zero")
        away = np.where(xf > 0, oracle.round_table(xf, fmt, "up"),
                        oracle.round_table(xf, fmt, "down"))
        Ds = []
        for v in xf:
            if not fmt.has_zero and abs(v) < oracle.table(fmt).mags[0]:
                Ds.append(Fraction(0))  # below E8M0's smallest value: clamped, no rounding
            else:
                Ds.append(oracle.sr_fraction(v, fmt)[2])
        for R in range(1, 9):
            n = 1 << R
            X = np.repeat(x, n)
            r = np.tile(np.arange(n, dtype=np.uint32), x.size)
            codes = ro.encode(X, fmt, "stochastic", rbits=r, sr_bits=R).reshape(x.size, n)
            for i, D in enumerate(Ds):
                k = math.floor(D * n)
                expect = np.where(np.arange(n) >= n - k, away[i], tz[i])
                if D == 0:
                    expect[:] = tz[i]
                assert np.array_equal(codes[i], expect), (fmt, x.dtype, float(xf[i]), R, D)


@pytest.mark.parametrize("fmt", [ro.bfloat16, ro.float8_e4m3fn, ro.float8_e5m2],
                         ids=["bf16", "e4m3", "e5m2"])
def test_exactly_unbiased_when_D_has_at_most_R_bits(fmt):
    """The mean over all 2^R values of r is exactly x when D is a multiple of 2^-R."""
    T = oracle.table(fmt)
    rng = np.random.default_rng(14)
    for R in (1, 3, 6, 10):
        n = 1 << R
        k = rng.integers(0, T.mags.size - 1, 20)
        j = rng.integers(1, n, 20)
        lo, hi = T.mags[k], T.mags[k + 1]
        x = lo + (hi - lo) * j / n  # exact in float64
        for v in np.concatenate([x, -x]):
            codes = ro.encode(np.full(n, v), fmt, "sr", rbits=np.arange(n, dtype=np.uint32),
                              sr_bits=R)
            vals = oracle.decode_table(codes, fmt)
            assert sum(Fraction(float(a)) for a in vals) / n == Fraction(float(v)), (v, R)


@pytest.mark.parametrize("fmt", SR_FORMATS, ids=SR_IDS)
def test_rbits_zero_is_toward_zero(fmt):
    """rbits = 0 never rounds away: equal to toward_zero for |x| < max + ulp(max) and for every
    special input. (Beyond that, stochastic rounding overflows to Inf/NaN: see the overflow
    test; toward_zero gives max there.)"""
    rng = np.random.default_rng(15)
    x64 = np.concatenate([interval_samples(fmt, 20000, rng),
                          [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-300]])
    for x in (x64, x64.astype(np.float32)):
        for R in (1, 8, 32):
            for sat in (False, True):
                got = ro.encode(x, fmt, "sr", rbits=np.zeros(x.shape, np.uint32), sr_bits=R,
                                saturate=sat)
                assert_codes_equal(x, got, ro.encode(x, fmt, "toward_zero", saturate=sat),
                            f"{fmt} R={R} {x.dtype} sat={sat}")


@pytest.mark.parametrize("fmt", SR_FORMATS, ids=SR_IDS)
def test_rbits_all_ones_rounds_away_iff_D_at_least_2_to_minus_R(fmt):
    """r = 2^R - 1 rounds away from zero iff floor(D * 2^R) >= 1, i.e. D >= 2^-R."""
    T = oracle.table(fmt)
    rng = np.random.default_rng(16)
    mags = np.append(T.mags, T.virtual_hi)
    for R in (1, 4, 8, 16):
        k = rng.integers(0, mags.size - 1, 4000)
        lo, hi = mags[k], mags[k + 1]
        big_d = lo + (hi - lo) * rng.uniform(2.0**-R, 1.0, k.size)      # D >= 2^-R
        small_d = lo + (hi - lo) * rng.uniform(0, 2.0**-R, k.size) / 8  # 0 < D < 2^-R
        small_d = small_d[(small_d > lo) & (small_d < lo + (hi - lo) * 2.0**-R)]
        signs = np.where(rng.random(big_d.size) < 0.5, -1.0, 1.0)
        x = big_d * signs
        if not fmt.signed:
            x = np.abs(x)
        ones = np.full(x.shape, (1 << R) - 1, np.uint32)
        got = ro.encode(x, fmt, "sr", rbits=ones, sr_bits=R)
        away = np.where(x > 0, ro.encode(x, fmt, "up"), ro.encode(x, fmt, "down"))
        assert_codes_equal(x, got, away, f"{fmt} R={R} D>=2^-R")
        ones = np.full(small_d.shape, (1 << R) - 1, np.uint32)
        got = ro.encode(small_d, fmt, "sr", rbits=ones, sr_bits=R)
        inside = small_d < T.virtual_hi
        assert_codes_equal(small_d[inside], got[inside],
                    ro.encode(small_d, fmt, "toward_zero")[inside], f"{fmt} R={R} D<2^-R")
    # 32 random bits cannot see a float64 residual below 2^-32 ulp.
    assert int(ro.encode(1 + 2.0**-40, "bf16", "sr", rbits=np.uint32(MASK32))) == 0x3F80


# --- unbiasedness ------------------------------------------------------------------------------

LOG_2E9 = math.log(2e9)  # two-sided: 2 exp(-L) = 1e-9


def bernstein_bound(n: int, p: float) -> float:
    """t such that P(|S - n p| >= t) <= 1e-9 for S ~ Binomial(n, p), by Bernstein's inequality
    P(|S - np| >= t) <= 2 exp(-t^2 / (2 (n p (1-p) + t/3))). Rigorous: no normal approximation.
    For n = 10^6 and 0.01 <= p <= 0.99 this is about 6.6 to 6.8 standard deviations."""
    var = n * p * (1 - p)
    return LOG_2E9 / 3 + math.sqrt(LOG_2E9**2 / 9 + 2 * LOG_2E9 * var)


UNBIASED_CASES = [
    ("bfloat16", 1 + 0.3 * 2.0**-7),
    ("bfloat16", -(2.0**100) * (1 + 0.77 * 2.0**-7)),
    ("bfloat16", 1.37 * 2.0**-133),                   # subnormal range
    ("float8_e4m3fn", 3.3),
    ("float8_e4m3fn", -0.1),
    ("float8_e4m3fn", 2.7 * 2.0**-9),                 # subnormal range, D = 0.7
    ("float8_e4m3fn", 0.05 * 2.0**-9),                # below the smallest subnormal, D = 0.05
    ("float8_e5m2", 1000.7),
    ("float8_e5m2", -3.1 * 2.0**-16),                 # subnormal range
    ("float4_e2m1fn", 2.6),
    ("float8_e8m0fnu", 3.0 * 2.0**-40),               # p = 1: D = 0.5
]


@pytest.mark.parametrize("name,x", UNBIASED_CASES)
def test_binomial_unbiased(name, x):
    """10^6 elements with Philox bits (seed fixed): the number rounded away is within the
    Bernstein bound of n * floor(D 2^32) / 2^32. False-failure probability <= 1e-9 per case
    (seeds are fixed, so the outcome is deterministic anyway)."""
    fmt = ro.FORMATS[name]
    n = 1_000_000
    lo, hi, D = oracle.sr_fraction(x, fmt)
    p = math.floor(D * 2**32) / 2**32
    assert 0.01 < p < 0.99
    codes = ro.encode(np.full(n, x), fmt, "stochastic", seed=2024)
    tz = int(oracle.round_table(np.array([x]), fmt, "toward_zero")[0])
    away = int(oracle.round_table(np.array([x]), fmt, "up" if x > 0 else "down")[0])
    ups = int(np.count_nonzero(codes == away))
    assert ups + int(np.count_nonzero(codes == tz)) == n
    t = bernstein_bound(n, p)
    assert abs(ups - n * p) < t, (ups, n * p, t, (ups - n * p) / math.sqrt(n * p * (1 - p)))
    # The sample mean of the values is close to x: |mean - x| < t/n * (hi - lo).
    mean = float(np.mean(oracle.decode_table(codes, fmt)))
    assert abs(mean - x) <= (t / n) * (hi - lo) * 1.0001


def test_neighbouring_elements_are_independent():
    """Elements 4j..4j+3 share a Philox block; elements 4j+3 and 4j+4 do not. For D = 1/2 the
    pairs (i, i+1) both rounding up have probability 1/4 (Bernstein, false failure <= 1e-9)."""
    n = 1_000_000
    x = 1 + 2.0**-8  # bf16: D = 1/2 exactly
    up = ro.encode(np.full(n, x), "bf16", "sr", seed=77) == 0x3F81
    for offset in range(4):  # pairs (4j+offset, 4j+offset+1)
        a = up[offset::4][: n // 4 - 1]
        b = up[offset + 1::4][: n // 4 - 1]
        both = int(np.count_nonzero(a & b))
        m = a.size
        assert abs(both - m / 4) < bernstein_bound(m, 0.25), (offset, both, m / 4)


# --- reproducibility --------------------------------------------------------------------------

def test_same_seed_same_codes_different_seeds_differ():
    rng = np.random.default_rng(17)
    x = interval_samples(ro.float8_e4m3fn, 100_000, rng, include_overflow=False)
    a = ro.encode(x, "e4m3", "sr", seed=1)
    assert np.array_equal(a, ro.encode(x.copy(), "e4m3", "sr", seed=1))
    b = ro.encode(x, "e4m3", "sr", seed=2)
    c = ro.encode(x, "e4m3", "sr", seed=1 + 2**32)  # the key's high word matters
    for other in (b, c):
        diff = int(np.count_nonzero(a != other))
        assert 1000 < diff < 60_000, diff


def test_thread_count_does_not_change_results(restore_threads):
    rng = np.random.default_rng(18)
    x = interval_samples(ro.bfloat16, 1_200_000, rng)
    views = [x, x.reshape(1200, 1000)[::2, 3::2], x.reshape(1000, 1200).T,
             x.astype(np.float32)[::3]]
    for v in views:
        results = []
        for threads in (1, 2):
            ro.set_num_threads(threads)
            results.append([ro.encode(v, fmt, "sr", seed=5, sr_bits=R)
                            for fmt in ("bf16", "e4m3") for R in (8, 32)])
            results[-1].append(ro.encode(v, "e5m2", "sr", rbits=np.arange(v.size, dtype=np.uint32)
                                         .reshape(v.shape) & np.uint32(0xFFFF), sr_bits=16))
        for a, b in zip(*results):
            assert a.shape == v.shape
            assert np.array_equal(a, b)


# --- symmetry, signs, overflow -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", [f for f in SR_FORMATS if f.signed],
                         ids=[str(f) for f in SR_FORMATS if f.signed])
def test_symmetry(fmt):
    """With the same random bits, encode(-x) is encode(x) with the sign bit set (FNUZ zeros and
    finite-only NaN handling aside): the distribution of encode(-x) is that of -encode(x)."""
    rng = np.random.default_rng(19)
    x = np.abs(interval_samples(fmt, 50_000, rng))
    sign = np.uint64(1 << (fmt.bits - 1))
    for R in (3, 32):
        for sat in (False, True):
            r = rng.integers(0, 1 << R, x.size, dtype=np.uint64).astype(np.uint32)
            pos = ro.encode(x, fmt, "sr", rbits=r, sr_bits=R, saturate=sat).astype(np.uint64)
            neg = ro.encode(-x, fmt, "sr", rbits=r, sr_bits=R, saturate=sat).astype(np.uint64)
            want = pos | sign
            if fmt.nonfinite == "nan_neg_zero":
                want = np.where(pos == 0, np.uint64(0), want)  # no -0
                want = np.where(pos == sign, sign, want)  # NaN stays the one NaN
            assert_codes_equal(-x, neg, want, f"{fmt} R={R} sat={sat}")
            # And with Philox bits.
            p = ro.encode(x, fmt, "sr", seed=3, sr_bits=R, saturate=sat).astype(np.uint64)
            q = ro.encode(-x, fmt, "sr", seed=3, sr_bits=R, saturate=sat).astype(np.uint64)
            mask = np.uint64((1 << (fmt.bits - 1)) - 1)
            assert np.array_equal(p & mask, q & mask)


def test_sign_of_results():
    rng = np.random.default_rng(20)
    tiny = -np.abs(rng.random(100_000)) * 2.0**-9  # below e4m3's smallest subnormal
    codes = ro.encode(tiny, "e4m3", "sr", seed=8)
    assert set(np.unique(codes).tolist()) == {0x80, 0x81}  # -0 or -min_subnormal, never +0
    codes = ro.encode(tiny * 2.0**-3, "e4m3fnuz", "sr", seed=8)
    assert set(np.unique(codes).tolist()) == {0x00, 0x81}  # +0 (no -0), never the NaN 0x80
    codes = ro.encode(-np.abs(rng.random(100_000)) * 100, "bf16", "sr", seed=8)
    assert (codes & 0x8000 != 0).all()
    codes = ro.encode(-np.abs(rng.random(1000)) - 0.01, "e8m0", "sr", seed=8)
    assert (codes == 0xFF).all()  # unsigned: NaN


def test_overflow_under_stochastic_rounding():
    R = 8
    n = 1 << R
    r = np.arange(n, dtype=np.uint32)
    cases = [  # (format, x, D * 2^R, overflow code, max code)
        ("float8_e4m3fn", 460.0, 96, 0x7F, 0x7E),           # 448 + 0.375 * 32: NaN above
        ("float8_e5m2", 57344.0 + 0.25 * 8192, 64, 0x7C, 0x7B),  # Inf above
        ("bfloat16", float(ro.bfloat16.max) + 2.0**119, 128, 0x7F80, 0x7F7F),  # D = 1/2
        ("float8_e8m0fnu", 1.5 * 2.0**127, 128, 0xFF, 0xFE),
    ]
    for name, x, k, over, mx in cases:
        fmt = ro.FORMATS[name]
        sign = 1 << (fmt.bits - 1) if fmt.signed else 0
        for s in ((1, -1) if fmt.signed else (1,)):
            codes = ro.encode(np.full(n, s * x), name, "sr", rbits=r, sr_bits=R)
            sgn = sign if s < 0 else 0
            want = np.where(r >= n - k, sgn | over, sgn | mx)
            assert np.array_equal(codes, want), (name, s)
            sat = ro.encode(np.full(n, s * x), name, "sr", rbits=r, sr_bits=R, saturate=True)
            assert (sat == (sgn | mx)).all(), (name, s)
    # Far beyond the range (and Inf inputs) every r overflows; saturate gives max.
    for name, over, mx in (("float8_e4m3fn", 0x7F, 0x7E), ("float8_e5m2", 0x7C, 0x7B),
                           ("bfloat16", 0x7F80, 0x7F7F), ("float16", 0x7C00, 0x7BFF)):
        fmt = ro.FORMATS[name]
        sign = 1 << (fmt.bits - 1)
        x = np.array([fmt.max * 2, 1e300, np.inf, -fmt.max * 2, -1e300, -np.inf])
        for R in (1, 32):
            for rb in (0, (1 << R) - 1):
                rr = np.full(x.shape, rb, np.uint32)
                got = ro.encode(x, fmt, "sr", rbits=rr, sr_bits=R)
                assert got.tolist() == [over] * 3 + [sign | over] * 3, (name, R, rb)
                got = ro.encode(x, fmt, "sr", rbits=rr, sr_bits=R, saturate=True)
                assert got.tolist() == [mx] * 3 + [sign | mx] * 3, (name, R, rb)
    # Finite-only formats clamp.
    got = ro.encode(np.array([7.0, -100.0, np.inf]), "fp4", "sr", seed=1)
    assert got.tolist() == [0x7, 0xF, 0x7]


def test_rbits_validation():
    x = np.ones(4)
    with pytest.raises(ValueError):
        ro.encode(x, "bf16", "nearest_even", rbits=np.zeros(4, np.uint32))
    with pytest.raises(ValueError):
        ro.encode(x, "bf16", "sr", rbits=np.full(4, 256, np.uint32), sr_bits=8)
    with pytest.raises(ValueError):
        ro.encode(x, "bf16", "sr", rbits=np.zeros(5, np.uint32))
    with pytest.raises(ValueError):
        ro.encode(x, "bf16", "sr", sr_bits=33)


def sr_float32_reference(x: np.ndarray, r: np.ndarray, R: int) -> np.ndarray:
    """Stochastic rounding of float64 values to float32 codes, built from NumPy alone: lo is
    |x| truncated to float32 (RNE cast, stepped toward zero if it went up), hi the next float32
    (2^128 after max); D = (|x| - lo) / (hi - lo) is exact in float64 (Sterbenz, or lo = 0)."""
    a = np.abs(x)
    with np.errstate(over="ignore"):
        t = a.astype(np.float32)
    t = np.where(t.astype(np.float64) > a, np.nextafter(t, np.float32(0)), t)
    with np.errstate(over="ignore"):
        hi = np.nextafter(t, np.float32(np.inf)).astype(np.float64)
    hi = np.where(np.isinf(hi), 2.0**128, hi)
    lo = t.astype(np.float64)
    dfloor = np.floor((a - lo) / (hi - lo) * 2.0**R)
    res = np.where(r.astype(np.float64) + dfloor >= 2.0**R, hi, lo)
    res = np.where(res >= 2.0**128, np.inf, res)
    with np.errstate(over="ignore"):
        return np.copysign(res, x).astype(np.float32).view(np.uint32)


def test_stochastic_float64_to_float32():
    """Wide discarded parts (up to 1000+ bits below the quantum) with 64-bit significands."""
    rng = np.random.default_rng(21)
    n = 200_003
    x = 2.0 ** rng.uniform(-160, 129, n) * np.where(rng.random(n) < 0.5, -1, 1)
    f = rng.integers(0, 2**32, n // 4, dtype=np.uint64).astype(np.uint32).view(np.float32)
    f = f[np.isfinite(f)].astype(np.float64)
    x = np.concatenate([x, f, np.nextafter(f, np.inf), np.nextafter(f, -np.inf),
                        f * (1 + 2.0**-30), [0.0, -0.0, 5e-324, -5e-324, 1e300, -1e300]])
    for R in (1, 7, 16, 29, 32):
        r = sr_rbits(123, x.size, R)
        got = ro.encode(x, "float32", "sr", seed=123, sr_bits=R)
        assert_codes_equal(x, got, sr_float32_reference(x, r, R), f"f64->f32 SR R={R}")


def test_rbits_any_integer_dtype_and_layout():
    """The same random integers give the same result whatever their dtype, byte order or
    strides (uint8/16/32, int64, a list, a reversed view, non-native byte order)."""
    n = 4096 + 37
    rng = np.random.default_rng(22)
    x = interval_samples(ro.bfloat16, n, rng, include_overflow=False)
    failures = []
    for R in (8, 16, 32):
        r = rng.integers(0, 1 << R, n, dtype=np.uint64).astype(np.uint32)
        want = oracle.round_table(x, ro.bfloat16, "stochastic", rbits=r, sr_bits=R)
        variants = {"uint32": r, "int64": r.astype(np.int64), "list": r.tolist(),
                    "reversed": r[::-1].copy()[::-1], "uint64": r.astype(np.uint64),
                    "big-endian u4": r.astype(">u4"), "big-endian i8": r.astype(">i8")}
        if R <= 16:
            variants["uint16"] = r.astype(np.uint16)
            variants["big-endian u2"] = r.astype(">u2")
        if R <= 8:
            variants["uint8"] = r.astype(np.uint8)
        for name, rv in variants.items():
            got = ro.encode(x, "bf16", "sr", rbits=rv, sr_bits=R)
            if not np.array_equal(got, want):
                failures.append(f"rbits as {name} (R={R}): "
                                f"{int(np.count_nonzero(got != want))} of {n} codes differ")
    assert not failures, "\n".join(failures)


def test_big_endian_rbits_minimal():
    """Minimal reproduction: rbits in non-native byte order must be read by value."""
    x = np.full(4, 1 + 2.0**-8)  # bf16: D = 1/2 between 1.0 (0x3F80) and 1.0078125 (0x3F81)
    r = np.array([0, 2**31, 2**31 - 1, 1], dtype=">u4")
    # r + floor(D * 2^32) >= 2^32 iff r >= 2^31
    assert ro.encode(x, "bf16", "sr", rbits=r).tolist() == [0x3F80, 0x3F81, 0x3F80, 0x3F80]


def test_convert_and_quantize_use_the_same_bits():
    rng = np.random.default_rng(23)
    x = interval_samples(ro.float8_e4m3fn, 9001, rng).astype(np.float32)
    for seed, R in ((4, 32), (5, 3)):
        e = ro.encode(x, "e4m3", "sr", seed=seed, sr_bits=R)
        c = ro.convert(x.view(np.uint32), "float32", "e4m3", "sr", seed=seed, sr_bits=R)
        assert_codes_equal(x, c, e, "convert")
        q = ro.quantize(x, "e4m3", "sr", seed=seed, sr_bits=R)
        assert q.dtype == np.float32
        assert np.array_equal(q.view(np.uint32), ro.decode(e, "e4m3", np.float32).view(np.uint32))
