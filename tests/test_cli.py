"""The roundoff command."""

import subprocess
import sys

import roundoff as ro
from roundoff.cli import main


def test_formats_table_lists_every_format(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name in ro.FORMATS:
        assert name in out
    assert "448" in out and "57344" in out


def test_cast_every_mode(capsys):
    assert main(["cast", "0.3", "e4m3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6 and "code 0x2A = 0.3125" in out[0] and "code 0x29" in out[2]


def test_bad_format_is_a_clean_error(capsys):
    assert main(["formats", "nope"]) == 2
    assert "unknown format" in capsys.readouterr().err


def test_module_entry_point_runs_the_demo():
    r = subprocess.run([sys.executable, "-m", "roundoff", "demo"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "roundoff -416.0" in r.stdout and "1 thread == 2 threads: True" in r.stdout
