"""The ``roundoff`` command: ``roundoff formats``, ``roundoff cast``, ``roundoff demo``,
``roundoff study NAME``.

Every line it prints fits in 100 columns; bad arguments give argparse's usage error (exit 2,
no traceback); a closed pipe (``roundoff demo | head -3``) ends it quietly.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from fractions import Fraction
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import __version__, _casts
from ._formats import ALIASES, FORMATS, Format, format
from ._rounding import MODE_ALIASES, MODES, CanonicalMode

CUSTOM_FORMAT_HELP = "e<E>m<M> (e.g. e6m9) names a custom IEEE-style format with E exponent " \
                     "and M mantissa bits"

# argparse takes "-1e5" and "-inf" for options (its own pattern only knows "-1" and "-1.5"), so
# the cast parser, which has no option spelled like a number, is told what a negative number is.
_NEGATIVE_NUMBER = re.compile(
    r"^-(?:(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:e[-+]?\d+)?|inf(?:inity)?|nan)$", re.I)


def _fmt_value(v: float) -> str:
    return f"{v:.6g}"


def format_label(fmt: Format) -> str:
    """A short name for ``fmt``: its own name, else ``e<E>m<M>`` (marked custom when its facts
    are not the IEEE-style ones that name gives)."""
    if fmt.name:
        return fmt.name
    label = f"e{fmt.exp_bits}m{fmt.man_bits}"
    try:
        ieee_style = Format(fmt.exp_bits, fmt.man_bits) == fmt
    except ValueError:  # e.g. man_bits 0 has no IEEE-style twin
        ieee_style = False
    return label if ieee_style else label + " (custom)"


def _aliases_by_name() -> Dict[str, List[str]]:
    aliases: Dict[str, List[str]] = {}
    for short, name in ALIASES.items():
        aliases.setdefault(name, []).append(short)
    return {name: sorted(shorts) for name, shorts in aliases.items()}


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def formats_table(fmts: Optional[Sequence[Format]] = None) -> str:
    """Every format's facts as two fixed-width tables, each within 100 columns: the primitive
    facts (what a :class:`Format` is made of) with the names that select it, then the derived
    values."""
    fmts = list(FORMATS.values()) if fmts is None else list(fmts)
    aliases = _aliases_by_name()
    yes_no = {True: "yes", False: "no"}
    facts = [(format_label(f), " ".join(aliases.get(f.name or "", [])), str(f.bits),
              str(f.exp_bits), str(f.man_bits), str(f.bias), f.nonfinite, yes_no[f.subnormals],
              yes_no[f.signed], yes_no[f.has_zero]) for f in fmts]
    derived = [(format_label(f), str(f.emin), str(f.emax), _fmt_value(f.max),
                _fmt_value(f.min_normal), _fmt_value(f.min_subnormal), _fmt_value(f.eps),
                _fmt_value(f.unit_roundoff)) for f in fmts]
    return "\n".join(
        _table(("name", "aliases", "bits", "e", "m", "bias", "nonfinite", "sub", "sign", "zero"),
               facts)
        + [""]
        + _table(("name", "emin", "emax", "max", "min_normal", "min_subnormal", "eps", "u"),
                 derived))


FORMATS_EPILOG = (
    "First table: the primitive facts (e, m: exponent and mantissa field widths; sub: subnormals; "
    "sign: a sign bit; zero: exponent field 0 holds zero) and the names that select each format. "
    "Second table: the derived values (emin, emax: exponents of the smallest normal and the "
    "largest finite binade; eps = 2^-m; u = eps/2, the unit roundoff). Names are case-"
    "insensitive; " + CUSTOM_FORMAT_HELP + ".")


def _exact_diff(a: float, b: float) -> float:
    """a - b rounded once (a float64 subtraction may round twice across binades)."""
    return float(Fraction(a) - Fraction(b))


def _stochastic_note(value: float, fmt: Format, code: int, saturate: bool,
                     seed: Optional[int], sr_bits: int = 32) -> str:
    """Where the random bits come in: P(away from zero) = floor(D 2^R) / 2^R with D the
    discarded fraction of an ulp (README: Exact semantics, Stochastic rounding)."""
    toward = int(_casts.encode(np.float64(value), fmt, "toward_zero", saturate=saturate))
    away = int(_casts.encode(np.float64(value), fmt, "up" if value > 0 else "down",
                             saturate=saturate))
    lo = float(_casts.decode(toward, fmt, np.float64))
    hi = float(_casts.decode(away, fmt, np.float64))
    drawn = f"seed {seed}" if seed is not None else "fresh random bits"
    if toward == away or not np.isfinite(hi) or not np.isfinite(lo) or hi == lo:
        return f"  stochastic: exact or beyond the range here, so the random bits ({drawn})\n" \
               "  do not matter"
    d = (Fraction(value) - Fraction(lo)) / (Fraction(hi) - Fraction(lo))
    p_away = Fraction(int(d * 2**sr_bits), 2**sr_bits)
    went = "away from zero" if code == away else "toward zero"
    return (f"  stochastic: away from zero with probability {float(p_away):.6g}, the discarded "
            f"fraction of an ulp\n  ({drawn} rounded {value!r} {went})")


def cast_report(value: float, fmt: Format, modes: Sequence[CanonicalMode], saturate: bool,
                seed: Optional[int] = None) -> str:
    """One value through encode/decode in each of ``modes``: code, value and error per mode,
    and for stochastic rounding the probability the random bits decide.

    ``seed`` reaches only stochastic rounding; ``None`` there asks the library for fresh
    random bits."""
    width = max(2, (fmt.bits + 3) // 4)
    lines = [f"{value!r} -> {format_label(fmt)} "
             f"({fmt.bits}-bit codes{', saturating' if saturate else ''})"]
    rows = []
    notes = []
    for mode in modes:
        code = int(_casts.encode(np.float64(value), fmt, mode, saturate=saturate,
                                 seed=seed if mode == "stochastic" else None))
        back = float(_casts.decode(code, fmt, np.float64))
        # An error is a number only between numbers; NaN and Inf ends get none.
        err = _fmt_value(_exact_diff(back, value)) if np.isfinite(back) and np.isfinite(value) \
            else ""
        if err and not err.startswith("-"):
            err = "+" + err
        rows.append((mode, f"0x{code:0{width}X}", repr(back), err))
        if mode == "stochastic" and np.isfinite(value):
            notes.append(_stochastic_note(value, fmt, code, saturate, seed))
    lines += ["  " + line for line in _table(("mode", "code", "value", "error"), rows)]
    return "\n".join(lines + notes)


def _rounding_arg(text: str) -> str:
    """A mode name or alias, any case, as its canonical name (argparse then checks choices)."""
    key = text.strip().lower()
    return MODE_ALIASES.get(key, key)


def _value_arg(text: str) -> float:
    """A float64 from the command line: overflow to Inf and underflow to zero are errors,
    since the value typed would not be the value cast."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number (0.3, -1e-3, inf, nan), got {text!r}") from None
    if np.isfinite(value) and value != 0:
        return value
    if np.isinf(value) and re.search(r"\d", text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is beyond float64 (max {np.finfo(np.float64).max:.6g}); "
            "write inf for infinity")
    if value == 0 and re.search(r"[1-9]", text.lower().split("e")[0]):
        raise argparse.ArgumentTypeError(
            f"{text!r} is below float64's smallest subnormal (4.94e-324); write 0 for zero")
    return value


def _seed_arg(text: str) -> int:
    """A stochastic-rounding key in 0..2^64-1."""
    try:
        seed = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= seed < 1 << 64:
        raise argparse.ArgumentTypeError(f"must be in 0..2^64-1, got {seed}")
    return seed


def _format_arg(text: str) -> Format:
    """A format by any name ``roundoff.format`` takes."""
    try:
        return format(text)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        msg = msg[len("fmt: "):] if msg.startswith("fmt: ") else msg
        if "; known:" in msg:  # the full list of names is what `roundoff formats` prints
            msg = msg.split("; known:")[0] + " (`roundoff formats` lists the names; " \
                "e<E>m<M> is a custom IEEE-style format)"
        raise argparse.ArgumentTypeError(msg) from None


def _mode_help() -> str:
    shorts: Dict[str, List[str]] = {}
    for short, mode in MODE_ALIASES.items():
        shorts.setdefault(mode, []).append(short)
    return ", ".join(f"{m} ({'/'.join(shorts[m])})" if m in shorts else m for m in MODES)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``roundoff`` command."""
    parser = argparse.ArgumentParser(
        prog="roundoff", description="Bit-exact low-precision floating-point emulator.",
        epilog="Formats are named as in roundoff.format: float8_e4m3fn, e4m3, bf16, fp16, ... "
               "(roundoff formats lists them); " + CUSTOM_FORMAT_HELP + ".")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_formats = sub.add_parser(
        "formats", help="print the formats' facts as tables", epilog=FORMATS_EPILOG,
        description="Print the facts of the named formats (default: every predefined one).")
    p_formats.add_argument("names", nargs="*", type=_format_arg, metavar="FORMAT",
                           help="formats to show (default: all predefined); "
                                + CUSTOM_FORMAT_HELP)
    p_cast = sub.add_parser(
        "cast", help="round one value to a format in every mode (or one)",
        description="Round one value (taken as a float64) to a format: code, value and error "
                    "per rounding mode.",
        epilog="Negative values work as they are (roundoff cast -1e5 e4m3). Stochastic "
               "rounding rounds away from zero with probability equal to the discarded "
               "fraction of an ulp (to 32 bits); --seed keys its random bits, so the same seed "
               "gives the same result.")
    if hasattr(p_cast, "_negative_number_matcher"):
        p_cast._negative_number_matcher = _NEGATIVE_NUMBER
    p_cast.add_argument("value", type=_value_arg,
                        help="a decimal number, inf or nan (read as float64)")
    p_cast.add_argument("format", type=_format_arg,
                        help="a format name (e4m3, bf16, ...); " + CUSTOM_FORMAT_HELP)
    p_cast.add_argument(
        "--rounding", type=_rounding_arg, choices=MODES, metavar="MODE",
        help=f"one mode, by name or alias: {_mode_help()}. Default: every deterministic mode, "
             "and stochastic when --seed is given")
    p_cast.add_argument("--seed", type=_seed_arg, default=None,
                        help="key of stochastic rounding's random bits, 0..2^64-1 (default: "
                             "fresh random bits each run)")
    p_cast.add_argument("--saturate", action="store_true",
                        help="overflow gives +-max instead of Inf or NaN (PTX cvt.satfinite)")
    p_cast.set_defaults(cast_parser=p_cast)  # for errors that involve two of its arguments
    sub.add_parser("demo", help="the main job: an emulated H100 FP8 GEMM, captured H100 vectors "
                   "replayed, then formats, casts and stochastic rounding",
                   description="Run the demonstration.")
    from .studies import STUDIES
    p_study = sub.add_parser(
        "study", help="run one of the seed studies (a table and a plot)",
        description="Run a seed study; arguments after its name are its own (roundoff study "
                    "NAME --help).")
    p_study.add_argument("name", choices=sorted(STUDIES), metavar="NAME",
                         help="one of: " + ", ".join(sorted(STUDIES)))
    p_study.add_argument("study_args", nargs=argparse.REMAINDER, metavar="...",
                         help="the study's arguments (e.g. --quick, --out DIR)")
    return parser


def _run(args: argparse.Namespace) -> None:
    """Carry out a parsed command."""
    if args.command == "formats":
        print(formats_table(args.names or None))
    elif args.command == "cast":
        if args.rounding:
            modes: Tuple[CanonicalMode, ...] = (args.rounding,)
        else:
            modes = tuple(m for m in MODES if m != "stochastic" or args.seed is not None)
        print(cast_report(args.value, args.format, modes, args.saturate, args.seed))
    elif args.command == "demo":
        from .demo import run

        run()
    elif args.command == "study":
        import importlib

        from .studies import STUDIES
        status = importlib.import_module(STUDIES[args.name]).main(args.study_args)
        if status:
            raise SystemExit(status)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``roundoff`` command; returns its exit status (argparse exits 2 on bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "cast" and args.seed is not None \
            and args.rounding not in (None, "stochastic"):
        args.cast_parser.error(f"argument --seed: applies to stochastic rounding only, "
                               f"not to --rounding {args.rounding}")
    try:
        try:
            _run(args)
        except (ValueError, TypeError) as exc:
            if args.command == "demo":  # the demo takes no input: an error is a bug, show it
                raise
            print(f"roundoff: error: {exc}", file=sys.stderr)
            return 2
        finally:
            sys.stdout.flush()  # a closed pipe shows here, inside main, not at interpreter exit
    except BrokenPipeError:
        # The reader left (`roundoff demo | head -3`): stop quietly, as a tool killed by
        # SIGPIPE does, and point stdout at /dev/null so the exit flush cannot complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
