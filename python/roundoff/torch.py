"""Fake quantization for PyTorch training, with a straight-through gradient.

``import roundoff.torch`` needs PyTorch; ``import roundoff`` never imports it.

The forward pass is :func:`roundoff.quantize`, bit for bit, in any format and rounding mode;
the backward pass is the identity (the straight-through estimator): the incoming gradient is
passed unchanged for every element, including elements that saturated to ±max or overflowed
to Inf or NaN. The emulator runs on the CPU, so tensors must be CPU tensors.

>>> import torch, roundoff.torch as rt
>>> x = torch.tensor([0.1, 1.0 / 3.0], requires_grad=True)
>>> y = rt.fake_quantize(x, "e4m3")
>>> y
tensor([0.1016, 0.3438], grad_fn=<_FakeQuantizeFunctionBackward>)
>>> y.sum().backward(); x.grad
tensor([1., 1.])
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

try:
    import torch
except ImportError as exc:
    raise ImportError("roundoff.torch needs PyTorch: pip install torch") from exc

import roundoff

from ._formats import Format, FormatLike
from ._interop import numpy_to_tensor, tensor_to_numpy
from ._rounding import RoundingMode
from ._seeds import SeedLike

__all__ = ["FakeQuantize", "fake_quantize"]

_VALUE_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


class _FakeQuantizeFunction(torch.autograd.Function):
    """roundoff.quantize forward, identity backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, fmt: Format, rounding: RoundingMode, saturate: bool,
                seed: SeedLike, sr_bits: int, flush_subnormals: bool) -> torch.Tensor:
        values = roundoff.quantize(tensor_to_numpy(x, "x"), fmt, rounding, saturate=saturate,
                                   seed=seed, sr_bits=sr_bits,
                                   flush_subnormals=flush_subnormals)
        return numpy_to_tensor(values)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> Tuple[Optional[torch.Tensor], ...]:
        return (grad_output,) + (None,) * 6  # no gradient for fmt, rounding and the keywords


def fake_quantize(x: torch.Tensor, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
                  saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
                  flush_subnormals: bool = False) -> torch.Tensor:
    """``x`` rounded to ``fmt`` and back, in ``x``'s dtype, with a straight-through gradient.

    The values are :func:`roundoff.quantize`'s, bit for bit. The gradient with respect to
    ``x`` is the incoming gradient, unchanged, for every element (saturated and overflowed
    ones included).

    Args:
        x: a float16, bfloat16, float32 or float64 tensor on the CPU, of any shape and strides.
        fmt: a :class:`roundoff.Format`, a format name (``"e4m3"``) or a dtype.
        rounding: any mode of :func:`roundoff.encode`, ``"stochastic"`` included.
        saturate: overflow and Inf give ±max instead of the format's Inf or NaN.
        seed: stochastic rounding key. None (default): fresh random bits every call, from the
            package generator (:func:`roundoff.manual_seed` makes a run reproducible); an
            integer: the same bits at every call.
        sr_bits: the number of random bits of stochastic rounding (1..32).
        flush_subnormals: subnormal inputs and results become zeros of their sign.

    Returns:
        A tensor of ``x``'s shape and dtype (C order).

    Raises:
        TypeError: ``x`` is not a tensor, not on the CPU, or not of one of the four dtypes.
        ValueError: ``x``'s dtype cannot hold every value of ``fmt`` (bfloat16 values in a
            float16 tensor): pass a wider tensor, ``x.float()``, rather than have the results
            rounded a second time. Bad ``fmt``, ``rounding`` or keywords raise as in
            :func:`roundoff.quantize`.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in _VALUE_DTYPES:
        raise TypeError(f"x: expected a float16, bfloat16, float32 or float64 tensor, "
                        f"got {x.dtype}")
    target = roundoff.format(fmt)
    held_by = roundoff.format(str(x.dtype).rpartition(".")[2])  # "torch.bfloat16" -> bfloat16
    if not target.is_subset_of(held_by):
        raise ValueError(f"fmt: {x.dtype} cannot hold every value of {target}; pass x in a "
                         f"wider dtype (x.float(), x.double())")
    return _FakeQuantizeFunction.apply(x, target, rounding, saturate, seed, sr_bits,
                                       flush_subnormals)


class FakeQuantize(torch.nn.Module):
    """A layer that applies :func:`fake_quantize` to its input (quantization-aware training).

    Args:
        fmt: the format, as :func:`fake_quantize` takes it.
        rounding: the rounding mode.
        saturate, seed, sr_bits, flush_subnormals: as :func:`fake_quantize`'s.

    Raises:
        ValueError, TypeError: unknown ``fmt`` or ``rounding``, at construction.

    >>> import roundoff.torch as rt
    >>> rt.FakeQuantize("e4m3", "stochastic", saturate=True)
    FakeQuantize(fmt=float8_e4m3fn, rounding=stochastic, saturate=True)
    """

    def __init__(self, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
                 saturate: bool = False, seed: SeedLike = None, sr_bits: int = 32,
                 flush_subnormals: bool = False) -> None:
        super().__init__()
        self.fmt = roundoff.format(fmt)
        self.rounding = roundoff.rounding_mode(rounding)
        self.saturate = saturate
        self.seed = seed
        self.sr_bits = sr_bits
        self.flush_subnormals = flush_subnormals

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``fake_quantize(x, ...)`` with this layer's settings."""
        return fake_quantize(x, self.fmt, self.rounding, saturate=self.saturate,
                             seed=self.seed, sr_bits=self.sr_bits,
                             flush_subnormals=self.flush_subnormals)

    def extra_repr(self) -> str:
        """The format, the mode, and the keywords that differ from their defaults."""
        text = f"fmt={self.fmt}, rounding={self.rounding}"
        defaults = {"saturate": False, "seed": None, "sr_bits": 32, "flush_subnormals": False}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)!r}"
        return text
