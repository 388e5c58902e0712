"""Rounding mode names (README: Exact semantics)."""

from __future__ import annotations

from typing import Dict, Tuple

MODES: Tuple[str, ...] = (
    "nearest_even", "nearest_away", "toward_zero", "up", "down", "odd", "stochastic",
)
"""Rounding modes, in the order of the C++ enum ``roundoff::Rounding``."""

MODE_ALIASES: Dict[str, str] = {
    "rne": "nearest_even", "rna": "nearest_away", "rtz": "toward_zero", "rup": "up",
    "rdn": "down", "rto": "odd", "sr": "stochastic",
}
"""Short names accepted anywhere a mode is."""


def rounding_mode(name: str) -> str:
    """The canonical name of a rounding mode, given a name or alias.

    Raises:
        TypeError: not a string.
        ValueError: unknown mode.
    """
    if not isinstance(name, str):
        raise TypeError(f"rounding: expected a mode name, got {name!r}")
    key = MODE_ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in MODES:
        raise ValueError(
            f"rounding: unknown mode {name!r}; expected one of {', '.join(MODES)} "
            f"or {', '.join(MODE_ALIASES)}"
        )
    return key
