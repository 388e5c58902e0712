"""Shapes, strides, dtypes and policies (Hypothesis): layout never changes the bits."""

import ml_dtypes
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import roundoff as ro

float_dtypes = st.sampled_from([np.float16, np.float32, np.float64])
targets = st.sampled_from(["e4m3", "e5m2", "e4m3fnuz", "bf16", "fp16", "tf32", "e2m1", "e8m0"])
modes = st.sampled_from(ro.MODES)


@st.composite
def strided_arrays(draw):
    dtype = draw(float_dtypes)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))
    base = draw(hnp.arrays(dtype, shape, elements=st.floats(width=np.dtype(dtype).itemsize * 8,
                                                             allow_nan=True)))
    # A random view: per-axis steps (including negative) and maybe a transpose.
    index = tuple(slice(None, None, draw(st.sampled_from([1, 2, -1]))) for _ in shape)
    view = base[index]
    if draw(st.booleans()):
        view = view.T
    return view


@settings(max_examples=200, deadline=None)
@given(x=strided_arrays(), fmt=targets, mode=modes, saturate=st.booleans(),
       flush=st.booleans(), seed=st.integers(0, 2**64 - 1), sr_bits=st.integers(1, 32))
def test_any_layout_gives_the_bits_of_the_contiguous_copy(x, fmt, mode, saturate, flush, seed,
                                                           sr_bits):
    kw = dict(saturate=saturate, flush_subnormals=flush, seed=seed, sr_bits=sr_bits)
    got = ro.encode(x, fmt, mode, **kw)
    want = ro.encode(np.ascontiguousarray(x), fmt, mode, **kw)
    assert got.shape == x.shape and got.flags.c_contiguous
    assert np.array_equal(got, want)


@settings(max_examples=100, deadline=None)
@given(x=strided_arrays(), fmt=targets, mode=modes)
def test_strided_rbits(x, fmt, mode):
    rng = np.random.default_rng(0)
    r = rng.integers(0, 2**32, size=tuple(2 * s for s in x.shape), dtype=np.uint32)
    r_view = r[tuple(slice(None, None, 2) for _ in x.shape)]
    got = ro.encode(x, fmt, "sr", rbits=r_view)
    assert np.array_equal(got, ro.encode(np.ascontiguousarray(x), fmt, "sr",
                                         rbits=np.ascontiguousarray(r_view)))


@settings(max_examples=100, deadline=None)
@given(x=hnp.arrays(np.float32, hnp.array_shapes(max_dims=3, max_side=5),
                    elements=st.floats(width=32)), fmt=targets, mode=modes)
def test_dtype_of_the_source_does_not_matter_when_values_are_equal(x, fmt, mode):
    """float32 values given as float32, float64 or bfloat16-exact ml_dtypes are one value."""
    a = ro.encode(x, fmt, mode, seed=3)
    b = ro.encode(x.astype(np.float64), fmt, mode, seed=3)
    nan = np.isnan(x)
    assert np.array_equal(a[~nan], b[~nan])
    y = x.astype(ml_dtypes.bfloat16)  # exact in float32 too
    assert np.array_equal(ro.encode(y, fmt, mode, seed=3),
                          ro.encode(y.astype(np.float32), fmt, mode, seed=3))


def test_scalars_and_sequences():
    assert isinstance(ro.encode(1.0, "e4m3"), np.uint8)
    assert int(ro.encode(1.0, "e4m3")) == 0x38
    assert ro.encode([1.0, 2.0], "bf16").tolist() == [0x3F80, 0x4000]
    assert int(ro.encode(3, "e4m3")) == 0x44  # integers taken exactly
    assert isinstance(ro.quantize(0.1, "bf16"), np.float64)
    assert ro.quantize(np.float32(0.1), "bf16").dtype == np.float32
    assert ro.quantize(np.float16(0.1), "e4m3").dtype == np.float16
    # bfloat16 values do not all fit float16: the result widens instead of rounding twice
    assert ro.quantize(np.array([1.0], np.float16), "bf16").dtype == np.float32
    assert ro.encode(np.array(1.0), "e4m3").shape == ()


def test_code_dtypes_by_width():
    assert ro.encode([1.0], "e2m1").dtype == np.uint8
    assert ro.encode([1.0], "tf32").dtype == np.uint32
    assert ro.encode([1.0], "fp32").dtype == np.uint32
    assert ro.encode([1.0], ro.Format(11, 40)).dtype == np.uint64


def test_large_array_threads():
    x = np.random.default_rng(1).standard_normal(3 << 20) * 100
    ro.set_num_threads(1)
    try:
        one = ro.encode(x, "e4m3", "rne")
        ro.set_num_threads(2)
        assert ro.get_num_threads() == 2
        assert np.array_equal(one, ro.encode(x, "e4m3", "rne"))
    finally:
        ro.set_num_threads(0)
