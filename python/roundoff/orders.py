"""Accumulation orders: which partial sums are formed, as a binary tree over the terms.

Every order compiles to the same *array form*: for n terms (leaves 0..n-1) an ``(n-1, 2)``
integer array whose row i holds the two children of node ``n + i``; node ``2n - 2`` is the root,
and every child is listed before its parent. An accumulation evaluates the rows in order, each
node being ``round(left + right)`` into the accumulator format, so two orders that give the same
array give the same bits.

>>> from roundoff import orders
>>> orders.sequential().nodes(4).tolist()         # ((t0 + t1) + t2) + t3
[[0, 1], [4, 2], [5, 3]]
>>> orders.pairwise().nodes(4).tolist()           # (t0 + t1) + (t2 + t3)
[[0, 1], [2, 3], [4, 5]]
>>> orders.tree(((0, 2), (1, 3))).nodes(4).tolist()
[[0, 2], [1, 3], [4, 5]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

import numpy as np
from numpy.typing import NDArray

__all__ = ["Order", "sequential", "pairwise", "numpy_pairwise", "blocked", "split_k", "tree",
           "random_permutation", "random_tree"]


class _Builder:
    """Collects the rows of the array form."""

    def __init__(self, n: int):
        self.n = n
        self.rows: List[Tuple[int, int]] = []

    def add(self, left: int, right: int) -> int:
        self.rows.append((left, right))
        return self.n + len(self.rows) - 1

    def chain(self, items: Sequence[int]) -> int:
        """((items[0] + items[1]) + items[2]) + ..."""
        acc = items[0]
        for x in items[1:]:
            acc = self.add(acc, x)
        return acc

    def array(self) -> NDArray[np.int64]:
        return np.array(self.rows, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class Order:
    """An accumulation order (build one with the functions of this module)."""

    kind: str
    params: Tuple[Any, ...] = ()

    def nodes(self, n: int) -> NDArray[np.int64]:
        """The array form for n terms: ``(n - 1, 2)`` child indices, children before parents."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n: expected a positive number of terms, got {n!r}")
        b = _Builder(int(n))
        if n > 1:
            _BUILD[self.kind](b, list(range(int(n))), *self.params)
        return b.array()

    def __repr__(self) -> str:
        args = ", ".join(repr(p) for p in self.params)
        return f"orders.{self.kind}({args})"


def _sequential(b: _Builder, items: List[int]) -> int:
    return b.chain(items)


def _halving(b: _Builder, items: List[int], left_size: Callable[[int], int]) -> int:
    """A binary tree over items: a range of n >= 2 splits into its first left_size(n) items and
    the rest, each built the same way, then the two sums are added (iteratively: any depth)."""
    stack: List[Any] = [("visit", items)]
    out: List[int] = []
    while stack:
        tag, val = stack.pop()
        if tag == "visit":
            if len(val) == 1:
                out.append(val[0])
                continue
            h = left_size(len(val))
            stack += [("join", None), ("visit", val[h:]), ("visit", val[:h])]
        else:
            right, left = out.pop(), out.pop()
            out.append(b.add(left, right))
    return out[0]


def _pairwise(b: _Builder, items: List[int]) -> int:
    # Split rule: the left half takes floor(n / 2) terms, recursively; one term is itself.
    return _halving(b, items, lambda n: n // 2)


def _numpy_pairwise(b: _Builder, items: List[int]) -> int:
    # numpy/_core/src/umath/loops_utils.h.src, pairwise_sum (PW_BLOCKSIZE 128, 8 accumulators).
    n = len(items)
    if n < 8:
        return b.chain(items)
    if n <= 128:
        r = list(items[:8])
        i = 8
        while i < n - (n % 8):
            r = [b.add(r[j], items[i + j]) for j in range(8)]
            i += 8
        res = b.add(b.add(b.add(r[0], r[1]), b.add(r[2], r[3])),
                    b.add(b.add(r[4], r[5]), b.add(r[6], r[7])))
        for k in range(i, n):
            res = b.add(res, items[k])
        return res
    n2 = n // 2
    n2 -= n2 % 8
    left = _numpy_pairwise(b, items[:n2])
    return b.add(left, _numpy_pairwise(b, items[n2:]))


def _blocked(b: _Builder, items: List[int], size: int) -> int:
    sums = [b.chain(items[i:i + size]) for i in range(0, len(items), size)]
    return b.chain(sums)


def _split_k(b: _Builder, items: List[int], slices: int, combine: "Order") -> int:
    n = len(items)
    s = min(slices, n)
    bounds = [i * n // s for i in range(s + 1)]
    sums = [b.chain(items[bounds[i]:bounds[i + 1]]) for i in range(s)]
    if len(sums) == 1:
        return sums[0]
    return _BUILD[combine.kind](b, sums, *combine.params)


def _tree(b: _Builder, items: List[int], spec: Any) -> int:
    seen: List[int] = []
    stack: List[Any] = [("visit", spec)]
    out: List[int] = []
    while stack:
        tag, val = stack.pop()
        if tag == "join":
            right, left = out.pop(), out.pop()
            out.append(b.add(left, right))
        elif isinstance(val, (int, np.integer)) and not isinstance(val, bool):
            seen.append(int(val))
            out.append(items[int(val)] if 0 <= val < len(items) else -1)
        elif isinstance(val, (tuple, list)) and len(val) == 2:
            stack += [("join", None), ("visit", val[1]), ("visit", val[0])]
        else:
            raise ValueError(f"tree: a node is a pair (left, right) or a term index, got {val!r}")
    if sorted(seen) != list(range(len(items))):
        raise ValueError(f"tree: the leaves must be the term indices 0..{len(items) - 1}, "
                         f"each once")
    return out[0]


def _permuted(b: _Builder, items: List[int], seed: int) -> int:
    perm = np.random.default_rng(seed).permutation(len(items))
    return b.chain([items[int(i)] for i in perm])


def _random_tree(b: _Builder, items: List[int], seed: int) -> int:
    # A seeded random binary tree: permute, then split each range at a uniform random point.
    rng = np.random.default_rng(seed)
    perm = [items[int(i)] for i in rng.permutation(len(items))]
    return _halving(b, perm, lambda n: int(rng.integers(1, n)))


# Each builder takes the builder, the items and the order's params; it returns the root.
_BUILD: Dict[str, Callable[..., int]] = {
    "sequential": _sequential, "pairwise": _pairwise, "numpy_pairwise": _numpy_pairwise,
    "blocked": _blocked, "split_k": _split_k, "tree": _tree,
    "random_permutation": _permuted, "random_tree": _random_tree}


def _positive(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    return int(v)


def sequential() -> Order:
    """Terms added one by one in ascending index: ``((t0 + t1) + t2) + ...``."""
    return Order("sequential")


def pairwise() -> Order:
    """Recursive halving: a range of n terms is split into its first ``n // 2`` terms and the
    rest, each summed pairwise, then the two sums added (n = 1: the term itself)."""
    return Order("pairwise")


def numpy_pairwise() -> Order:
    """NumPy's own ``np.add.reduce`` order for a contiguous float array (``pairwise_sum``):
    fewer than 8 terms sequentially; up to 128, eight interleaved accumulators combined as
    ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`` then the tail in order; beyond, split at
    ``n/2 - (n/2 mod 8)`` and recurse. (NumPy starts short sums from -0.0; that changes only
    the sign of an all-zero sum rounded down.)"""
    return Order("numpy_pairwise")


def blocked(size: int) -> Order:
    """Sequential inside contiguous blocks of ``size`` terms, then the block sums sequentially."""
    return Order("blocked", (_positive("size", size),))


def split_k(slices: int, combine: Union[Order, None] = None) -> Order:
    """``slices`` contiguous slices (slice i holds terms ``i*n//s`` to ``(i+1)*n//s - 1``),
    each summed sequentially, then the slice sums combined in ``combine`` (default
    sequential). The combine runs in the accumulator's format and rounding."""
    combine = sequential() if combine is None else combine
    if not isinstance(combine, Order):
        raise TypeError(f"combine: expected an Order, got {combine!r}")
    return Order("split_k", (_positive("slices", slices), combine))


def tree(spec: Any) -> Order:
    """An explicit tree: nested pairs of term indices, e.g. ``((0, 1), (2, 3))``."""
    return Order("tree", (spec,))


def random_permutation(seed: int) -> Order:
    """Sequential over a seeded random permutation of the terms (NumPy PCG64 ``permutation``)."""
    return Order("random_permutation", (int(seed),))


def random_tree(seed: int) -> Order:
    """A seeded random binary tree: the terms permuted, each range split at a uniform random
    point, for fuzzing accumulation orders."""
    return Order("random_tree", (int(seed),))
