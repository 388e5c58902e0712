"""One test per known trap, named after the bug class it pins."""

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro


def test_double_rounding_float64_through_float32():
    # ml_dtypes PR #401: float64 narrowed to float32 first rounds -431.99999999999994 to -432,
    # a tie that then goes to -448. The exact value is below the midpoint: -416.
    x = -431.99999999999994
    assert float(ro.quantize(x, "e4m3")) == -416.0
    assert float(np.array([x]).astype(ml_dtypes.float8_e4m3fn)[0]) == -448.0  # the trap
    # 1.0625 + 2^-40 is just above the 1.0/1.125 midpoint; float32 cannot hold it.
    assert float(ro.quantize(1.0625 + 2.0**-40, "e4m3")) == 1.125
    assert float(ro.quantize(1.0625, "e4m3")) == 1.0  # the tie itself goes to even


def test_double_rounding_bf16_from_float64():
    x = 1.0 + 2.0**-8 + 2.0**-30  # above the bf16 midpoint; float32 rounds it onto the tie
    assert float(ro.quantize(x, "bf16")) == 1.0 + 2.0**-7
    assert float(np.float32(x)) == 1.0 + 2.0**-8


def test_ties_away_mistaken_for_ties_even():
    # QPyTorch #23 / microxcaling: "nearest" must mean ties-to-even unless asked otherwise.
    assert float(ro.quantize(1.0 + 2.0**-11, "fp16")) == 1.0
    assert float(ro.quantize(1.0 + 2.0**-11, "fp16", "nearest_away")) == 1.0 + 2.0**-10
    assert float(ro.quantize(4.25, "e4m3")) == 4.0  # ml_dtypes #221: a tie, even is 4
    assert float(ro.quantize(9.0, "e5m2")) == 8.0   # Triton #5925


def test_e4m3_overflow_edge():
    codes = ro.encode([448.0, 464.0, 464.0 + 2.0**-40, 479.0, 480.0, 1e30, np.inf], "e4m3")
    assert codes.tolist() == [0x7E, 0x7E, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F]
    sat = ro.encode([464.0 + 2.0**-40, 1e30, np.inf, -np.inf], "e4m3", saturate=True)
    assert sat.tolist() == [0x7E, 0x7E, 0x7E, 0xFE]
    assert int(ro.encode(-500.0, "e4m3")) == 0xFF  # NaN keeps the sign on overflow
    assert int(ro.encode(500.0, "e4m3", "toward_zero")) == 0x7E  # IEEE: RZ never overflows


def test_e5m2_overflow_edge():
    assert ro.encode([57344.0, 61439.99, 61440.0], "e5m2").tolist() == [0x7B, 0x7B, 0x7C]
    assert ro.encode([61440.0, -np.inf], "e5m2", saturate=True).tolist() == [0x7B, 0xFB]
    assert int(ro.encode(1e9, "e5m2", "down")) == 0x7B
    assert int(ro.encode(-1e9, "e5m2", "down")) == 0xFC
    assert int(ro.encode(-1e9, "e5m2", "up")) == 0xFB


def test_fnuz_negative_zero():
    # onnx PR #5764: tiny negatives must become +0, never the NaN code 0x80.
    codes = ro.encode([-0.0, -1e-30, -2.0**-12], "e4m3fnuz")
    assert codes.tolist() == [0x00, 0x00, 0x00]
    assert int(ro.encode(-2.0**-12, "e4m3fnuz", "down")) == 0x81  # -min_subnormal
    assert int(ro.encode(np.nan, "e4m3fnuz")) == 0x80
    assert float(ro.decode(0x80, "e4m3fnuz")) != float(ro.decode(0x80, "e4m3fnuz"))  # NaN


def test_bf16_nan_payload_in_low_bits_stays_nan():
    # Bit tricks that truncate 0x7F800001 give Inf; a NaN must stay NaN.
    x = np.array([0x7F800001, 0xFF800001], np.uint32).view(np.float32)
    assert ro.encode(x, "bf16").tolist() == [0x7FC0, 0x7FC0]
    assert ro.encode(x, "bf16", "sr", seed=1).tolist() == [0x7FC0, 0x7FC0]


def test_signed_zero_kept():
    assert ro.encode([-0.0, -1e-30], "e4m3").tolist() == [0x80, 0x80]
    assert ro.encode([-1e-30], "e4m3", "up").tolist() == [0x80]


def test_e8m0_ties_go_up_and_no_zero():
    # p = 1: the significand is always 1 (odd), ties go to the larger magnitude (ml_dtypes/LLVM)
    assert ro.encode([1.5, 3.0, 6.0], "e8m0").tolist() == [0x80, 0x81, 0x82]
    assert ro.encode([0.0, -1.0, np.inf, 1e-45], "e8m0").tolist() == [0xFF, 0xFF, 0xFF, 0x00]


def test_e8m0_subnormal_source_rounds_to_nearest():
    # ml_dtypes 0.6.0 rounds every float32 subnormal in (2^-127, 2^-126) up to 2^-126.
    x = np.array([1.3 * 2.0**-127, 1.6 * 2.0**-127], np.float32)
    assert ro.encode(x, "e8m0").tolist() == [0x00, 0x01]
    assert x.astype(ml_dtypes.float8_e8m0fnu).view(np.uint8).tolist() == [0x01, 0x01]


def test_subnormal_sticky_bits_not_dropped():
    # tt-metal #51971: sticky bits lost in the subnormal path broke round-trips.
    ms = 2.0**-9
    assert float(ro.quantize(ms * 0.5, "e4m3")) == 0.0  # tie to even zero
    assert float(ro.quantize(ms * (0.5 + 2.0**-30), "e4m3")) == ms
    assert float(ro.quantize(ms * 1.5, "e4m3")) == 2 * ms


def test_flush_subnormals():
    ms = 2.0**-9
    assert float(ro.quantize(3 * ms, "e4m3", flush_subnormals=True)) == 0.0
    assert int(ro.encode(-3 * ms, "e4m3", flush_subnormals=True)) == 0x80
    assert float(ro.quantize(2.0**-6, "e4m3", flush_subnormals=True)) == 2.0**-6
    sub16 = np.array([2.0**-20], np.float16)  # a float16 subnormal input (DAZ)
    assert float(ro.quantize(sub16, "fp32", flush_subnormals=True)[0]) == 0.0


@pytest.mark.parametrize("mode, want", [("nearest_even", 0.0), ("up", 2.0**-6), ("odd", 2.0**-6),
                                        ("toward_zero", 0.0), ("nearest_away", 0.0)])
def test_formats_without_subnormals_round_to_zero_or_min_normal(mode, want):
    f = ro.Format(4, 3, bias=7, nonfinite="nan_all_ones", subnormals=False)
    assert float(ro.quantize(2.0**-8, f, mode)) == want
    assert float(ro.quantize(0.75 * 2.0**-6, f)) == 2.0**-6


def test_finite_only_formats_saturate():
    assert ro.encode([7.0, 100.0, np.inf, -np.inf, np.nan], "e2m1").tolist() == [
        0x7, 0x7, 0x7, 0xF, 0x0]


def test_non_native_byte_order_is_read_by_value():
    # The core reads raw bytes; big-endian inputs must be converted, not reinterpreted.
    x = np.array([1.5, -0.3, 448.0], ">f4")
    assert np.array_equal(ro.encode(x, "e4m3"), ro.encode(x.astype("<f4"), "e4m3"))
    assert ro.decode(np.array([0x3F80], ">u2"), "bf16").tolist() == [1.0]
    r = np.array([0, 2**31], ">u4")
    assert ro.encode([1 + 2.0**-8] * 2, "bf16", "sr", rbits=r).tolist() == [0x3F80, 0x3F81]


@pytest.mark.parametrize("mode", ["up", "nearest_away", "stochastic"])
def test_overflow_carry_past_the_lane_sign(mode):
    # Found in this repo: a result just below 2^(emax+2) whose significand rounds up carries
    # the magnitude code past the sign of the lanes it is compared in (64-bit lanes for
    # float64, 32-bit lanes for float32), and the overflow read as -0. The exact value here is
    # 2 * max + 2^-1000: every bit of the top binade set, and a sticky tail.
    m = np.finfo(np.float64).max
    rb = dict(rbits=np.uint32(2**8 - 1), sr_bits=8) if mode == "stochastic" else {}
    assert ro.fma(m, 2.0, 2.0**-1000, "float64", mode, **rb) == np.inf
    assert ro.fma(-m, 2.0, -(2.0**-1000), "float64", "down" if mode == "up" else mode,
                  **rb) == -np.inf
    # BF16 operands into float32 (32-bit vector lanes): 2^127 * 4 - 2^104 = 2^129 - 2^104 has
    # 25 leading ones; at float32's 24 bits the last is a tie (and a carry up for every mode
    # here, odd t) into 2^129.
    bf16 = ml_dtypes.bfloat16
    a, b, c = (np.full(9, v, dtype=bf16) for v in (2.0**127, 4.0, -(2.0**104)))
    rb = dict(rbits=np.full(9, 2**20 - 1, np.uint32), sr_bits=20) if rb else {}
    got = ro.fma(a, b, c, "float32", mode, codes=True, **rb)
    assert np.all(got == 0x7F800000), got


def test_stochastic_sum_reads_bits_beyond_the_lane():
    # BF16 sums run in 32-bit lanes, which hold 22 bits below the quantum of 1.0; R = 32 random
    # bits need ten more, kept exactly from the far operand (Exact::tail).
    # 1 + 2^-30: D = 2^-23 ulp, floor(D 2^32) = 512, so up iff r >= 2^32 - 512.
    # 1 - 2^-30: from 1 - 2^-8 (ulp 2^-8), D = 1 - 2^-22, floor(D 2^32) = 2^32 - 1024, up
    # (to 1.0) iff r >= 1024.
    bf16 = ro.format("bf16")
    one = np.full(6, ro.encode(1.0, bf16))
    tiny = np.full(6, ro.encode(2.0**-30, bf16))
    r = np.array([0, 511, 2**32 - 513, 2**32 - 512, 2**32 - 1, 1023], np.uint32)
    up = ro.ops.add(one, tiny, bf16, "stochastic", rbits=r)
    assert ro.decode(up, bf16, np.float64).tolist() == [1.0] * 3 + [1.0 + 2.0**-7] * 2 + [1.0]
    r = np.array([0, 1023, 1024, 2**32 - 1, 5000, 1], np.uint32)
    down = ro.ops.sub(one, tiny, bf16, "stochastic", rbits=r)
    lo = 1.0 - 2.0**-8
    assert ro.decode(down, bf16, np.float64).tolist() == [lo, lo, 1.0, 1.0, 1.0, lo]


# -- fast paths and the general engine: one answer per request -----------------------------------
def _both_paths(a, b, acc, **kw):
    fast = ro.matmul(a, b, acc, codes=True, **kw)
    ro.accumulate._NATIVE = False
    try:
        slow = ro.matmul(a, b, acc, codes=True, **kw)
    finally:
        ro.accumulate._NATIVE = True
    return fast, slow


def test_random_bits_dropped_on_a_fast_path():
    # FusedAdder(out_rounding="stochastic") on the C++ path passed no random bits, so it equalled
    # toward_zero bit for bit while the Python engine rounded stochastically.
    a = np.random.default_rng(1).standard_normal((64, 64)).astype(np.float32)

    def acc(mode, seed=0):
        return ro.Accumulator(a_fmt="bf16", b_fmt="bf16", seed=seed,
                              fused=ro.FusedAdder(16, 24, "bf16", mode))

    sr, sr_slow = _both_paths(a, a, acc("stochastic"))
    rz, rz_slow = _both_paths(a, a, acc("toward_zero"))
    assert np.array_equal(sr, sr_slow) and np.array_equal(rz, rz_slow)
    differ = np.count_nonzero(sr != rz)
    assert 1000 < differ < 4096, differ
    other = ro.matmul(a, a, acc("stochastic", seed=1), codes=True)
    assert np.count_nonzero(other != sr) > 1000
    # Stochastic rounding lands on a neighbour: between toward_zero and one ulp away.
    up = ro.matmul(a, a, acc("up"), codes=True)
    down = ro.matmul(a, a, acc("down"), codes=True)
    v, lo, hi = (ro.decode(x, "float32", np.float64) for x in (sr, down, up))
    assert np.all((v >= lo) & (v <= hi))


def test_unchecked_parameter_differs_between_paths():
    # FusedAdder.e_zero was not range-checked: with e_zero=-2000 the engine returned NaN for an
    # all-zero column and the C++ path 0. It is now bounded, and the paths agree at its ends.
    a = np.array([[0, 1], [1.5, 2]], np.float32)
    b = np.array([[0, 1], [0, 3]], np.float32)
    with pytest.raises(ValueError, match="^e_zero"):
        ro.FusedAdder(2, 24, e_zero=-2000)
    for e_zero in (-512, -133, 0, 40, 512):
        acc = ro.Accumulator("bf16", "up", a_fmt="bf16", b_fmt="bf16", promote_every=2,
                             fused=ro.FusedAdder(2, 24, e_zero=e_zero))
        fast, slow = _both_paths(a, b, acc)
        assert np.array_equal(fast, slow), e_zero
        assert not np.any(np.isnan(ro.decode(fast, "float32")))


def test_saturation_ignored_on_a_fast_path():
    # The C++ fused kernel promoted into the accumulator without its saturation: an overflow
    # gave Inf there and max in the engine.
    a = np.full((1, 4), 2.0**100, np.float32)
    b = np.full((4, 2), 2.0**100, np.float32)
    acc = ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16", saturate=True, promote_every=2,
                         fused=ro.FusedAdder(2, 24))
    fast, slow = _both_paths(a, b, acc, out_fmt="bf16")
    assert np.array_equal(fast, slow)
    assert ro.decode(fast, "bf16", np.float64).tolist() == [[ro.BF16.max, ro.BF16.max]]


def test_empty_k_split_k_fused():
    # A fused accumulator with split_k and K = 0 divided by zero (also through sum and dot).
    acc = ro.Accumulator(a_fmt="bf16", b_fmt="bf16", fused=ro.FusedAdder(4, 20), split_k=2)
    z = ro.matmul(np.zeros((2, 0), np.float32), np.zeros((0, 3), np.float32), acc)
    assert z.shape == (2, 3) and not z.any()
    c = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(ro.matmul(np.zeros((2, 0)), np.zeros((0, 3)), acc, c=c), c)
    assert ro.sum(np.zeros((3, 0)), axis=1, accumulator=acc).tolist() == [0.0, 0.0, 0.0]
    assert float(ro.dot(np.zeros(0), np.zeros(0), acc)) == 0.0


def test_random_bits_reused_across_products_and_batch_elements():
    # Products rounded stochastically took the same random word for every k of an output, and
    # every batch element reused the words of the first: the roundings were correlated (all
    # K products of an output rounded the same way).
    K = 256
    x = np.full((1, K), 1.0 + 2.0**-10)  # into bf16: D = 1/8 for every product
    acc = ro.Accumulator("float64", product_fmt="bf16", product_rounding="stochastic", seed=9)
    total = float(ro.matmul(x, np.ones((K, 1)), acc)[0, 0])
    ups = (total - K) / 2.0**-7
    # All or none rounding up has probability (7/8)^256 + (1/8)^256 < 1e-14.
    assert ups == int(ups) and 0 < ups < K, ups
    # 256 batch elements of one product each, rounded under their own words.
    outs = ro.matmul(np.full((K, 1, 1), 1.0 + 2.0**-10), np.ones((K, 1, 1)), acc)[:, 0, 0]
    assert set(outs.tolist()) == {1.0, 1.0 + 2.0**-7}
    # Batch element n continues the words of element n - 1: the same as one long matrix.
    a = np.full((4, 3, 1), 1.0 + 2.0**-10)
    batched = ro.matmul(a, np.ones((4, 1, 5)), acc)
    flat = ro.matmul(a.reshape(12, 1), np.ones((1, 5)), acc)
    assert np.array_equal(batched.reshape(12, 5), flat)


def test_field_ignored_or_applied_twice_by_a_shortcut():
    # float32 arrays in, float32 chain: matmul went straight to the FMA kernel and skipped the
    # accumulator's k_order (found by drawing every Accumulator field).
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 25)).astype(np.float32)
    b = rng.standard_normal((25, 4)).astype(np.float32)
    perm = (0, 1, 4, 5, 2, 3, 6, 7)
    fast, slow = _both_paths(a, b, ro.Accumulator(k_order=perm))
    assert np.array_equal(fast, slow)
    k = [k0 + i for k0 in range(0, 25, 8) for i in perm if k0 + i < 25]
    assert np.array_equal(fast, ro.matmul(a[:, k], b[k], codes=True))
    assert not np.array_equal(fast, ro.matmul(a, b, codes=True))
    # Sliced orders run their slices through the same kernels: the permutation once.
    blocked = ro.Accumulator(order=ro.orders.blocked(16), k_order=perm)
    fast, slow = _both_paths(a, b, blocked)
    assert np.array_equal(fast, slow)
    plain = ro.Accumulator(order=ro.orders.blocked(16))
    assert np.array_equal(fast, ro.matmul(a[:, k], b[k], plain, codes=True))


def test_format_recognised_by_its_name_not_its_facts():
    # Fast paths chose float32 kernels for a format *named* float32: Format(5, 2,
    # name="float32") accumulated as float32 (code 1075419546 where E5M2 gives 65).
    impostor = ro.Format(5, 2, name="float32")
    a = np.array([[1.5, 2.0]], np.float32)
    b = np.array([[1.25], [0.75]], np.float32)
    got = ro.matmul(a, b, ro.Accumulator(impostor), codes=True)
    assert int(got[0, 0]) == int(ro.encode(3.375, "e5m2"))  # 1.875 + 1.5 = 3.375 -> 3.5
    assert float(ro.matmul(a, b, ro.Accumulator(impostor))[0, 0]) == 3.5
    x = np.array([1.0, 2.0**-3], np.float32)
    assert float(ro.sum(x, accumulator=ro.Accumulator(impostor))) == 1.0  # 1.125 -> 1.0 (even)


def test_truncate_bits_in_sum_as_in_matmul():
    # sum passed input_rounding "truncate_bits" to encode, which rejected it as a mode.
    x = np.array([1.0 + 2.0**-12, 1.0], np.float32)
    acc = ro.Accumulator("float32", a_fmt="tf32", input_rounding="truncate_bits")
    assert float(ro.sum(x, accumulator=acc)) == 2.0  # 2^-12 lies below tf32's mantissa
    assert float(ro.matmul(x[None, :], np.ones((2, 1), np.float32), acc)[0, 0]) == 2.0


def test_ops_misspelt_keyword_is_not_ignored():
    c = ro.encode([1.0, 2.0], "bf16")
    with pytest.raises(TypeError, match="saturte"):
        ro.ops.add(c, c, "bf16", saturte=True)
