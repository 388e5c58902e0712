"""Hypothesis settings profiles for the fuzz harnesses (tests/test_fuzz.py).

Only registered here, never loaded: the other test modules keep their own settings. Each fuzz
test in test_fuzz.py exists twice, sharing one body: ``test_<name>`` under "fuzz-short" (the
default suite: the whole module adds well under a minute on the project's 2-core machine) and
``test_<name>_long`` under "fuzz-long", marked ``slow`` (``pytest -m slow tests/test_fuzz.py``:
tens of thousands of examples, minutes). Per-test example counts scale these by a weight;
health checks are suppressed per test, only where a test needs it.

The short profile does not shrink (a failing example is reported as found, and saved in the
example database); the long one shrinks failures to a minimal reproducer.
"""

from hypothesis import Phase, settings

settings.register_profile(
    "fuzz-short", max_examples=60, deadline=None, print_blob=True,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target))
settings.register_profile("fuzz-long", max_examples=1000, deadline=None, print_blob=True)
