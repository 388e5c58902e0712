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
           "stochastic_failure_probability"]


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
