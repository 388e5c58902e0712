"""Rounding mode names (README: Exact semantics)."""

from __future__ import annotations

from typing import Dict, Literal, Tuple

CanonicalMode = Literal[
    "nearest_even", "nearest_away", "toward_zero", "up", "down", "odd", "stochastic",
]
"""A rounding mode's canonical name: the names of :data:`MODES`."""

ModeAlias = Literal["rne", "rna", "rtz", "rup", "rdn", "rto", "sr"]
"""A rounding mode's short name: the keys of :data:`MODE_ALIASES`."""

RoundingMode = Literal[CanonicalMode, ModeAlias]
"""A rounding mode as the functions take it: a canonical name or an alias. At run time any case
is accepted (``"RNE"``); the type lists the lower-case spellings."""

MODES: Tuple[CanonicalMode, ...] = (
    "nearest_even", "nearest_away", "toward_zero", "up", "down", "odd", "stochastic",
)
"""Rounding modes, in the order of the C++ enum ``roundoff::Rounding``."""

MODE_ALIASES: Dict[str, CanonicalMode] = {
    "rne": "nearest_even", "rna": "nearest_away", "rtz": "toward_zero", "rup": "up",
    "rdn": "down", "rto": "odd", "sr": "stochastic",
}
"""Short names accepted anywhere a mode is."""

_MODE_OF_NAME: Dict[str, CanonicalMode] = {**{m: m for m in MODES}, **MODE_ALIASES}


def rounding_mode(name: str) -> CanonicalMode:
    """The canonical name of a rounding mode, given a name or alias.

    Raises:
        TypeError: not a string.
        ValueError: unknown mode.
    """
    if not isinstance(name, str):
        raise TypeError(f"rounding: expected a mode name, got {name!r}")
    mode = _MODE_OF_NAME.get(name.strip().lower())
    if mode is None:
        raise ValueError(
            f"rounding: unknown mode {name!r}; expected one of {', '.join(MODES)} "
            f"or {', '.join(MODE_ALIASES)}"
        )
    return mode
