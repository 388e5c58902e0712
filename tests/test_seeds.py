"""Stochastic rounding keys: seed=None draws fresh bits per call, manual_seed reproduces a
program, a Generator gives its key, and integer seeds keep their bits (README: Exact semantics,
"Stochastic rounding")."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

import roundoff as ro

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_stagnation_is_gone_with_fresh_bits():
    # seed=0 used to be the default, so every call drew the same bits and this loop stayed at
    # 1.0 like round-to-nearest. With fresh bits each step adds 1e-3 in expectation: the exact
    # distribution of s after 1000 steps (a Markov chain over the bf16 grid, up with
    # probability 1e-3 / ulp(s)) puts 5.2e-7 of its mass at |s - 2| >= 0.5: the false-failure
    # probability of this test.
    s = 1.0
    for _ in range(1000):
        s = ro.add(s, 1e-3, "bf16", "stochastic")
    assert abs(float(s) - 2.0) < 0.5


def test_seed_none_differs_between_calls():
    # 1000 values each 0.3 ulp above a bf16 value: two calls agree everywhere with
    # probability (0.3^2 + 0.7^2)^1000, about 10^-200.
    x = np.full(1000, 1.0 + 0.3 * 2.0**-7)
    a, b = ro.encode(x, "bf16", "stochastic"), ro.encode(x, "bf16", "stochastic")
    assert not np.array_equal(a, b)
    assert set(np.unique(a)) <= {0x3F80, 0x3F81}


def _program():
    """A sequence of stochastic calls of every kind, with seed=None throughout."""
    x = np.linspace(-3, 3, 257)
    acc = ro.Accumulator("bf16", "stochastic")
    return [
        ro.encode(x, "e4m3", "stochastic"),
        ro.quantize(x, "bf16", "sr"),
        ro.convert(ro.encode(x, "fp32"), "fp32", "e5m2", "sr"),
        ro.add(x, 1e-3, "bf16", "stochastic"),
        ro.fma(x, x, x, "fp16", "stochastic", codes=True),
        ro.ops.mul(ro.encode(x, "bf16"), ro.encode(x, "bf16"), "bf16", "sr"),
        ro.neg(x, "e4m3", "stochastic"),
        ro.sum(x.reshape(1, -1), axis=1, accumulator=acc),
        ro.matmul(x[:64].reshape(8, 8), x[64:128].reshape(8, 8), acc),
    ]


def test_manual_seed_reproduces_a_whole_program():
    ro.manual_seed(1234)
    first = _program()
    ro.manual_seed(1234)
    again = _program()
    ro.manual_seed(1235)
    other = _program()
    for p, q, r in zip(first, again, other):
        assert np.array_equal(p, q, equal_nan=True)
    assert not all(np.array_equal(p, r, equal_nan=True) for p, r in zip(first, other))


def test_only_stochastic_calls_draw_keys():
    x = np.linspace(-3, 3, 101)
    ro.manual_seed(5)
    want = ro.encode(x, "bf16", "stochastic")
    ro.manual_seed(5)
    ro.encode(x, "bf16")                                  # none of these draws a key
    ro.add(x, x, "bf16", "up")
    ro.matmul(x[:100].reshape(10, 10), x[:100].reshape(10, 10), ro.Accumulator("bf16"))
    ro.encode(x, "bf16", "stochastic", rbits=np.zeros(x.shape, np.uint32))  # own bits
    assert np.array_equal(ro.encode(x, "bf16", "stochastic"), want)


def test_generator_gives_the_key_it_draws():
    x = np.linspace(-3, 3, 101)
    key = int(np.random.default_rng(3).integers(0, 2**64, dtype=np.uint64))
    want = ro.encode(x, "e5m2", "stochastic", seed=key)
    assert np.array_equal(ro.encode(x, "e5m2", "stochastic", seed=np.random.default_rng(3)),
                          want)
    rng = np.random.default_rng(3)
    first = ro.add(x, 0.01, "bf16", "stochastic", seed=rng, codes=True)
    assert np.array_equal(first, ro.add(x, 0.01, "bf16", "stochastic", seed=key, codes=True))
    second = ro.add(x, 0.01, "bf16", "stochastic", seed=rng, codes=True)  # the next key
    assert not np.array_equal(first, second)


def test_accumulator_seed_none_draws_per_call_and_integer_seeds_repeat():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((16, 64)), rng.standard_normal((64, 16))
    fresh = ro.Accumulator("bf16", "stochastic")
    assert not np.array_equal(ro.matmul(a, b, fresh), ro.matmul(a, b, fresh))
    fixed = fresh.replace(seed=11)
    assert np.array_equal(ro.matmul(a, b, fixed), ro.matmul(a, b, fixed))
    drawn = fresh.replace(seed=np.random.default_rng(4))
    key = int(np.random.default_rng(4).integers(0, 2**64, dtype=np.uint64))
    assert np.array_equal(ro.matmul(a, b, drawn), ro.matmul(a, b, fresh.replace(seed=key)))


def test_output_rounding_follows_the_seed():
    # The output's stochastic rounding used key 0 whatever the accumulator's seed.
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((16, 32)), rng.standard_normal((32, 16))
    acc = ro.Accumulator("float32", out_fmt="bf16", out_rounding="stochastic")
    one, two = (ro.matmul(a, b, acc.replace(seed=s)) for s in (1, 2))
    assert not np.array_equal(one, two)
    assert np.array_equal(one, ro.matmul(a, b, acc.replace(seed=1)))
    # matmul's own out_rounding override is keyed the same way.
    exact = ro.matmul(a, b, acc.replace(out_rounding="nearest_even", seed=1))
    over = ro.matmul(a, b, ro.Accumulator("float32", out_fmt="bf16", seed=1),
                     out_rounding="stochastic")
    assert np.array_equal(over, one) and not np.array_equal(over, exact)


def _golden_cases():
    spec = importlib.util.spec_from_file_location(
        "capture_seed_golden", ROOT / "tools" / "capture_seed_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases()


def test_integer_seeds_keep_their_bits():
    # tests/data/seed_golden.npz: every stochastic entry point with integer seeds, recorded by
    # tools/capture_seed_golden.py on the tree before seed=None existed (its commit inside).
    golden = np.load(ROOT / "tests" / "data" / "seed_golden.npz")
    now = _golden_cases()
    assert set(now) == set(golden.files) - {"commit"}
    for name, got in now.items():
        want = golden[name]
        assert got.dtype == want.dtype, name
        assert np.array_equal(got, want, equal_nan=True), name


@pytest.mark.parametrize("seed, error", [
    (1.5, TypeError), ("7", TypeError), (True, TypeError), (np.random.RandomState(0), TypeError),
    (-1, ValueError), (2**64, ValueError),
])
def test_bad_seeds_name_the_argument(seed, error):
    with pytest.raises(error, match="^seed: "):
        ro.encode(1.0, "bf16", "stochastic", seed=seed)
    with pytest.raises(error, match="^seed: "):
        ro.add(1.0, 1.0, "bf16", seed=seed)
    with pytest.raises(error, match="^seed: "):
        ro.Accumulator(seed=seed)


def test_manual_seed_rejects_what_it_cannot_seed():
    with pytest.raises(TypeError, match="^seed: "):
        ro.manual_seed(1.0)
    with pytest.raises(ValueError, match="^seed: "):
        ro.manual_seed(-1)
