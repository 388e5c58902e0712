"""Elementwise arithmetic: every result is the exact value rounded once.

Oracles: for FP8 operands the exact sum, difference and product are float64 values (checked
with TwoSum), rounded by the independent table oracle. FP8 quotients are first rounded to odd
at 53 bits with Fractions: that keeps every rounding decision into <= 10-bit formats
(Boldo & Melquiond, round-to-odd at p + 2 bits or more). For float64 operands the exact value
comes from MPFR at 2200 bits and is rounded by MPFR with subnormalize.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roundoff as ro

import oracle

MODES = oracle.DETERMINISTIC_MODES
OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply}

try:
    import gmpy2
except ImportError:  # pragma: no cover
    gmpy2 = None


def finite_values(fmt: ro.Format) -> np.ndarray:
    codes = np.arange(1 << fmt.bits, dtype=np.uint64).astype(fmt.code_dtype)
    v = ro.decode(codes, fmt, np.float64)
    return v[np.isfinite(v)]


def exact_float64(op: str, a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    """a op b, which float64 holds exactly here, with IEEE's sign of an exact zero."""
    with np.errstate(invalid="ignore", over="ignore"):
        r = OPS[op](a, b)
        if op != "mul":
            bb = b if op == "add" else -b
            # TwoSum: the rounding error of a + bb is exactly zero iff the sum is exact.
            bv = r - a
            err = (a - (r - bv)) + (bb - bv)
            assert np.all((err == 0) | ~np.isfinite(r)), "sum not exact in float64"
            zero = (r == 0) & ~((a == 0) & (bb == 0))
            r = np.where(zero, -0.0 if mode == "down" else 0.0, r)
            both = (a == 0) & (bb == 0)
            same = np.signbit(a) == np.signbit(bb)
            zsign = np.where(same, np.signbit(a), mode == "down")
            r = np.where(both, np.where(zsign, -0.0, 0.0), r)
    return r


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("name", ["e4m3", "e5m2"])
def test_every_fp8_pair_vs_table_oracle(name, op, mode):
    fmt = ro.format(name)
    v = finite_values(fmt)
    a, b = v[:, None], v[None, :]
    got = getattr(ro, op)(a, b, fmt, mode, codes=True)
    A, B = np.broadcast_arrays(a, b)
    want = oracle.round_table(exact_float64(op, A, B, mode), fmt, mode)
    bad = np.flatnonzero(got.ravel() != want.ravel())
    assert bad.size == 0, [(A.ravel()[i], B.ravel()[i], int(got.ravel()[i]),
                            int(want.ravel()[i])) for i in bad[:5]]


def round_to_odd_float64(q: Fraction) -> float:
    """q rounded to odd at float64's precision (q's binade is normal in float64)."""
    f = float(q)  # nearest
    if Fraction(f) == q:
        return f
    t = f if abs(Fraction(f)) < abs(q) else float(np.nextafter(f, 0.0))  # toward zero
    bits = np.array([t]).view(np.uint64) | np.uint64(1)
    return float(bits.view(np.float64)[0])


def exact_quotients(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with IEEE specials, finite nonzero quotients rounded to odd at 53 bits."""
    out = np.empty(a.shape)
    for i, (x, y) in enumerate(zip(a.ravel().tolist(), b.ravel().tolist())):
        if y == 0 or x == 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                out.flat[i] = np.float64(x) / np.float64(y)
        else:
            out.flat[i] = round_to_odd_float64(Fraction(x) / Fraction(y))
    return out


@pytest.fixture(scope="module")
def fp8_quotients():
    cache = {}

    def get(name):
        if name not in cache:
            v = finite_values(ro.format(name))
            a, b = np.broadcast_arrays(v[:, None], v[None, :])
            cache[name] = (a, b, exact_quotients(a, b))
        return cache[name]
    return get


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["e4m3", "e5m2"])
def test_every_fp8_quotient_vs_oracle(name, mode, fp8_quotients):
    fmt = ro.format(name)
    a, b, q = fp8_quotients(name)
    got = ro.div(a, b, fmt, mode, codes=True)
    want = oracle.round_table(q, fmt, mode)
    bad = np.flatnonzero(got.ravel() != want.ravel())
    assert bad.size == 0, [(a.ravel()[i], b.ravel()[i], int(got.ravel()[i]),
                            int(want.ravel()[i])) for i in bad[:5]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", list(OPS))
def test_fp8_pairs_saturate_and_flush(op, mode):
    fmt = ro.format("e5m2")
    v = finite_values(fmt)[::3]
    a, b = np.broadcast_arrays(v[:, None], v[None, :])
    for sat in (False, True):
        got = getattr(ro, op)(a, b, fmt, mode, saturate=sat, flush_subnormals=True, codes=True)
        flush_in = lambda x: np.where(np.abs(x) < fmt.min_normal, np.copysign(0.0, x), x)
        want = oracle.round_table(exact_float64(op, flush_in(a), flush_in(b), mode), fmt, mode,
                                  saturate=sat, flush_subnormals=False)
        # FTZ of results: subnormal result codes become zeros of their sign.
        mag = want & np.uint8(0x7F)
        want = np.where((mag > 0) & (mag < (1 << fmt.man_bits)), want & np.uint8(0x80), want)
        bad = np.flatnonzero(got.ravel() != want.ravel())
        assert bad.size == 0, (sat, [(a.ravel()[i], b.ravel()[i]) for i in bad[:5]])


def _mpfr_exact(op: str, a: float, b: float):
    with gmpy2.context(precision=2200, emin=-5000, emax=5000):
        x, y = gmpy2.mpfr(a), gmpy2.mpfr(b)
        if op == "div":
            return None  # not exact at any precision: see test_float64_quotients_vs_mpfr
        return x + y if op == "add" else x - y if op == "sub" else x * y


finite64 = st.floats(allow_nan=False, allow_infinity=False, width=64)
spread = st.builds(lambda m, e: math.ldexp(m, e), st.floats(-2.0, 2.0, width=64),
                   st.integers(-140, 130))


@pytest.mark.skipif(gmpy2 is None, reason="gmpy2 not installed")
@pytest.mark.parametrize("name", ["bfloat16", "float16", "float8_e5m2", "float32"])
@settings(max_examples=150, deadline=None)
@given(a=st.one_of(finite64, spread), b=st.one_of(finite64, spread),
       op=st.sampled_from(list(OPS)), near=st.integers(-3, 3))
def test_float64_operands_vs_mpfr(name, a, b, op, near):
    """Wide exponent spreads, near-ties (b nudged by a few float64 ulps), subnormals and
    overflow, every deterministic mode."""
    fmt = ro.format(name)
    if near:
        with np.errstate(over="ignore"):
            b = float(np.float64(b) + near * np.spacing(np.float64(b)))
        if not math.isfinite(b):
            return
    exact = _mpfr_exact(op, a, b)
    if exact is None or gmpy2.is_zero(exact):
        return  # the sign of an exact zero is covered by the FP8 tests
    for mode in MODES:
        want = oracle.round_mpfr_exact([exact], name, mode)[0]
        got = getattr(ro, op)(a, b, fmt, mode, codes=True)
        assert int(got) == int(want), (a, b, op, mode, hex(int(got)), hex(int(want)))


@pytest.mark.skipif(gmpy2 is None, reason="gmpy2 not installed")
@pytest.mark.parametrize("name", ["bfloat16", "float16", "float32"])
@settings(max_examples=150, deadline=None)
@given(a=st.one_of(finite64, spread), b=st.one_of(finite64, spread))
def test_float64_quotients_vs_mpfr(name, a, b):
    """MPFR divides straight into the target (subnormalize), so it rounds the exact quotient
    once; round-to-odd is RNDZ plus the inexact flag; ties-away picks between MPFR's RNDZ and
    RNDA results by comparing a with midpoint * b exactly."""
    if b == 0 or a == 0:
        return
    fmt = ro.format(name)
    e, m = oracle.IEEE_FORMATS[name]
    bias = (1 << (e - 1)) - 1
    # MPFR significands are in [1/2, 1): exponents one above the IEEE ones (as in oracle.py).
    ctx = dict(precision=m + 1, emin=2 - bias - m, emax=bias + 1, subnormalize=True)
    x, y = gmpy2.mpfr(a, 53), gmpy2.mpfr(b, 53)

    def rounded(rnd):
        with gmpy2.context(**ctx, round=rnd) as c:
            r = x / y
            return float(r), c.inexact

    toward, inexact = rounded(gmpy2.RoundToZero)
    for mode in MODES:
        if mode == "odd":
            code = oracle._pack_ieee(toward, e, m) | int(inexact)
        elif mode == "nearest_away":
            away, _ = rounded(gmpy2.RoundAwayZero)
            if math.isinf(away):
                away = math.copysign(math.ldexp(2.0, bias), toward or a / b)
            mid = (Fraction(toward) + Fraction(away)) / 2
            q = Fraction(a) / Fraction(b)
            r = away if abs(q) >= abs(mid) else toward
            if abs(r) > math.ldexp(2.0 - 2.0**-m, bias):
                r = math.copysign(math.inf, r)
            code = oracle._pack_ieee(r, e, m)
        else:
            rnd = {"nearest_even": gmpy2.RoundToNearest, "toward_zero": gmpy2.RoundToZero,
                   "up": gmpy2.RoundUp, "down": gmpy2.RoundDown}[mode]
            code = oracle._pack_ieee(rounded(rnd)[0], e, m)
        got = ro.div(a, b, fmt, mode, codes=True)
        assert int(got) == code, (a, b, mode, hex(int(got)), hex(code))


def test_ieee_special_cases():
    inf, nan = math.inf, math.nan
    for mode in MODES:
        z = float(ro.sub(1.5, 1.5, "bf16", mode))
        assert z == 0 and math.copysign(1, z) == (-1 if mode == "down" else 1), mode
        assert math.copysign(1, float(ro.add(-0.0, -0.0, "fp16", mode))) == -1
        assert math.copysign(1, float(ro.add(0.0, -0.0, "fp16", mode))) == (
            -1 if mode == "down" else 1)
    assert math.isnan(ro.mul(0.0, inf, "bf16"))
    assert math.isnan(ro.add(inf, -inf, "bf16"))
    assert ro.add(inf, inf, "bf16") == inf
    assert ro.mul(-inf, 2.0, "fp16") == -inf
    assert ro.div(1.0, 0.0, "bf16") == inf and ro.div(1.0, -0.0, "bf16") == -inf
    assert math.isnan(ro.div(-1.0, 0.0, "e4m3"))  # no Inf in E4M3: NaN, sign kept
    assert float(ro.div(-1.0, 0.0, "e4m3", saturate=True)) == -448.0
    assert math.isnan(ro.div(0.0, 0.0, "bf16")) and math.isnan(ro.div(inf, inf, "bf16"))
    assert math.copysign(1, float(ro.div(-1.0, inf, "fp16"))) == -1
    assert int(ro.add(nan, 1.0, "bf16", codes=True)) == ro.bfloat16.nan_code
    assert int(ro.mul(-nan, 1.0, "e4m3", codes=True)) == 0x7F  # canonical NaN
    # FNUZ: a negative zero result is +0 (the negative-zero code is NaN).
    assert int(ro.mul(-1.0, 0.0, "float8_e4m3fnuz", codes=True)) == 0
    assert int(ro.sub(1.0, 1.0, "float8_e4m3fnuz", "down", codes=True)) == 0
    # x + 0 and x * 1 are exact, subnormals included.
    tiny = 2.0**-1074
    assert float(ro.add(tiny, 0.0, "float64")) == tiny
    assert float(ro.mul(tiny, 1.0, "float64")) == tiny


def test_double_rounding_through_float32():
    # Computing in float32 first rounds 1 + 2^-24 + 2^-60 to the tie 1 + 2^-24 ... then to 1.0
    # in fp16; the exact sum is above the fp16 midpoint 1 + 2^-11 only when it is: here the
    # exact value 1 + 2^-11 + 2^-40 is just above the midpoint, float32 holds only the tie.
    a, b = 1.0, 2.0**-11 + 2.0**-40
    assert float(ro.add(a, b, "fp16")) == 1.0 + 2.0**-10
    assert float(np.float16(np.float32(a) + np.float32(b))) == 1.0  # the trap


def test_e4m3_overflow_edge_in_arithmetic():
    assert float(ro.add(448.0, 16.0, "e4m3")) == 448.0  # 464 ties to even 448
    assert math.isnan(ro.add(448.0, 16.0 + 2.0**-20, "e4m3"))
    assert float(ro.add(448.0, 64.0, "e4m3", saturate=True)) == 448.0


def test_stochastic_add_exact_counts():
    """All 2^8 random integers: 1 + 3 * 2^-10 lies 3/8 of the way from 1 to the next bf16
    value 1 + 2^-7, so exactly 3/8 of them round up."""
    r = np.arange(256, dtype=np.uint32)
    got = ro.add(np.ones(256), 3 * 2.0**-10, "bf16", "stochastic", rbits=r, sr_bits=8)
    assert np.count_nonzero(got == 1.0 + 2.0**-7) == 96
    assert np.count_nonzero(got == 1.0) == 160
    prod = ro.mul(np.full(256, 1.0 + 2.0**-4), 1.0 + 2.0**-4, "e4m3", "stochastic", rbits=r,
                  sr_bits=8)  # 1.12890625 = 1.125 + 1/32 of the ulp 0.125
    assert np.count_nonzero(prod == 1.25) == 8


def test_stagnation_nearest_vs_stochastic():
    """Adding 1e-3 to 1.0 a thousand times in BF16: nearest never moves (1e-3 is below half
    an ulp of 1.0); stochastic rounding ends near 2.0. Freedman's inequality with per-step
    variance <= 1.6e-5 and steps <= 2^-6 bounds P(|x - 2| >= 0.75) by 1e-6; the seeds are
    fixed, so the test is deterministic."""
    x_rn = x_sr = 1.0
    for step in range(1000):
        x_rn = float(ro.add(x_rn, 1e-3, "bf16"))
        x_sr = float(ro.add(x_sr, 1e-3, "bf16", "stochastic", seed=step))
    assert x_rn == 1.0
    assert abs(x_sr - 2.0) < 0.75


def test_broadcasting_and_bad_input():
    assert ro.add(np.ones((2, 1)), np.ones(3), "bf16").shape == (2, 3)
    assert isinstance(ro.add(1.0, 2.0, "bf16"), np.floating)
    with pytest.raises(ValueError, match="broadcast"):
        ro.add(np.ones(2), np.ones(3), "bf16")
    with pytest.raises(ValueError, match="rounding"):
        ro.mul(1.0, 1.0, "bf16", "sideways")
    with pytest.raises(ValueError):
        ro.mul(1.0, 1.0, "e4m3x")
    with pytest.raises(TypeError, match="a:"):
        ro.add("x", 1.0, "bf16")
    with pytest.raises(ValueError, match="rbits"):
        ro.add(np.ones(3), 1.0, "bf16", "stochastic", rbits=np.zeros(2, np.uint32))
    with pytest.raises(ValueError, match="sr_bits"):
        ro.add(1.0, 1.0, "float64", "stochastic")  # 52 + 32 > 60 exact bits
    assert float(ro.add(1.0, 2.0**-60, "float64", "stochastic", sr_bits=8)) in (1.0, 1.0 + 2**-52)
    a = np.arange(6.0)
    ro.add(a, a, "e4m3")
    assert np.array_equal(a, np.arange(6.0))  # inputs untouched
    assert ro.add(np.zeros((0, 3)), 1.0, "bf16").shape == (0, 3)


def hidden_ties(count: int = 6):
    """float64 pairs a, b whose quotient exceeds a float32 midpoint m by less than 2^-62 of it:
    the first 62 bits of the quotient look exactly like the tie, only the remainder tells."""
    rng = np.random.default_rng(11)
    found = []
    while len(found) < count:
        b = 1.0 + float(rng.integers(1, 2**52)) * 2.0**-52
        k = int(rng.integers(0, 2**22))
        m = Fraction(1) + Fraction(2 * k + 1, 2**24)  # between two float32 values in [1, 2)
        a = float(m * Fraction(b))
        excess = Fraction(a) / Fraction(b) - m
        if 0 < excess < m * Fraction(1, 2**62):
            found.append((a, b, m))
    return found


def test_division_remainder_is_sticky():
    for a, b, m in hidden_ties():
        lo, hi = float(m - Fraction(1, 2**24)), float(m + Fraction(1, 2**24))
        assert float(ro.div(a, b, "float32")) == hi  # above the midpoint: up, even or not
        assert float(ro.div(a, b, "float32", "nearest_away")) == hi
        assert float(ro.div(a, b, "float32", "toward_zero")) == lo
        odd = int(np.float32(lo).view(np.uint32)) | 1
        assert int(ro.div(a, b, "float32", "odd", codes=True)) == odd


def test_product_low_bits_are_sticky():
    """float64 pairs whose product exceeds a float32 midpoint by less than 2^-62 of it: only
    the product's low bits (kept as sticky) separate it from the tie."""
    rng = np.random.default_rng(12)
    found = 0
    while found < 6:
        a = 1.0 + float(rng.integers(1, 2**52)) * 2.0**-52
        m = Fraction(1) + Fraction(2 * int(rng.integers(0, 2**22)) + 1, 2**24)
        b = float(m / Fraction(a))
        excess = Fraction(a) * Fraction(b) - m
        if not 0 < excess < m * Fraction(1, 2**62):
            continue
        found += 1
        lo, hi = float(m - Fraction(1, 2**24)), float(m + Fraction(1, 2**24))
        assert float(ro.mul(a, b, "float32")) == hi
        assert float(ro.mul(a, b, "float32", "toward_zero")) == lo


def e4m3_triples(n: int = 1_000_000):
    """n random triples of finite E4M3 values; half of them cancellation-heavy (c is -a*b
    rounded to E4M3, nudged by up to 2 codes)."""
    rng = np.random.default_rng(21)
    fmt = ro.format("e4m3")
    v = finite_values(fmt)
    a, b, c = (v[rng.integers(0, v.size, n)] for _ in range(3))
    half = n // 2
    near = ro.encode(-(a[:half] * b[:half]), fmt, saturate=True).astype(np.int64)
    near = near + rng.integers(-2, 3, half) * np.where(near & 0x80, -1, 1)
    near = np.clip(near, 0, 255).astype(np.uint8)
    near = np.where((near & 0x7F) == 0x7F, near - 1, near).astype(np.uint8)  # not NaN
    c[:half] = ro.decode(near, fmt, np.float64)
    return a, b, c


@pytest.fixture(scope="module")
def fma_triples():
    a, b, c = e4m3_triples()
    p = a * b  # exact: 8-bit products
    with np.errstate(invalid="ignore"):
        s = p + c
        bv = s - p
        err = (p - (s - bv)) + (c - bv)
    assert np.all(err == 0), "a * b + c not exact in float64"
    return a, b, c, s


@pytest.mark.parametrize("mode", MODES)
def test_million_e4m3_fma_triples_vs_table_oracle(mode, fma_triples):
    a, b, c, s = fma_triples
    fmt = ro.format("e4m3")
    zero = s == 0
    p_zero, c_zero = (a == 0) | (b == 0), c == 0
    # IEEE zero sign: both terms zero -> their rule; exact cancellation -> +0 (-0 under down).
    p_neg = np.signbit(a) != np.signbit(b)
    both = p_zero & c_zero
    zsign = np.where(both & (p_neg == np.signbit(c)), p_neg, mode == "down")
    want = oracle.round_table(np.where(zero, np.where(zsign, -0.0, 0.0), s), fmt, mode)
    got = ro.fma(a, b, c, fmt, mode, codes=True)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(a[i], b[i], c[i], int(got[i]), int(want[i])) for i in bad[:5]]


E6M9 = ro.Format(exp_bits=6, man_bits=9)


def _fma_name(fmt):
    return {ro.bfloat16: "bfloat16", ro.float16: "float16"}.get(fmt, "e6m9")


@pytest.mark.skipif(gmpy2 is None, reason="gmpy2 not installed")
@pytest.mark.parametrize("fmt", [ro.bfloat16, ro.float16, E6M9], ids=["bf16", "fp16", "e6m9"])
@settings(max_examples=120, deadline=None)
@given(xs=st.lists(st.one_of(finite64, spread), min_size=3, max_size=3),
       in_format=st.lists(st.booleans(), min_size=3, max_size=3), near=st.integers(-2, 2))
def test_fma_vs_mpfr(fmt, xs, in_format, near):
    """Operands either of the format (quantized) or raw float64; c is sometimes -a*b nudged
    (near-cancellation and near-ties)."""
    a, b, c = (float(ro.quantize(x, fmt)) if q else x for x, q in zip(xs, in_format))
    if not all(map(math.isfinite, (a, b, c))):
        return
    if near:
        c = -float(ro.mul(a, b, fmt)) + near * float(np.spacing(np.float64(a * b or 1.0)))
        if not math.isfinite(c):
            return
    with gmpy2.context(precision=2200, emin=-5000, emax=5000):
        exact = gmpy2.mpfr(a) * gmpy2.mpfr(b) + gmpy2.mpfr(c)
    if gmpy2.is_zero(exact):
        return
    oracle.IEEE_FORMATS.setdefault("e6m9", (6, 9))
    for mode in MODES:
        want = oracle.round_mpfr_exact([exact], _fma_name(fmt), mode)[0]
        got = ro.fma(a, b, c, fmt, mode, codes=True)
        assert int(got) == int(want), (a, b, c, mode, hex(int(got)), hex(int(want)))


def test_fma_double_rounding():
    """Rounding the product first loses what the sum needs: BF16 x = 1 + 2^-7,
    x * x + (-1 - 2^-6) = 2^-14 exactly; the rounded product gives 0."""
    x = 1.0 + 2.0**-7
    assert float(ro.fma(x, x, -(1.0 + 2.0**-6), "bf16")) == 2.0**-14
    assert float(ro.add(ro.mul(x, x, "bf16"), -(1.0 + 2.0**-6), "bf16")) == 0.0


def test_fma_specials_and_stochastic():
    inf = math.inf
    assert math.isnan(ro.fma(0.0, inf, 1.0, "bf16"))
    assert math.isnan(ro.fma(inf, 1.0, -inf, "bf16"))
    assert ro.fma(inf, 1.0, inf, "bf16") == inf
    assert ro.fma(1e300, 1e300, -inf, "float64") == -inf
    z = float(ro.fma(1.0, 1.0, -1.0, "fp16", "down"))
    assert z == 0 and math.copysign(1, z) == -1
    assert math.copysign(1, float(ro.fma(-0.0, 1.0, -0.0, "fp16"))) == -1
    # 1 + 2^-8 * 2^-2 lies 1/8 of the way to the next BF16 value (ulp 2^-7): 32 of 256 up.
    r = np.arange(256, dtype=np.uint32)
    got = ro.fma(np.full(256, 2.0**-8), 2.0**-2, 1.0, "bf16", "stochastic", rbits=r, sr_bits=8)
    assert np.count_nonzero(got == 1.0 + 2.0**-7) == 32


def test_fma_far_smaller_product_is_sticky():
    """Found by Hypothesis: a product 128 or more binades below the addend fell outside the
    128-bit alignment mask and was dropped instead of kept as sticky."""
    for b in (2.0**-126, 2.0**-130, 2.0**-1000):
        assert float(ro.fma(0.25, b, 1.0, "bf16", "up")) == 1.0 + 2.0**-7
        assert float(ro.fma(-0.25, b, 1.0, "bf16", "down")) == 1.0 - 2.0**-8
        assert float(ro.fma(0.25, b, 1.0, "bf16")) == 1.0


def mpfr_sqrt_codes(xs, fmt: ro.Format, mode: str) -> np.ndarray:
    """Codes of sqrt(x) for finite x >= 0, rounded by MPFR straight into fmt's precision and
    range (subnormalize): one rounding. Odd: RNDZ plus the inexact flag. Ties-away: RNDZ or
    RNDA by comparing x with the squared midpoint, exactly."""
    e, m = fmt.exp_bits, fmt.man_bits
    bias = fmt.bias
    ctx = dict(precision=m + 1, emin=2 - bias - m, emax=bias + 1, subnormalize=True)
    out = []
    for x in xs:
        xm = gmpy2.mpfr(float(x), 53)

        def rounded(rnd, xm=xm):
            with gmpy2.context(**ctx, round=rnd) as c:
                return float(gmpy2.sqrt(xm)), c.inexact

        if mode == "odd":
            r, inexact = rounded(gmpy2.RoundToZero)
            out.append(oracle._pack_ieee(r, e, m) | int(inexact))
            continue
        if mode == "nearest_away":
            lo, _ = rounded(gmpy2.RoundToZero)
            hi, _ = rounded(gmpy2.RoundAwayZero)
            if math.isinf(hi):  # past max: the next value would be 2^(emax + 1)
                hi = math.ldexp(2.0, bias)
            mid = (Fraction(lo) + Fraction(hi)) / 2
            r = hi if Fraction(float(x)) >= mid * mid else lo
            if r > math.ldexp(2.0 - 2.0**-m, bias):
                r = math.inf
        else:
            rnd = {"nearest_even": gmpy2.RoundToNearest, "toward_zero": gmpy2.RoundToZero,
                   "up": gmpy2.RoundUp, "down": gmpy2.RoundDown}[mode]
            r, _ = rounded(rnd)
        out.append(oracle._pack_ieee(r, e, m))
    return np.array(out, dtype=np.uint64)


@pytest.mark.skipif(gmpy2 is None, reason="gmpy2 not installed")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["e4m3", "e5m2", "bf16", "fp16"])
def test_sqrt_of_every_code_vs_mpfr(name, mode):
    """Every non-negative finite code (E4M3's square roots stay far below its top binade, so
    its IEEE-style MPFR context rounds alike); negative ones give NaN."""
    fmt = ro.format(name)
    codes = np.arange(1 << fmt.bits, dtype=np.uint64).astype(fmt.code_dtype)
    x = ro.decode(codes, fmt, np.float64)
    pos = np.isfinite(x) & ~np.signbit(x)
    got = ro.sqrt(x[pos], fmt, mode, codes=True).astype(np.uint64)
    want = mpfr_sqrt_codes(x[pos], fmt, mode)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(x[pos][i], hex(int(got[i])), hex(int(want[i]))) for i in bad[:5]]
    neg = np.isfinite(x) & np.signbit(x) & (x != 0)
    assert np.all(ro.sqrt(x[neg], fmt, mode, codes=True) == fmt.nan_code)


@pytest.mark.skipif(gmpy2 is None, reason="gmpy2 not installed")
@settings(max_examples=200, deadline=None)
@given(x=st.floats(min_value=0.0, allow_infinity=False, allow_nan=False, width=64))
def test_sqrt_float64_operands_vs_mpfr(x):
    for name in ("bfloat16", "float32"):
        fmt = ro.format(name)
        for mode in MODES:
            want = mpfr_sqrt_codes([x], fmt, mode)[0]
            assert int(ro.sqrt(x, fmt, mode, codes=True)) == int(want), (x, name, mode)


def test_sqrt_remainder_is_sticky():
    """float64 x just above m^2, m a midpoint between float64 values: sqrt(x) exceeds m by
    less than 2^-62 of it, so only the remainder of the integer root says it is above."""
    rng = np.random.default_rng(13)
    found = 0
    while found < 4:
        k = int(rng.integers(0, 2**50))
        m = 1 + Fraction(2 * k + 1, 2**53)
        x = float(m * m)
        if Fraction(x) < m * m:
            x = float(np.nextafter(x, np.inf))
        if not Fraction(x) - m * m < m * m / 2**62:
            continue
        found += 1
        lo, hi = float(m - Fraction(1, 2**53)), float(m + Fraction(1, 2**53))
        assert float(ro.sqrt(x, "float64")) == hi
        assert float(ro.sqrt(x, "float64", "toward_zero")) == lo


@pytest.mark.parametrize("mode", ["nearest_even", "up", "stochastic"])
def test_neg_abs_min_max_every_e4m3_pair(mode):
    """Exact on E4M3 values, so the result is the operand itself; into E5M2 it is rounded
    once (checked against encode of the exact value)."""
    fmt = ro.format("e4m3")
    codes = np.arange(256, dtype=np.uint8)
    v = ro.decode(codes, fmt, np.float64)
    want_neg = np.where(np.isnan(v), fmt.nan_code, codes ^ 0x80).astype(np.uint8)
    assert np.array_equal(ro.neg(v, fmt, mode, codes=True), want_neg)
    want_abs = np.where(np.isnan(v), fmt.nan_code, codes & 0x7F).astype(np.uint8)
    assert np.array_equal(ro.abs(v, fmt, mode, codes=True), want_abs)
    a, b = np.broadcast_arrays(v[:, None], v[None, :])
    ca, cb = np.broadcast_arrays(codes[:, None], codes[None, :])
    nan = np.isnan(a) | np.isnan(b)
    # Independent of np.minimum: compare by value, ties between zeros by the sign bit.
    a_less = (a < b) | ((a == b) & np.signbit(a) & ~np.signbit(b))
    want_min = np.where(nan, fmt.nan_code, np.where(a_less, ca, cb)).astype(np.uint8)
    want_max = np.where(nan, fmt.nan_code, np.where(a_less, cb, ca)).astype(np.uint8)
    # equal nonzero values have equal codes, so either operand's code is right
    assert np.array_equal(ro.min(a, b, fmt, mode, codes=True), want_min)
    assert np.array_equal(ro.max(a, b, fmt, mode, codes=True), want_max)
    e5 = ro.format("e5m2")
    assert np.array_equal(ro.max(a, b, e5, mode, codes=True, seed=3),
                          ro.encode(ro.decode(want_max, fmt, np.float64), e5, mode, seed=3))


def test_min_max_ieee_zeros_and_nan():
    assert math.copysign(1, float(ro.min(0.0, -0.0, "bf16"))) == -1
    assert math.copysign(1, float(ro.min(-0.0, 0.0, "bf16"))) == -1
    assert math.copysign(1, float(ro.max(-0.0, 0.0, "bf16"))) == 1
    assert math.copysign(1, float(ro.max(0.0, -0.0, "bf16"))) == 1
    assert math.isnan(ro.min(math.nan, 1.0, "bf16")) and math.isnan(ro.max(1.0, math.nan, "bf16"))
    assert math.copysign(1, float(ro.neg(0.0, "fp16"))) == -1
    assert int(ro.neg(0.0, "float8_e4m3fnuz", codes=True)) == 0  # FNUZ: no -0
    with pytest.raises(ValueError, match="broadcast"):
        ro.min(np.ones(2), np.ones(3), "bf16")


@pytest.mark.parametrize("mode", list(MODES) + ["stochastic"])
def test_ops_on_codes_equal_ops_on_values(mode):
    """roundoff.ops takes and returns codes of one format: the same results as the value API
    on the decoded operands, the same random bits for the same seed."""
    fmt = ro.format("e5m2")
    rng = np.random.default_rng(5)
    a, b, c = (rng.integers(0, 256, 4000, dtype=np.uint64).astype(np.uint8) for _ in range(3))
    va, vb, vc = (ro.decode(x, fmt, np.float64) for x in (a, b, c))
    kw = dict(seed=17)
    for op in ("add", "sub", "mul", "div", "min", "max"):
        assert np.array_equal(getattr(ro.ops, op)(a, b, fmt, mode, **kw),
                              getattr(ro, op)(va, vb, fmt, mode, codes=True, **kw)), op
    for op in ("sqrt", "neg", "abs"):
        assert np.array_equal(getattr(ro.ops, op)(a, fmt, mode, **kw),
                              getattr(ro, op)(va, fmt, mode, codes=True, **kw)), op
    assert np.array_equal(ro.ops.fma(a, b, c, fmt, mode, **kw),
                          ro.fma(va, vb, vc, fmt, mode, codes=True, **kw))


def test_ops_reject_values_and_out_of_range_codes():
    with pytest.raises(TypeError, match="integer codes"):
        ro.ops.add([1.5], [1], "e4m3")
    with pytest.raises(ValueError, match="0..255"):
        ro.ops.mul([300], [1], "e4m3")


@pytest.mark.parametrize("op,args,fmt,lo,hi,p_up", [
    # 1 + 3 * 2^-10: 3/8 of the way from 1 to 1 + 2^-7 in BF16.
    ("add", (1.0, 3 * 2.0**-10), "bf16", 1.0, 1.0 + 2.0**-7, 3 / 8),
    # 1.125^2 = 1.265625 in E4M3: 1/8 of the way from 1.25 to 1.375.
    ("mul", (1.125, 1.125), "e4m3", 1.25, 1.375, 1 / 8),
    # 1/3 in FP16: from 0.333251953125 to 0.33349609375, a fraction 1/3 of the way.
    ("div", (1.0, 3.0), "fp16", 0.333251953125, 0.33349609375, 1 / 3),
])
def test_stochastic_arithmetic_is_unbiased(op, args, fmt, lo, hi, p_up):
    """n = 10^6 results from Philox bits: the share rounded up is within t of D, where
    Hoeffding's 2 exp(-2 n t^2) = 1e-9 gives t = 3.3e-3 (false-failure probability 1e-9).
    The mean of the results then equals the exact value within t ulps."""
    n = 1_000_000
    shape_args = [np.full(n, args[0])] + list(args[1:])
    got = getattr(ro, op)(*shape_args, fmt, "stochastic", seed=2024)
    assert set(np.unique(got)) <= {lo, hi}
    t = math.sqrt(math.log(2 / 1e-9) / (2 * n))
    share = np.count_nonzero(got == hi) / n
    assert abs(share - p_up) <= t, (share, p_up, t)


def test_ties_away_mistaken_for_ties_even_in_arithmetic():
    # 1 + 2^-11 is the FP16 midpoint between 1 and 1 + 2^-10: even -> 1, away -> up.
    assert float(ro.add(1.0, 2.0**-11, "fp16")) == 1.0
    assert float(ro.add(1.0, 2.0**-11, "fp16", "nearest_away")) == 1.0 + 2.0**-10
    # A tie next to an odd value goes up to the even one in both modes.
    assert float(ro.add(1.0 + 2.0**-10, 2.0**-11, "fp16")) == 1.0 + 2.0**-9
    assert float(ro.add(1.0 + 2.0**-10, 2.0**-11, "fp16", "nearest_away")) == 1.0 + 2.0**-9
