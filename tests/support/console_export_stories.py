"""Generated stories of the console's export pages for
``tests/console/test_generated_export_pages.py``: users of every role (and a project admin with
none) open the Jobs page and the export pages, tick jobs and folders (a folder whose name has a
space, jobs of Chinese and accented names, a job gone since the page was shown) and export
them, paste name lists (names there, trimmed or twice, a case slip, a name no job may have, one
not there; more than the cap, none) to check or generate, and export the whole workspace (all,
changed since the last workspace export, changed since a day: the story's first, today,
tomorrow, none, one that is no day); jobs are changed meanwhile and the clock moves on days;
now and then a form goes without its security token.

What the pages promise is ``support/console_export_model.py``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from support.console_export_model import FOLDERS, GONE, JOBS, USERS, Ticks
from support.console_form_stories import Step

CSRF = ("ok", "ok", "ok", "ok", "ok", "ok", "bad", "none")
NAMES = (
    "daily_sales",
    "  日报_sales  ",
    "Zürich_load",
    "ops.cleanup",
    "eu_orders",
    "root_job",
    "Daily_Sales",
    GONE,
    "a b",
    "",
    "   ",
)
"""Lines a person pastes: names of jobs (one with blanks around it), a case slip, a job not
there, a name no job may have, a blank line."""
DAYS = ("start", "start", "today", "tomorrow", "", "2026-02-30", "03/01/2026")
"""The day a workspace export's *Changed since* names: the story's first day, today, tomorrow
(the clock's), none, and ones that are no day."""
PAGES = ("jobs", "export/names", "export/workspace")


def _user() -> st.SearchStrategy[int]:
    return st.sampled_from(
        (0, 0, 1, 1, 4, *range(len(USERS)))
    )  # writers more often: their exports have more to say


def _csrf() -> st.SearchStrategy[str]:
    return st.sampled_from(CSRF)


_JOB_NAMES = (*(n for n, _, _ in JOBS), GONE)


@st.composite
def _ticks(draw: st.DrawFn) -> Ticks:
    jobs = draw(st.lists(st.sampled_from(_JOB_NAMES), max_size=3, unique=True))
    not_jobs = draw(
        st.lists(st.sampled_from([n for n in _JOB_NAMES if n not in jobs]), max_size=2, unique=True)
    )
    folders = draw(st.lists(st.sampled_from(FOLDERS), max_size=2, unique=True))
    not_folders = draw(
        st.lists(st.sampled_from([f for f in FOLDERS if f not in folders]), max_size=1, unique=True)
    )
    return Ticks(tuple(jobs), tuple(not_jobs), tuple(folders), tuple(not_folders))


def _page() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("page"), st.tuples(_user(), st.sampled_from(PAGES)))


def _tick() -> st.SearchStrategy[Step]:
    args = st.tuples(_user(), _ticks(), st.booleans(), st.booleans())
    return st.builds(Step, st.just("tick"), args, _csrf())


def _names() -> st.SearchStrategy[Step]:
    text = st.lists(st.sampled_from(NAMES), max_size=6).map("\n".join)
    action = st.sampled_from(("check", "generate", "generate"))
    args = st.tuples(_user(), text, action, st.booleans())
    return st.builds(Step, st.just("names"), args, _csrf())


def _workspace() -> st.SearchStrategy[Step]:
    changed = st.sampled_from(("all", "sinceLastExport", "since", "since"))
    target = st.sampled_from(("", "", "prod", " 生产 "))
    args = st.tuples(_user(), changed, st.sampled_from(DAYS), target)
    return st.builds(Step, st.just("workspace"), args, _csrf())


def _edit() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("edit"), st.tuples(st.sampled_from([n for n, _, _ in JOBS])))


def _later() -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just("later"), st.tuples(st.sampled_from((1, 2))))


def export_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–7 steps."""
    step = st.one_of(_page(), _tick(), _tick(), _names(), _names(), _workspace(), _edit(), _later())
    return st.lists(step, min_size=1, max_size=7).map(tuple)


def an_export_of_each_kind() -> tuple[Step, ...]:
    """Every page and export once taken, once refused (a hand-written example)."""
    return (
        Step("page", (3, "export/names")),
        Step("tick", (1, Ticks(("日报_sales",), (), (), ()), True, True)),
        Step("tick", (0, Ticks((), ("eu_orders",), ("/sales", "/ops team"), ()), False, False)),
        Step("tick", (4, Ticks((), (), ("/ops team",), ("/ops team/nightly",)), True, False)),
        Step("tick", (0, Ticks((GONE,), (), (), ()), False, False)),
        Step("tick", (1, Ticks(("daily_sales", GONE), (), ("/",), ()), False, False)),
        Step("tick", (2, Ticks(("daily_sales",), (), (), ()), False, False)),
        Step("names", (1, "daily_sales\n  日报_sales  \n\ndaily_sales", "generate", False)),
        Step("names", (0, "Daily_Sales\na b\ngone_job", "generate", False)),
        Step("names", (0, "a\nb\nc\nd\ne", "check", False)),
        Step("names", (4, "\n  \n", "generate", False)),
        Step("names", (4, "daily_sales\n   \nZürich_load", "check", True)),
        Step("workspace", (0, "all", "", " 生产 ")),
        Step("later", (1,)),
        Step("edit", ("ops.cleanup",)),
        Step("workspace", (1, "sinceLastExport", "", "")),
        Step("workspace", (4, "since", "today", "")),
        Step("workspace", (0, "since", "2026-02-30", "")),
        Step("workspace", (3, "all", "", ""), "bad"),
    )
