"""Generated stories of the console's audit log page for
``tests/console/test_generated_audit_page.py``: an admin, a developer and a project admin
write jobs and scripts (Chinese and accented names among them: created, changed, deleted) over
days, and users of every role read the audit log a page at a time with searches by object,
kind, user, action and days, valid (names there and not, blanks around them, a family, a
word), and not (a day that is no day, a *From* after the *To*, an action in capitals or of two
dots), now and then asking the *Project* box.

Users and days are named in the stories by token and read by the test: ``@N`` the story's
user N, ``first``/``last`` the story's first day and the clock's day, ``before``/``after`` the
day before the first and after the last.

What the page promises is ``support/console_audit_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.console_audit_model import USERS, Search

WRITERS = (0, 1, 4)
"""The users who write: the admin, the developer, the project admin."""
NAMES = ("daily_sales", "日报_sales", "Zürich_load", "daily_sql", "周报_sql")
"""What they write: jobs, and scripts (``…_sql``)."""
OBJECTS = (
    "",
    "",
    "",
    "",
    "",
    "daily_sales",
    " 日报_sales ",
    "周报_sql",
    "nothing_here",
    "Daily_Sales",
)
KINDS = ("", "", "", "", "", "", "job", "script", " job ", "Job", "user", "credential")
WHO = ("", "", "", "", "", "@0", "@1", "@4", "nobody")
ACTIONS = (
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "job",
    "job.create",
    "job.update",
    "script",
    "job.delete",
    "user",
    "credential.create",
    "nope",
    "Job.Update",
    "a.b.c",
    "job update",
)
DAYS = ("", "", "", "", "", "", "first", "last", "before", "after", "2026-13-01", "someday")
OFFSETS = (0, 0, 0, 4, 5, 100, -3)


@dataclass(frozen=True)
class Step:
    """A write (``write``: user, name, whether it deletes), a day passing (``later``) or a
    look at the audit page (``look``: user, search, offset)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


def _search() -> st.SearchStrategy[Search]:
    return st.builds(
        Search,
        st.sampled_from(OBJECTS),
        st.sampled_from(KINDS),
        st.sampled_from(WHO),
        st.sampled_from(ACTIONS),
        st.sampled_from(DAYS),
        st.sampled_from(DAYS),
        st.sampled_from((False, False, False, True)),
    )


def _look() -> st.SearchStrategy[Step]:
    user = st.sampled_from((0, 0, 4, 4, *range(len(USERS))))
    args = st.tuples(user, _search(), st.sampled_from(OFFSETS))
    return st.builds(Step, st.just("look"), args)


def _write() -> st.SearchStrategy[Step]:
    args = st.tuples(
        st.sampled_from(WRITERS), st.sampled_from(NAMES), st.sampled_from((False, False, True))
    )
    return st.builds(Step, st.just("write"), args)


def _later() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("later"), st.tuples(st.sampled_from((1, 2))))


def audit_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of a few writes, then 1–8 steps more."""
    first = st.lists(_write(), min_size=3, max_size=6)
    rest = st.lists(
        st.one_of(_look(), _look(), _look(), _write(), _later()), min_size=1, max_size=8
    )
    return st.tuples(first, rest).map(lambda parts: (*parts[0], *parts[1]))


def a_story_of_every_search() -> tuple[Step, ...]:
    """Every filter once taken and once refused, paging, the *Project* box (hand-written)."""
    write = [Step("write", (u, n, False)) for u, n in ((0, "daily_sales"), (1, "日报_sales"))]
    return (
        *write,
        Step("later", (1,)),
        Step("write", (4, "周报_sql", False)),
        Step("write", (1, "日报_sales", False)),
        Step("write", (0, "daily_sales", True)),
        Step("write", (1, "daily_sql", False)),
        Step("look", (0, Search(), 0)),
        Step("look", (4, Search(), 4)),
        Step("look", (0, Search(), 100)),
        Step("look", (0, Search(object=" 日报_sales ", kind="job"), 0)),
        Step("look", (4, Search(user="@1", action="job"), 0)),
        Step("look", (0, Search(since="last", until="last"), 0)),
        Step("look", (0, Search(until="before"), 0)),
        Step("look", (0, Search(since="after", until="first"), 0)),
        Step("look", (0, Search(since="2026-13-01"), 0)),
        Step("look", (0, Search(action="Job.Update", object="daily_sales"), 0)),
        Step("look", (4, Search(action="credential", project=True), 0)),
        Step("look", (4, Search(user="@4", project=True), 4)),
        Step("look", (0, Search(project=True), 0)),
        Step("look", (1, Search(), 0)),
        Step("look", (2, Search(since="2026-13-01"), 0)),
        Step("look", (0, Search(since="after", until="first", project=True), 0)),
        Step("look", (3, Search(project=True), 0)),
    )
