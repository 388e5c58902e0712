"""roundoff: a bit-exact reference emulator for low-precision floating-point arithmetic.

Formats (:class:`Format`, :func:`format`), casts (:func:`encode`, :func:`decode`,
:func:`quantize`, :func:`convert`, :func:`astype`) in every rounding mode, including
reproducible stochastic rounding; elementwise arithmetic rounded once (:func:`add`,
:func:`sub`, :func:`mul`, :func:`div`, :func:`fma`, :func:`sqrt`, :func:`neg`, :func:`abs`,
:func:`min`, :func:`max`); special functions, correctly rounded or as the GPU computes them
(:func:`exp`, :func:`exp2`, :func:`log`, :func:`log2`, :func:`tanh`, :func:`erf`,
:func:`sigmoid`, :func:`rsqrt`, :func:`reciprocal`, :func:`impls`); sums and matrix products with a stated accumulation
(:class:`Accumulator`, :mod:`roundoff.orders`, :func:`sum`, :func:`dot`, :func:`matmul`),
tensor-core models and hardware presets (:mod:`roundoff.hw`), transformer building blocks with
stated roundings and PyTorch presets (:mod:`roundoff.nn`), blocked attention as GPU kernels
compute it (:func:`attention`), round-off bounds (:mod:`roundoff.bounds`).
"""

from ._arith import abs, add, div, fma, max, min, mul, neg, sqrt, sub  # noqa: A004
from ._casts import astype, convert, decode, encode, get_num_threads, quantize, set_num_threads
from ._formats import (
    ALIASES,
    FORMATS,
    NONFINITE,
    Format,
    bfloat16,
    float4_e2m1fn,
    float6_e2m3fn,
    float6_e3m2fn,
    float8_e4m3fn,
    float8_e4m3fnuz,
    float8_e5m2,
    float8_e5m2fnuz,
    float8_e8m0fnu,
    float16,
    float32,
    float64,
    format,
    ml_dtype,
    tfloat32,
)
from ._rounding import MODE_ALIASES, MODES, rounding_mode
from ._special import (erf, exp, exp2, impls, log, log2, reciprocal, rsqrt, sigmoid,
                       tanh)
from ._seeds import manual_seed
from . import ops  # noqa: E402  (codes in, codes out)
from . import orders  # noqa: E402
from .accumulate import Accumulator, FusedAdder, dot, matmul, sum  # noqa: E402,A004
from . import bounds, captures, hw, nn  # noqa: E402
from ._attention import attention, attention_backward  # noqa: E402

__version__ = "0.1.0"

E4M3, E5M2, BF16, FP16, FP32, TF32 = (float8_e4m3fn, float8_e5m2, bfloat16, float16, float32,
                                      tfloat32)

__all__ = [
    "abs", "add", "ALIASES", "erf", "exp", "exp2", "impls", "log", "log2", "reciprocal",
    "rsqrt", "sigmoid", "tanh", "astype", "BF16", "bfloat16", "convert", "decode", "div", "E4M3",
    "E5M2", "encode", "float16", "float32", "float4_e2m1fn", "float64", "float6_e2m3fn",
    "float6_e3m2fn", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
    "float8_e8m0fnu", "fma", "Format", "format", "FORMATS", "FP16", "FP32", "get_num_threads",
    "manual_seed", "max", "min", "ml_dtype", "MODE_ALIASES", "MODES", "mul", "neg", "NONFINITE",
    "ops", "quantize", "rounding_mode", "orders", "Accumulator", "FusedAdder", "dot", "matmul", "sum",
    "attention",
    "attention_backward",
    "bounds", "captures", "hw", "nn", "set_num_threads", "sqrt", "sub", "TF32", "tfloat32",
]
