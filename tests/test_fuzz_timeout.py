"""A longer run of the generated tests (``JOBFERRY_FUZZ_EXAMPLES``) gets a time limit in
proportion to its examples, and the time hypothesis may spend shrinking a failure
(``support/fuzzing.py``): the suite's 120 s, which holds for a test function and every example
hypothesis tells it, cut a run of 120 examples short on a loaded machine and hypothesis reported
the cut as an inconsistent failure of the example. A run given ``--hypothesis-seed`` tells
that seed's examples, however few."""

from __future__ import annotations

import os

import pytest
from hypothesis.internal.conjecture.engine import MAX_SHRINKING_SECONDS

from support import fuzzing, pace
from support.fuzzing import SECONDS_PER_EXAMPLE, SHRINK_SECONDS, derandomized, fuzz_timeout


def test_a_longer_run_gets_a_limit_in_proportion_to_its_examples() -> None:
    assert fuzz_timeout("120", 120.0) == 120 * SECONDS_PER_EXAMPLE + SHRINK_SECONDS
    assert fuzz_timeout("300", 120.0) == 300 * SECONDS_PER_EXAMPLE + SHRINK_SECONDS
    assert fuzz_timeout("8", 120.0) == 120.0 + SHRINK_SECONDS  # never shorter than the suite's


def test_a_longer_run_leaves_hypothesis_the_time_to_shrink_a_failure() -> None:
    """A 30-example run that found a failure was cut while hypothesis shrank it, and the cut
    was reported as one more failure, "unreliable" (seeds 7101 and 7102 on PostgreSQL)."""
    assert SHRINK_SECONDS > MAX_SHRINKING_SECONDS
    limit = fuzz_timeout("30", 120.0)
    assert limit is not None
    assert limit >= 30 * SECONDS_PER_EXAMPLE + MAX_SHRINKING_SECONDS


def test_the_suite_s_limit_stands_without_a_longer_run_or_a_limit() -> None:
    assert fuzz_timeout(None, 120.0) is None
    assert fuzz_timeout("", 120.0) is None
    assert fuzz_timeout("120", 0.0) is None  # no limit asked: none given


@pytest.mark.fuzz
def test_a_fuzz_test_is_marked_with_the_longer_limit(request: pytest.FixtureRequest) -> None:
    """(Run with ``JOBFERRY_FUZZ_EXAMPLES`` set, as its longer run is, to see the mark.) On a
    machine slower than the one the limits were set on, it is lengthened as every limit is
    (``support/pace.py``)."""
    default = float(request.config.getini("timeout"))
    limit = fuzz_timeout(os.environ.get("JOBFERRY_FUZZ_EXAMPLES"), default)
    assert pace.limit_of(request.node, default) == pytest.approx((limit or default) * pace.here())


def test_a_seed_given_makes_even_a_short_run_tell_that_seed_s_stories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hypothesis lets ``derandomize`` win over ``--hypothesis-seed``: a run of 20 stories
    with a new seed told the suite's own stories again."""
    monkeypatch.setattr(fuzzing, "SEEDED", False)
    assert derandomized(20)
    assert derandomized(25)
    assert not derandomized(26)
    assert derandomized(3, fixed_up_to=3)
    assert not derandomized(4, fixed_up_to=3)
    monkeypatch.setattr(fuzzing, "SEEDED", True)
    assert not derandomized(20)
    assert not derandomized(3, fixed_up_to=3)


def test_the_run_s_seed_reaches_the_generated_tests(request: pytest.FixtureRequest) -> None:
    assert (request.config.getoption("--hypothesis-seed") is not None) == fuzzing.SEEDED
