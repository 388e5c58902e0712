"""roundoff study attention-roundoff (python/roundoff/studies/attention_roundoff.py)."""

from __future__ import annotations

import re

import pytest

from roundoff import cli


def test_quick_run_writes_a_table_and_a_plot(tmp_path, capsys):
    out = tmp_path / "study"
    assert cli.main(["study", "attention-roundoff", "--quick", "--precisions", "bf16,fp16",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "attention-roundoff [" in printed.err  # the progress bar
    png = (out / "attention_roundoff.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    table = (out / "table.md").read_text()
    rows = [r for r in table.splitlines() if re.match(r"\| (depth|seq|head_dim|temperature) ",
                                                     r)]
    assert len(rows) == 4 * 2 * 2  # 4 sweeps, 2 values each (quick), 2 precisions
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        max_err, median_err, bound = (float(c) for c in cells[3:6])
        assert 0 < median_err <= max_err <= bound, row
    assert "Bounds hold: every measured error is within its bound: yes" in table
    assert "Precisions from most to least accurate" in table
    assert "fp16" in printed.out and "wrote" in printed.out


def test_bad_arguments_are_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["study", "attention-roundoff", "--precisions", "fp4", "--out",
                  str(tmp_path)])
    assert exc.value.code == 2 and "--precisions" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["study", "no-such-study"])
    assert exc.value.code == 2
