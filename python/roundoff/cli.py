"""The ``roundoff`` command: ``roundoff formats``, ``roundoff cast``, ``roundoff demo``."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

import numpy as np

from . import _casts
from ._formats import ALIASES, FORMATS, Format, format
from ._rounding import MODES


def _fmt_value(v: float) -> str:
    return f"{v:.6g}"


def formats_table(fmts: Optional[Sequence[Format]] = None) -> str:
    """Every format's facts as a fixed-width table."""
    fmts = list(FORMATS.values()) if fmts is None else list(fmts)
    aliases = {}
    for short, name in ALIASES.items():
        aliases.setdefault(name, []).append(short)
    head = ("name", "bits", "e", "m", "bias", "nonfinite", "sub", "emin", "emax", "max",
            "min_normal", "min_subnormal", "eps", "u", "aliases")
    rows: List[Sequence[str]] = [head]
    for f in fmts:
        rows.append((
            str(f.name or "custom"), str(f.bits), str(f.exp_bits), str(f.man_bits), str(f.bias),
            f.nonfinite + ("" if f.signed else ",unsigned") + ("" if f.has_zero else ",no-zero"),
            "yes" if f.subnormals else "no", str(f.emin), str(f.emax), _fmt_value(f.max),
            _fmt_value(f.min_normal), _fmt_value(f.min_subnormal), _fmt_value(f.eps),
            _fmt_value(f.unit_roundoff), " ".join(sorted(aliases.get(f.name or "", []))[:3]),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cast_report(value: float, fmt_name: str, rounding: str, saturate: bool) -> str:
    """One value through encode/decode, with its neighbours' story."""
    fmt = format(fmt_name)
    code = int(_casts.encode(np.float64(value), fmt, rounding, saturate=saturate))
    back = float(_casts.decode(code, fmt, np.float64))
    width = max(2, (fmt.bits + 3) // 4)
    return (f"{value!r} -> {fmt} [{rounding}{', saturate' if saturate else ''}]: "
            f"code 0x{code:0{width}X} = {back!r} (error {back - value:+.6g})")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="roundoff", description="Bit-exact low-precision floating-point emulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_formats = sub.add_parser("formats", help="print every format's facts as a table")
    p_formats.add_argument("names", nargs="*", help="formats to show (default: all)")
    p_cast = sub.add_parser("cast", help="round one value to a format in every mode")
    p_cast.add_argument("value", type=float)
    p_cast.add_argument("format")
    p_cast.add_argument("--rounding", default=None, help="one mode (default: all modes)")
    p_cast.add_argument("--saturate", action="store_true")
    sub.add_parser("demo", help="the main job: an emulated H100 FP8 GEMM, captured H100 vectors "
                   "replayed, then formats, casts and stochastic rounding")
    args = parser.parse_args(argv)
    try:
        if args.command == "formats":
            print(formats_table([format(n) for n in args.names] if args.names else None))
        elif args.command == "cast":
            modes = [args.rounding] if args.rounding else [m for m in MODES if m != "stochastic"]
            for m in modes:
                print(cast_report(args.value, args.format, m, args.saturate))
        elif args.command == "demo":
            from .demo import run

            run()
    except (ValueError, TypeError) as exc:
        print(f"roundoff: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
