"""Typing: the package passes mypy as pyproject.toml configures it, the Literal types list
exactly the names the functions take, and an installed package carries its type information."""

import ast
import dataclasses
import inspect
import pathlib
import subprocess
import sys
import typing

import pytest

import roundoff as ro
from roundoff import _rounding
from roundoff.accumulate import _SCALE_ORDERS, ScaleOrder

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_mypy_passes():
    pytest.importorskip("mypy")
    # From the repository root, so that mypy reads [tool.mypy] of pyproject.toml (files, exclude).
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_rounding_mode_literal_is_the_modes_then_the_aliases():
    assert typing.get_args(_rounding.CanonicalMode) == ro.MODES
    assert typing.get_args(_rounding.ModeAlias) == tuple(ro.MODE_ALIASES)
    assert typing.get_args(_rounding.RoundingMode) == ro.MODES + tuple(ro.MODE_ALIASES)


def test_scale_order_literal_is_the_scale_orders():
    assert typing.get_args(ScaleOrder) == _SCALE_ORDERS


def _checker_init(cls):
    """(name, default expression or None) of each parameter of the ``__init__`` that cls
    declares for the type checker only (under ``if TYPE_CHECKING:``)."""
    (init,) = [node for node in ast.walk(ast.parse(inspect.getsource(cls)))
               if isinstance(node, ast.FunctionDef) and node.name == "__init__"]
    params = init.args.args[1:]
    defaults = [None] * (len(params) - len(init.args.defaults)) + init.args.defaults
    return [(p.arg, d) for p, d in zip(params, defaults)]


@pytest.mark.parametrize("cls", [ro.Format, ro.FusedAdder, ro.Accumulator])
def test_checker_init_matches_the_dataclass_fields(cls):
    """The declared constructor (it takes what __post_init__ converts, e.g. format names) must
    list the fields in order with their defaults; ``...`` stands for a default_factory."""
    declared = _checker_init(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert [name for name, _ in declared] == [f.name for f in fields]
    for (name, default), field in zip(declared, fields):
        if field.default is not dataclasses.MISSING:
            want = field.default
        elif field.default_factory is not dataclasses.MISSING:
            want = ...
        else:
            assert default is None, name
            continue
        assert default is not None and ast.literal_eval(default) == want, name


def test_installed_package_carries_its_types():
    package = pathlib.Path(ro.__file__).parent
    markers = [package / "py.typed", package / "_core.pyi"]
    # An installed package has its metadata beside it; a copy of its .py files put first on the
    # path (an overlay of edited sources) has neither that metadata nor these files.
    installed = any(package.parent.glob("roundoff-*.dist-info"))
    if not installed and not all(m.exists() for m in markers):
        pytest.skip(f"roundoff is imported from a copy of its files ({package})")
    for marker in markers:
        assert marker.is_file(), marker
