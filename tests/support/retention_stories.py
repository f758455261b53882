"""Generated stories of what a workspace keeps as time passes
(``tests/unit/services/test_generated_retention.py``): imports, plans kept and applied,
an import accepted and left queued then run, rollbacks of the newest import (at once, or
queued as a task and run later), the clock moving
on by minutes, hours and days, and the housekeeping sweeps (task lines, rollbacks, uploads and
plans) under one of a few settings profiles. :class:`~support.retention_model.Model` says what
every reader must answer after each step.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from support.release_stories import Step
from support.retention_model import DAY_MS, Profile

HOUR_MS = 3600 * 1000
TICK_MS = 1000
JOBS = ("ja", "jb", "jc")
PROFILES = (
    Profile(1, 2, 3600),
    Profile(2, 1, DAY_MS // 1000),
    Profile(1, 1, 60),
    Profile(0, 0, 259_200),  # the defaults: lines and rollbacks kept for ever
)
MOVES = (60_000, HOUR_MS, 6 * HOUR_MS, DAY_MS - 2 * TICK_MS, DAY_MS, 2 * DAY_MS)
"""How far the clock moves in one step (a minute: past the shortest TTL; a day less two ticks:
a sweep the step after next cuts at the very end of the step before)."""


@dataclass(frozen=True)
class RetentionStory:
    """The settings and the steps."""

    profile: Profile
    steps: tuple[Step, ...]


def _steps() -> st.SearchStrategy[Step]:
    jobs = st.lists(st.sampled_from(JOBS), min_size=1, max_size=2, unique=True).map(tuple)
    return st.one_of(
        st.builds(lambda names: Step("import", (names,)), jobs),
        st.builds(lambda names: Step("plan", (names,)), jobs),
        st.just(Step("apply")),
        st.just(Step("queue")),
        st.just(Step("run")),
        st.builds(lambda later: Step("rollback", (later,)), st.booleans()),
        st.builds(lambda ms: Step("clock", (ms,)), st.sampled_from(MOVES)),
        st.just(Step("sweep")),
        st.just(Step("sweep")),
    )


@st.composite
def retention_stories(draw: st.DrawFn) -> RetentionStory:
    """A story of 4 to 14 steps under one profile."""
    return RetentionStory(
        profile=draw(st.sampled_from(PROFILES)),
        steps=tuple(draw(st.lists(_steps(), min_size=4, max_size=14))),
    )


def queued_past_the_ttl() -> RetentionStory:
    """A plan applied by an import left queued until its plan and upload are past the TTL and
    swept: the import still runs to its end (what it needs is kept while it waits), and the
    next sweep forgets the plan."""
    steps = (
        Step("plan", (("ja", "jb"),)),
        Step("queue"),
        Step("clock", (2 * HOUR_MS,)),
        Step("sweep"),
        Step("run"),
        Step("sweep"),
        Step("apply"),
    )
    return RetentionStory(PROFILES[0], steps)


def rollback_queued_past_its_days() -> RetentionStory:
    """The rollback of an import queued as a task a tick before its days run out; the sweep
    after them passes it by while the task waits; the task then rolls it back, and the next
    sweep marks the earlier import alone expired."""
    steps = (
        Step("import", (("ja",),)),
        Step("import", (("ja", "jb"),)),
        Step("clock", (DAY_MS - 4 * TICK_MS,)),
        Step("rollback", (True,)),
        Step("clock", (HOUR_MS,)),
        Step("sweep"),
        Step("run"),
        Step("sweep"),
        Step("rollback", (False,)),
    )
    return RetentionStory(PROFILES[2], steps)


def expired_then_rolled_back() -> RetentionStory:
    """Two imports a day apart; the sweeps drop the lines of the first, then expire both
    rollbacks; the newest import's rollback is refused as expired."""
    steps = (
        Step("import", (("ja",),)),
        Step("clock", (DAY_MS,)),
        Step("import", (("ja", "jb"),)),
        Step("clock", (DAY_MS - 2 * TICK_MS,)),
        Step("sweep"),
        Step("rollback", (False,)),
        Step("clock", (2 * DAY_MS,)),
        Step("sweep"),
        Step("rollback", (False,)),
    )
    return RetentionStory(PROFILES[2], steps)
