"""PyTorch tensors in, PyTorch tensors out, without importing torch.

roundoff never imports torch: a tensor can only exist once the caller has imported it, so the
functions here find torch in ``sys.modules``. :func:`tensor_io` wraps a public function so that
tensor arguments are read as NumPy arrays (views of the tensor's memory where NumPy can express
them) and array results come back as tensors; without a tensor argument it only scans the
arguments' types.
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Any, Callable, Optional, TypeVar

import ml_dtypes
import numpy as np

Function = TypeVar("Function", bound=Callable[..., Any])

_UINT_FOR_SIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def numpy_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """The NumPy or ml_dtypes dtype of a ``torch.dtype`` (same name: ``torch.bfloat16`` ->
    ``ml_dtypes.bfloat16``, ``torch.float8_e4m3fn`` -> ``ml_dtypes.float8_e4m3fn``).

    Args:
        dtype: a ``torch.dtype``.
        name: the argument's name, for error messages.

    Returns:
        The dtype whose elements have the same bits.

    Raises:
        TypeError: NumPy and ml_dtypes have no dtype of that name and width.
    """
    short = str(dtype).rpartition(".")[2]  # "torch.float8_e4m3fn" -> "float8_e4m3fn"
    candidate = getattr(ml_dtypes, short, None) or getattr(np, short, None)
    try:
        np_dtype = np.dtype(candidate) if candidate is not None else None
    except TypeError:
        np_dtype = None
    if np_dtype is None or np_dtype.itemsize != getattr(dtype, "itemsize", -1):
        raise TypeError(f"{name}: {dtype} has no NumPy or ml_dtypes equivalent")
    return np_dtype


def tensor_to_numpy(tensor: Any, name: str = "x") -> np.ndarray:
    """A CPU tensor's elements as a NumPy array, sharing the tensor's memory where possible.

    Float tensors of every dtype torch has (float16/32/64, bfloat16, the float8 types) give
    the NumPy or ml_dtypes array of the same bits; integer and bool tensors (codes, random
    bits) give the NumPy integer array. The array views the tensor's memory with its strides
    (one with the negative bit set, from ``torch._neg_view``, is resolved into a copy first).
    ``requires_grad`` is fine: the data is read detached, and no gradient flows through the
    emulator.

    Args:
        tensor: a strided ``torch.Tensor`` on the CPU.
        name: the argument's name, for error messages.

    Returns:
        A NumPy array of the tensor's shape.

    Raises:
        TypeError: the tensor is not on the CPU, not strided (sparse), or of a dtype NumPy
            and ml_dtypes cannot hold (``float4_e2m1fn_x2``, which packs two codes a byte).
    """
    torch = sys.modules["torch"]
    if tensor.device.type != "cpu":
        raise TypeError(f"{name}: a tensor on {tensor.device}; the emulator runs on the CPU: "
                        f"pass {name}.cpu()")
    if tensor.layout != torch.strided:
        raise TypeError(f"{name}: a {tensor.layout} tensor; pass {name}.to_dense()")
    data = tensor.detach().resolve_conj().resolve_neg()
    if not data.dtype.is_floating_point or data.dtype in (torch.float16, torch.float32,
                                                          torch.float64):
        try:
            return data.numpy()
        except TypeError:  # a dtype NumPy lacks (quantized, bit-width shells)
            raise TypeError(f"{name}: a tensor of {data.dtype}, which NumPy cannot hold") from None
    np_dtype = numpy_dtype(data.dtype, name)
    # Same-width reinterpretation keeps any strides, in torch and in NumPy alike.
    codes = {1: torch.uint8, 2: torch.uint16}[np_dtype.itemsize]  # bfloat16 and float8 only
    return data.view(codes).numpy().view(np_dtype)


def _torch_dtype(np_dtype: np.dtype) -> Optional[Any]:
    """The float ``torch.dtype`` of an ml_dtypes dtype (same name and width), or None."""
    candidate = getattr(sys.modules["torch"], np_dtype.name, None)
    if (candidate is None or not getattr(candidate, "is_floating_point", False)
            or candidate.itemsize != np_dtype.itemsize):
        return None
    return candidate


def numpy_to_tensor(value: Any) -> Any:
    """A NumPy result as a tensor, sharing its memory where torch can.

    * float16/32/64, integer and bool arrays: ``torch.from_numpy`` (codes keep their unsigned
      dtype: uint8/16/32/64);
    * ml_dtypes arrays of a format torch has (bfloat16, the float8 types): that torch dtype,
      same bits;
    * ml_dtypes arrays of a format torch lacks (float6_e2m3fn, float6_e3m2fn, float4_e2m1fn:
      torch has only the packed ``float4_e2m1fn_x2``): a uint8 tensor of the codes, which
      :func:`roundoff.decode` reads back;
    * NumPy scalars: 0-d tensors. Read-only or negatively strided arrays are copied (torch
      tensors are always writable).

    Args:
        value: a NumPy array or scalar; anything else is returned unchanged.

    Returns:
        A CPU tensor, or ``value`` itself.

    Raises:
        TypeError: a NumPy dtype torch cannot hold (object, strings).
    """
    if isinstance(value, np.generic):
        value = np.asarray(value)
    elif not isinstance(value, np.ndarray):
        return value
    torch = sys.modules["torch"]
    if not value.flags.writeable or any(stride < 0 for stride in value.strides):
        value = value.copy()
    if value.dtype.type.__module__ == "ml_dtypes":
        codes = value.view(_UINT_FOR_SIZE[value.dtype.itemsize])
        torch_dtype = _torch_dtype(value.dtype)
        if torch_dtype is None:
            return torch.from_numpy(codes)
        return torch.from_numpy(codes).view(torch_dtype)
    try:
        return torch.from_numpy(value)
    except TypeError:
        raise TypeError(f"result: torch has no dtype for NumPy's {value.dtype}") from None


def _results_to_tensors(result: Any) -> Any:
    """An array or NumPy scalar result, or a tuple of them, as tensors."""
    if type(result) is tuple:
        return tuple(numpy_to_tensor(item) for item in result)
    return numpy_to_tensor(result)


def tensor_io(fn: Function) -> Function:
    """Let ``fn`` take and return PyTorch tensors.

    If any argument is a tensor, every tensor argument is read with :func:`tensor_to_numpy`
    (errors name the parameter), and the result (an array, a NumPy scalar, or a tuple of them)
    comes back through :func:`numpy_to_tensor`. A ``torch.dtype`` passed as ``dtype`` is
    mapped to its NumPy/ml_dtypes dtype whether or not a tensor is given; the result is then
    NumPy, as without torch. Without torch objects among the arguments, ``fn`` is called
    directly and its result returned as is.

    Args:
        fn: a function taking arrays; its signature names the arguments in error messages.

    Returns:
        The wrapped function, with ``fn``'s name, docstring and signature.
    """
    params = list(inspect.signature(fn).parameters.values())
    positional = [p.name for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def convert(torch: Any, value: Any, name: str) -> Any:
        if isinstance(value, torch.Tensor):
            return tensor_to_numpy(value, name)
        return numpy_dtype(value, name) if name == "dtype" and isinstance(
            value, torch.dtype) else value

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        torch = sys.modules.get("torch")
        if torch is None:
            return fn(*args, **kwargs)
        # A loop of isinstance checks: the whole cost of a call without torch objects.
        torch_types = (torch.Tensor, torch.dtype)
        for value in args:
            if isinstance(value, torch_types):
                break
        else:
            for value in kwargs.values():
                if isinstance(value, torch_types):
                    break
            else:
                return fn(*args, **kwargs)
        tensor_in = any(isinstance(v, torch.Tensor) for v in (*args, *kwargs.values()))
        names = positional + [f"argument {i}" for i in range(len(positional), len(args))]
        result = fn(*(convert(torch, a, n) for a, n in zip(args, names)),
                    **{n: convert(torch, v, n) for n, v in kwargs.items()})
        return _results_to_tensors(result) if tensor_in else result

    return wrapper  # type: ignore[return-value]
