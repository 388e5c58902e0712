"""Keys for stochastic rounding: every entry point that takes ``seed`` resolves it here.

* ``seed=None`` (the default) draws a fresh 64-bit key from the package generator, so
  successive calls use different random bits; :func:`manual_seed` makes that sequence
  reproducible, as ``torch.manual_seed`` does.
* a ``numpy.random.Generator``: the key is drawn from it.
* an integer in 0..2^64-1: the key itself; the same key gives the same bits on any machine
  and thread count (README: Exact semantics).

A key is drawn only by a call that rounds stochastically with bits it draws itself, so calls
that round otherwise do not move the package generator.
"""

from __future__ import annotations

import threading
from typing import Union

import numpy as np

SeedLike = Union[int, np.integer, np.random.Generator, None]

_lock = threading.Lock()
_generator = np.random.default_rng()  # seeded from the OS until manual_seed


def manual_seed(seed: int) -> None:
    """Seed the generator that ``seed=None`` draws stochastic rounding keys from.

    After ``manual_seed(n)`` a program's sequence of calls with ``seed=None`` gives the same
    bits every run (NumPy's PCG64 seeded with ``n`` draws the keys).

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: not an integer.
        ValueError: negative.
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected an integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed: must be non-negative, got {seed}")
    with _lock:
        _generator = np.random.default_rng(int(seed))


def _draw(gen: np.random.Generator) -> int:
    return int(gen.integers(0, 1 << 64, dtype=np.uint64))


def check_seed(seed: SeedLike, name: str = "seed") -> None:
    """Raise unless seed is None, a Generator or an integer key in 0..2^64-1."""
    if seed is None or isinstance(seed, np.random.Generator):
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name}: expected None, an integer or a numpy.random.Generator, "
                        f"got {seed!r}")
    if not 0 <= int(seed) < 1 << 64:
        raise ValueError(f"{name}: must be in 0..2^64-1, got {seed}")


def resolve_key(seed: SeedLike, draws: bool, name: str = "seed") -> int:
    """The 64-bit key a call uses. draws: whether the call rounds stochastically with bits it
    draws itself; only then are None and a Generator drawn from (else the key is unused: 0)."""
    check_seed(seed, name)
    if isinstance(seed, (int, np.integer)):
        return int(seed)
    if not draws:
        return 0
    if seed is None:
        with _lock:
            return _draw(_generator)
    return _draw(seed)

