"""Round-off bounds for sums, dot products and matrix products, to compare measured errors with.

The deterministic bounds (Higham 2002, ch. 3-4) hold barring underflow and overflow: a term
that passes through d roundings with relative error at most u each is off by at most
``gamma(d, u) * |term|``, so an accumulation order bounds the error by
``sum_i gamma(d_i, u) * |t_i|`` with ``d_i`` the depth of term i in the order's tree
(:func:`depths`): ``n - 1`` for the first term of a sequential sum, ``ceil(log2 n)`` for
pairwise sums, ``b + ceil(n/b) - 2`` for blocked ones. The probabilistic bound for stochastic
rounding (Connolly, Higham & Mary 2021) holds for any data with the stated probability.

>>> from roundoff import bounds, orders
>>> bounds.unit_roundoff("bf16")
0.00390625
>>> bounds.depths(orders.sequential(), 4).tolist()
[3, 3, 2, 1]
>>> int(bounds.depths(orders.pairwise(), 1024).max())
10
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Tuple

import numpy as np
from numpy.typing import NDArray

from ._attention import visible_keys
from ._casts import encode
from ._formats import FormatLike, format, ml_dtype
from ._rounding import RoundingMode, rounding_mode
from .accumulate import Accumulator, FusedAdder
from .orders import Order, sequential

__all__ = ["unit_roundoff", "gamma", "depths", "sum_bound", "dot_bound", "matmul_bound",
           "fused_matmul_bound", "double_rounding_unit", "stochastic_sum_bound",
           "stochastic_failure_probability", "GPU_ERRORS", "function_error", "softmax_bound",
           "log_softmax_bound", "layer_norm_bound", "rms_norm_bound", "silu_bound",
           "gelu_bound", "attention_bound", "transformer_block_bound"]


def unit_roundoff(fmt: FormatLike, rounding: RoundingMode = "nearest_even") -> float:
    """u: 2^-p to nearest; 2^(1-p) for the other modes (directed, odd, stochastic: |delta| < 2u
    of the nearest case)."""
    p = format(fmt).precision
    mode = rounding_mode(rounding)
    return 2.0 ** -p if mode in ("nearest_even", "nearest_away") else 2.0 ** (1 - p)


def gamma(n: Any, u: float) -> Any:
    """gamma_n = n u / (1 - n u); inf where n u >= 1 (the bound says nothing there)."""
    n = np.asarray(n, dtype=np.float64)
    nu = n * u
    with np.errstate(divide="ignore"):
        g = np.where(nu < 1, nu / np.where(nu < 1, 1 - nu, 1.0), np.inf)
    return g[()] if g.ndim == 0 else g


def depths(order: Optional[Order], n: int) -> NDArray[np.int64]:
    """For each of n terms, the number of roundings between it and the result: the additions
    above it in the order's tree (a lone term is rounded once into the format)."""
    order = sequential() if order is None else order
    if n == 1:
        return np.ones(1, dtype=np.int64)
    d = np.zeros(2 * n - 1, dtype=np.int64)
    nodes = order.nodes(n)
    parent = np.full(2 * n - 1, -1, dtype=np.int64)
    for i, (left, right) in enumerate(nodes):
        parent[left] = parent[right] = n + i
    for node in range(2 * n - 3, -1, -1):  # parents come after children
        d[node] = d[parent[node]] + 1 if parent[node] >= 0 else 0
    return d[:n]


def sum_bound(x: Any, fmt: FormatLike = "float32", rounding: RoundingMode = "nearest_even",
              order: Optional[Order] = None) -> float:
    """Bound on |computed sum - exact sum| for the terms x summed in ``order`` with every
    addition rounded into ``fmt``: ``sum_i gamma(d_i, u) |x_i|``."""
    x = np.abs(np.asarray(x, dtype=np.float64).ravel())
    if x.size == 0:
        return 0.0
    u = unit_roundoff(fmt, rounding)
    return float(np.sum(gamma(depths(order, x.size), u) * x))


def dot_bound(x: Any, y: Any, fmt: FormatLike = "float32", rounding: RoundingMode = "nearest_even",
              order: Optional[Order] = None, fma: bool = True) -> float:
    """Bound for a dot product: each exact product passes through its depth in roundings
    (one more each without FMA, where the product is rounded first)."""
    t = np.abs(np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64)).ravel()
    if t.size == 0:
        return 0.0
    u = unit_roundoff(fmt, rounding)
    d = depths(order, t.size) + (0 if fma else 1)
    if not fma:  # the first product of a chain is rounded once only when added to nothing
        d = np.maximum(d, 1)
    return float(np.sum(gamma(d, u) * t))


def matmul_bound(a: Any, b: Any, fmt: FormatLike = "float32",
                 rounding: RoundingMode = "nearest_even", order: Optional[Order] = None,
                 out_fmt: Optional[FormatLike] = None) -> NDArray[np.float64]:
    """Elementwise bound on |C - AB| for a @ b accumulated in ``fmt`` over ``order`` with exact
    products, then rounded to nearest into ``out_fmt``:
    ``u_o |AB| + (1 + u_o) sum_k gamma(d_k, u) |a_ik||b_kj|``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    K = a.shape[-1]
    u = unit_roundoff(fmt, rounding)
    g = gamma(depths(order, K), u) if K else np.zeros(0)
    acc = np.einsum("...ik,k,...kj->...ij", np.abs(a), g, np.abs(b))
    if out_fmt is None:
        return acc
    uo = unit_roundoff(out_fmt)
    return uo * np.abs(a @ b) + (1 + uo) * acc


def stochastic_sum_bound(x: Any, fmt: FormatLike, lam: float = 6.0) -> float:
    """Bound on |computed - exact| of a recursive sum with stochastic rounding into ``fmt``
    that holds with probability at least :func:`stochastic_failure_probability` away from 1:
    ``gammatilde_n(lam) sum|x_i|`` with ``gammatilde_n = exp(lam sqrt(n) e + n e^2/(1-e)) - 1``,
    ``e = 2u`` (Connolly, Higham & Mary 2021; Higham & Mary 2019)."""
    x = np.abs(np.asarray(x, dtype=np.float64).ravel())
    n = x.size
    e = 2.0 ** (1 - format(fmt).precision)
    g = math.expm1(lam * math.sqrt(n) * e + n * e * e / (1 - e))
    return float(g * np.sum(x))


def stochastic_failure_probability(n: int, fmt: FormatLike, lam: float = 6.0) -> float:
    """The probability that :func:`stochastic_sum_bound` fails: at most
    ``2 n exp(-lam^2 (1 - e)^2 / 2)`` (Azuma-Hoeffding on the n rounding errors)."""
    e = 2.0 ** (1 - format(fmt).precision)
    return float(min(1.0, 2 * n * math.exp(-lam * lam * (1 - e) ** 2 / 2)))


def fused_matmul_bound(a: Any, b: Any, fused: FusedAdder, promote_every: Optional[int] = None,
                       acc_fmt: FormatLike = "float32") -> NDArray[np.float64]:
    """Elementwise bound on |C - AB| for a chain of fused multi-term adder steps
    (:class:`~roundoff.FusedAdder`): a step's terms (its products and the accumulator) are each
    truncated below ``2^(emax - F)`` with ``2^emax`` at most the largest term, and the sum is
    rounded once, so a step errs by at most ``u_step * (sum of its |terms|)`` with
    ``u_step = (L + 1) 2^-F + 2^(1-p)`` (p: the step format's precision; directed rounding).
    A term passes through at most d steps (and promotions into ``acc_fmt``), so the bound is
    ``gamma(d, u_step) |A||B|``: first-order in nature and loose, but a guarantee (barring
    underflow and overflow)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    u_step, depth = _fused_steps(fused, a.shape[-1], promote_every, acc_fmt)
    return gamma(depth, u_step) * (np.abs(a) @ np.abs(b))


def _fused_steps(fused: FusedAdder, K: int, promote_every: Optional[int] = None,
                 acc_fmt: FormatLike = "float32") -> Tuple[float, int]:
    """(u_step, d) of :func:`fused_matmul_bound` for a chain over K terms."""
    L = fused.terms
    u_step = (L + 1) * 2.0 ** -fused.frac_bits + 2.0 ** (1 - format(fused.out_fmt).precision)
    if promote_every:
        return max(u_step, unit_roundoff(acc_fmt)), promote_every // L + -(-K // promote_every)
    return u_step, -(-K // L)


def _chain(acc: Accumulator, K: int, a_fmt: FormatLike, b_fmt: FormatLike
           ) -> Tuple[float, int, float]:
    """(u, d, e_in) for a product over K terms through ``acc`` on operands of formats a_fmt
    and b_fmt: each term passes through at most d roundings of relative error at most u (a
    fused chain: its steps, :func:`_fused_steps`; else the order's depth, one more where
    products are rounded first), after the rounding of its operands into acc's a_fmt/b_fmt,
    which moves the product by e_in relatively (0 where those formats hold the operands)."""
    if acc.fused is not None:
        n = K
        if acc.split_k:  # slices aligned to the step, then combined in fmt along order
            n = -(-(-(-K // acc.fused.terms)) // acc.split_k) * acc.fused.terms
        u, d = _fused_steps(acc.fused, n, acc.promote_every, acc.fmt)
        if acc.split_k:
            u = max(u, unit_roundoff(acc.fmt, acc.rounding))
            d += int(depths(acc.order, acc.split_k).max())
    else:
        u = unit_roundoff(acc.fmt, acc.rounding)
        d = int(depths(acc.order, K).max())
        if acc.product_fmt is not None:
            u, d = max(u, unit_roundoff(acc.product_fmt, acc.product_rounding)), d + 1
        elif not acc.fma:
            d += 1
    e_in = 1.0
    for held, op in ((acc.a_fmt, a_fmt), (acc.b_fmt, b_fmt)):
        if held is not None and not format(op).is_subset_of(held):
            mode = acc.input_rounding
            e_in *= 1 + unit_roundoff(held, "toward_zero" if mode == "truncate_bits" else mode)
    return u, d, e_in - 1


def _exponent_bound(mag: Any, fmt: FormatLike) -> Any:
    """An upper bound on 2^e, e the exponent a fused adder reads from a value of magnitude at
    most mag in fmt (subnormals at emin); 0 for 0."""
    f = format(fmt)
    top = np.maximum(mag, 2.0 ** f.emin)
    with np.errstate(divide="ignore"):
        return np.where(mag > 0, np.exp2(np.floor(np.log2(top))), 0.0)


def _chain_bound(a: NDArray[np.float64], b: NDArray[np.float64], ra: Any, rb: Any,
                 acc: Accumulator, a_fmt: FormatLike, b_fmt: FormatLike
                 ) -> NDArray[np.float64]:
    """Elementwise bound on |acc's a' @ b' - a' @ b'| for any a', b' within ra, rb of a (M,
    K), b (K, N), values of a_fmt and b_fmt. A fused chain (no split-K, no input rounding) is
    evaluated step by step: a step truncates each of its at most L + 1 terms below 2^(e - F),
    2^e the largest term exponent (at most the largest product's operand exponents, or the
    accumulator's magnitude), then rounds once (2^(1-p) of its result, p the step format's
    precision); promotions add one rounding into acc's format. Otherwise
    :func:`_chain`'s gamma bound."""
    A, B = np.abs(a) + ra, np.abs(b) + rb
    u, d, e_in = _chain(acc, a.shape[1], a_fmt, b_fmt)
    f = acc.fused
    if f is None or acc.split_k or e_in:
        return ((1 + e_in) * (1 + gamma(d, u)) - 1) * (A @ B)
    L, K = f.terms, a.shape[1]
    t, r = (L + 1) * 2.0 ** -f.frac_bits, 2.0 ** (1 - format(f.out_fmt).precision)
    ea, eb = _exponent_bound(A, a_fmt), _exponent_bound(B, b_fmt)
    group = acc.promote_every or K
    u_acc = unit_roundoff(acc.fmt, acc.rounding)
    total = np.zeros((a.shape[0], b.shape[1]))
    err_total = np.zeros_like(total)
    for g0 in range(0, K, group):
        part = np.zeros_like(total)   # the chain's exact partial (of the magnitudes' bound)
        err = np.zeros_like(total)
        for k0 in range(g0, min(g0 + group, K), L):
            g = slice(k0, min(k0 + L, K))
            top = (ea[:, g, None] * eb[None, g, :]).max(axis=1)
            trunc = t * np.maximum(top, part + err)
            part = part + A[:, g] @ B[g, :]
            err = err + trunc + r * (part + err + trunc)
        if acc.promote_every:
            total = total + part
            err_total = err_total + err + u_acc * (total + err_total + err)
        else:
            err_total = err
    return err_total


def double_rounding_unit(fmt: FormatLike, via: FormatLike = "float32") -> float:
    """The unit roundoff of an accumulator emulated by rounding to ``via`` and then to ``fmt``
    (e.g. ``round_bf16(fl32(c + a b))``, two roundings per step): ``u_m + u_v + u_m u_v``
    (Blanchard, Higham, Lopez, Mary & Pranesh 2020), to use in place of u in the bounds above
    for such emulations. roundoff itself rounds once."""
    um, uv = unit_roundoff(fmt), unit_roundoff(via)
    return um + uv + um * uv


# ---------------------------------------------------------------- transformer building blocks
#
# Bounds for roundoff.nn' recipes, barring underflow and overflow, against the exact
# function of the given inputs. A special function evaluated by an impl errs relatively by at
# most function_error(impl): u for the correctly rounded ones, the measured maximum for the
# GPU's (GPU_ERRORS).

# The GPU's functions, measured on an H200 over every float32 input whose exact result is a
# normal float32 (2^32 random pairs for the divisions) against float64 references:
# (largest relative error, mean signed relative error). tools/verify_mufu.py;
# tests/data/mufu_sm90/verify_log.txt. The mean is over both signs of the argument.
GPU_ERRORS = {
    "sm90:ex2.approx.ftz.f32": (1.458419e-07, -6.6171e-10),
    "sm90:ex2.approx.f32": (1.458419e-07, -6.6171e-10),
    "sm90:rcp.approx.ftz.f32": (9.829168e-08, -1.1415e-23),
    "sm90:rsqrt.approx.ftz.f32": (1.246685e-07, -5.0213e-09),
    "sm90:rsqrt.approx.f32": (1.246685e-07, -5.0187e-09),
    "sm90:expf": (1.524572e-07, 1.5290e-09),
    "sm90:__expf": (3.848818e-06, -7.9689e-10),
    "sm90:tanhf": (1.985547e-07, 4.5105e-25),
    "sm90:erff": (8.488478e-08, 5.2584e-22),
    "sm90:div.full.f32": (1.559629e-07, 8.0938e-13),
    "sm90:div.rn.f32": (5.960312e-08, -2.8421e-13),
    "sm90:rcp.rn.f32": (5.960464e-08, 8.1456e-26),
    "sm90:logf": (8.023473e-08, 9.3406e-12),
}
GPU_ERRORS["sm90:exp2f"] = GPU_ERRORS["sm90:ex2.approx.f32"]
GPU_ERRORS["sm90:rsqrtf"] = GPU_ERRORS["sm90:rsqrt.approx.f32"]
# The float64 references err by less than 2^-51 relative: the measured maxima, rounded up by
# this factor, are bounds on every float32 input measured.
_MEASURED_MARGIN = 1 + 2.0 ** -20


def _output_rounding(y: Any, fmt: FormatLike) -> Any:
    """|round(y') - y'| <= u|y'| + eta for y' near y: eta, half the format's smallest spacing,
    covers results in (or below) its subnormal range."""
    f = format(fmt)
    eta = 2.0 ** (f.emin - (f.man_bits if f.subnormals else 0) - 1)
    return unit_roundoff(f) * np.abs(y) + eta


def function_error(impl: str, fmt: FormatLike = "float32",
                   rounding: RoundingMode = "nearest_even") -> float:
    """The relative error of one special-function evaluation (or division) into ``fmt``:
    ``unit_roundoff(fmt, rounding)`` for ``impl="cr"``; for a GPU impl its measured maximum
    (:data:`GPU_ERRORS`), and the float32 result's rounding into ``fmt`` when that is not
    float32.

    >>> from roundoff import bounds
    >>> bounds.function_error("cr", "bf16")
    0.00390625
    >>> import math; round(math.log2(bounds.function_error("sm90:expf")), 2)
    -22.65
    """
    if impl == "cr":
        return unit_roundoff(fmt, rounding)
    if impl not in GPU_ERRORS:
        raise ValueError(f"impl: 'cr' or one of {sorted(GPU_ERRORS)}, got {impl!r}")
    e = GPU_ERRORS[impl][0] * _MEASURED_MARGIN
    if format(fmt) == format("float32"):
        return e
    u = unit_roundoff(fmt, rounding)
    return (1 + e) * (1 + u) - 1


def _rows64(x: Any, axis: int = -1) -> NDArray[np.float64]:
    from .nn import _values
    v, _ = _values(x)
    return np.moveaxis(v, axis, -1).reshape(-1, v.shape[axis])


def _input_error(v: NDArray[np.float64], compute: Any, u: float) -> NDArray[np.float64]:
    """|x - x in compute| bound: 0 where the format holds x, else u|x|."""
    from ._casts import quantize
    held = np.asarray(quantize(v, compute), dtype=np.float64) == v
    return np.where(held | ~np.isfinite(v), 0.0, u * np.abs(v))


def _tiny(fmt: FormatLike) -> float:
    """Half the smallest spacing of fmt: the absolute error of a rounding to nearest below its
    normal range."""
    f = format(fmt)
    return 2.0 ** (f.emin - (f.man_bits if f.subnormals else 0) - 1)


def _function_floor(impl: str, fmt: FormatLike) -> float:
    """The absolute error an evaluation may add where its result underflows: the GPU's
    functions flush results below float32's normal range to zero."""
    return 2.0 ** -126 + _tiny(fmt) if impl != "cr" else _tiny(fmt)


def _softmax_parts(x: Any, recipe: Any, axis: int,
                   x_err: Optional[NDArray[np.float64]] = None) -> Any:
    """The recipe, u, the exact e_j = exp(x_j - max) and sum s, the bound `arg` on the error
    of the computed x_j - max, and the brackets of each computed exponential and of the
    computed sum: [e_lo, e_hi] and [s_lo, s_hi]. With ``x_err`` (x then rows of float64
    values), the softmax runs on values of its compute format within x_err of x instead of
    on x rounded into it."""
    from .nn import Softmax, _recipe
    xs = _rows64(x, axis) if x_err is None else np.asarray(x, dtype=np.float64)
    n = xs.shape[1]
    r = _recipe("softmax", recipe, n, Softmax)
    u = unit_roundoff(r.compute, r.rounding)
    eta = _tiny(r.compute)
    m = xs.max(axis=1, keepdims=True)
    inexact = _input_error(xs, r.compute, u) if x_err is None else x_err
    # t = fl(x' - m') of inputs x' within `inexact` of x (the max of the rounded values is
    # the rounded max, m' within max(inexact) of m): |t - (x - m)| <= arg.
    moved = inexact + inexact.max(axis=1, keepdims=True)
    arg = moved + u * (np.abs(xs - m) + moved) + eta
    sigma = 1.0 if r.scale is None else float(r.scale)
    if r.scale is not None:
        # t = fl(x sc - fl(m sc)) (fused) or fl(fl(x sc) - fl(m sc)), sc = scale (1 + d0):
        # |t - scale (x - m)| <= scale ((|x - m| + |m|(1 + u)) u + inputs' errors) (1 + u)
        # + u |t|, plus u (1 + u) scale |x| for the separate product.
        inputs = inexact + inexact.max(axis=1, keepdims=True)
        d = sigma * np.abs(xs - m)
        arg = ((sigma * (u * np.abs(xs - m) + u * (1 + u) * np.abs(m)) + sigma * (1 + u) * inputs)
               * (1 + u) + u * (d + sigma * (u * np.abs(xs - m) + 2 * u * np.abs(m) + 2 * inputs))
               + eta)
        if r.subtract == "separate":
            arg = arg + u * (1 + u) ** 2 * sigma * (np.abs(xs) + inexact)
    k = sigma * (math.log(2) if r.exp_base == "2" else 1.0)  # e_j = exp(k (x_j - m))
    arg = arg * (math.log(2) if r.exp_base == "2" else 1.0)  # in the exponent's natural units
    e_exp = function_error(r.exp, r.compute, r.rounding)
    floor = _function_floor(r.exp, r.compute)
    e = np.exp(k * (xs - m))
    e_hi = (1 + e_exp) * np.exp(arg) * e + floor
    e_lo = np.maximum((1 - e_exp) * np.exp(-arg) * e - floor, 0.0)
    g_sum = gamma(r.sum.depth(n), u)
    with np.errstate(invalid="ignore"):  # gamma = inf: the bound says nothing
        s_hi = e_hi.sum(axis=1, keepdims=True) * (1 + g_sum)
        s_lo = np.maximum(e_lo.sum(axis=1, keepdims=True) * (1 - g_sum), 0.0)
    return r, u, eta, e, e.sum(axis=1, keepdims=True), arg, e_hi, e_lo, s_hi, s_lo, g_sum


def softmax_bound(x: Any, recipe: Any = None, *, axis: int = -1,
                  fmt: Optional[FormatLike] = None) -> NDArray[np.float64]:
    """Elementwise bound on |nn.softmax(x, recipe) - softmax(x)| (x's values exact; the
    result rounded to nearest into ``fmt``, default x's format).

    Each computed exponential lies in [(1 - e_exp) e^-a_j e_j - f, (1 + e_exp) e^a_j e_j + f]
    (a_j bounds the error of x_j - max, or of the recipe's scaled difference, in the
    exponent's natural units, e_exp = :func:`function_error` of the exp impl, f the
    absolute error of an underflowing result), the computed row sum within gamma(D, u) of the
    sum of the computed exponentials (D: the recipe's reduction depth; additions of positive
    values), and the division (or reciprocal and product) adds e_d: the computed g_j lies
    between the extreme quotients. A rigorous bracket, not a first-order bound; inf where
    gamma(D, u) >= 1 (it says nothing). Returned in x's layout."""
    from .nn import _values
    v, in_fmt = _values(x)
    r, u, eta, e, total, arg, e_hi, e_lo, s_hi, s_lo, g_sum = _softmax_parts(x, recipe, axis)
    e_div = function_error(r.divide, r.compute, r.rounding)
    if r.normalize == "reciprocal":
        e_div = (1 + e_div) * (1 + u) - 1
    g = e / total
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = e_hi * (1 + e_div) / s_lo + eta
        lo = e_lo * (1 - e_div) / s_hi - eta
        dev = np.where(g_sum < 1, np.maximum(hi - g, g - lo), np.inf)
    out = fmt if fmt is not None else in_fmt
    bound = (dev * (1 + unit_roundoff(out)) + _output_rounding(g, out)) * _MEASURED_MARGIN
    return np.moveaxis(bound.reshape(np.moveaxis(v, axis, -1).shape), -1, axis)


def log_softmax_bound(x: Any, recipe: Any = None, *, axis: int = -1,
                      fmt: Optional[FormatLike] = None) -> NDArray[np.float64]:
    """Elementwise bound on |nn.log_softmax(x, recipe) - log_softmax(x)|: the computed
    sum's log is off by L = max(log(s_hi / s), -log(s_lo / s)) (the brackets of
    :func:`softmax_bound`), the log impl adds e_log |log s|, and the subtraction and the output
    rounding one unit each."""
    from .nn import _values
    v, in_fmt = _values(x)
    r, u, eta, e, total, arg, e_hi, e_lo, s_hi, s_lo, g_sum = _softmax_parts(x, recipe, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(g_sum < 1, np.maximum(np.log(s_hi / total), -np.log(s_lo / total)),
                     np.inf)
    log_s = np.log(total)
    e_log = function_error(r.log, r.compute, r.rounding)
    y = np.log(e) - log_s
    before = (1 + u) * (arg + L + e_log * (np.abs(log_s) + L) + eta) + u * np.abs(y) + eta
    out = fmt if fmt is not None else in_fmt
    bound = (before * (1 + unit_roundoff(out)) + _output_rounding(y, out)) * _MEASURED_MARGIN
    return np.moveaxis(bound.reshape(np.moveaxis(v, axis, -1).shape), -1, axis)


def _norm_parts(x: Any, weight: Any, recipe: Any, op: str) -> Any:
    """The recipe (refused where nn refuses it, or where the bound needs what it lacks), u,
    the rows as float64, n and the weight's values."""
    from .nn import Norm, _recipe, _values
    xs = _rows64(x)
    n = xs.shape[1]
    r = _recipe(op, recipe, n, Norm)
    if op == "rms_norm" and r.statistics == "welford_cuda":
        raise ValueError("recipe: rms_norm takes statistics 'sum_squares', 'two_pass' or "
                         "'welford_ops'")
    if op == "layer_norm" and r.statistics == "sum_squares":
        raise ValueError("recipe: layer_norm needs the mean: statistics 'two_pass' or "
                         "'welford_*'")
    if np.any(_input_error(xs, r.compute, 1.0) > 0):
        raise ValueError(f"x: the bound needs inputs that {format(r.compute)} holds exactly")
    p = format(r.compute).precision
    if r.statistics.startswith("welford") and n > 2 ** p:
        raise ValueError(f"recipe: Welford counts reach the row length {n}, and "
                         f"{format(r.compute)} holds integers exactly only up to 2^{p}: the "
                         "bound needs exact counts")
    u = unit_roundoff(r.compute, r.rounding)
    w = None if weight is None else _values(weight, "weight")[0]
    return r, u, xs, n, w


# ------------------------------------------------ Welford statistics: radii along the tree
#
# Each fold state is extended to (m, e_m, r_m, s, e_s, r_s, c): c the count (exact: the
# compute format holds every count, _norm_parts checks it), m and s the recipe's own Welford
# formulas evaluated in float64 without FMA, the centres: they approximate the exact mean and
# M2 = sum (x - mean)^2 of the values folded into the state (the exact recurrences keep
# these: an update or combine of exact states is exact). e_* bounds |centre - exact| and r_*
# |computed - exact|, the computed value being the recipe's. Both follow one derivation per
# formula, held stacked as R = [e, r] with U = [2^-53, u] (float64's and the compute format's
# unit roundoff) and NF = [1, 1 or 0] (a product is rounded before its addition: always in
# float64, in the compute format unless fused). For the result q of one operation, P bounds
# the error its operands carry into it (linear sensitivities derived by hand, so that
# correlated errors cancel where the formula cancels them: the old mean's error is damped by
# 1 - 1/c in an update, the two means' errors are averaged in a combine); the exact q is at
# most M = |q's centre| + P[0]; the operation's own rounding adds at most U (M + P), U times
# the exact result on the operands it actually had. The radii are sums of products of
# non-negative terms, each evaluated with a relative float64 error below k 2^-53 for a depth
# k of a few per fold step, and magnitudes such as |x - m_c| are exact to a relative 2^-52:
# _MEASURED_MARGIN on the final bound covers both.

_U64 = 2.0 ** -53
State = Tuple[np.ndarray, ...]
Update = Callable[[State, State, Any], State]
Combine = Callable[[State, State], State]


class _Radii:
    """The stacked units U and NF for arrays of a given number of dimensions, and the
    roundings' radii, recording per row the largest value (M + r) a rounding into the compute
    format may have to hold, so that a possible overflow is seen."""

    def __init__(self, u: float, fused: bool) -> None:
        self.u, self.nf = np.array([_U64, u]), np.array([1.0, 0.0 if fused else 1.0])
        self.peak: Any = 0.0

    def units(self, a: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        shape = (2,) + (1,) * a.ndim
        return self.u.reshape(shape), self.nf.reshape(shape)

    def error(self, P: np.ndarray, M: np.ndarray, product: bool = False) -> np.ndarray:
        """The rounding's own error, U (M + P), of a result whose exact value is at most M
        with operands off by P (``product``: a product, rounded only where NF says)."""
        U, NF = self.units(M)
        top = np.broadcast_to(M + P[1], P.shape[1:])
        self.peak = np.maximum(self.peak, top.reshape(top.shape[0], -1).max(axis=1))
        return U * (M + P) * (NF if product else 1.0)

    def rounded(self, P: np.ndarray, M: np.ndarray, product: bool = False) -> np.ndarray:
        """The radius after the rounding: P plus :meth:`error`."""
        return P + self.error(P, M, product)


def _welford_radii(kind: str, radii: _Radii) -> Tuple[Update, Combine]:
    """update and combine for :meth:`~roundoff.nn.Reduction.fold` on extended states
    (m, e_m, r_m, s, e_s, r_s, c) that follow nn's ``_welford_cuda`` (``kind``
    "welford_cuda") or ``_welford_ops`` formulas: see the comment above for what each holds."""
    from .nn import _keep

    def update(st: State, val: State, ok: Any) -> State:
        m, em, rm, s, es, rs, c = st
        x = val[0]
        U, NF = radii.units(m)
        Rm, Rs = np.stack([em, rm]), np.stack([es, rs])
        c1 = c + 1
        # d = x - m: the computed d is off by -dm plus its own rounding Ed <= U |x - m^|,
        # with |x - m^| <= |d| + |dm| and |d| <= Md.
        d = x - m
        Md = np.abs(d) + em
        Ed = radii.error(Rm, Md)
        Rd = Rm + Ed
        # q = d / c1, one rounding (welford_ops), or d * fl(1/c1) (welford_cuda: the
        # reciprocal's relative U, then the product's rounding unless it is fused into the
        # FMA): the computed q is d/c1 - dm/c1 + (at most Eq).
        Eq = Ed / c1 + U * (Md + Rd) / c1
        if kind == "welford_cuda":
            Eq = Eq + NF * U * (1 + U) * (Md + Rd) / c1
            q = d * (1.0 / c1)
        else:
            q = d / c1
        # m1 = m + q, rounded: m^ + q^ - (m + d/c1) = dm (1 - 1/c1) + (at most Eq).
        m1 = m + q
        P = Rm * (c / c1) + Eq
        Rm1 = radii.rounded(P, np.abs(m1) + P[0])
        # e = x - m1 (exactly d c/c1), rounded.
        e = x - m1
        Me = np.abs(e) + Rm1[0]
        Re = radii.rounded(Rm1, Me)
        # s1 = fma(d, e, s): the product is off by |dd| |e| + |d| |de| + |dd| |de| (and
        # rounded first unless fused; |d e| <= Md Me), then the sum is rounded.
        P = radii.rounded(Rd * Me + Md * Re + Rd * Re, Md * Me, product=True)
        s1 = s + d * e
        P = Rs + P
        Rs1 = radii.rounded(P, np.abs(s1) + P[0])
        new = (m1, Rm1[0], Rm1[1], s1, Rs1[0], Rs1[1], c1)
        return tuple(_keep(ok, a, b) for a, b in zip(new, st))

    def shared(a: State, b: State) -> Tuple[Any, ...]:
        """What both combines compute alike: delta = mb - ma rounded (its radius, and the
        rounding's part Edel), t = fl(fl(delta^2) ca) and fl(sa + sb) with their radii, and
        the exact fractions alpha = ca/cnt, beta = cb/cnt."""
        am, eam, ram, as_, eas, ras, ac = a
        bm, ebm, rbm, bs, ebs, rbs, bc = b
        Rma, Rmb = np.stack([eam, ram]), np.stack([ebm, rbm])
        delta = bm - am
        Mdel = np.abs(delta) + eam + ebm
        Edel = radii.error(Rma + Rmb, Mdel)
        Rdel = Rma + Rmb + Edel
        # delta^2: off by 2 |delta| |dd| + dd^2, rounded; times ca (an exact count), rounded.
        t = delta * delta * ac
        R1 = radii.rounded(2 * Mdel * Rdel + Rdel * Rdel, Mdel * Mdel)
        Mt = Mdel * Mdel * ac
        Rt = radii.rounded(R1 * ac, Mt)
        sums = as_ + bs  # both non-negative
        P = np.stack([eas + ebs, ras + rbs])
        Rsum = radii.rounded(P, sums + P[0])
        cnt = ac + bc
        safe = np.where(cnt > 0, cnt, 1.0)
        return Rma, Rmb, delta, Mdel, Edel, Rdel, t, Mt, Rt, sums, Rsum, cnt, safe

    def combine_cuda(b: State, a: State) -> State:
        # cuWelfordCombine(dataB = own, dataA = other), as nn: coef = fl(1/cnt), na =
        # fl(ca coef), nb = fl(cb coef), mean = fma(na, ma, fl(nb mb)), s = fma(fl(fl(delta^2)
        # ca), nb, fl(sa + sb)); exactly mean = alpha ma + beta mb, s = sa + sb + delta^2 ca
        # beta (alpha = ca/cnt, beta = cb/cnt).
        Rma, Rmb, delta, Mdel, Edel, Rdel, t, Mt, Rt, sums, Rsum, cnt, safe = shared(a, b)
        U = radii.units(delta)[0]
        (am, eam), (bm, ebm), ac, bc = a[:2], b[:2], a[6], b[6]
        alpha, beta = ac / safe, bc / safe
        coef = 1.0 / safe
        na, nb = ac * coef, bc * coef
        # |na^ - alpha| <= alpha ((1 + U)^2 - 1): the reciprocal's and the product's roundings
        Rna, Rnb = alpha * U * (2 + U), beta * U * (2 + U)
        # nb^ mb^ - beta mb = beta dmb + dnb mb^, rounded; na^ ma^ likewise, rounded unless
        # fused: alpha + beta = 1 averages the means' errors (no growth along the tree).
        Mma, Mmb = np.abs(am) + eam, np.abs(bm) + ebm
        Rv = radii.rounded(beta * Rmb + Rnb * (Mmb + Rmb), beta * Mmb)
        Rw = radii.rounded(alpha * Rma + Rna * (Mma + Rma), alpha * Mma, product=True)
        mean = na * am + nb * bm
        P = Rw + Rv
        Rmean = radii.rounded(P, np.abs(mean) + P[0])
        # t^ nb^ - t beta = beta dt + dnb t^, rounded unless fused; then the sum, rounded.
        Pp = radii.rounded(beta * Rt + Rnb * (Mt + Rt), beta * Mt, product=True)
        s = t * nb + sums
        P = Pp + Rsum
        Rs = radii.rounded(P, s + P[0])
        pos = cnt > 0  # both sides empty: nn's zeros, exactly
        new = (mean, Rmean[0], Rmean[1], s, Rs[0], Rs[1])
        return tuple(np.where(pos, v, 0.0) for v in new) + (cnt,)

    def combine_ops(a: State, b: State) -> State:
        # WelfordOps::combine(a = own, b = other), as nn: r = fl(cb/cnt), mean = fma(delta,
        # r, ma), s = fma(fl(fl(delta^2) ca), r, fl(sa + sb)); exactly mean = ma + delta beta
        # = alpha ma + beta mb, s = sa + sb + delta^2 ca beta.
        Rma, Rmb, delta, Mdel, Edel, Rdel, t, Mt, Rt, sums, Rsum, cnt, safe = shared(a, b)
        U = radii.units(delta)[0]
        am, ac, bc = a[0], a[6], b[6]
        alpha, beta = ac / safe, bc / safe  # float64's beta is also the centre's fl(cb/cnt)
        # ma^ + delta^ r^ - mean = alpha dma + beta dmb + beta Edel + beta dr delta^ (|dr| <=
        # U): the product, then rounded unless fused (|delta^ r^| <= beta (1 + U)(Mdel +
        # Rdel)); then the sum, rounded.
        Pd = beta * Rdel + U * beta * (Mdel + Rdel)  # |delta^ r^ - delta beta|
        P = alpha * Rma + beta * Rmb + beta * Edel + U * beta * (Mdel + Rdel)
        P = P + radii.error(Pd, beta * Mdel, product=True)
        mean = am + delta * beta
        Rmean = radii.rounded(P, np.abs(mean) + P[0])
        # t^ r^ - t beta = beta dt + beta dr t^, rounded unless fused; then the sum, rounded.
        Pp = radii.rounded(beta * Rt + U * beta * (Mt + Rt), beta * Mt, product=True)
        s = t * beta + sums
        P = Pp + Rsum
        Rs = radii.rounded(P, s + P[0])
        new = (mean, Rmean[0], Rmean[1], s, Rs[0], Rs[1], cnt)
        # an empty side leaves the other unchanged, as nn's combine does
        merged = tuple(np.where(ac == 0, y, o) for o, y in zip(new, b))
        return tuple(np.where((bc == 0) & (ac != 0), y, o) for o, y in zip(merged, a))

    return update, (combine_cuda if kind == "welford_cuda" else combine_ops)


def _welford_moments(xs: NDArray[np.float64], r: Any, u: float, eps: float, rms: bool
                     ) -> Tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """For Welford statistics: dmu, a bound on |computed mean - mean| per row, and the bracket
    [lo, hi] of the computed var + eps (rms_norm: of the computed mean square + eps, from
    fma(mean, mean, var)), from radii propagated along the recipe's own fold. Where a
    rounding may overflow the compute format, dmu = inf and lo = 0 (the bound says
    nothing)."""
    n = xs.shape[1]
    radii = _Radii(u, r.fused)
    update, combine = _welford_radii(r.statistics, radii)
    zero = np.zeros(())
    with np.errstate(divide="ignore", invalid="ignore"):  # empty states: discarded values
        m, em, rm, s, es, rs, _ = (a[:, None] for a in r.moments.fold(
            (xs,), (zero,) * 7, update, combine))
    # var = fl(s / n) (welford_cuda divides by the row length, welford_ops by the final
    # count: both n exactly)
    var = s / n
    P = np.stack([es, rs]) / n
    R = radii.rounded(P, np.abs(var) + P[0])
    if rms:  # fma(mean, mean, var): mean^2 off by 2 |mean| |dm| + dm^2, rounded unless fused
        Rm = np.stack([em, rm])
        Mm = np.abs(m) + em
        P = radii.rounded(2 * Mm * Rm + Rm * Rm, Mm * Mm, product=True) + R
        var = m * m + var
        R = radii.rounded(P, np.abs(var) + P[0])
    # the computed value lies within r of the exact one, which lies within e of the centre;
    # fl(fl(var) + fl(eps)) then stays within one rounding of each end (eps >= 0).
    hi = (var + R[0] + R[1] + eps * (1 + u)) * (1 + u)
    lo = np.maximum((var - R[0] - R[1] + eps * (1 - u)) * (1 - u), 0.0)
    fits = (radii.peak <= format(r.compute).max)[:, None]
    return np.where(fits, rm, np.inf), np.where(fits, lo, 0.0), hi


def _two_pass_moments(xs: NDArray[np.float64], d: NDArray[np.float64], r: Any, u: float,
                      eps: float
                      ) -> Tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """For two-pass statistics: dmu and the bracket [lo, hi] of the computed var + eps: the
    mean errs by dmu <= gamma(D + 1) sum|x| / n + u |mu|; each centred value by E_i <=
    dmu (1 + u) + u |d_i|; the centred squares' sum by 2u sum|d_i|(|d_i| + dmu) + sum E_i^2
    + gamma(D + 1) (its value) (the mean's error cancels from sum d_i, to first and every
    order)."""
    n = xs.shape[1]
    g1 = gamma(r.moments.depth(n) + 1, u)
    mu = xs.mean(axis=1, keepdims=True)
    dmu = g1 * np.abs(xs).sum(axis=1, keepdims=True) / n + u * np.abs(mu)
    E = dmu * (1 + u) + u * np.abs(d)
    S = (d * d).sum(axis=1, keepdims=True)
    dS = (2 * u * (np.abs(d) * (np.abs(d) + dmu)).sum(axis=1, keepdims=True)
          + (E * E).sum(axis=1, keepdims=True))
    dS = dS + g1 * (S + dS)
    # the computed var + eps: ((S + dS')/n (1 + u) + eps (1 + u)) (1 + u), dS' in [-dS, dS]
    hi = ((S + dS) / n * (1 + u) + eps * (1 + u)) * (1 + u)
    lo = np.maximum(((S - dS) / n * (1 - u) + eps * (1 - u)) * (1 - u), 0.0)
    return dmu, lo, hi


def _norm_tail(r: Any, u: float, var: NDArray[np.float64], lo: NDArray[np.float64],
               hi: NDArray[np.float64], d: NDArray[np.float64], E: Any, w: Any, b: Any,
               out: FormatLike) -> NDArray[np.float64]:
    """The bound shared by every statistics, given var (the exact var + eps, or mean square
    + eps), the bracket [lo, hi] of its computed value, the exact values d the rstd scales
    (x - mean, or x) and the bound E on their computed values' errors: the computed rstd lies
    in [(1 - e_r) / sqrt(hi), (1 + e_r) / sqrt(lo)] (e_r: the rsqrt impl's
    :func:`function_error`), so it errs by r_err; the product rstd d then by r_err (|d| + E)
    + rstd E and its rounding; the affine step (an FMA, or rms_norm's product by the weight,
    the same bound with no bias) by |w| times that and its rounding; the output rounding."""
    rstd = 1 / np.sqrt(var)
    e_r = function_error(r.rsqrt, r.compute, r.rounding)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_err = rstd * np.maximum((1 + e_r) * np.sqrt(var / lo) - 1,
                                  1 - (1 - e_r) * np.sqrt(var / hi))
        t = rstd * d
        dt = r_err * (np.abs(d) + E) + rstd * E  # |r^ d^ - r d|
        dt = dt + u * (np.abs(t) + dt)           # the product's rounding
        y, dy = t, dt
        if w is not None or b is not None:
            ww = 1.0 if w is None else w
            bb = 0.0 if b is None else b
            y = t * ww + bb
            dy = np.abs(ww) * dt + u * (np.abs(y) + np.abs(ww) * dt)  # one rounding
        bound = dy * (1 + unit_roundoff(out)) + _output_rounding(y, out)
    return np.where(np.isnan(bound), np.inf, bound) * _MEASURED_MARGIN  # NaN: says nothing


def rms_norm_bound(x: Any, weight: Any = None, eps: float = 1e-6, recipe: Any = None, *,
                   fmt: Optional[FormatLike] = None) -> NDArray[np.float64]:
    """Elementwise bound on |nn.rms_norm(x, weight, eps, recipe) - rms_norm(x)|, rigorous
    barring underflow. The computed mean square plus eps lies in a bracket around the exact
    one: for 'sum_squares' and 'two_pass' (squares summed by FMA, depth D + 1) within
    gamma(D + 3, u) relatively; for 'welford_ops' (var + mean^2 by FMA) within radii propagated
    through the recipe's own reduction tree, formula by formula (see ``_welford_radii``).
    Then rsqrt by that bracket and the impl's error, and one or two products."""
    from .nn import _values
    if recipe is None:
        from .nn import Norm
        recipe = Norm(statistics="sum_squares")
    r, u, xs, n, w = _norm_parts(x, weight, recipe, "rms_norm")
    ms = (xs * xs).mean(axis=1, keepdims=True) + eps
    if r.statistics == "welford_ops":
        _, lo, hi = _welford_moments(xs, r, u, eps, rms=True)
    else:
        g = gamma(r.moments.depth(n) + 3, u)
        lo, hi = ms * max(1 - g, 0.0), ms * (1 + g)
    out = fmt if fmt is not None else _values(x)[1]
    return _norm_tail(r, u, ms, lo, hi, xs, 0.0, w, None, out).reshape(np.shape(x))


def layer_norm_bound(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5,
                     recipe: Any = None, *, fmt: Optional[FormatLike] = None
                     ) -> NDArray[np.float64]:
    """Elementwise bound on |nn.layer_norm(x, ...) - layer_norm(x)|, rigorous barring
    underflow. The statistics give dmu, a bound on the computed mean's error, and a bracket of
    the computed var + eps: two-pass from gamma bounds on the two sums (the mean's error
    cancels from the centred sum, see ``_two_pass_moments``); Welford ('welford_cuda',
    'welford_ops') from radii propagated through the recipe's own reduction tree, update by
    update and combine by combine (``_welford_radii``). Each centred value then errs by
    E_i <= dmu (1 + u) + u |x_i - mu|, and rsqrt, the product, the affine FMA and the output
    rounding follow, each bounded numerically from the data."""
    from .nn import _values
    r, u, xs, n, w = _norm_parts(x, weight, recipe, "layer_norm")
    b = None if bias is None else _values(bias, "bias")[0]
    d = xs - xs.mean(axis=1, keepdims=True)
    var = (d * d).mean(axis=1, keepdims=True) + eps
    if r.statistics == "two_pass":
        dmu, lo, hi = _two_pass_moments(xs, d, r, u, eps)
    else:
        dmu, lo, hi = _welford_moments(xs, r, u, eps, rms=False)
    E = dmu * (1 + u) + u * np.abs(d)
    out = fmt if fmt is not None else _values(x)[1]
    return _norm_tail(r, u, var, lo, hi, d, E, w, b, out).reshape(np.shape(x))


def _activation_parts(x: Any, recipe: Any, op: str) -> Any:
    """x's values and format, the recipe and its u; inputs must be values of the compute
    format (the bounds do not cover an input rounding)."""
    from .nn import Activation, _recipe, _values
    v, in_fmt = _values(x)
    r = _recipe(op, recipe, max(v.size, 1), Activation)
    if np.any(_input_error(v, r.compute, 1.0) > 0):
        raise ValueError(f"x: the bound needs inputs that {format(r.compute)} holds exactly")
    return v, in_fmt, r, unit_roundoff(r.compute, r.rounding)


def silu_bound(x: Any, recipe: Any = None, *, fmt: Optional[FormatLike] = None
               ) -> NDArray[np.float64]:
    """Elementwise bound on |nn.silu(x, recipe) - silu(x)|: e^-x off by e_exp
    relatively, 1 + e^-x then by (e_exp e/(1 + e) + u) at most, the division by e_d: the
    relative error is at most (1 + e_d) / (1 - e_exp - u - e_exp u) - 1."""
    v, in_fmt, r, u = _activation_parts(x, recipe, "silu")
    e_exp = function_error(r.exp, r.compute, r.rounding)
    e_d = function_error(r.divide, r.compute, r.rounding)
    rel = (1 + e_d) / (1 - e_exp - u - e_exp * u) - 1
    with np.errstate(over="ignore"):
        y = v / (1 + np.exp(-v))
    out = fmt if fmt is not None else in_fmt
    return (np.abs(y) * rel * (1 + unit_roundoff(out)) + _output_rounding(y, out)) \
        * _MEASURED_MARGIN


def gelu_bound(x: Any, approximate: str = "none", recipe: Any = None, *,
               fmt: Optional[FormatLike] = None) -> NDArray[np.float64]:
    """Elementwise bound on |nn.gelu(x, approximate, recipe) - gelu(x)| against the exact
    form computed (erf, or tanh with the exact constants sqrt(2/pi) and 0.044715). x * 0.5 is
    exact; then, erf form: erf's argument errs by (2u + u^2)|x / sqrt 2| (the constant's and
    the product's roundings), which moves erf by at most 2/sqrt(pi) times that; tanh form:
    x^3 (two roundings), the constant 0.044715 and x + k x^3 (one rounding fused, two not),
    sqrt(2/pi) and its product move tanh's argument, and tanh by no more (tanh' <= 1); the
    impl adds its error times |erf| or |tanh|; 1 + erf (or tanh) and the product one unit
    each. Absolute, rigorous barring underflow."""
    from math import erf as _erf
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate: 'none' or 'tanh', got {approximate!r}")
    v, in_fmt, r, u = _activation_parts(x, recipe, "gelu")
    if approximate == "none":
        e_erf = function_error(r.erf, r.compute, r.rounding)
        f = np.vectorize(_erf, otypes=[np.float64])(v / math.sqrt(2)) if v.size else v
        df = (2 / math.sqrt(math.pi) * (2 * u + u * u) * np.abs(v) / math.sqrt(2)
              + e_erf * np.abs(f) * (1 + u) ** 2)
    else:
        kappa, beta = 0.044715, math.sqrt(2 / math.pi)
        k3 = kappa * np.abs(v) ** 3
        inner = v + kappa * v ** 3
        g3 = gamma(3, u)
        du = g3 * k3 + u * (np.abs(inner) + g3 * k3)  # the FMA's one rounding
        if not r.fused:
            du = du + u * k3 * (1 + g3)               # the product rounded first
        di = beta * du * (1 + u) ** 2 + gamma(2, u) * beta * np.abs(inner)
        f = np.tanh(beta * inner)
        df = di + function_error(r.tanh, r.compute, r.rounding) * np.minimum(
            np.abs(f) + di, 1.0)
    b = 1 + f
    db = df + u * (b + df)
    y = 0.5 * v * b
    dy = 0.5 * np.abs(v) * db + u * (np.abs(y) + 0.5 * np.abs(v) * db)
    out = fmt if fmt is not None else in_fmt
    return (dy * (1 + unit_roundoff(out)) + _output_rounding(y, out)) * _MEASURED_MARGIN



# ------------------------------------------------------------------------------- attention
#
# Both attention bounds rest on one identity. Let E_j be the exact weights of a row (exp of
# the scaled scores minus their maximum), O = sum E_j v_j / sum E_j, and let a kernel form
# y = sum N_j v'_j / sum D_j: D_j the weights its denominator sums, N_j those that multiply
# v'_j (v_j, within dv_j) in the numerator. For any row constant lam, since
# sum E_j (v_j - O) = 0,
#     sum N_j v'_j - O sum D_j = sum (D_j - lam E_j)(v_j - O) + sum (N_j - D_j) v_j
#                                + sum N_j (v'_j - v_j).
# Errors common to a weight's numerator and denominator (of its score, exponential and
# rescales) enter through the first sum, against |v_j - O| (they renormalise); those of the
# numerator alone (P's rounding, the P V accumulation) through the second, against |v_j|.
# _ratio_bound evaluates it, divided by sum D_j, from brackets [D_lo, D_hi] of D_j / lam, a
# relative bound |N_j - D_j| <= c_rel D_j and absolute terms in the kernel's own frame; as
# each of the three quotients is also an average over the visible keys (weights D_j), each
# is at most its largest term: y stays in the hull of the v_j however little the bracket
# knows the weights.
#
# The operands' own roundings that a recipe defines from the inputs alone (quantization into
# qkv_format, the naive recipes' scaled q or k rounded into compute) are not bounded but
# evaluated: the identity runs around the exact attention O' of those operands, and
# |O' - O| is added as computed (float64).

_LN2 = math.log(2)
_U32 = 2.0 ** -24
_ROW_CHUNK = 1 << 21  # elements of the (rows, keys, head dim) work array per chunk


def _half_spacing(y: Any, fmt: FormatLike) -> Any:
    """Half the spacing of fmt's values at magnitude y: |RN(x) - x| for every |x| <= y."""
    f = format(fmt)
    top = np.maximum(np.asarray(y, dtype=np.float64), 2.0 ** f.emin)
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(top))
    h = np.where(e > f.emin, 2.0 ** (e - f.man_bits - 1), 0.0)
    return np.maximum(h, _tiny(f))


def _ratio_bound(E: NDArray[np.float64], D_lo: NDArray[np.float64],
                 D_hi: NDArray[np.float64], c_rel: Any, v: NDArray[np.float64], dv: Any,
                 O: NDArray[np.float64], absw: NDArray[np.float64], l_lo: Any,
                 visible: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The identity above for one head: rows (R, K) of E, D_lo, D_hi, of c_rel (|N_j - D_j|
    <= c_rel D_j) and of the absolute deviations absw of N_j (kernel frame, whose denominator
    is at least l_lo); v (K, D) within dv of the v'_j used; O (R, D). Each sum is also at
    most its largest visible term: sum D_j (v_j - O) / sum D_j = sum (D_j - lam E_j)(v_j - O)
    / sum D_j is an average of the v_j - O (what bounds a row whose weights the bracket
    hardly knows). Returns the bound on |y - O| (R, D)."""
    dev = np.maximum(D_hi - E, E - D_lo)
    av = np.abs(v)
    dv = np.broadcast_to(dv, v.shape)
    t1 = np.empty_like(O)
    spread = np.empty_like(O)
    step = max(1, _ROW_CHUNK // max(1, v.size))
    for i in range(0, E.shape[0], step):
        sl = slice(i, i + step)
        diff = np.abs(v[None] - O[sl, None])
        t1[sl] = np.einsum("rk,rkd->rd", dev[sl], diff)
        spread[sl] = np.where(visible[sl, :, None], diff, 0.0).max(axis=1)
    c = np.broadcast_to(c_rel, E.shape)
    top = np.where(visible[:, :, None], c[:, :, None] * av[None], 0.0).max(axis=1)
    dtop = np.where(visible[:, :, None], (1 + c[:, :, None]) * dv[None], 0.0).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = D_lo.sum(axis=1, keepdims=True)
        C = D_hi * c
        out = (np.minimum(t1 / den, spread) + np.minimum((C @ av) / den, top)
               + np.minimum(((D_hi + C) @ dv) / den, dtop))
        return out + absw @ (av + dv) / l_lo


def _exact_attention(s: NDArray[np.float64], vh: NDArray[np.float64], tau: float,
                     visible: NDArray[np.bool_]) -> Tuple[Any, ...]:
    """For one head's scores s: the row maxima M, the exact weights E = exp(tau (s - M)) (0
    where masked), O (0 on rows without a visible key), whether each row has one, and a bound
    on O's float64 evaluation error."""
    live = visible.any(axis=1, keepdims=True)
    M = np.where(live, np.where(visible, s, -np.inf).max(axis=1, keepdims=True), 0.0)
    E = np.where(visible, np.exp(tau * np.minimum(s - M, 0.0)), 0.0)
    total = np.where(live, E.sum(axis=1, keepdims=True), 1.0)
    O = (E @ vh) / total
    return M, E, O, live, 2.0 ** -40 * (E @ np.abs(vh)) / total


def _quantized(x: NDArray[np.float64], fmt: FormatLike, rows: Optional[int]
               ) -> Tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """x (N, S, D) as a scaled quantization holds it: values q of fmt, the scales s ((N, S,
    1) or (1, 1, 1)) and a radius r of q s around the x' read back: q = RN_fmt(RN_f32(x /
    s)), s = RN_f32(amax / fmt's max) (amax per tensor, or per block of ``rows`` rows of each
    head; s = 1 where amax is 0). The radius covers the variants a float32 implementation
    may take (s one float32 unit off, x / s rounded once or twice): 2 u_32 |q s|, and the
    other code where x / s lies within 3 u_32 of a rounding boundary."""
    from ._casts import quantize
    f = format(fmt)
    top = np.float32(f.max)
    if rows is None:
        amax = np.abs(x).max(initial=0.0) * np.ones((1, 1, 1))
    else:
        n, length, d = x.shape
        nb = -(-length // rows)
        pad = np.zeros((n, nb * rows - length, d))
        blocks = np.abs(np.concatenate([x, pad], axis=1)).reshape(n, nb, rows * d).max(-1)
        amax = np.repeat(blocks, rows, axis=1)[:, :length, None]
    s = np.where(amax > 0, (amax.astype(np.float32) / top).astype(np.float64), 1.0)
    y = x / s
    q = np.asarray(quantize(np.asarray(quantize(y, "float32"), np.float64), f), np.float64)
    alt = np.maximum(*(np.abs(np.asarray(quantize(y * w, f), np.float64) - q)
                       for w in (1 - 3 * _U32, 1 + 3 * _U32)))
    return q, s, (2 * _U32 * np.abs(q) + alt) * s


def _resolve_acc(acc: Any, a_fmt: FormatLike, b_fmt: FormatLike) -> Accumulator:
    from . import hw
    return acc if isinstance(acc, Accumulator) else hw.preset(acc, a_fmt=a_fmt, b_fmt=b_fmt)


def _close(dy: NDArray[np.float64], O1: NDArray[np.float64], O: NDArray[np.float64],
           err64: NDArray[np.float64], epi: float, outs: Any) -> NDArray[np.float64]:
    """From dy >= |y - O'| (y the quotient, O' the exact attention of the operands used): the
    epilogue's relative error epi, |O' - O| as computed, then each rounding to nearest in
    ``outs`` (half a spacing at the magnitude the value may have)."""
    dy = dy + err64
    d = dy * (1 + epi) + epi * np.abs(O1) + np.abs(O1 - O) + err64
    for f in outs:
        d = d + _half_spacing(np.abs(O) + d, f)
    return d * _MEASURED_MARGIN


def _blocked_bound(q: NDArray[np.float64], k: NDArray[np.float64], v: NDArray[np.float64],
                   fmt: str, causal: bool, tau: float, r: Any) -> NDArray[np.float64]:
    """attention_bound for a BlockedAttention recipe (all heads, (N, S, D) values)."""
    n_heads, sq, D = q.shape
    sk = k.shape[1]
    u = _U32
    bn = r.block_n_for(D)
    nb = -(-sk // bn)
    in_fmt = fmt if r.qkv_format is None else r.qkv_format
    p_fmt = in_fmt if r.p_format is None else r.p_format
    kappa = tau / _LN2
    c_err = (1 + u) ** 3 * (1 + 2.0 ** -52) - 1  # c: the scale, log2 e and their product
    # The operands as the products see them (q1, k1, v1), within rq, rk, rv.
    # The operands the products see: qc, kc (values of in_fmt) times the scales sc_q, sc_k,
    # within rq, rk (in q's and k's units) of q1, k1; v1 within rv.
    qc, kc, v1 = q, k, v
    sc_q: Any = np.ones((1, 1, 1))
    sc_k: Any = np.ones((1, 1, 1))
    rq: Any = np.zeros_like(q)
    rk: Any = np.zeros_like(k)
    rv: Any = np.zeros_like(v)
    if r.qkv_format is not None:
        per_block = r.qkv_scaling == "per_block"
        qc, sc_q, rq = _quantized(q, r.qkv_format, r.block_m if per_block else None)
        kc, sc_k, rk = _quantized(k, r.qkv_format, bn if per_block else None)
        vc, sc_v, rv = _quantized(v, r.qkv_format, None)
        v1 = vc * sc_v
    q1, k1 = qc * sc_q, kc * sc_k
    if r.scale == "prescaled_q":  # Q' = RN_in(RN_f32(qc c)), read back in q's units
        e_pre = (1 + u) * (1 + unit_roundoff(in_fmt)) - 1
        rq = rq + e_pre * (np.abs(q1) + rq) + _tiny(in_fmt) * sc_q / (kappa * (1 - c_err))
    acc_qk = _resolve_acc(r.qk, in_fmt, in_fmt)
    acc_pv = _resolve_acc(r.pv, p_fmt, in_fmt)
    u_pv, d_b, e_pv = _chain(acc_pv, bn, p_fmt, in_fmt)
    d_b += 0 if acc_pv.fused is not None else 1  # the accumulator enters as the c operand
    # per block its chain, and a rescale of the accumulator (one rounding) per later block
    g_pv = (1 + e_pv) * (1 + gamma(nb * d_b + nb - 1, max(u_pv, u))) - 1
    if r.row_sum == "per_thread":  # a thread's chain across all blocks, then two levels
        d_den = nb * (bn // 4) + 1
    else:  # each block: its folds and the butterfly; one FMA per later block
        d_den = bn // 4 + nb
    g_den = gamma(d_den, u)
    e_exp = function_error(r.exp, "float32")
    floor = _function_floor(r.exp, "float32")
    u_p = unit_roundoff(p_fmt)
    eta_p = _tiny(p_fmt) / r.p_scale
    later = np.arange(sk) // bn  # exponentials after key j's own: one alpha per later block
    if r.key_order == "forward":
        later = nb - 1 - later
    k_exp = 1 + later[None, :]
    grow = (1 + e_exp) ** later[None, :]
    epi = {"reciprocal": (1 + u) ** 2 - 1, "divide": u,
           "div_full": function_error("sm90:div.full.f32")}[r.epilogue]
    if r.qkv_format is not None:  # O times s_v
        epi = (1 + epi) * (1 + u) - 1
    visible = visible_keys(sq, sk, causal)
    out = np.empty_like(q)
    for h in range(n_heads):
        *_, O, live, _ = _exact_attention(q[h] @ k[h].T, v[h], tau, visible)
        qh, kh, vh, rqh, rkh, rvh = q1[h], k1[h], v1[h], rq[h], rk[h], rv[h]
        s = qh @ kh.T
        M, E, O1, _, err64 = _exact_attention(s, vh, tau, visible)
        # |S' - s| <= B: the operands' radii, the chain (on the codes, times the scales),
        # then RN(S RN(s_q s_k)) (quantized)
        sq_h, sk_h = (x if x.shape[0] == 1 else x[h:h + 1] for x in (sc_q, sc_k))
        ch = kappa * (1 + c_err) if r.scale == "prescaled_q" else 1.0  # Q' = q c
        chain = _chain_bound(qc[h] * ch, kc[h].T, rqh / sq_h[0] * ch, (rkh / sk_h[0]).T,
                             acc_qk, in_fmt, in_fmt) / (ch * (1 - c_err) if ch != 1 else 1.0)
        B = rqh @ np.abs(kh).T + np.abs(qh) @ rkh.T + rqh @ rkh.T \
            + chain * sq_h[0] * sk_h[0].T
        if r.qkv_format is not None:
            B = B + (2 * u + u * u) * (np.abs(s) + B)
        B = np.where(visible, B, 0.0)
        Bmax = B.max(axis=1, keepdims=True)
        # The exponent of key j's weight, telescoped over the rescales, in log2 units: c S'_j
        # minus a row constant, within Z_j of kappa (s_j - M) (see attention_bound).
        xa = kappa * (1 + c_err) * (np.abs(s) + B)
        X = np.where(visible, xa, 0.0).max(axis=1, keepdims=True)
        gap = kappa * (1 + c_err) * (np.maximum(M - s, 0.0) + B + Bmax)
        Z = kappa * (1 + c_err) * B + c_err * gap + u * (1 + u) * (xa + X) \
            + (3 * u + u * u) * gap
        a = _LN2 * np.where(visible, Z, 0.0)
        rho_lo = np.exp(-a) * (1 - e_exp) ** k_exp
        rho_hi = np.exp(a) * (1 + e_exp) ** k_exp
        c_rel = ((1 + u_p) * (1 + g_pv) - 1 + g_den) / (1 - g_den)
        D_lo, D_hi = E * rho_lo * (1 - g_den), E * rho_hi * (1 + g_den)
        # The kernel's frame: the key of the largest S' has weight t = 0 (2^-uX at worst:
        # FMA(S, c, -RN(S c))) and rescales 2^0 later, so its sum term is at least l_top;
        # that is at most lam max(D_hi), so the sum, at least lam sum(D_lo), is at least:
        l_top = (1 - e_exp) ** nb * np.exp2(-2 * u * X) * (1 - g_den)
        with np.errstate(divide="ignore", invalid="ignore"):
            l_lo = l_top * np.maximum(1.0, D_lo.sum(axis=1, keepdims=True)
                                      / D_hi.max(axis=1, keepdims=True))
        absw = np.where(visible, eta_p * grow * (1 + g_pv), 0.0)
        # flushed exponentials (<= floor each, the p and its alphas): numerator and sum
        flush = np.where(visible, floor * k_exp * grow, 0.0).sum(axis=1, keepdims=True)
        vmax = float((np.abs(vh) + rvh).max())
        dy = _ratio_bound(E, D_lo, D_hi, c_rel, vh, rvh, O1, absw, l_lo, visible)
        dy = dy + 2 * flush * (1 + u_p) * (1 + g_pv) * (1 + g_den) * vmax / l_lo
        out[h] = np.where(live, _close(dy, O1, O, err64, epi, [fmt]), 0.0)
    return out


def _naive_bound(q: NDArray[np.float64], k: NDArray[np.float64], v: NDArray[np.float64],
                 fmt: str, causal: bool, tau: float, r: Any) -> NDArray[np.float64]:
    """attention_bound for a NaiveAttention recipe (all heads, (N, S, D) values)."""
    from ._casts import quantize
    from .nn import Softmax, _recipe
    n_heads, sq, D = q.shape
    sk = k.shape[1]
    comp = fmt if r.compute is None else r.compute
    p_fmt = comp if r.p_format is None else r.p_format
    uc = unit_roundoff(comp)
    sm = _recipe("softmax", r.softmax, sk, Softmax)
    if sm.scale is not None or sm.exp_base != "e":
        raise ValueError("recipe: the bound takes a softmax without its own scale, base e")
    # the scale rounded into compute (sqrt in float64 first, for both_sqrt), as the recipe
    # says; the scaled operands rounded into compute, evaluated
    sig = float(np.asarray(quantize(np.float64(
        math.sqrt(tau) if r.scale_at == "both_sqrt" else tau), comp)))
    q1 = np.asarray(quantize(q * sig, comp), np.float64) if r.scale_at in (
        "both_sqrt", "q") else q
    k1 = np.asarray(quantize(k * sig, comp), np.float64) if r.scale_at in (
        "both_sqrt", "k") else k
    s_round = r.qk.fused is not None or not format(r.qk.fmt).is_subset_of(format(comp))
    u_pv, d_pv, e_pv = _chain(r.pv, sk, p_fmt, fmt)
    g_pv = (1 + e_pv) * (1 + gamma(d_pv, u_pv)) - 1
    o_round = r.pv.fused is not None or not format(r.pv.fmt).is_subset_of(format(comp))
    e_div = function_error(sm.divide, sm.compute, sm.rounding)
    if sm.normalize == "reciprocal":
        e_div = (1 + e_div) * (1 + unit_roundoff(sm.compute, sm.rounding)) - 1
    p_extra = format(p_fmt) != format(sm.compute)
    u_p = unit_roundoff(p_fmt) if p_extra else 0.0
    eta_p = _tiny(p_fmt) if p_extra else 0.0
    # O: rounded into compute by the PV product, then into the output format
    outs = ([comp] if o_round else []) + ([fmt] if format(fmt) != format(comp) or not o_round
                                          else [])
    tau1 = sig if r.scale_at == "scores" else 1.0  # the scale left outside q1 k1^T
    visible = visible_keys(sq, sk, causal)
    out = np.empty_like(q)
    for h in range(n_heads):
        *_, O, live, _ = _exact_attention(q[h] @ k[h].T, v[h], tau, visible)
        qh, kh, vh = q1[h], k1[h], v[h]
        s = qh @ kh.T
        M, E, O1, _, err64 = _exact_attention(s, vh, tau1, visible)
        # x' (the softmax's input) within B of x = tau1 s: the chain, S's rounding into
        # compute and, for "scores", the product by sig rounded
        B = _chain_bound(qh, kh.T, 0.0, 0.0, r.qk, comp, comp)
        if s_round or r.scale_at == "scores":
            B = B + uc * (np.abs(s) + B)
        if r.scale_at == "scores":
            B = sig * (B + uc * (np.abs(s) + B))
        x = tau1 * s
        low = tau1 * M - 1e4 * (1 + tau1 * np.abs(M))  # masked keys: exp gives 0
        x = np.where(visible, x, np.where(live, low, 0.0))
        parts = _softmax_parts(x, sm, -1, x_err=np.where(visible, B, 0.0))
        eta_sm, e_hi, e_lo, g_sum = (parts[i] for i in (2, 6, 7, 10))
        c_rel = ((1 + e_div) * (1 + u_p) * (1 + g_pv) - 1 + g_sum) / (1 - g_sum)
        absw = np.where(visible, (eta_sm * (1 + u_p) + eta_p) * (1 + g_pv), 0.0)
        dy = _ratio_bound(E, e_lo * (1 - g_sum), e_hi * (1 + g_sum), c_rel, vh, 0.0, O1,
                          absw, 1.0, visible)
        out[h] = np.where(live, _close(dy, O1, O, err64, 0.0, outs), 0.0)
    return out


def attention_bound(q: Any, k: Any, v: Any, recipe: Any = "torch_sdpa_flash.sm90", *,
                    causal: bool = False, scale: Optional[float] = None
                    ) -> NDArray[np.float64]:
    """Elementwise bound on |roundoff.attention(q, k, v, recipe)[0] - O|, O the exact
    attention softmax(q k^T scale) v of the inputs' values (0 on rows without a visible key),
    barring overflow and underflow of intermediate results (absolute terms do cover P and
    exponentials below their formats' normal ranges). Returns float64 of q's shape.

    Every recipe goes through one identity (see the comment above ``_ratio_bound``): with
    exact weights E_j, the computed numerator and denominator weights N_j, D_j and
    [D_lo, D_hi] a bracket of D_j up to a row constant, the quotient y before the epilogue
    errs by ``|y - O| <= (sum max(D_hi - E, E - D_lo)_j |v_j - O| + sum |N_j - D_j| |v_j|
    + sum N_j |v'_j - v_j|) / sum D_lo``, each sum capped by its largest visible term (the
    quotients are averages): errors that the numerator and denominator share renormalise.
    Operand roundings that the recipe defines from the inputs alone are evaluated instead:
    the identity runs around the exact attention O' of the operands the products see, and
    |O' - O| is added as computed.

    Blocked recipes (:class:`~roundoff.BlockedAttention`): the operands are q, k, v, or their
    quantization into ``qkv_format`` (q s, q = RN(RN_f32(x / s)), s = RN_f32(amax / max),
    with a radius for an implementation's float32 variants); S' = q' k'^T errs by at most B_j:
    the radii, Q's rounding after its product with c (``scale="prescaled_q"``), the QK^T
    chain (a tensor-core preset: the fused step model of :func:`fused_matmul_bound`, step by
    step from the operands' exponents; an Accumulator: gamma of its order's depth), the
    product by RN(s_q s_k). Key j's weight in
    the final accumulator is exp2 of its t_j plus the arguments of the later rescales alpha;
    these telescope (the running maximum is monotone) to c S'_j minus a row constant, off by
    the roundings of t and of the alpha arguments (at most u (1 + u)(|x_j| + max|x|) + (3u +
    u^2)(max x - x_j), x = c S'), so within Z_j of kappa (s_j - M) (kappa = scale log2 e; c
    within three float32 roundings of kappa): the weight lies within exp(+-ln2 Z_j)
    (1 +- e_exp)^(1 + R_j) of E_j up to a row constant (e_exp = :func:`function_error` of
    the exp2 impl, R_j the blocks after j's). The row sum adds gamma(depth, u_32)
    ('per_thread': n_blocks block_n / 4 + 1; 'per_block': block_n / 4 + n_blocks); the
    numerator P's rounding into p_format (u_p, and eta_p / p_scale absolute) and the P V
    chain (block_n keys a block, a rescale per later block). The epilogue (reciprocal: two
    float32 roundings; divide: one; div_full: its measured error; the product by s_v: one)
    and the output rounding (half a spacing of the output format at |O| + the error) close
    it.

    A blocked recipe's split-KV path (``split_kv_sms``, for shapes whose row tiles are few) is
    not covered: a ValueError says so.

    Naive recipes (:class:`~roundoff.NaiveAttention`): the scale rounded into compute and
    the scaled operands rounded into compute are evaluated; the QK^T accumulator, S's
    rounding into compute (and the product by the scale, ``scale_at="scores"``) give the
    radius of the softmax's input; its brackets of the exponentials and their sum are
    :func:`softmax_bound`'s (with that input radius); then the division, P's rounding into
    p_format (numerator only), the PV accumulator and O's roundings into compute and the
    output format. Exact recipe: half a spacing of the output format at |O|.

    Measured (D 64 and 128, Sq, Sk up to 200, normal inputs): a head's largest bound is
    1.2-5x its largest error for the bf16/fp16 kernels and "naive", 2-10x for "naive_lowp"
    and FP8 (every weight's worst case at once: P's rounding, S's rounding into bf16), and at
    most 2x for "exact". Looser where a rounding enters the exponent with an error bound
    scale B of order 1 (exp(scale B) - 1, up to the cap max|v_j - O|: FP8 or naive_lowp with
    |scale s| in the tens) and where v has a large common offset (P's rounding counts
    against |v_j|).
    """
    from ._attention import (BlockedAttention, ExactAttention, NaiveAttention, _inputs,
                             _recipe as _att_recipe, _splits)
    r = _att_recipe(recipe)
    fmt, _, shape, k_shape, tau, qv, kv, vv = _inputs(q, k, v, r, causal, scale)
    if isinstance(r, BlockedAttention) and _splits(r, shape, k_shape[2])[0] > 1:
        raise ValueError("recipe: for this shape it takes the split-KV path (its parts "
                         "combined through expf and logf), which this bound does not cover "
                         "yet; bound the single-pass kernel with dataclasses.replace(recipe, "
                         "split_kv_sms=None)")
    if isinstance(r, ExactAttention):
        visible = visible_keys(qv.shape[1], kv.shape[1], bool(causal))
        out = np.empty_like(qv)
        for h in range(qv.shape[0]):
            *_, O, live, err64 = _exact_attention(qv[h] @ kv[h].T, vv[h], tau, visible)
            out[h] = np.where(live, _half_spacing(np.abs(O) + err64, fmt), 0.0)
    elif isinstance(r, NaiveAttention):
        out = _naive_bound(qv, kv, vv, fmt, bool(causal), tau, r)
    else:
        out = _blocked_bound(qv, kv, vv, fmt, bool(causal), tau, r)
    return out.reshape(shape)


# ---------------------------------------------------------------- one transformer block

_GELU_SLOPE = 1.1290  # max |GELU'(x)| = 1.12890... at x = sqrt(2)


def _grow(y: Any, fmt: FormatLike) -> NDArray[np.float64]:
    """|RN(x) - x| for an x that rounded to y (nearest-even into fmt): half a spacing at |y|,
    taken a little above |y| for an x just past a power of two."""
    return np.asarray(_half_spacing(np.abs(np.asarray(y, np.float64)) * (1 + 2 * unit_roundoff(
        fmt)), fmt), np.float64)


def _linear_error(h: NDArray[np.float64], w: NDArray[np.float64], y: NDArray[np.float64],
                  p: Any) -> NDArray[np.float64]:
    """Elementwise |y - h w| for y = _transformer.linear(h, w, p) (h, w exact values)."""
    from . import hw
    from ._transformer import fp8_operands
    if p.linear == "gemm":
        acc = hw.preset("h100.cublas_gemm", a_fmt=p.act)
        assert acc.fused is not None  # a tensor-core preset
        return fused_matmul_bound(h, w, acc.fused) + _grow(y, p.act)
    hq, wq, sh, sw = fp8_operands(h, w)
    hs, ws = hq * np.float64(sh), wq * np.float64(sw)  # exact: float32 x 4-bit values
    quant = np.abs(h - hs) @ np.abs(w) + np.abs(hs) @ np.abs(w - ws)
    acc = hw.preset("h100.cublas_scaled_mm", out_fmt=p.act)
    assert acc.fused is not None
    chain = fused_matmul_bound(hq, wq, acc.fused, acc.promote_every) * (float(sh) * float(sw))
    # The epilogue: acc * RN(sa sb) in float32, two roundings of at most 2^-24 each.
    epi = 3 * 2.0 ** -24 * (np.abs(hs) @ np.abs(ws) + chain)
    return quant + chain + epi + _grow(y, p.act)


def _norm2(e: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row 2-norms (last axis) of elementwise bounds: a bound on the rows' error norms."""
    return np.sqrt(np.sum(np.square(e), axis=-1))


def _spectral(w: NDArray[np.float64]) -> float:
    """||w||_2 (the largest singular value; float64's relative error far below 1e-12)."""
    return float(np.linalg.norm(w, 2)) * (1 + 1e-12)


def transformer_block_bound(x: Any, weights: Any, precision: Any = "bf16", *, heads: int = 1,
                            temperature: float = 1.0, x_radius: Any = None,
                            y: Any = None) -> NDArray[np.float64]:
    """Per token i, a bound on ||y_i - block(x_true)_i||_2 for ``y = roundoff.nn.
    transformer_block(x, weights, precision)`` (the emulated pre-LN block; computed here when
    not given) and the exact block of any x_true whose rows lie within ``x_radius`` (per
    token, 2-norm; default 0) of x's.

    Carried step by step along the emulated computation, per token and per head, in 2-norms
    (as the forward-error analyses of Budzinskiy et al. 2503.10251 compose theirs in norms):
    each step adds the norm of its own rounding bound on its computed operands
    (:func:`layer_norm_bound`, :func:`attention_bound`, :func:`gelu_bound`, the linear
    layers' tensor-core chains and FP8 quantization, the residual adds' two roundings: each a
    guarantee) to the spread of the exact step over its operands' radii: ||W||_2 for a
    linear map, GELU's slope (at most 1.129), and, to first order (second-order terms in the
    radii dropped), LayerNorm's Jacobian (norm at most 1 / sqrt(var + eps)) and attention's
    (scores moving by a_ij = scale (rq_i ||k_j|| + ||q_i|| rk_j + rq_i rk_j) move O_i by at
    most sum_j g_ij a_ij ||v_j - O_i|| + sum_j g_ij rv_j), each capped by what no
    perturbation can exceed (LayerNorm's outputs have norm sqrt(d); O_i averages the v_j).
    Barring overflow and underflow. Returns float64 of shape (n,).

    A worst case: the propagation aligns every error with the direction that hurts most, so
    the bound runs tens to hundreds of times the measured error after one block and reaches
    the activations' own size within a few (``roundoff study attention-roundoff`` shows
    both)."""
    from . import _transformer as T
    from ._attention import attention
    from .nn import gelu, layer_norm, residual_add
    p = T.block_precision(precision)
    xv = np.asarray(x, np.float64)
    w = {name: np.asarray(t, np.float64) for name, t in weights.items()}
    n, d = xv.shape
    r0 = np.zeros(n) if x_radius is None else np.asarray(x_radius, np.float64)
    if r0.shape != (n,):
        raise ValueError(f"x_radius: one radius per token, shape ({n},), got {r0.shape}")
    dtype = ml_dtype(p.act)
    d_h = d // heads
    scale = temperature / math.sqrt(d_h)

    def typed(v: NDArray[np.float64]) -> Any:
        return encode(v, p.act).view(dtype)

    def norm(v: NDArray[np.float64], rv: NDArray[np.float64]
             ) -> Tuple[NDArray[np.float64], NDArray[np.float64]]:
        out = np.asarray(layer_norm(typed(v), recipe=p.norm), np.float64)
        c = v - v.mean(axis=-1, keepdims=True)
        sigma = np.sqrt((c * c).mean(axis=-1) + 1e-5)
        own = _norm2(np.asarray(layer_norm_bound(typed(v), recipe=p.norm), np.float64))
        # First order rv / sigma; but never more than 2 sqrt(d): ||LN(.)|| <= sqrt(d).
        return out, own + np.minimum(rv / sigma, 2 * math.sqrt(d))

    def lin(h: NDArray[np.float64], rh: NDArray[np.float64], name: str, parts: int = 1
            ) -> Tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The product and its radius per token, per column block of d / parts (heads)."""
        out = T.linear(h, w[name], p)
        own = _linear_error(h, w[name], out, p)
        cols = out.shape[1] // parts
        r = np.stack([_norm2(own[:, j * cols:(j + 1) * cols]) +
                      rh * _spectral(w[name][:, j * cols:(j + 1) * cols])
                      for j in range(parts)])
        return out, r  # (parts, n)

    h, rh = norm(xv, r0)
    (q2, rq), (k2, rk), (v2, rv) = (lin(h, rh, t, heads) for t in "qkv")
    q, k, v = (T.split_heads(t, heads) for t in (q2, k2, v2))
    o = attention(typed(q)[None], typed(k)[None], typed(v)[None], p.attention,
                  causal=p.causal, scale=scale)[0][0].astype(np.float64)
    own = _norm2(attention_bound(typed(q)[None], typed(k)[None], typed(v)[None], p.attention,
                                 causal=p.causal, scale=scale)[0])
    qn, kn = (np.sqrt(np.sum(t * t, axis=-1)) for t in (q, k))
    a = scale * (rq[:, :, None] * kn[:, None, :] + qn[:, :, None] * rk[:, None, :] +
                 rq[:, :, None] * rk[:, None, :])
    s = scale * (q @ np.swapaxes(k, -1, -2))
    visible = visible_keys(n, n, p.causal)
    s = np.where(visible, s, -np.inf)
    g = np.exp(s - s.max(axis=-1, keepdims=True))
    g = g / g.sum(axis=-1, keepdims=True)
    o_exact = g @ v
    dist = np.sqrt(np.maximum(np.sum(v * v, -1)[:, None, :] - 2 * o_exact @ np.swapaxes(
        v, -1, -2) + np.sum(o_exact * o_exact, -1)[:, :, None], 0))  # ||v_j - O_i||
    # (1 + 1e-9): the float64 evaluation of g and of the distances. O_i being an average of
    # the v_j, it moves by at most max_j ||v_j - O_i|| + max_j rv_j whatever the radii.
    spread = (np.sum(g * a * dist, -1) + np.einsum("hij,hj->hi", g, rv)) * (1 + 1e-9)
    cap = (np.where(visible, dist, 0).max(-1) + np.where(visible, rv[:, None, :], 0).max(-1)) \
        * (1 + 1e-9)
    spread = np.minimum(spread, cap)
    ro_heads = own + spread  # (heads, n)
    oa, ra = lin(T.merge_heads(o), np.sqrt(np.sum(ro_heads ** 2, axis=0)), "o")
    x1 = np.asarray(residual_add(typed(xv), typed(oa)), np.float64)
    r1 = _norm2(_grow(x1, p.act) + _grow(x1, "float32")) + r0 + ra[0]
    h, rh = norm(x1, r1)
    u, ru = lin(h, rh, "1")
    g1 = np.asarray(gelu(typed(u), recipe=p.activation), np.float64)
    rg = _norm2(np.asarray(gelu_bound(typed(u), recipe=p.activation), np.float64)) + \
        _GELU_SLOPE * ru[0]
    f, rf = lin(g1, rg, "2")
    x2 = np.asarray(residual_add(typed(x1), typed(f)), np.float64)
    if y is not None and not np.array_equal(np.asarray(y, np.float64), x2):
        raise ValueError("y: not the emulated block's output for x, weights and precision")
    return _norm2(_grow(x2, p.act) + _grow(x2, "float32")) + r1 + rf[0]
