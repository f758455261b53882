"""Generated stories of a workspace's drift (``tests/unit/services/test_generated_drift.py``):
a source whose jobs, scripts and resource change, promoted into a target again and again
(sameNamePolicy AUTO, ``onDrift`` drawn), and between the promotions people changing the
target by hand (an admin or a developer): a field edited (or edited back to what the
promotion wrote), a job renamed and renamed back, deleted, made again by hand as it was
promoted, started and stopped, overwritten by an import of a package that names no source;
and the newest import rolled back.
:class:`~support.drift_model.Model` says what the drift report and each plan must answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from support.drift_model import EDITABLE, OBJECTS
from support.release_stories import Step

DRIFTS = ("FAIL", "KEEP_TARGET", "TAKE_PACKAGE")
VALUES = ("hot 1", "hot 2", "back")
"""What a hand edit writes: a hot-fix, another, or the value the newest import wrote (the
source's when none did)."""


@dataclass(frozen=True)
class DriftStory:
    """The steps, after a first promotion of everything the source holds."""

    steps: tuple[Step, ...]


def _steps() -> st.SearchStrategy[Step]:
    jobs = st.sampled_from(("ja", "jb"))
    return st.one_of(
        st.builds(
            lambda *a: Step("edit", a),
            st.sampled_from(EDITABLE),
            st.sampled_from(VALUES),
            st.booleans(),
        ),
        st.builds(
            lambda *a: Step("edit", a), st.sampled_from(EDITABLE), st.just("back"), st.just(False)
        ),
        st.builds(lambda job: Step("rename", (job,)), jobs),
        st.builds(lambda job: Step("delete", (job,)), jobs),
        st.builds(lambda job: Step("recreate", (job,)), jobs),
        st.builds(lambda job, on: Step("schedule", (job, on)), jobs, st.booleans()),
        st.builds(lambda key: Step("source", (key,)), st.sampled_from(OBJECTS)),
        st.builds(lambda on: Step("promote", (on,)), st.sampled_from(DRIFTS)),
        st.builds(lambda on: Step("promote", (on,)), st.sampled_from(DRIFTS)),
        st.just(Step("rollback")),
        st.builds(lambda job: Step("foreign", (job,)), jobs),
    )


@st.composite
def drift_stories(draw: st.DrawFn) -> DriftStory:
    """A story of 3 to 12 steps after the first promotion."""
    return DriftStory(tuple(draw(st.lists(_steps(), min_size=3, max_size=12))))


def edited_back_renamed_and_made_again() -> DriftStory:
    """A hot-fix then the same field edited back (no drift), a job renamed (drift: its name)
    and promoted back under FAIL, a job deleted (drift: deleted) and made again by hand as it
    was promoted, then promoted over."""
    ja, sql = ("job", "ja"), ("script", "jb_sql")
    steps = (
        Step("edit", (ja, "hot 1", True)),
        Step("edit", (ja, "back", False)),
        Step("edit", (sql, "hot 2", True)),
        Step("promote", ("KEEP_TARGET",)),
        Step("rename", ("jb",)),
        Step("promote", ("FAIL",)),
        Step("delete", ("ja",)),
        Step("recreate", ("ja",)),
        Step("promote", ("TAKE_PACKAGE",)),
    )
    return DriftStory(steps)


def drifted_then_rolled_back() -> DriftStory:
    """The source changes a script and the target the same script: FAIL refuses, TAKE_PACKAGE
    writes over it, and the rollback puts the hot-fix back (drift again)."""
    sql = ("script", "ja_sql")
    steps = (
        Step("source", (sql,)),
        Step("edit", (sql, "hot 1", False)),
        Step("schedule", ("jb", True)),
        Step("promote", ("FAIL",)),
        Step("promote", ("TAKE_PACKAGE",)),
        Step("rollback"),
        Step("schedule", ("jb", False)),
        Step("rollback"),
    )
    return DriftStory(steps)
