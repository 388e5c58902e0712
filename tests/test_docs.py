"""The examples in the README and in the docstrings run and print what they say."""

import doctest
import importlib.util
import pathlib
import re

import numpy as np
import pytest

import roundoff
from roundoff import (_arith, _casts, _formats, _special, accumulate, bounds, hw, nn, ops,
                      orders)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_examples():
    # As pasted in order into a fresh interpreter: nothing is predefined. The PyTorch section
    # needs torch (./dev torch runs this test with it).
    text = (ROOT / "README.md").read_text()
    if importlib.util.find_spec("torch") is None:
        text = re.sub(r"\n## PyTorch\n.*?(?=\n## |\Z)", "\n", text, flags=re.S)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(ROOT / "README.md"), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 5 and result.failed == 0


@pytest.mark.parametrize("module", [_arith, _casts, _formats, _special, ops, accumulate, orders,
                                    hw, bounds, nn])
def test_docstring_examples(module):
    result = doctest.testmod(module, globs={"np": np, **vars(roundoff)})
    assert result.failed == 0
