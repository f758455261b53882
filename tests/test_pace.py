"""On a machine slower than the one the suite's time limits were set on, every limit is
lengthened in proportion, never shortened (``support/pace.py``): on a shared host whose CPU loop
ran three times slower than the day before, a test that takes a minute outgrew its limit and the
run went red naming no fault."""

from __future__ import annotations

import pytest

from support import pace
from support.pace import MOST, REFERENCE_SECONDS, factor, lengthen_limits, lengthened, limit_of


def test_a_machine_as_quick_as_the_reference_or_quicker_keeps_the_limits() -> None:
    assert factor(REFERENCE_SECONDS) == 1.0
    assert factor(REFERENCE_SECONDS / 3) == 1.0


def test_a_slower_machine_gets_limits_in_proportion_up_to_the_most() -> None:
    assert factor(REFERENCE_SECONDS * 2.5) == pytest.approx(2.5)
    assert factor(REFERENCE_SECONDS * 40) == MOST


def test_no_limit_stays_no_limit() -> None:
    assert lengthened(0.0, 3.0) == 0.0
    assert lengthened(120.0, 3.0) == 360.0


def test_the_loop_is_timed_on_the_given_clock() -> None:
    ticks = iter([0.0, 0.4, 1.0, 1.3])  # two runs: 0.4 s, then 0.3 s
    assert pace.loop_seconds(lambda: next(ticks)) == pytest.approx(0.3)


@pytest.mark.timeout(30)
def test_a_test_s_own_mark_is_lengthened(request: pytest.FixtureRequest) -> None:
    before = limit_of(request.node, 120.0)  # 30, or already lengthened on a slow machine
    assert before == pytest.approx(30 * pace.here())
    lengthen_limits([request.node], 120.0, 2.0)
    assert limit_of(request.node, 120.0) == pytest.approx(before * 2)


def test_a_test_without_a_mark_runs_under_the_setting(request: pytest.FixtureRequest) -> None:
    default = float(request.config.getini("timeout"))
    assert limit_of(request.node, default) == pytest.approx(default * pace.here())
    lengthen_limits([request.node], default, 1.0)  # a quick machine: nothing added
    assert limit_of(request.node, default) == pytest.approx(default * pace.here())
