"""Bad input gets a clear exception naming the argument; nothing crashes (fuzzed)."""

import subprocess
import sys
import warnings

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roundoff as ro


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: ro.encode(np.array(["a"]), "e4m3"), TypeError, "^x"),
        (lambda: ro.encode("1.0", "e4m3"), TypeError, "^x"),
        (lambda: ro.encode(np.array([1 + 2j]), "e4m3"), TypeError, "^x"),
        (lambda: ro.encode(np.array([object()]), "e4m3"), TypeError, "^x"),
        (lambda: ro.encode(np.array([1], np.longdouble), "e4m3"), TypeError, "^x"),
        (lambda: ro.encode([[1.0], [2.0, 3.0]], "e4m3"), TypeError, "^x"),
        (lambda: ro.encode(np.array([2**60 + 1]), "e4m3"), ValueError, "^x"),
        (lambda: ro.encode(1.0, "e4m3x"), ValueError, "^fmt"),
        (lambda: ro.encode(1.0, "e4m3", "banker"), ValueError, "^rounding"),
        (lambda: ro.encode(1.0, "e4m3", 3), TypeError, "^rounding"),
        (lambda: ro.encode(1.0, "e4m3", "sr", sr_bits=0), ValueError, "^sr_bits"),
        (lambda: ro.encode(1.0, "e4m3", "sr", sr_bits=33), ValueError, "^sr_bits"),
        (lambda: ro.encode(1.0, "e4m3", "sr", seed=-1), ValueError, "^seed"),
        (lambda: ro.encode(1.0, "e4m3", "sr", seed=2**64), ValueError, "^seed"),
        (lambda: ro.encode(1.0, "e4m3", "sr", seed=1.5), TypeError, "^seed"),
        (lambda: ro.encode([1.0, 2.0], "e4m3", "sr", rbits=[1]), ValueError, "^rbits"),
        (lambda: ro.encode([1.0], "e4m3", "sr", rbits=[1.0]), TypeError, "^rbits"),
        (lambda: ro.encode([1.0], "e4m3", "sr", sr_bits=4, rbits=[16]), ValueError, "^rbits"),
        (lambda: ro.encode([1.0], "e4m3", "sr", rbits=[-1]), ValueError, "^rbits"),
        (lambda: ro.encode([1.0], "e4m3", "rne", rbits=[1]), ValueError, "^rbits"),
        (lambda: ro.encode(1.0, "e4m3", saturate="yes"), TypeError, "^saturate"),
        (lambda: ro.decode([256], "e4m3"), ValueError, "^codes"),
        (lambda: ro.decode([-1], "e4m3"), ValueError, "^codes"),
        (lambda: ro.decode([16], "e2m1"), ValueError, "^codes"),
        (lambda: ro.decode([1.0], "e4m3"), TypeError, "^codes"),
        (lambda: ro.decode([1], "e4m3", np.int32), TypeError, "^dtype"),
        (lambda: ro.convert([1 << 16], "bf16", "e4m3"), ValueError, "^codes"),
        (lambda: ro.astype([1.0], "tf32"), ValueError, "^fmt"),
        (lambda: ro.set_num_threads(-1), ValueError, "^n"),
        (lambda: ro.set_num_threads(2**31), ValueError, "^n"),
        (lambda: ro.set_num_threads(1.5), TypeError, "^n"),
        (lambda: ro.FusedAdder(4, 20, "float64"), ValueError, "^out_fmt"),
        (lambda: ro.FusedAdder(4, 20, "e4m3"), ValueError, "^out_fmt"),
        (lambda: ro.FusedAdder(32, 46), ValueError, "^frac_bits"),
        (lambda: ro.FusedAdder(0, 20), ValueError, "^terms"),
        (lambda: ro.FusedAdder(4, 20, e_zero=600), ValueError, "^e_zero"),
        (lambda: ro.FusedAdder(4, 20, e_zero=1.0), TypeError, "^e_zero"),
        (lambda: ro.Accumulator(out_nan=2**70), ValueError, "^out_nan"),
        (lambda: ro.Accumulator(out_nan=-1), ValueError, "^out_nan"),
        (lambda: ro.Accumulator(out_nan=1.5), TypeError, "^out_nan"),
        (lambda: ro.matmul(np.ones((1, 1)), np.ones((1, 1)), ro.Accumulator(out_nan=0x7F800000)),
         ValueError, "^out_nan"),
        (lambda: ro.matmul(np.ones((1, 1)), np.ones((1, 1)), ro.Accumulator(out_nan=2**40)),
         ValueError, "^out_nan"),
        (lambda: ro.Accumulator(seed=2**64), ValueError, "^seed"),
        (lambda: ro.Accumulator(seed=-1), ValueError, "^seed"),
        (lambda: ro.Accumulator(seed=1.0), TypeError, "^seed"),
        (lambda: ro.Accumulator(sr_bits=33), ValueError, "^sr_bits"),
        (lambda: ro.Accumulator(saturate=1), TypeError, "^saturate"),
        (lambda: ro.captures.replay("/nonexistent/capture.npz"), FileNotFoundError, "^path"),
        # Each of these was accepted silently, or failed with a message naming something else.
        (lambda: ro.encode(1.0, None), TypeError, "^fmt"),                  # meant float64
        (lambda: ro.encode(np.ma.masked_array([1.0, 2.0], [0, 1]), "bf16"), TypeError,
         "^x: masked"),                                                    # mask ignored
        (lambda: ro.add(np.ma.masked_array([1.0]), 1.0, "bf16"), TypeError, "^a: masked"),
        (lambda: ro.sum(np.ma.masked_array([1.0, 2.0], [0, 1])), TypeError, "^x: masked"),
        (lambda: ro.sum([1.0, 2.0], ro.Accumulator()), TypeError,
         "^axis: got an Accumulator"),                                     # taken as the axis
        (lambda: ro.sum([1.0, 2.0], (0, 0)), ValueError, "^axis: repeated"),
        (lambda: ro.sum([1.0, 2.0], 1), ValueError, "^axis"),
        (lambda: ro.sum([1.0], accumulator="bf16"), TypeError, "^accumulator"),
        (lambda: ro.hw.preset("h100.mma", foo=1), TypeError,
         "^preset: 'h100.mma' takes no parameter foo; its parameters: a_fmt"),
        (lambda: ro.matmul(1.0, np.ones((1, 1))), ValueError, "^a, b: matmul takes no scalars"),
        (lambda: ro.matmul(np.ones(3), np.ones(4)), ValueError, "^a, b: inner"),
    ],
)
def test_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_empty_arrays():
    for shape in [(0,), (3, 0), (0, 2, 5)]:
        out = ro.encode(np.empty(shape, np.float32), "e4m3", "sr")
        assert out.shape == shape and out.dtype == np.uint8
        assert ro.decode(np.empty(shape, np.uint16), "bf16").shape == shape
        assert ro.quantize(np.empty(shape), "bf16").dtype == np.float64


def test_inputs_are_never_modified():
    x = np.linspace(-500, 500, 1001)
    x_copy = x.copy()
    r = np.arange(1001, dtype=np.uint32)
    r_copy = r.copy()
    ro.encode(x, "e4m3", "sr", rbits=r)
    ro.quantize(x, "bf16")
    c = ro.encode(x, "e5m2")
    c_copy = c.copy()
    ro.decode(c, "e5m2")
    ro.convert(c, "e5m2", "e4m3")
    assert np.array_equal(x, x_copy) and np.array_equal(r, r_copy) and np.array_equal(c, c_copy)


def test_readonly_inputs_work():
    x = np.arange(10, dtype=np.float32)
    x.setflags(write=False)
    assert np.array_equal(ro.quantize(x, "e4m3"), x)


formats = st.sampled_from(sorted(ro.FORMATS) + ["e4m3", "bf16"])
modes = st.sampled_from(list(ro.MODES) + ["rne", "sr"])
dtypes = st.sampled_from([np.float16, np.float32, np.float64, ml_dtypes.bfloat16,
                          ml_dtypes.float8_e4m3fn, np.int32, np.uint8, np.bool_])


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(min_size=0, max_size=64),
    dtype=dtypes,
    fmt=formats,
    mode=modes,
    saturate=st.booleans(),
    flush=st.booleans(),
    sr_bits=st.integers(-2, 40),
    seed=st.integers(-5, 2**65),
)
def test_fuzz_bindings_never_crash(raw, dtype, fmt, mode, saturate, flush, sr_bits, seed):
    """Arbitrary bytes as any dtype through every entry point: a result or a clear exception."""
    dt = np.dtype(dtype)
    x = np.frombuffer(raw[: len(raw) // dt.itemsize * dt.itemsize], dtype=dt)
    try:
        codes = ro.encode(x, fmt, mode, saturate=saturate, flush_subnormals=flush,
                          sr_bits=sr_bits, seed=seed)
    except (ValueError, TypeError):
        return
    assert codes.shape == x.shape
    back = ro.decode(codes, fmt, np.float64)
    assert back.shape == x.shape
    again = ro.convert(codes, fmt, "e5m2", mode, seed=0)
    assert again.shape == x.shape


@settings(max_examples=200, deadline=None)
@given(codes=st.lists(st.integers(-(2**70), 2**70), max_size=8), fmt=formats)
def test_fuzz_codes(codes, fmt):
    """Any Python integers as codes: values of the format, or a clear error for the others."""
    f = ro.format(fmt)
    try:
        out = ro.decode(codes, f)
    except (ValueError, TypeError):
        assert not all(0 <= c < 2**f.bits for c in codes)
        return
    assert out.shape == (len(codes),)
    assert all(0 <= c < 2**f.bits for c in codes)


def test_python_integers_beyond_int64_are_codes():
    # NumPy reads [0, 2**63] as float64 (int64 and uint64 mixed): they are still codes.
    assert ro.decode([0, 2**63], "float64", np.float64).tolist() == [0.0, -0.0]
    assert ro.decode([[2**64 - 1]], "float64", np.float64).shape == (1, 1)
    with pytest.raises(ValueError, match="^codes"):
        ro.decode([0, 2**64], "float64")
    with pytest.raises(TypeError, match="^codes"):
        ro.decode([0, 2**63, 1.5], "float64")


def test_empty_sequence_of_codes():
    assert ro.decode([], "bf16").shape == (0,)
    assert ro.convert([], "bf16", "e4m3").dtype == np.uint8


@settings(max_examples=200, deadline=None)
@given(
    raw=st.lists(st.binary(min_size=0, max_size=48), min_size=3, max_size=3),
    dts=st.lists(dtypes, min_size=3, max_size=3),
    fmt=formats,
    mode=modes,
    op=st.sampled_from(["add", "sub", "mul", "div", "fma", "sqrt", "neg", "abs", "min", "max"]),
    flush=st.booleans(),
    sr_bits=st.integers(-2, 40),
    seed=st.integers(-5, 2**65),
    reshape=st.booleans(),
)
def test_fuzz_arithmetic_never_crashes(raw, dts, fmt, mode, op, flush, sr_bits, seed, reshape):
    """Arbitrary bytes as operands of any dtype and length (broadcastable or not), any op,
    format and policy: a result of the broadcast shape or a clear exception."""
    xs = []
    for r, dtype in zip(raw, dts):
        dt = np.dtype(dtype)
        x = np.frombuffer(r[: len(r) // dt.itemsize * dt.itemsize], dtype=dt)
        xs.append(x.reshape(-1, 1) if reshape and x.size else x)
    arity = {"fma": 3, "sqrt": 1, "neg": 1, "abs": 1}.get(op, 2)
    args = xs[:arity]
    try:
        out = getattr(ro, op)(*args, fmt, mode, flush_subnormals=flush, sr_bits=sr_bits,
                              seed=seed, codes=True)
    except (ValueError, TypeError):
        return
    assert np.shape(out) == np.broadcast_shapes(*(np.shape(a) for a in args))


@settings(max_examples=150, deadline=None)
@given(
    raw=st.lists(st.binary(min_size=0, max_size=64), min_size=3, max_size=3),
    dts=st.lists(dtypes, min_size=3, max_size=3),
    shapes=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=3, max_size=3),
    acc=st.sampled_from([None, ro.Accumulator("bf16", "sr", seed=3),
                         ro.Accumulator("fp16", order=ro.orders.pairwise()),
                         ro.hw.preset("h100.wgmma", a_fmt="e4m3", promote_every_k=64),
                         ro.hw.preset("h100.cublas_gemm"),
                         ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16")]),
    use_c=st.booleans(),
)
def test_fuzz_matmul_never_crashes(raw, dts, shapes, acc, use_c):
    """Arbitrary bytes as a, b and c of any dtype and small shape, with any accumulator: a
    result of shape (M, N) or a clear exception."""
    xs = []
    for r, dtype, shape in zip(raw, dts, shapes):
        dt = np.dtype(dtype)
        x = np.frombuffer(r[: len(r) // dt.itemsize * dt.itemsize], dtype=dt)
        n = shape[0] * shape[1]
        xs.append(x[:n].reshape(shape) if x.size >= n else x)
    a, b, c = xs
    try:
        with np.errstate(all="ignore"):
            out = ro.matmul(a, b, acc, c=c if use_c else None, codes=True)
    except (ValueError, TypeError):
        return
    assert out.shape == np.matmul(np.zeros(np.shape(a)), np.zeros(np.shape(b))).shape


def test_oversubscribed_threads_warn():
    before = ro.get_num_threads()
    try:
        with pytest.warns(RuntimeWarning, match="oversubscribe"):
            ro.set_num_threads(1000)
        assert ro.get_num_threads() == 1000
        assert np.array_equal(ro.encode(np.arange(5.0), "e4m3"), [0, 56, 64, 68, 72])
    finally:
        ro.set_num_threads(before)


def _corrupt_capture_files(tmp_path, count, seed):
    """Damaged copies of the packaged capture sample: bytes flipped, runs zeroed, truncated."""
    data = ro.captures.SAMPLE.read_bytes()
    rng = np.random.default_rng(seed)
    for i in range(count):
        b = bytearray(data)
        kind = i % 3
        if kind == 0:
            for pos in rng.integers(0, len(b), rng.integers(1, 8)):
                b[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:
            pos = int(rng.integers(0, len(b)))
            b[pos:pos + int(rng.integers(1, 200))] = bytes(min(200, len(b) - pos))
        else:
            b = b[:int(rng.integers(0, len(b)))]
        path = tmp_path / f"damaged{i}.npz"
        path.write_bytes(bytes(b))
        yield path


def _check_damaged_replays(paths):
    outcomes = {"replayed": 0, "ValueError": 0}
    for path in paths:
        try:
            result = ro.captures.replay(path)
        except ValueError as exc:
            assert str(exc).startswith("path: "), exc
            outcomes["ValueError"] += 1
            continue
        assert all(0 <= r.matched <= r.total for r in result)
        outcomes["replayed"] += 1
    assert outcomes["ValueError"] > 0, outcomes


def test_damaged_capture_files_give_a_clear_error(tmp_path):
    # replay on damaged files raised BadZipFile, zlib.error, EOFError or KeyError (453 of 1000).
    _check_damaged_replays(_corrupt_capture_files(tmp_path, 60, seed=0))


@pytest.mark.slow
def test_damaged_capture_files_give_a_clear_error_long(tmp_path):
    _check_damaged_replays(_corrupt_capture_files(tmp_path, 1000, seed=1))


def test_uint64_beyond_2_53_raises_without_a_numpy_warning():
    # The float64 conversion of 2^64 - 1 leaked NumPy's "invalid value" RuntimeWarning first.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="^x: integers beyond 2"):
            ro.encode(np.array([2**64 - 1], np.uint64), "e4m3")


def test_submodules_the_readme_names_are_attributes_of_a_fresh_import():
    # `import roundoff as ro; ro.captures` failed although the README cites it.
    code = "import roundoff as ro; print(ro.captures.replay.__name__, ro.hw.preset.__name__, " \
           "ro.bounds.__name__, ro.orders.pairwise.__name__, ro.ops.add.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["replay", "preset", "roundoff.bounds", "pairwise", "add"]
