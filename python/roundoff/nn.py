"""Transformer building blocks with every rounding stated.

``softmax``, ``log_softmax``, ``layer_norm``, ``rms_norm``, ``gelu``, ``silu`` and
``residual_add`` are compositions of roundoff's own operations (arithmetic rounded once,
special functions with an ``impl``, stated reduction orders). A *recipe* says which: a small
frozen dataclass of facts (the compute format and rounding, the reduction tree, which products
are fused, which exp/rsqrt/division implementation), so asking "what if the row sum were
accumulated in bf16" is ``dataclasses.replace(recipe, compute="bf16")``.

Presets reproduce PyTorch 2.11's CUDA kernels on sm_90 (H100/H200) for bfloat16 and float16
inputs, bit for bit against captures (tests/data/torch_sm90): ``recipe="pytorch_sm90"``
picks the kernel PyTorch launches for the row length, as :func:`pytorch_sm90` documents.

>>> import numpy as np, ml_dtypes
>>> from roundoff import nn
>>> x = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=ml_dtypes.bfloat16)
>>> nn.softmax(x)          # float32 steps, correctly rounded exp and division
array([[0.0319824, 0.0869141, 0.237305, 0.644531]], dtype=bfloat16)
>>> nn.softmax(x, recipe="pytorch_sm90").view(np.uint16)   # as F.softmax on an H100/H200
array([[15619, 15794, 15987, 16165]], dtype=uint16)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from ._arith import div as _div, fma as _fma
from ._casts import _source, astype, decode, encode
from ._formats import Format, FormatLike, float32, format, ml_dtype
from ._interop import tensor_io
from ._rounding import RoundingMode, rounding_mode
from . import _special

State = Tuple[np.ndarray, ...]


# ---------------------------------------------------------------- arithmetic in one format

class Unit:
    """Elementwise arithmetic of one format and rounding mode, on arrays holding its values.

    float32 to nearest-even runs as NumPy float32 arithmetic: IEEE binary32 operations, each
    correctly rounded, which is what roundoff's ``add``/``sub``/``mul``/``div`` into float32
    return (tests/test_nn.py checks it); FMA always goes through :func:`roundoff.fma`.
    """

    def __init__(self, fmt: FormatLike, rounding: RoundingMode = "nearest_even") -> None:
        self.fmt = format(fmt)
        self.rounding = rounding_mode(rounding)
        self.native = self.fmt == float32 and self.rounding == "nearest_even"
        self.dtype = np.dtype(np.float32) if self.native else np.dtype(np.float64)

    def value(self, x: ArrayLike) -> np.ndarray:
        """x rounded into the format (exact for values it holds)."""
        v = np.asarray(x)
        if self.native:
            return astype(v, float32, "nearest_even") if v.dtype != np.float32 else v
        return np.asarray(astype(v, self.fmt, self.rounding), dtype=np.float64)

    def _ro(self, op: Callable[..., Any], *args: Any, **kw: Any) -> np.ndarray:
        return np.asarray(op(*args, self.fmt, self.rounding, dtype=self.dtype, **kw))

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.native:
            return np.add(a, b, dtype=np.float32)
        from ._arith import add
        return self._ro(add, a, b)

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.native:
            return np.subtract(a, b, dtype=np.float32)
        from ._arith import sub
        return self._ro(sub, a, b)

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.native:
            return np.multiply(a, b, dtype=np.float32)
        from ._arith import mul
        return self._ro(mul, a, b)

    def div(self, a: np.ndarray, b: np.ndarray, impl: str = "cr") -> np.ndarray:
        if self.native and impl in ("cr", "sm90:div.rn.f32"):  # IEEE division is correctly rounded
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.divide(a, b, dtype=np.float32)
        return self._ro(_div, a, b, impl=impl)

    def fma(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, fused: bool = True) -> np.ndarray:
        """a * b + c: one rounding (fused), or the product rounded first."""
        if not fused:
            return self.add(self.mul(a, b), c)
        return self._ro(_fma, a, b, c)

    def fn(self, name: str, x: np.ndarray, impl: str) -> np.ndarray:
        """A special function of roundoff (exp, log, tanh, erf, rsqrt, ...) with its impl."""
        return self._ro(getattr(_special, name), x, impl=impl)


# ---------------------------------------------------------------- reduction trees

def _keep(ok: Any, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """new where a fold step had a value (ok: a mask, or True for every thread), else old."""
    return new if ok is True else np.where(ok, new, old)


@dataclass(frozen=True)
class Reduction:
    """How the n values of a row combine: which thread holds which values, the order each
    thread folds its own, and the tree that merges the threads.

    threads: ``1`` (one thread folds the row left to right), a thread count, or a rule of n:
        ``"warp_pow2"`` min(32, the power of two >= n) lanes (PyTorch's warp softmax) or
        ``"block_1024"`` min(n, 1024) rounded up to a multiple of 32 (its block kernels).
    assign: ``"strided"``: thread t holds values t, t + T, t + 2T, ...; ``"vec4"``/``"vec8"``:
        it holds vectors t, t + T, ... of 4 or 8 consecutive values, folded in order.
    warp: how the 32 lanes of a warp (or fewer) merge: ``"shfl_down"`` (lane l takes l + 16,
        then l + 8, ..., l + 1; the result is lane 0's) or ``"butterfly"`` (lane l takes
        l xor W/2, ..., l xor 1; every lane ends with the result).
    block: how warps merge: ``"smem"`` (each warp's result to shared memory, then warp 0 reads
        them, zeros past the last warp, and merges them as a warp) or ``"halving"`` (warp y
        merges warp y + h for h = warps/2, ..., 1).
    """

    threads: Union[int, str] = 1
    assign: str = "strided"
    warp: str = "shfl_down"
    block: str = "smem"

    def __post_init__(self) -> None:
        t = self.threads
        if not ((isinstance(t, int) and not isinstance(t, bool) and t >= 1)
                or t in ("warp_pow2", "block_1024")):
            raise ValueError(f"threads: a positive int, 'warp_pow2' or 'block_1024', got {t!r}")
        if isinstance(t, int) and t > 32 and t % 32:
            raise ValueError(f"threads: above 32, a multiple of 32 (whole warps), got {t}")
        for name, value, allowed in (("assign", self.assign, ("strided", "vec4", "vec8")),
                                     ("warp", self.warp, ("shfl_down", "butterfly")),
                                     ("block", self.block, ("smem", "halving"))):
            if value not in allowed:
                raise ValueError(f"{name}: one of {allowed}, got {value!r}")

    def thread_count(self, n: int) -> int:
        if self.threads == "warp_pow2":
            return min(32, 1 << max(0, (n - 1).bit_length()))
        if self.threads == "block_1024":
            return -(-min(n, 1024) // 32) * 32
        return int(self.threads)

    def depth(self, n: int) -> int:
        """The most roundings a value passes through when a row of n is folded: the additions
        after a thread's first value (adding to the zero start is exact), then the tree's
        levels (adding an identity is exact too, so this is an upper bound)."""
        T = self.thread_count(n)
        if T == 1:
            return n - 1
        width = 4 if self.assign == "vec4" else 8 if self.assign == "vec8" else 1
        per_thread = -(-(-(-n // width)) // T) * width
        if T <= 32:
            return per_thread - 1 + (T - 1).bit_length()
        block = 5 if self.block == "smem" else (T // 32 - 1).bit_length()
        return per_thread - 1 + 5 + block

    def steps(self, n: int) -> List[np.ndarray]:
        """Per fold step, the value index each thread takes (-1: none)."""
        T = self.thread_count(n)
        out: List[np.ndarray] = []
        if self.assign == "strided":
            for k in range(-(-n // T)):
                idx = np.arange(T) + k * T
                out.append(np.where(idx < n, idx, -1))
            return out
        width = 4 if self.assign == "vec4" else 8
        if n % width:
            raise ValueError(f"recipe: {self.assign} assignment needs a row length divisible by "
                             f"{width}, got {n}")
        vectors = n // width
        for k in range(-(-vectors // T)):
            v = np.arange(T) + k * T
            for i in range(width):
                out.append(np.where(v < vectors, width * v + i, -1))
        return out

    def fold(self, values: State, identity: State, update: Callable[[State, State, Any], State],
             combine: Callable[[State, State], State]) -> State:
        """Reduce rows (the last axis) of `values` (arrays of one shape): per thread
        ``state = update(state, value, valid)`` from ``identity`` (valid: a mask, or True
        when every thread takes a value; :func:`_keep` applies it), then the tree with
        ``combine(own, other)``. Returns one state per row."""
        rows, n = values[0].shape
        T = self.thread_count(n)
        state = tuple(np.broadcast_to(i, (rows, T)).copy() for i in identity)
        for idx in self.steps(n):
            ok = idx >= 0
            if ok.all() and idx[-1] - idx[0] == T - 1 and np.all(np.diff(idx) == 1):
                v = tuple(a[:, idx[0]:idx[0] + T] for a in values)  # a run: a view
                state = update(state, v, True)
                continue
            v = tuple(a[:, np.where(ok, idx, 0)] for a in values)
            state = update(state, v, np.broadcast_to(ok, (rows, T)))
        if T == 1:
            return tuple(a[:, 0] for a in state)
        if T <= 32:  # lanes past T (up to a power of two) hold the identity
            lanes = 1 << (T - 1).bit_length()
            pad = tuple(np.broadcast_to(i, (rows, lanes - T)).astype(a.dtype)
                        for a, i in zip(state, identity))
            return self._warp(tuple(np.concatenate([a, p], axis=1)
                                    for a, p in zip(state, pad)), combine)
        warps = T // 32
        state = self._warp(tuple(a.reshape(rows, warps, 32) for a in state), combine)
        if self.block == "smem":  # warp 0 reloads the per-warp results (identity past them)
            pad = tuple(np.broadcast_to(i, (rows, 32 - warps)).astype(a.dtype)
                        for a, i in zip(state, identity))
            state = tuple(np.concatenate([a, p], axis=1) for a, p in zip(state, pad))
            return self._warp(state, combine)
        h = warps // 2
        while h:
            merged = combine(tuple(a[:, :h] for a in state), tuple(a[:, h:2 * h] for a in state))
            state = tuple(np.concatenate([m, a[:, h:]], axis=1) for m, a in zip(merged, state))
            h //= 2
        return tuple(a[:, 0] for a in state)

    def _warp(self, state: State, combine: Callable[[State, State], State]) -> State:
        W = state[0].shape[-1]
        lanes = np.arange(W)
        off = W // 2
        while off:
            if self.warp == "butterfly":
                src = lanes ^ off
            else:  # shfl_down: lanes past the end read their own value
                src = np.where(lanes + off < W, lanes + off, lanes)
            state = combine(state, tuple(a[..., src] for a in state))
            off //= 2
        return tuple(a[..., 0] for a in state)


SEQUENTIAL = Reduction()


# ---------------------------------------------------------------- recipes

@dataclass(frozen=True)
class Softmax:
    """softmax / log_softmax over a row: m = max (exact), t = x - m, e = exp(t), s = the row
    sum of e (``sum``), then e / s (``normalize="divide"``) or e * (1 / s) (``"reciprocal"``),
    or t - log(s) for log_softmax; every step rounded into ``compute``; the result rounded
    into the output format.

    With a ``scale`` (> 0; rounded into ``compute``) the row is scale * x, as attention
    kernels scale their scores: t = x * scale - m * scale, each product rounded
    (``subtract="separate"``, as FlashAttention 2 in PyTorch) or the first fused with the
    subtraction (``"fused"``, one FMA, as Triton's kernel). ``exp_base="2"`` takes 2^t with
    ``exp`` an exp2 impl (the kernels fold log2(e) into the scale): the exact function is then
    softmax(ln 2 * scale * x)."""

    compute: FormatLike = "float32"
    rounding: RoundingMode = "nearest_even"
    exp: str = "cr"
    sum: Reduction = SEQUENTIAL
    normalize: str = "divide"
    divide: str = "cr"   # impl of the division (or of the reciprocal)
    log: str = "cr"      # impl of log (log_softmax)
    scale: Optional[float] = None
    subtract: str = "separate"
    exp_base: str = "e"

    def __post_init__(self) -> None:
        if self.normalize not in ("divide", "reciprocal"):
            raise ValueError(f"normalize: 'divide' or 'reciprocal', got {self.normalize!r}")
        if self.subtract not in ("separate", "fused"):
            raise ValueError(f"subtract: 'separate' or 'fused', got {self.subtract!r}")
        if self.exp_base not in ("e", "2"):
            raise ValueError(f"exp_base: 'e' or '2', got {self.exp_base!r}")
        if self.scale is not None and (isinstance(self.scale, bool) or not isinstance(
                self.scale, (int, float)) or not 0 < self.scale < float("inf")):
            raise ValueError(f"scale: a positive finite number or None, got {self.scale!r}")


@dataclass(frozen=True)
class Norm:
    """layer_norm / rms_norm over a row.

    moments: the reduction of the row; statistics: ``"two_pass"`` (mean = sum / n, then the
    mean of (x - mean)^2), ``"welford_cuda"`` (PyTorch's vectorized kernel: online update
    mean += d * (1/c), combine by count fractions), ``"welford_ops"`` (its WelfordOps: mean +=
    d / c, combine mean += delta * n_b/n), or, for rms_norm only, ``"sum_squares"``
    (s = fma(x, x, s), merged by addition). ``fused`` says whether the products these
    formulas add are fused (one rounding), as nvcc contracts them. rms_norm from Welford
    moments uses var + mean^2. rstd = rsqrt(var + eps) with ``rsqrt`` the impl. Output:
    ``(x - mean) * rstd`` then ``fma(gamma, ., beta)`` (rms_norm: ``gamma * (rstd * x)``);
    ``affine_always``: without weight and bias still apply 1 and 0 (turns -0 into +0)."""

    compute: FormatLike = "float32"
    rounding: RoundingMode = "nearest_even"
    moments: Reduction = SEQUENTIAL
    statistics: str = "two_pass"
    fused: bool = True
    rsqrt: str = "cr"
    affine_always: bool = False

    def __post_init__(self) -> None:
        allowed = ("two_pass", "welford_cuda", "welford_ops", "sum_squares")
        if self.statistics not in allowed:
            raise ValueError(f"statistics: one of {allowed}, got {self.statistics!r}")


@dataclass(frozen=True)
class Activation:
    """GELU and SiLU, elementwise in ``compute``.

    GELU erf form: (x * 0.5) * (1 + erf(x * sqrt(1/2))); tanh form: u = x + 0.044715 * x^3
    (x^3 = (x * x) * x; fused: one FMA), (0.5 * x) * (1 + tanh(sqrt(2/pi) * u)); SiLU:
    x / (1 + exp(-x)) (``divide`` the division's impl). Constants are the float64 values
    rounded into ``compute``."""

    compute: FormatLike = "float32"
    rounding: RoundingMode = "nearest_even"
    erf: str = "cr"
    tanh: str = "cr"
    exp: str = "cr"
    divide: str = "cr"
    fused: bool = True


# ---------------------------------------------------------------- presets

_TORCH_EXP, _TORCH_LOG, _TORCH_RSQRT = "sm90:expf", "sm90:logf", "sm90:rsqrt.approx.f32"
_TORCH_WARP = Reduction("warp_pow2", "strided", "butterfly")
_TORCH_ACTIVATION = Activation(erf="sm90:erff", tanh="sm90:tanhf", exp=_TORCH_EXP)


def pytorch_sm90(op: str, n: int) -> Union[Softmax, Norm, Activation]:
    """The recipe of the kernel PyTorch 2.11 (CUDA 13.0) launches on sm_90 for ``op`` over
    rows of ``n`` bfloat16 or float16 values (verified bit for bit against captures on an
    H200, tests/data/torch_sm90).

    * softmax, log_softmax: n <= 2048: ``softmax_warp_forward`` (lanes min(32, 2^ceil(log2
      n)), lane l holds l, l + W, ...; butterfly sum); n > 2048: the block kernels (min(n,
      1024) threads rounded up to 32; ``cunn_SoftMaxForwardReg`` strided while n / threads <
      10, else ``cunn_SoftMaxForwardSmem`` with 8-vectors, which needs n % 8 == 0; shuffle-down
      trees and a shared-memory block reduce). exp is libdevice ``expf``, log ``logf``, the
      division IEEE.
    * layer_norm, rms_norm: n % 4 == 0: ``vectorized_layer_norm_kernel`` (128 threads,
      4-vectors, cuWelford formulas, halving across warps); otherwise ``RowwiseMomentsCUDA
      Kernel`` (512 threads, strided, WelfordOps, shared-memory block reduce). rstd is
      ``rsqrtf`` (MUFU.RSQ).
    * gelu, silu: libdevice ``erff``/``tanhf``/``expf`` in float32, IEEE division.
    """
    if op in ("gelu", "silu"):
        return _TORCH_ACTIVATION
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: a positive row length, got {n!r}")
    if op in ("softmax", "log_softmax"):
        if n <= 2048:
            return Softmax(exp=_TORCH_EXP, sum=_TORCH_WARP, log=_TORCH_LOG)
        threads = Reduction("block_1024").thread_count(n)
        if -(-n // threads) < 10:
            return Softmax(exp=_TORCH_EXP, sum=Reduction("block_1024"), log=_TORCH_LOG)
        if n % 8 or n > 16384:
            raise ValueError(f"n: PyTorch's softmax over {n} values runs a kernel not modelled "
                             "here (cunn_SoftMaxForward); modelled: n <= 2048, n with "
                             "ceil(n / 1024) < 10, and n % 8 == 0 up to 16384")
        return Softmax(exp=_TORCH_EXP, sum=Reduction("block_1024", "vec8"), log=_TORCH_LOG)
    if op in ("layer_norm", "rms_norm"):
        if n % 4 == 0:
            return Norm(moments=Reduction(128, "vec4", "shfl_down", "halving"),
                        statistics="sum_squares" if op == "rms_norm" else "welford_cuda",
                        rsqrt=_TORCH_RSQRT)
        return Norm(moments=Reduction(512), statistics="welford_ops", rsqrt=_TORCH_RSQRT,
                    affine_always=True)
    raise ValueError(f"op: one of softmax, log_softmax, layer_norm, rms_norm, gelu, silu; got "
                     f"{op!r}")


PRESETS = {"pytorch_sm90": pytorch_sm90}


def _recipe(op: str, recipe: Any, n: int, kind: type) -> Any:
    if recipe is None:
        return kind()
    if isinstance(recipe, str):
        if recipe not in PRESETS:
            raise ValueError(f"recipe: a {kind.__name__} or one of {sorted(PRESETS)}, got "
                             f"{recipe!r}")
        return PRESETS[recipe](op, n)
    if not isinstance(recipe, kind):
        raise TypeError(f"recipe: expected a {kind.__name__} (or a preset name), got "
                        f"{type(recipe).__name__}")
    return recipe


# ---------------------------------------------------------------- inputs and outputs

def _values(x: ArrayLike, name: str = "x", unit: Optional[Unit] = None
            ) -> Tuple[np.ndarray, Format]:
    """x's exact values and its format: float32 when ``unit`` computes in float32 and float32
    holds every value of x's format (BF16, FP16, FP8: one conversion, no float64 copy), else
    float64 (which holds every format's values)."""
    codes, fmt, _ = _source(x, name)
    fits = unit is not None and unit.native and fmt.is_subset_of(float32)
    return np.asarray(decode(codes, fmt, np.float32 if fits else np.float64)), fmt


def _rows(x: ArrayLike, axis: int, unit: Optional[Unit] = None
          ) -> Tuple[np.ndarray, Format, Tuple[int, ...], int]:
    """x's values (as :func:`_values`) with `axis` moved last, its format, that shape and the
    axis."""
    v, fmt = _values(x, unit=unit)
    if v.ndim == 0:
        raise ValueError("x: needs at least one dimension")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or \
            not -v.ndim <= axis < v.ndim:
        raise ValueError(f"axis: an integer in [-{v.ndim}, {v.ndim}), got {axis!r}")
    v = np.moveaxis(v, axis, -1)
    if v.shape[-1] == 0:
        raise ValueError("x: the reduced axis is empty")
    return v, fmt, v.shape, int(axis)


def _output(y: np.ndarray, fmt: Format, out_fmt: Optional[FormatLike], shape: Tuple[int, ...],
            axis: int) -> np.ndarray:
    """The rows y rounded to nearest-even into out_fmt (default fmt), axis put back."""
    target = format(out_fmt) if out_fmt is not None else fmt
    z = np.moveaxis(np.asarray(y).reshape(shape), -1, axis)
    return np.asarray(encode(z, target, "nearest_even")).view(ml_dtype(target))


# ---------------------------------------------------------------- the blocks

def _softmax(x: ArrayLike, recipe: Any, axis: int, fmt: Optional[FormatLike],
             log: bool) -> np.ndarray:
    shape_x = np.shape(x)
    n = shape_x[axis] if isinstance(axis, (int, np.integer)) and -len(shape_x) <= axis < len(
        shape_x) else 1  # a bad axis is reported by _rows
    r = _recipe("log_softmax" if log else "softmax", recipe, max(n, 1), Softmax)
    u = Unit(r.compute, r.rounding)
    v, in_fmt, shape, axis = _rows(x, axis, u)
    xs = u.value(v.reshape(-1, n))
    m = np.max(xs, axis=1, keepdims=True)  # exact in any order
    if log and r.exp_base != "e":
        raise ValueError("recipe: log_softmax takes exp_base 'e'")
    with np.errstate(invalid="ignore", over="ignore"):
        if r.scale is None:
            t = u.sub(xs, m)
        else:  # x * scale - m * scale: the first product fused with the subtraction, or not
            sc = _constant(u, r.scale)
            t = u.fma(xs, np.broadcast_to(sc, xs.shape), -u.mul(m, sc), r.subtract == "fused")
    e = u.fn("exp" if r.exp_base == "e" else "exp2", t, r.exp)
    zero = (np.zeros((), u.dtype),)
    (s,) = r.sum.fold((e,), zero, lambda st, val, ok: (_keep(ok, u.add(st[0], val[0]),
                                                                 st[0]),),
                      lambda a, b: (u.add(a[0], b[0]),))
    s = s[:, None]
    if log:
        y = u.sub(t, u.fn("log", s, r.log))
    elif r.normalize == "divide":
        y = u.div(e, np.broadcast_to(s, e.shape), r.divide)
    else:
        y = u.mul(e, u.fn("reciprocal", s, r.divide))
    return _output(y, in_fmt, fmt, shape, axis)


@tensor_io
def softmax(x: ArrayLike, recipe: Union[Softmax, str, None] = None, *, axis: int = -1,
            fmt: Optional[FormatLike] = None) -> Any:
    """softmax(x) along ``axis`` with every rounding stated by ``recipe`` (a :class:`Softmax`,
    default: float32 steps, correctly rounded exp and division, a sequential sum; or a preset
    name such as ``"pytorch_sm90"``), rounded to nearest-even into ``fmt`` (default: x's
    format). Returns an array of ``fmt``'s dtype."""
    return _softmax(x, recipe, axis, fmt, log=False)


@tensor_io
def log_softmax(x: ArrayLike, recipe: Union[Softmax, str, None] = None, *, axis: int = -1,
                fmt: Optional[FormatLike] = None) -> Any:
    """log_softmax(x) = (x - max) - log(sum(exp(x - max))) along ``axis``; as :func:`softmax`."""
    return _softmax(x, recipe, axis, fmt, log=True)


def _welford_cuda(u: Unit, fused: bool) -> Tuple[Callable[..., State], Callable[..., State]]:
    """PyTorch's cuWelfordOnlineSum and cuWelfordCombine (vectorized layer_norm kernel)."""
    one = np.asarray(1, u.dtype)

    def update(st: State, val: State, ok: np.ndarray) -> State:
        mean, s2, c = st
        v = val[0]
        d = u.sub(v, mean)
        c1 = u.add(c, one)
        with np.errstate(divide="ignore", invalid="ignore"):
            m1 = u.fma(d, u.div(one, c1), mean, fused)
            s1 = u.fma(d, u.sub(v, m1), s2, fused)
        return (_keep(ok, m1, mean), _keep(ok, s1, s2), _keep(ok, c1, c))

    def combine(b: State, a: State) -> State:  # cuWelfordCombine(dataB = own, dataA = other)
        bm, bs, bc = b
        am, as_, ac = a
        delta = u.sub(bm, am)
        cnt = u.add(ac, bc)
        with np.errstate(divide="ignore", invalid="ignore"):
            coef = u.div(np.broadcast_to(one, cnt.shape), cnt)
            na, nb = u.mul(ac, coef), u.mul(bc, coef)
            mean = u.fma(na, am, u.mul(nb, bm), fused)
            s2 = u.fma(u.mul(u.mul(delta, delta), ac), nb, u.add(as_, bs), fused)
        pos = cnt > 0
        return (np.where(pos, mean, 0).astype(u.dtype), np.where(pos, s2, 0).astype(u.dtype), cnt)
    return update, combine


def _welford_ops(u: Unit, fused: bool) -> Tuple[Callable[..., State], Callable[..., State]]:
    """PyTorch's WelfordOps reduce and combine (RowwiseMoments kernel)."""
    one = np.asarray(1, u.dtype)

    def update(st: State, val: State, ok: np.ndarray) -> State:
        mean, m2, c = st
        v = val[0]
        c1 = u.add(c, one)
        d = u.sub(v, mean)
        m1 = u.add(mean, u.div(d, c1))
        s1 = u.fma(d, u.sub(v, m1), m2, fused)
        return (_keep(ok, m1, mean), _keep(ok, s1, m2), _keep(ok, c1, c))

    def combine(a: State, b: State) -> State:
        am, am2, ac = a
        bm, bm2, bc = b
        delta = u.sub(bm, am)
        cnt = u.add(ac, bc)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = u.div(bc, cnt)
            mean = u.fma(delta, r, am, fused)
            m2 = u.fma(u.mul(u.mul(delta, delta), ac), r, u.add(am2, bm2), fused)
        merged = tuple(np.where(ac == 0, y, o) for o, y in zip((mean, m2, cnt), b))
        return tuple(np.where((bc == 0) & (ac != 0), y, o) for o, y in zip(merged, a))
    return update, combine


def _moments(u: Unit, r: Norm, xs: np.ndarray, rms: bool) -> Tuple[np.ndarray, np.ndarray]:
    """(mean, var) of each row (rms_norm: mean is unused by sum_squares), as the recipe says."""
    n = xs.shape[1]
    N = np.asarray(n, u.dtype) if u.native else u.value(np.float64(n))
    zero = np.zeros((), u.dtype)
    if r.statistics == "two_pass" or r.statistics == "sum_squares":
        add = (lambda st, val, ok: (_keep(ok, u.add(st[0], val[0]), st[0]),),
               lambda a, b: (u.add(a[0], b[0]),))
        if r.statistics == "sum_squares" or rms:
            sq = (lambda st, val, ok: (_keep(ok, u.fma(val[0], val[0], st[0], r.fused),
                                                st[0]),), add[1])
            (s,) = r.moments.fold((xs,), (zero,), *sq)
            return np.zeros_like(s), u.div(s, np.broadcast_to(N, s.shape))
        (s,) = r.moments.fold((xs,), (zero,), *add)
        mean = u.div(s, np.broadcast_to(N, s.shape))
        d = u.sub(xs, mean[:, None])
        (s2,) = r.moments.fold((d,), (zero,), lambda st, val, ok: (
            _keep(ok, u.fma(val[0], val[0], st[0], r.fused), st[0]),), add[1])
        return mean, u.div(s2, np.broadcast_to(N, s2.shape))
    update, combine = (_welford_cuda if r.statistics == "welford_cuda" else _welford_ops)(
        u, r.fused)
    mean, m2, c = r.moments.fold((xs,), (zero, zero, zero), update, combine)
    with np.errstate(divide="ignore", invalid="ignore"):
        divisor = N if r.statistics == "welford_cuda" else c
        var = u.div(m2, np.broadcast_to(divisor, m2.shape))
    if rms:  # E[x^2] = var + mean^2
        var = u.fma(mean, mean, var, r.fused)
    return mean, var


def _norm(x: ArrayLike, weight: Optional[ArrayLike], bias: Optional[ArrayLike], eps: float,
          recipe: Any, fmt: Optional[FormatLike], rms: bool) -> np.ndarray:
    v, in_fmt, shape, axis = _rows(x, -1)
    n = shape[-1]
    r = _recipe("rms_norm" if rms else "layer_norm", recipe, n, Norm)
    if rms and r.statistics == "welford_cuda":
        raise ValueError("recipe: rms_norm takes statistics 'sum_squares', 'two_pass' or "
                         "'welford_ops'")
    if not rms and r.statistics == "sum_squares":
        raise ValueError("recipe: layer_norm needs the mean: statistics 'two_pass' or 'welford_*'")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps >= 0:
        raise ValueError(f"eps: a non-negative number, got {eps!r}")
    u = Unit(r.compute, r.rounding)
    xs = u.value(v.reshape(-1, n))
    params: List[Optional[np.ndarray]] = []
    for name, p in (("weight", weight), ("bias", bias)):
        if p is None:
            params.append(None)
            continue
        pv, _ = _values(p, name)
        if pv.shape != (n,):
            raise ValueError(f"{name}: shape ({n},) expected (the last axis of x), got {pv.shape}")
        params.append(u.value(pv))
    w, b = params
    if rms and b is not None:
        raise ValueError("bias: rms_norm takes no bias")
    mean, var = _moments(u, r, xs, rms)
    rstd = u.fn("rsqrt", u.add(var, u.value(np.float64(eps))), r.rsqrt)[:, None]
    if rms:
        y = u.mul(rstd, xs)
        if w is not None:
            y = u.mul(np.broadcast_to(w, y.shape), y)
    else:
        y = u.mul(rstd, u.sub(xs, mean[:, None]))
        if w is not None or b is not None or r.affine_always:
            gamma = np.broadcast_to(w if w is not None else np.ones((), u.dtype), y.shape)
            beta = np.broadcast_to(b if b is not None else np.zeros((), u.dtype), y.shape)
            y = u.fma(gamma, y, beta, r.fused)
    return _output(y, in_fmt, fmt, shape, axis)


@tensor_io
def layer_norm(x: ArrayLike, weight: Optional[ArrayLike] = None,
               bias: Optional[ArrayLike] = None, eps: float = 1e-5,
               recipe: Union[Norm, str, None] = None, *, fmt: Optional[FormatLike] = None
               ) -> Any:
    """layer_norm over the last axis: (x - mean) * rsqrt(var + eps) * weight + bias, every
    rounding stated by ``recipe`` (a :class:`Norm`; default: two-pass float32 moments, a
    sequential sum, correctly rounded rsqrt; or ``"pytorch_sm90"``), rounded to nearest-even
    into ``fmt`` (default: x's format)."""
    return _norm(x, weight, bias, eps, recipe, fmt, rms=False)


@tensor_io
def rms_norm(x: ArrayLike, weight: Optional[ArrayLike] = None, eps: float = 1e-6,
             recipe: Union[Norm, str, None] = None, *, fmt: Optional[FormatLike] = None) -> Any:
    """rms_norm over the last axis: x * rsqrt(mean(x^2) + eps) * weight; as :func:`layer_norm`
    (the default recipe sums squares by FMA, sequentially)."""
    if recipe is None:
        recipe = Norm(statistics="sum_squares")
    return _norm(x, weight, None, eps, recipe, fmt, rms=True)


def _constant(u: Unit, value: float) -> np.ndarray:
    return u.value(np.float64(value))


def _elementwise(x: ArrayLike, op: str, recipe: Any
                 ) -> Tuple[np.ndarray, Format, Unit, Activation]:
    v, fmt = _values(x)
    r = _recipe(op, recipe, max(v.size, 1), Activation)
    u = Unit(r.compute, r.rounding)
    return u.value(v), fmt, u, r


def _rounded(y: np.ndarray, fmt: Format, out_fmt: Optional[FormatLike]) -> np.ndarray:
    target = format(out_fmt) if out_fmt is not None else fmt
    return np.asarray(encode(y, target, "nearest_even")).view(ml_dtype(target))


@tensor_io
def gelu(x: ArrayLike, approximate: str = "none", recipe: Union[Activation, str, None] = None,
         *, fmt: Optional[FormatLike] = None) -> Any:
    """GELU, ``approximate="none"`` (the erf form) or ``"tanh"``, as :class:`Activation` writes
    it, rounded to nearest-even into ``fmt`` (default: x's format)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate: 'none' or 'tanh', got {approximate!r}")
    xs, in_fmt, u, r = _elementwise(x, "gelu", recipe)
    with np.errstate(all="ignore"):
        if approximate == "none":
            half_x = u.mul(xs, _constant(u, 0.5))
            e = u.fn("erf", u.mul(xs, _constant(u, np.sqrt(0.5))), r.erf)
            y = u.mul(half_x, u.add(_constant(u, 1.0), e))
        else:
            cube = u.mul(u.mul(xs, xs), xs)
            kappa = np.broadcast_to(_constant(u, 0.044715), cube.shape)
            inner = u.mul(_constant(u, np.sqrt(2.0) * (2.0 / np.sqrt(np.pi)) * 0.5),
                          u.fma(kappa, cube, xs, r.fused))
            y = u.mul(u.mul(_constant(u, 0.5), xs),
                      u.add(_constant(u, 1.0), u.fn("tanh", inner, r.tanh)))
    return _rounded(y, in_fmt, fmt)


@tensor_io
def silu(x: ArrayLike, recipe: Union[Activation, str, None] = None, *,
         fmt: Optional[FormatLike] = None) -> Any:
    """SiLU = x / (1 + exp(-x)) as :class:`Activation` writes it, rounded to nearest-even into
    ``fmt`` (default: x's format)."""
    xs, in_fmt, u, r = _elementwise(x, "silu", recipe)
    with np.errstate(all="ignore"):
        y = u.div(xs, u.add(_constant(u, 1.0), u.fn("exp", -xs, r.exp)), r.divide)
    return _rounded(y, in_fmt, fmt)


@tensor_io
def residual_add(x: ArrayLike, residual: ArrayLike, compute: FormatLike = "float32",
                 rounding: RoundingMode = "nearest_even", *,
                 fmt: Optional[FormatLike] = None) -> Any:
    """x + residual rounded into ``compute`` (PyTorch adds bf16 tensors in float32), then to
    nearest-even into ``fmt`` (default: x's format): two roundings, as a GPU does them."""
    from ._arith import add
    _, in_fmt = _values(x)
    return _rounded(np.asarray(add(x, residual, compute, rounding)), in_fmt, fmt)


# One pre-LayerNorm transformer block built from the functions above (its own module: it
# composes attention, linear layers and these).
from . import _transformer  # noqa: E402

BLOCK_PRECISIONS = _transformer.BLOCK_PRECISIONS
BlockPrecision = _transformer.BlockPrecision
transformer_block = _transformer.transformer_block
transformer_block_reference = _transformer.transformer_block_reference
