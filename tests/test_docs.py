"""The examples in the README and in the docstrings run and print what they say."""

import doctest
import pathlib

import numpy as np
import pytest

import roundoff
from roundoff import _arith, _casts, _formats, accumulate, bounds, hw, ops, orders

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_examples():
    # As pasted in order into a fresh interpreter: nothing is predefined.
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              globs={}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


@pytest.mark.parametrize("module", [_arith, _casts, _formats, ops, accumulate, orders, hw,
                                    bounds])
def test_docstring_examples(module):
    result = doctest.testmod(module, globs={"np": np, **vars(roundoff)})
    assert result.failed == 0
