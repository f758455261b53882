"""Generated stories of the console's drift page and a job's *Came from* for
``tests/console/test_generated_drift_pages.py``: three jobs of Chinese and accented names, with
their scripts and resource, imported from another workspace, and one made here; an admin and a
developer change imported jobs and scripts here (a hot fix, or back as the import wrote them),
delete jobs, and change the job made here; users of every role, a project admin with none and
one with no role there open the drift page, the jobs' pages and their *History* (of a job
not there too).

What the pages promise is ``support/console_drift_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.console_drift_model import IMPORTED, LOCAL, USERS

EDITABLE = (*IMPORTED, LOCAL, *(f"{n}_sql" for n in IMPORTED), "daily_sales_sh")
"""What is changed: the imported jobs, the job made here, scripts the import wrote."""
OPENED = (*IMPORTED, LOCAL, "never_there")


@dataclass(frozen=True)
class Step:
    """``edit`` (user, object, ``fix`` or ``back``), ``delete`` (user, job), ``drift``
    (user), ``job`` (user, job), ``history`` (user, job: its *History*)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


def _reader() -> st.SearchStrategy[int]:
    return st.sampled_from((0, 1, 3, *range(len(USERS))))


def drift_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–8 steps."""
    writer = st.sampled_from((0, 1))
    edit = st.tuples(writer, st.sampled_from(EDITABLE), st.sampled_from(("fix", "fix", "back")))
    step = st.one_of(
        st.builds(Step, st.just("edit"), edit),
        st.builds(Step, st.just("edit"), edit),
        st.builds(Step, st.just("delete"), st.tuples(writer, st.sampled_from((*IMPORTED, LOCAL)))),
        st.builds(Step, st.just("drift"), st.tuples(_reader())),
        st.builds(Step, st.just("drift"), st.tuples(_reader())),
        st.builds(Step, st.just("job"), st.tuples(_reader(), st.sampled_from(OPENED))),
        st.builds(Step, st.just("history"), st.tuples(_reader(), st.sampled_from(OPENED))),
    )
    return st.lists(step, min_size=1, max_size=8).map(tuple)


def a_story_of_drift() -> tuple[Step, ...]:
    """Nothing changed, a job and a script changed, one changed back, a job deleted, each page
    read by every user (a hand-written example)."""
    return (
        *(Step("drift", (u,)) for u in range(len(USERS))),
        Step("job", (3, "日报_sales")),
        Step("job", (2, LOCAL)),
        Step("edit", (1, "日报_sales", "fix")),
        Step("edit", (0, "Zürich_load_sql", "fix")),
        Step("edit", (0, LOCAL, "fix")),
        Step("drift", (3,)),
        Step("job", (4, "日报_sales")),
        Step("edit", (0, "日报_sales", "back")),
        Step("delete", (1, "Zürich_load")),
        Step("drift", (2,)),
        Step("job", (1, "Zürich_load")),
        Step("job", (5, "daily_sales")),
        Step("job", (0, "never_there")),
        Step("history", (0, "daily_sales")),
        Step("history", (4, "日报_sales")),
        Step("history", (0, LOCAL)),
        Step("history", (1, "daily_sales")),
    )
