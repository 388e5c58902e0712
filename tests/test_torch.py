"""PyTorch tensors in, tensors out (roundoff._interop), and fake quantization (roundoff.torch).

Skipped without torch. Every bit-exact claim is checked by comparing raw bits
(``torch.equal`` on integer views) against roundoff run on the same bits as a NumPy array, or
against PyTorch's own round-to-nearest-even casts.
"""

import doctest
import inspect
import os
import subprocess
import sys
import warnings

import ml_dtypes
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import roundoff as ro  # noqa: E402
import roundoff.torch as rt  # noqa: E402
from roundoff import _interop  # noqa: E402

FLOAT_DTYPE_NAMES = [name for name in (
    "float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
    "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu") if hasattr(torch, name)]
SIGNED_FOR_SIZE = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
NP_SIGNED_FOR_SIZE = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}
NP_UINT_FOR_SIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def numpy_dtype_named(name):
    return np.dtype(getattr(ml_dtypes, name, None) or name)


def random_bits_pair(name, shape, seed=0):
    """A tensor of torch dtype ``name`` and a NumPy array with the same bits, built apart.

    NumPy floats: wide-ranging values with zeros, Inf and NaN; the narrow formats: every
    bit pattern at random (NaN codes included).
    """
    rng = np.random.default_rng(seed)
    np_dtype = numpy_dtype_named(name)
    if name in ("float16", "float32", "float64"):
        values = rng.standard_normal(shape) * 2.0 ** rng.integers(-30, 30, shape)
        values.flat[:4] = [0.0, -0.0, np.inf, np.nan]
        with np.errstate(over="ignore"):  # float16: the largest values become Inf
            array = values.astype(np_dtype)
        return torch.tensor(array), array
    codes = rng.integers(0, 1 << (8 * np_dtype.itemsize), shape,
                         dtype=NP_UINT_FOR_SIZE[np_dtype.itemsize])
    signed = codes.view(NP_SIGNED_FOR_SIZE[np_dtype.itemsize])
    return torch.tensor(signed).view(getattr(torch, name)), codes.view(np_dtype)


def assert_same_bits(tensor, array, dtype):
    """tensor is a CPU tensor of ``dtype`` whose bits are array's."""
    array = np.asarray(array)
    assert isinstance(tensor, torch.Tensor)
    assert tensor.dtype == dtype
    assert tuple(tensor.shape) == array.shape
    size = array.dtype.itemsize
    expected = torch.from_numpy(array.copy(order="C").view(NP_SIGNED_FOR_SIZE[size]))
    assert torch.equal(tensor.view(SIGNED_FOR_SIZE[size]), expected)


def torch_dtype_of(array):
    """The torch dtype a NumPy result should come back as (same name; codes for FP6/FP4)."""
    candidate = getattr(torch, np.asarray(array).dtype.name, None)
    return candidate if isinstance(candidate, torch.dtype) else torch.uint8


def run_python(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


# -- torch stays optional --------------------------------------------------------------------

def test_import_roundoff_does_not_import_torch():
    result = run_python("import sys, roundoff, numpy as np\n"
                        "roundoff.quantize(np.ones(3), 'e4m3')\n"
                        "assert 'torch' not in sys.modules, 'torch was imported'")
    assert result.returncode == 0, result.stderr


def test_roundoff_torch_without_torch_says_to_install_it():
    result = run_python("import sys\nsys.modules['torch'] = None  # import torch fails\n"
                        "import roundoff.torch")
    assert result.returncode != 0
    assert "ImportError: roundoff.torch needs PyTorch: pip install torch" in result.stderr


# -- tensors in ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FLOAT_DTYPE_NAMES)
@pytest.mark.parametrize("fmt", ["e5m2", "bf16", "e2m1"])
def test_every_float_dtype_in_gives_the_bits_of_numpy_in(name, fmt):
    tensor, array = random_bits_pair(name, (6, 40))
    codes = ro.encode(array, fmt, "nearest_even")
    assert_same_bits(ro.encode(tensor, fmt, "nearest_even"), codes, torch_dtype_of(codes))
    quantized = ro.quantize(tensor, fmt, "toward_zero")
    expected = ro.quantize(array, fmt, "toward_zero")
    assert_same_bits(quantized, expected, torch_dtype_of(expected))


@pytest.mark.parametrize("name", FLOAT_DTYPE_NAMES)
def test_tensor_view_shares_memory_and_strides(name):
    tensor, _ = random_bits_pair(name, (4, 10))
    strided = tensor[:, 1::3]
    array = _interop.tensor_to_numpy(strided)
    assert array.dtype == numpy_dtype_named(name)
    assert array.__array_interface__["data"][0] == strided.data_ptr()
    assert array.strides == tuple(s * tensor.element_size() for s in strided.stride())
    tensor.view(SIGNED_FOR_SIZE[tensor.element_size()])[0, 1] = 0  # visible through the view
    assert array.view(NP_SIGNED_FOR_SIZE[array.itemsize])[0, 0] == 0


def test_requires_grad_tensor_is_read_without_a_copy():
    x = torch.randn(8, dtype=torch.bfloat16, requires_grad=True)
    assert _interop.tensor_to_numpy(x).__array_interface__["data"][0] == x.data_ptr()
    y = ro.quantize(x, "e4m3")
    assert not y.requires_grad
    assert_same_bits(y, ro.quantize(x.detach().float().numpy(), "e4m3").astype(ml_dtypes.bfloat16),
                     torch.bfloat16)
    parameter = torch.nn.Parameter(x.detach().clone())
    assert_same_bits(ro.quantize(parameter, "e4m3"), y.view(torch.int16).numpy(), torch.bfloat16)


@pytest.mark.parametrize("layout", ["transposed", "sliced", "expanded", "negative_view"])
def test_any_layout_gives_the_bits_of_its_contiguous_copy(layout):
    base = torch.randn(5, 7, dtype=torch.bfloat16)
    view = {"transposed": lambda: base.t(), "sliced": lambda: base[1:, ::2],
            "expanded": lambda: base[0].expand(3, 7),
            "negative_view": lambda: torch._neg_view(base)}[layout]()
    contiguous = view.clone(memory_format=torch.contiguous_format)
    assert not contiguous.is_neg()
    as_array = contiguous.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    for rounding in ("nearest_even", "up"):
        assert_same_bits(ro.quantize(view, "e4m3", rounding),
                         ro.quantize(as_array, "e4m3", rounding), torch.bfloat16)


def test_zero_dim_tensor_gives_zero_dim_tensor():
    out = ro.quantize(torch.tensor(0.1), "bf16")
    assert out.shape == () and out.dtype == torch.float32
    assert_same_bits(out, ro.quantize(np.array(0.1, np.float32), "bf16"), torch.float32)


def test_integer_tensors_are_codes_and_random_bits():
    codes = torch.tensor([0x38, 0x7E, 0xFF], dtype=torch.uint8)
    assert_same_bits(ro.decode(codes, "e4m3"), ro.decode(codes.numpy(), "e4m3"), torch.float32)
    x = torch.linspace(-3, 3, 50)
    rbits = torch.randint(0, 2**31, (50,), dtype=torch.int64)
    assert_same_bits(ro.quantize(x, "e4m3", "stochastic", rbits=rbits),
                     ro.quantize(x.numpy(), "e4m3", "stochastic", rbits=rbits.numpy()),
                     torch.float32)


def test_non_cpu_tensor_raises_naming_the_argument():
    meta = torch.zeros(3, device="meta")
    with pytest.raises(TypeError, match=r"^x: a tensor on meta; .*pass x\.cpu\(\)"):
        ro.quantize(meta, "e4m3")
    with pytest.raises(TypeError, match=r"^b: a tensor on meta; .*pass b\.cpu\(\)"):
        ro.add(torch.zeros(3), meta, "bf16")
    with pytest.raises(TypeError, match=r"^c: a tensor on meta"):
        ro.matmul(torch.zeros(3, 2), torch.zeros(2, 3), c=meta.reshape(1, 3))


def test_tensors_numpy_cannot_hold_raise_naming_the_argument():
    with pytest.raises(TypeError, match=r"^x: "):
        ro.quantize(torch.zeros(3, dtype=torch.complex64), "e4m3")
    if hasattr(torch, "float4_e2m1fn_x2"):
        packed = torch.zeros(3, dtype=torch.uint8).view(torch.float4_e2m1fn_x2)
        with pytest.raises(TypeError, match=r"^x: torch.float4_e2m1fn_x2 has no NumPy"):
            ro.quantize(packed, "e4m3")
    with pytest.raises(TypeError, match=r"^x: a torch.sparse_coo tensor; pass x.to_dense\(\)"):
        ro.quantize(torch.zeros(3).to_sparse(), "e4m3")


# -- tensors out -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in FLOAT_DTYPE_NAMES if n != "float64"])
def test_astype_returns_the_torch_dtype_of_the_format(name):
    x = torch.tensor([0.0, -0.0, 1e-3, 0.3, -2.5, 100.0, 1e30, float("inf")])
    out = ro.astype(x, getattr(torch, name), "up")
    assert_same_bits(out, ro.astype(x.numpy(), name, "up"), getattr(torch, name))


# PyTorch's cast to float8_e4m3fn saturates (measured on 2.13: 465 and Inf give 448), its
# other casts do not.
@pytest.mark.parametrize("name, saturate", [
    ("float32", False), ("float16", False), ("bfloat16", False), ("float8_e4m3fn", True),
    ("float8_e5m2", False)])
def test_astype_nearest_even_equals_torchs_own_cast(name, saturate):
    values = np.random.default_rng(1).standard_normal(4000) * 2.0 ** np.arange(-40, 40).repeat(50)
    x = torch.tensor(np.concatenate([values, [0.0, -0.0, np.inf, -np.inf]]))
    for source in (x, x.float()):
        ours = ro.astype(source, getattr(torch, name), saturate=saturate)
        theirs = source.to(getattr(torch, name))
        assert torch.equal(ours.view(torch.uint8), theirs.view(torch.uint8))


@pytest.mark.parametrize("fmt", ["float6_e2m3fn", "float6_e3m2fn", "float4_e2m1fn"])
def test_astype_to_a_format_torch_lacks_returns_its_codes(fmt):
    x = torch.linspace(-8, 8, 33)
    out = ro.astype(x, fmt, "down")
    assert_same_bits(out, ro.encode(x.numpy(), fmt, "down"), torch.uint8)


@pytest.mark.parametrize("fmt, dtype", [("e4m3", torch.uint8), ("bf16", torch.uint16),
                                        ("tf32", torch.uint32), ("float64", torch.uint64)])
def test_encode_returns_unsigned_codes_of_the_formats_width(fmt, dtype):
    x = torch.tensor([[0.3, -500.0], [1e-4, float("nan")]], dtype=torch.float64)
    assert_same_bits(ro.encode(x, fmt), ro.encode(x.numpy(), fmt), dtype)
    assert_same_bits(ro.convert(ro.encode(x, fmt), fmt, "e5m2"),
                     ro.convert(ro.encode(x.numpy(), fmt), fmt, "e5m2"), torch.uint8)


def test_encode_bf16_equals_torchs_bfloat16_bits():
    x = torch.randn(1000) * 2.0 ** torch.randint(-60, 60, (1000,))
    assert torch.equal(ro.encode(x, "bf16").view(torch.int16),
                       x.to(torch.bfloat16).view(torch.int16))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float8_e5m2])
def test_decode_and_arithmetic_take_a_torch_dtype(dtype):
    codes = torch.arange(0, 256, dtype=torch.int64).to(torch.uint8)
    expected = ro.decode(codes.numpy(), "e4m3", _interop.numpy_dtype(dtype))
    assert_same_bits(ro.decode(codes, "e4m3", dtype), expected, dtype)
    a = torch.linspace(-4, 4, 9)
    assert_same_bits(ro.mul(a, a, "e4m3", dtype=dtype),
                     ro.mul(a.numpy(), a.numpy(), "e4m3", dtype=_interop.numpy_dtype(dtype)),
                     dtype)


def test_torch_dtypes_without_tensors_give_numpy_results():
    out = ro.decode(np.array([0x38], np.uint8), "e4m3", dtype=torch.bfloat16)
    assert isinstance(out, np.ndarray) and out.dtype == np.dtype(ml_dtypes.bfloat16)


def test_fmt_may_be_a_torch_dtype():
    x = torch.randn(100) * 100
    assert_same_bits(ro.quantize(x, torch.float8_e4m3fn, saturate=True),
                     ro.quantize(x.numpy(), "e4m3", saturate=True), torch.float32)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "min", "max"])
def test_binary_arithmetic_with_tensors(op):
    a, b = torch.randn(3, 1), torch.randn(4, dtype=torch.float64)
    for module in (ro, ro.ops):
        if module is ro:
            got, want = getattr(ro, op)(a, b, "bf16"), getattr(ro, op)(a.numpy(), b.numpy(), "bf16")
        else:
            ca, cb = ro.encode(a, "e5m2"), ro.encode(b, "e5m2")
            got = getattr(ro.ops, op)(ca, cb, "e5m2")
            want = getattr(ro.ops, op)(ca.numpy(), cb.numpy(), "e5m2")
        assert_same_bits(got, want, torch_dtype_of(want))


@pytest.mark.parametrize("op", ["sqrt", "neg", "abs"])
def test_unary_arithmetic_with_tensors(op):
    a = torch.randn(10, dtype=torch.float16).abs()
    assert_same_bits(getattr(ro, op)(a, "e4m3"), getattr(ro, op)(a.numpy(), "e4m3"),
                     torch.float64)
    codes = ro.encode(a, "e4m3")
    assert_same_bits(getattr(ro.ops, op)(codes, "e4m3"), getattr(ro.ops, op)(codes.numpy(), "e4m3"),
                     torch.uint8)


def test_fma_with_tensors():
    a, b, c = (torch.randn(5, dtype=torch.bfloat16) for _ in range(3))
    npa, npb, npc = (_interop.tensor_to_numpy(t) for t in (a, b, c))
    assert_same_bits(ro.fma(a, b, c, "bf16", "odd"), ro.fma(npa, npb, npc, "bf16", "odd"),
                     torch.float64)


def test_matmul_sum_and_dot_with_tensors():
    a = torch.randn(2, 6, 40, dtype=torch.bfloat16)
    b = torch.randn(40, 3, dtype=torch.bfloat16)
    na, nb = _interop.tensor_to_numpy(a), _interop.tensor_to_numpy(b)
    preset = ro.hw.preset("h100.mma", a_fmt="bf16", b_fmt="bf16")
    for acc in (None, ro.Accumulator("bf16", order=ro.orders.pairwise()), preset):
        out = ro.matmul(a, b, acc, dtype=torch.float32)
        assert out.shape == (2, 6, 3)
        assert_same_bits(out, ro.matmul(na, nb, acc, dtype=np.float32), torch.float32)
    acc = ro.Accumulator("bf16")
    assert_same_bits(ro.sum(a, axis=(0, 2), accumulator=acc), ro.sum(na, axis=(0, 2),
                     accumulator=acc), torch.float64)
    total = ro.sum(torch.ones(4096), accumulator=acc)
    assert total.shape == () and total.item() == 256.0  # bf16 stagnation, as in the README
    v = a[0, 0]
    assert_same_bits(ro.dot(v, v, acc), ro.dot(na[0, 0], na[0, 0], acc), torch.float64)


def test_results_without_tensors_are_unchanged_and_signatures_kept():
    x = np.float32([0.1, 1 / 3])
    assert type(ro.quantize(x, "bf16")) is np.ndarray
    assert type(ro.encode(0.3, "e4m3")) is np.uint8
    for fn in (ro.encode, ro.decode, ro.quantize, ro.convert, ro.astype, ro.add, ro.fma,
               ro.sqrt, ro.min, ro.ops.add, ro.ops.neg, ro.sum, ro.dot, ro.matmul):
        wrapped = fn.__wrapped__
        assert inspect.signature(fn) == inspect.signature(wrapped)
        assert fn.__name__ == wrapped.__name__ and fn.__module__ == wrapped.__module__
        assert fn.__doc__  # add/sub/mul/div get theirs after decoration, on the wrapper


def test_numpy_results_become_tensors_without_a_copy():
    for array in (np.arange(6, dtype=np.uint16).reshape(2, 3),
                  np.zeros(4, np.float32), np.ones(3, ml_dtypes.bfloat16),
                  np.ones(3, ml_dtypes.float8_e5m2)):
        tensor = _interop.numpy_to_tensor(array)
        assert tensor.data_ptr() == array.__array_interface__["data"][0]
        assert_same_bits(tensor, array, torch_dtype_of(array))


def test_read_only_results_become_writable_tensors_silently():
    broadcast = np.broadcast_to(np.float32([1.0, 2.0]), (3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns on read-only arrays
        tensor = _interop.numpy_to_tensor(broadcast)
    assert_same_bits(tensor, broadcast, torch.float32)
    scalar = _interop.numpy_to_tensor(ml_dtypes.bfloat16(1.5))
    assert scalar.shape == () and scalar.dtype == torch.bfloat16 and scalar.item() == 1.5


# -- fake quantization -----------------------------------------------------------------------

VALUE_DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64]


@pytest.mark.parametrize("dtype", VALUE_DTYPES, ids=str)
@pytest.mark.parametrize("fmt, rounding, saturate", [
    ("e4m3", "nearest_even", False), ("e4m3", "nearest_even", True), ("e5m2", "odd", False),
    ("e2m1", "up", False), (ro.Format(3, 1), "toward_zero", False),
    ("e4m3", "stochastic", False)])
def test_fake_quantize_forward_is_quantize_and_backward_is_identity(dtype, fmt, rounding,
                                                                    saturate):
    x = (torch.randn(200, dtype=torch.float64) * 300).to(dtype).requires_grad_()
    y = rt.fake_quantize(x, fmt, rounding, saturate=saturate, seed=7)
    expected = ro.quantize(_interop.tensor_to_numpy(x), fmt, rounding, saturate=saturate, seed=7)
    assert_same_bits(y, expected, dtype)
    incoming = torch.randn(200, dtype=dtype)
    y.backward(incoming)
    assert_same_bits(x.grad, _interop.tensor_to_numpy(incoming), dtype)


def test_gradients_of_saturated_and_overflowed_elements_pass_unchanged():
    x = torch.tensor([1e5, -1e5, 3.0, float("inf")], requires_grad=True)
    for saturate in (True, False):
        x.grad = None
        rt.fake_quantize(x, "e4m3", saturate=saturate).backward(torch.full((4,), 2.5))
        assert torch.equal(x.grad, torch.full((4,), 2.5))


def test_fake_quantize_jacobian_is_the_identity():
    x = torch.randn(6, dtype=torch.float64) * 10
    jacobian = torch.autograd.functional.jacobian(lambda v: rt.fake_quantize(v, "e5m2"), x)
    assert torch.equal(jacobian, torch.eye(6, dtype=torch.float64))


def test_fake_quantize_under_no_grad():
    x = torch.randn(5, requires_grad=True)
    with torch.no_grad():
        y = rt.fake_quantize(x, "bf16")
    assert not y.requires_grad
    assert_same_bits(y, ro.quantize(x.detach().numpy(), "bf16"), torch.float32)


def test_fake_quantize_stochastic_seeds():
    x = torch.rand(4096)
    same = rt.fake_quantize(x, "e4m3", "sr", seed=11)
    assert torch.equal(same, rt.fake_quantize(x, "e4m3", "sr", seed=11))
    assert not torch.equal(same, rt.fake_quantize(x, "e4m3", "sr", seed=12))
    ro.manual_seed(3)
    first = rt.fake_quantize(x, "e4m3", "sr")
    second = rt.fake_quantize(x, "e4m3", "sr")
    assert not torch.equal(first, second)  # seed=None: fresh bits every call
    ro.manual_seed(3)
    assert torch.equal(rt.fake_quantize(x, "e4m3", "sr"), first)


def test_fake_quantize_rejects_what_it_cannot_do_exactly():
    with pytest.raises(ValueError, match=r"^fmt: torch.float16 cannot hold every value of bf"):
        rt.fake_quantize(torch.ones(2, dtype=torch.float16), "bf16")
    with pytest.raises(TypeError, match=r"^x: expected a float16, bfloat16, float32 or float64"):
        rt.fake_quantize(torch.ones(2, dtype=torch.int32), "e4m3")
    with pytest.raises(TypeError, match=r"^x: expected a torch.Tensor"):
        rt.fake_quantize(np.ones(2), "e4m3")
    with pytest.raises(TypeError, match=r"^x: a tensor on meta"):
        rt.fake_quantize(torch.ones(2, device="meta"), "e4m3")
    with pytest.raises(ValueError, match=r"^fmt: unknown format"):
        rt.FakeQuantize("not_a_format")


def test_fake_quantize_module_repr_and_training_step():
    layer = rt.FakeQuantize("e4m3", "stochastic", seed=5, sr_bits=8)
    assert repr(layer) == "FakeQuantize(fmt=float8_e4m3fn, rounding=stochastic, seed=5, sr_bits=8)"
    assert repr(rt.FakeQuantize("bf16")) == "FakeQuantize(fmt=bfloat16, rounding=nearest_even)"
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), rt.FakeQuantize("e4m3"),
                                torch.nn.ReLU(), torch.nn.Linear(8, 1), rt.FakeQuantize("bf16"))
    inputs = torch.randn(64, 4)
    targets = inputs @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    losses = []
    for _ in range(30):
        model.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        assert model[0].weight.grad.abs().sum() > 0  # gradients flow through both layers
        with torch.no_grad():  # plain SGD (torch.optim takes seconds to import)
            for parameter in model.parameters():
                parameter -= 0.05 * parameter.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_docstring_examples():
    result = doctest.testmod(rt, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
