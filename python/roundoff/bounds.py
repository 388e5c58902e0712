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
from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

from ._formats import FormatLike, format
from ._rounding import RoundingMode, rounding_mode
from .accumulate import FusedAdder
from .orders import Order, sequential

__all__ = ["unit_roundoff", "gamma", "depths", "sum_bound", "dot_bound", "matmul_bound",
           "fused_matmul_bound", "double_rounding_unit", "stochastic_sum_bound",
           "stochastic_failure_probability", "GPU_ERRORS", "function_error", "softmax_bound",
           "log_softmax_bound", "layer_norm_bound", "rms_norm_bound", "silu_bound",
           "gelu_bound"]


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
    K = a.shape[-1]
    L = fused.terms
    u_step = (L + 1) * 2.0 ** -fused.frac_bits + 2.0 ** (1 - format(fused.out_fmt).precision)
    steps = -(-K // L)
    if promote_every:
        per_group = promote_every // L
        depth = per_group + -(-K // promote_every)
        u_step = max(u_step, unit_roundoff(acc_fmt))
    else:
        depth = steps
    return gamma(depth, u_step) * (np.abs(a) @ np.abs(b))


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


def _softmax_parts(x: Any, recipe: Any, axis: int) -> Any:
    """The recipe, u, the exact e_j = exp(x_j - max) and sum s, the bound `arg` on the error
    of the computed x_j - max, and the brackets of each computed exponential and of the
    computed sum: [e_lo, e_hi] and [s_lo, s_hi]."""
    from .nn import Softmax, _recipe
    xs = _rows64(x, axis)
    n = xs.shape[1]
    r = _recipe("softmax", recipe, n, Softmax)
    u = unit_roundoff(r.compute, r.rounding)
    eta = _tiny(r.compute)
    m = xs.max(axis=1, keepdims=True)
    inexact = _input_error(xs, r.compute, u)
    # t = fl(x - m) of the inputs rounded into compute (the max of the rounded values is the
    # rounded max): |t - (x - m)| <= arg.
    arg = (inexact + inexact.max(axis=1, keepdims=True)
           + u * (np.abs(xs - m) + 2 * inexact) + eta)
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


def _norm_parts(x: Any, weight: Any, eps: float, recipe: Any, op: str) -> Any:
    from .nn import Norm, _recipe, _values
    xs = _rows64(x)
    n = xs.shape[1]
    r = _recipe(op, recipe, n, Norm)
    if r.statistics not in ("two_pass", "sum_squares"):
        raise ValueError(f"recipe: bounds cover the statistics 'two_pass' and 'sum_squares'; "
                         f"{r.statistics!r} (Welford) has none here yet")
    if np.any(_input_error(xs, r.compute, 1.0) > 0):
        raise ValueError(f"x: the bound needs inputs that {format(r.compute)} holds exactly")
    u = unit_roundoff(r.compute, r.rounding)
    w = None if weight is None else _values(weight, "weight")[0]
    return r, u, xs, n, w


def rms_norm_bound(x: Any, weight: Any = None, eps: float = 1e-6, recipe: Any = None, *,
                   fmt: Optional[FormatLike] = None) -> NDArray[np.float64]:
    """Elementwise bound on |nn.rms_norm(x, weight, eps, recipe) - rms_norm(x)| for the
    statistics 'sum_squares' and 'two_pass' (squares summed by FMA, depth D + 1): the mean
    square plus eps is off by at most gamma(D + 3, u) relatively, so rsqrt by
    (1 - gamma)^-1/2 and the impl's error, then one or two products: rigorous, relative."""
    from .nn import _values
    if recipe is None:
        from .nn import Norm
        recipe = Norm(statistics="sum_squares")
    r, u, xs, n, w = _norm_parts(x, weight, eps, recipe, "rms_norm")
    g = gamma(r.moments.depth(n) + 3, u)
    e_r = function_error(r.rsqrt, r.compute, r.rounding)
    products = 1 if w is None else 2
    rel = (1 + e_r) * (1 - g) ** -0.5 * (1 + u) ** products - 1 if g < 1 else np.inf
    y = xs / np.sqrt((xs * xs).mean(axis=1, keepdims=True) + eps)
    if w is not None:
        y = y * w
    out = fmt if fmt is not None else _values(x)[1]
    bound = np.abs(y) * rel * (1 + unit_roundoff(out)) + _output_rounding(y, out)
    return (bound * _MEASURED_MARGIN).reshape(np.shape(x))


def layer_norm_bound(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5,
                     recipe: Any = None, *, fmt: Optional[FormatLike] = None
                     ) -> NDArray[np.float64]:
    """Elementwise bound on |nn.layer_norm(x, ...) - layer_norm(x)| for two-pass
    statistics: the mean errs by dmu <= gamma(D + 1) sum|x| / n; each centred value by
    E_i <= dmu (1 + u) + u |x_i - mu|; the centred squares' sum by 2u sum|d_i|(|d_i| + dmu)
    + sum E_i^2 + gamma(D + 1) (its value) (the mean's error cancels from sum d_i, to first
    and every order); then the divisions, eps, rsqrt and the affine FMA, each bounded
    numerically from the data. Rigorous barring underflow."""
    from .nn import _values
    r, u, xs, n, w = _norm_parts(x, weight, eps, recipe, "layer_norm")
    b = None if bias is None else _values(bias, "bias")[0]
    D = r.moments.depth(n)
    g1 = gamma(D + 1, u)
    mu = xs.mean(axis=1, keepdims=True)
    d = xs - mu
    dmu = g1 * np.abs(xs).sum(axis=1, keepdims=True) / n + u * np.abs(mu)
    E = dmu * (1 + u) + u * np.abs(d)
    S = (d * d).sum(axis=1, keepdims=True)
    dS = (2 * u * (np.abs(d) * (np.abs(d) + dmu)).sum(axis=1, keepdims=True)
          + (E * E).sum(axis=1, keepdims=True))
    dS = dS + g1 * (S + dS)
    var = S / n + eps
    # the computed var + eps: ((S + dS')/n (1 + u) + eps (1 + u)) (1 + u), dS' in [-dS, dS]
    hi = ((S + dS) / n * (1 + u) + eps * (1 + u)) * (1 + u)
    lo = np.maximum(((S - dS) / n * (1 - u) + eps * (1 - u)) * (1 - u), 0.0)
    rstd = 1 / np.sqrt(var)
    e_r = function_error(r.rsqrt, r.compute, r.rounding)
    with np.errstate(divide="ignore"):
        r_err = rstd * np.maximum((1 + e_r) * np.sqrt(var / lo) - 1,
                                  1 - (1 - e_r) * np.sqrt(var / hi))
    r_hat = rstd + r_err  # the computed rstd is at most this
    t = rstd * d
    dt = r_err * (np.abs(d) + E) + rstd * E  # |r^ d^ - r d|
    dt = dt + u * (np.abs(t) + dt)           # the product's rounding
    del r_hat
    y = t
    affine = w is not None or b is not None
    if affine:
        ww = np.ones(n) if w is None else w
        bb = np.zeros(n) if b is None else b
        y = t * ww + bb
        dy = np.abs(ww) * dt + u * (np.abs(y) + np.abs(ww) * dt)  # one FMA rounding
    else:
        dy = dt
    out = fmt if fmt is not None else _values(x)[1]
    bound = dy * (1 + unit_roundoff(out)) + _output_rounding(y, out)
    return (bound * _MEASURED_MARGIN).reshape(np.shape(x))


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
