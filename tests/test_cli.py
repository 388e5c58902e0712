"""The roundoff command.

Expected values come from the formats' definitions, not from the code under test: E4M3 (OCP
FP8: bias 7, max 448, NaN S.1111.111) has neighbours 0.28125 = 0x29 and 0.3125 = 0x2A around
0.3 (spacing 2^-5 in [0.25, 0.5)); an IEEE-style e6m9 has bias 31 and 9 stored mantissa bits.
"""

import importlib.metadata
import os
import re
import signal
import subprocess
import sys

import pytest

import roundoff as ro
from roundoff.cli import main

MAX_WIDTH = 100


def _run(capsys, argv):
    """(exit status, stdout, stderr) of ``roundoff argv`` run in this process."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's usage errors, --help and --version
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _rows(out):
    """The cast table's rows by mode: (code, value, error)."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ro.MODES:
            rows[parts[0]] = tuple(parts[1:]) + ("",) * (4 - len(parts))
    return rows


def _assert_narrow(text):
    wide = [line for line in text.splitlines() if len(line) > MAX_WIDTH]
    assert not wide, f"{len(wide)} lines over {MAX_WIDTH} columns, e.g. {wide[0]!r}"


# -- formats -------------------------------------------------------------------------------------

def test_formats_table_lists_every_format_and_alias(capsys):
    status, out, _ = _run(capsys, ["formats"])
    assert status == 0
    for name in ro.FORMATS:
        assert name in out
    for alias in ro.ALIASES:
        assert re.search(rf"(^|\s){re.escape(alias)}(\s|$)", out, re.M), alias
    assert "448" in out and "57344" in out


def test_formats_table_fits_100_columns(capsys):
    status, out, _ = _run(capsys, ["formats"])
    assert status == 0
    _assert_narrow(out)
    for name in [*ro.FORMATS, *ro.ALIASES]:
        status, out, _ = _run(capsys, ["formats", name])
        assert status == 0
        _assert_narrow(out)


def test_formats_values_of_e4m3():
    """The derived row of E4M3: emin -6, emax 8, max 448, 2^-6, 2^-9, eps 2^-3, u 2^-4."""
    from roundoff.cli import formats_table

    row = [line.split() for line in formats_table([ro.format("e4m3")]).splitlines()
           if line.startswith("float8_e4m3fn")][1]
    assert row[1:] == ["-6", "8", "448", "0.015625", "0.00195312", "0.125", "0.0625"]


def test_bad_format_is_a_short_clean_error(capsys):
    status, _, err = _run(capsys, ["formats", "nosuch"])
    assert status == 2
    assert "unknown format 'nosuch'" in err and "roundoff formats" in err
    assert "float8_e5m2fnuz" not in err  # points at the list instead of dumping it
    assert "Traceback" not in err


# -- custom formats (need roundoff.format("e6m9") == Format(6, 9), from the library) -------------

def test_help_says_custom_format_names_work(capsys):
    for argv in (["--help"], ["formats", "--help"], ["cast", "--help"]):
        status, out, _ = _run(capsys, argv)
        assert status == 0 and "e<E>m<M>" in out and "e6m9" in out


def test_cast_to_custom_e6m9(capsys):
    """1.1 * 2^9 = 563.2: nearest 563/512 = 1.099609375, code (31 << 9) + 51 = 0x3E33."""
    status, out, err = _run(capsys, ["cast", "1.1", "e6m9"])
    assert status == 0, err
    rows = _rows(out)
    assert rows["nearest_even"][:2] == ("0x3E33", "1.099609375")
    assert rows["up"][:2] == ("0x3E34", "1.1015625")
    _assert_narrow(out)


def test_formats_custom_e6m9_next_to_bf16(capsys):
    status, out, err = _run(capsys, ["formats", "e6m9", "bf16"])
    assert status == 0, err
    derived = {line.split()[0]: line.split() for line in out.split("\n\n")[1].splitlines()}
    assert derived["e6m9"][1:4] == ["-30", "31", f"{(2 - 2**-9) * 2**31:.6g}"]
    assert derived["bfloat16"][3] == f"{(2 - 2**-7) * 2**127:.6g}"
    _assert_narrow(out)


# -- cast ----------------------------------------------------------------------------------------

def test_cast_every_deterministic_mode(capsys):
    status, out, _ = _run(capsys, ["cast", "0.3", "e4m3"])
    assert status == 0
    rows = _rows(out)
    assert set(rows) == set(ro.MODES) - {"stochastic"}
    for mode in ("nearest_even", "nearest_away", "up"):
        assert rows[mode][:2] == ("0x2A", "0.3125")
    for mode in ("toward_zero", "down", "odd"):
        assert rows[mode][:2] == ("0x29", "0.28125")
    _assert_narrow(out)


def test_cast_lines_fit_100_columns(capsys):
    for argv in (["cast", "-431.99999999999994", "float64", "--seed", str(2**64 - 1)],
                 ["cast", "0.1", "tf32", "--seed", "3"], ["cast", "1e6", "e4m3", "--saturate"],
                 ["cast", "2.2250738585072014e-308", "float32", "--seed", "0"]):
        status, out, err = _run(capsys, argv)
        assert status == 0, err
        _assert_narrow(out)


def test_rounding_modes_and_aliases_are_in_the_help(capsys):
    status, out, _ = _run(capsys, ["cast", "--help"])
    assert status == 0
    for name in [*ro.MODES, *ro.MODE_ALIASES]:
        assert re.search(rf"\b{name}\b", out), name


def test_rounding_alias_any_case(capsys):
    status, out, _ = _run(capsys, ["cast", "0.3", "e4m3", "--rounding", "RTZ"])
    assert status == 0 and _rows(out)["toward_zero"][:2] == ("0x29", "0.28125")


def test_unknown_rounding_is_a_usage_error(capsys):
    status, _, err = _run(capsys, ["cast", "0.3", "e4m3", "--rounding", "bogus"])
    assert status == 2
    assert "argument --rounding: invalid choice: 'bogus'" in err and "Traceback" not in err


def test_seed_makes_stochastic_rounding_reproducible(capsys):
    argv = ["cast", "0.3", "e4m3", "--rounding", "stochastic", "--seed", "7"]
    first = _run(capsys, argv)
    assert first[0] == 0 and first == _run(capsys, argv)
    assert _rows(first[1])["stochastic"][0] in ("0x29", "0x2A")
    # Where the random bits come in: 0.3 is 0.6 of the way from 0.28125 to 0.3125.
    assert "probability 0.6," in first[1]


def test_seed_keys_the_random_bits(capsys):
    """Over 400 seeds 0.3 rounds up to 0.3125 about 60% of the time (binomial sd 2.4%)."""
    ups = 0
    for seed in range(400):
        status, out, _ = _run(capsys, ["cast", "0.3", "e4m3", "--rounding", "sr", "--seed",
                                       str(seed)])
        assert status == 0
        ups += _rows(out)["stochastic"][0] == "0x2A"
    assert 0.5 < ups / 400 < 0.7


def test_seed_adds_stochastic_to_every_mode(capsys):
    status, out, _ = _run(capsys, ["cast", "0.3", "e4m3", "--seed", "7"])
    assert status == 0 and set(_rows(out)) == set(ro.MODES)


def test_stochastic_without_seed_draws_fresh_bits(capsys):
    """Needs the library's seed=None (fresh random bits per call)."""
    status, out, err = _run(capsys, ["cast", "0.3", "e4m3", "--rounding", "stochastic"])
    assert status == 0, err
    assert _rows(out)["stochastic"][0] in ("0x29", "0x2A") and "fresh random bits" in out


@pytest.mark.parametrize("argv, needle", [
    (["--rounding", "up", "--seed", "7"], "--seed"),
    (["--rounding", "sr", "--seed", "-1"], "--seed"),
    (["--rounding", "sr", "--seed", str(2**64)], "--seed"),
    (["--rounding", "sr", "--seed", "x"], "--seed"),
])
def test_bad_seed_is_a_usage_error(capsys, argv, needle):
    status, _, err = _run(capsys, ["cast", "0.3", "e4m3", *argv])
    assert status == 2 and needle in err and "Traceback" not in err


def test_cast_nan_has_no_error_figure(capsys):
    status, out, _ = _run(capsys, ["cast", "nan", "e4m3"])
    assert status == 0
    rows = _rows(out)
    assert len(rows) == 6 and all(r[:3] == ("0x7F", "nan", "") for r in rows.values())


def test_cast_negative_numbers_in_any_spelling(capsys):
    """-1e5 overflows E4M3: NaN (0xFF with the sign) to nearest, -448 (0xFE) toward zero."""
    status, out, err = _run(capsys, ["cast", "-1e5", "e4m3"])
    assert status == 0, err
    rows = _rows(out)
    assert rows["nearest_even"][:2] == ("0xFF", "nan") and rows["toward_zero"][:2] == ("0xFE",
                                                                                     "-448.0")
    status, out, err = _run(capsys, ["cast", "-inf", "e4m3", "--saturate"])
    assert status == 0, err
    assert _rows(out)["nearest_even"][:2] == ("0xFE", "-448.0")


@pytest.mark.parametrize("value, needle", [("1e400", "beyond float64"),
                                           ("-1e400", "beyond float64"),
                                           ("1e-400", "below float64"),
                                           ("x", "expected a number")])
def test_bad_value_is_a_usage_error(capsys, value, needle):
    status, _, err = _run(capsys, ["cast", value, "e4m3"])
    assert status == 2 and "argument value:" in err and needle in err
    assert "Traceback" not in err


# -- the command itself ---------------------------------------------------------------------------

def test_version_is_the_package_version(capsys):
    status, out, _ = _run(capsys, ["--version"])
    assert status == 0 and out == f"roundoff {importlib.metadata.version('roundoff')}\n"


def test_no_arguments_prints_the_help(capsys):
    status, out, err = _run(capsys, [])
    assert status == 2 and out == ""
    assert err.startswith("usage: roundoff")
    for command in ("formats", "cast", "demo"):
        assert re.search(rf"^\s+{command}\s+\w", err, re.M), command  # each with what it does


@pytest.mark.parametrize("argv", [["demo"], ["formats"], ["cast", "0.3", "e4m3"]])
@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_closed_pipe_ends_quietly(argv, unbuffered):
    """`roundoff ... | head -3`: the reader is gone before anything is written (closed at once,
    so the write must fail), block-buffered or not."""
    env = dict(os.environ, PYTHONUNBUFFERED=unbuffered)
    p = subprocess.Popen([sys.executable, "-m", "roundoff", *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=120) == 128 + signal.SIGPIPE
    assert err == b""


def test_module_entry_point_runs_the_demo():
    r = subprocess.run([sys.executable, "-m", "roundoff", "demo"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "roundoff -416.0" in r.stdout and "1 thread == 2 threads: True" in r.stdout
    _assert_narrow(r.stdout)
    # A bound of 1 or more relative to |A||B| says nothing: the demo must say why (a starred
    # note) rather than show it as if it informed.
    for bound, star in re.findall(r"bound (\S+?)(\*?)\s", r.stdout):
        assert float(bound) < 1 or (star and "\n  * " in r.stdout), bound
    assert "EXCEEDED" not in r.stdout
