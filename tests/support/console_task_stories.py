"""Generated stories of the console's Tasks page, a task's page and the download center
(``tests/console/test_generated_tasks.py``): two workspaces made through the services, each
with imports (one written whole, one per object ending with a warning, one rolled back), a
plan, an export in the download center and one whose package expired; then steps by users of
every role (each with another role in the second workspace): the Tasks page with its filter and
pages, a task's page, *Roll back this import*, the download center, a package's file, its
*Delete* and its *Import into…* (this workspace, the other, none, one that is not there), on
the workspace's own objects, the other workspace's and ids that name nothing; and the clock
moving on minutes, past the packages' expiry.

:class:`~support.console_task_model.Model` says what each answers and shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import strategies as st

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.clock import Clock
from support.console_task_model import ROLES, Held, Model
from support.release_stories import Step
from support.task_stories import package, run_export, run_import

SECOND_MS = 1000
DAY_MS = 86_400_000
_USER = st.integers(0, len(ROLES) - 1)
_WS = st.integers(0, 1)
_TARGET = st.one_of(
    st.tuples(st.just("own"), st.integers(0, 20)),
    st.tuples(st.just("other"), st.integers(0, 20)),
    st.just(("unknown", 0)),
)
_KIND = st.one_of(st.none(), st.sampled_from(list(TaskKind)))
_STATUS = st.one_of(st.none(), st.sampled_from(list(TaskStatus)))
IMPORTS = (
    (1, ("ja",), False, False),
    (2, ("jb",), True, False),
    (3, ("jb",), False, True),
    (4, ("jc",), False, False),
)
"""The imports a workspace starts with: the package's look, its jobs, whether it carries a job
no workspace takes (imported per object: a warning), and whether it is a plan (the last one is
rolled back)."""
_DAY = st.sampled_from(["", "today", "month ago", "not a day"])
_INTO = st.sampled_from(["own", "other", "none", "unknown"])
LATER_MS = (2 * 60 * 1000, 5 * 60 * 1000)
"""How far a step moves the clock: a story's ten steps move it less than the hour after which
a console session unused ends."""


def _steps() -> st.SearchStrategy[Step]:
    def step(act: str, *args: st.SearchStrategy[object]) -> st.SearchStrategy[Step]:
        return st.tuples(*args).map(lambda drawn: Step(act, drawn))

    return st.one_of(
        step("list", _USER, _WS, _KIND, _STATUS, _DAY, st.integers(0, 14)),
        step("open", _USER, _WS, _TARGET),
        step("rollback", _USER, _WS, _TARGET),
        step("rollback", st.integers(0, 1), _WS, _TARGET),
        step("center", _USER, _WS),
        step("file", _USER, _WS, _TARGET),
        step("delete", _USER, _WS, _TARGET),
        step("import", _USER, _WS, _TARGET, _INTO),
        step("later", st.sampled_from(LATER_MS)),
    )


def task_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 3 to 10 steps."""
    return st.lists(_steps(), min_size=3, max_size=10).map(tuple)


def utc_day(ms: int) -> str:
    """The UTC day of epoch ms ``ms``, as the filter's date field writes it."""
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def _import(
    services: Services, scope: Scope, path: Path, *, dry: bool = False, each: bool = False
) -> str:
    """Import (or plan, ``dry``) ``path``, per object when ``each``: the task's id, however it
    ended (a refusal before a task: ``""``)."""
    body: dict[str, object] = {"dryRun": True} if dry else {}
    if each:
        body["mode"] = "PER_OBJECT"
    return run_import(services, scope, path, body)


def fill(
    services: Services, scope: Scope, ws: int, model: Model, clock: Clock, folder: Path
) -> None:
    """Give workspace ``ws`` its tasks through the services, a second apart, each noted in
    the model as the services show it: an export whose package expired (made a month ago),
    an export, an import, one per object with a job no workspace takes (a warning), a plan, and
    an import rolled back since."""
    now = clock.now
    clock.now = now - 30 * DAY_MS
    _note(services, scope, ws, model, run_export(services, scope)[0])
    clock.now = now
    _note(services, scope, ws, model, run_export(services, scope)[0])
    made = ""
    for look, jobs, bad, dry in IMPORTS:
        clock.move(SECOND_MS)
        path = package(folder, 10 * ws + look, jobs, bad)
        made = _import(services, scope, path, dry=dry, each=bad)
        _note(services, scope, ws, model, made)
    services.rollback.rollback(scope, made)
    tasks = model.tasks[ws]
    tasks[-1] = Held(**{**tasks[-1].__dict__, "rolled_back": True})
    clock.move(SECOND_MS)


def _note(services: Services, scope: Scope, ws: int, model: Model, task_id: str) -> None:
    """Note task ``task_id`` of workspace ``ws`` in the model as the services show it."""
    task = services.tasks.show(scope, task_id)
    result = task.outcome
    model.add(
        ws,
        Held(
            task.id,
            task.kind,
            task.status,
            utc_day(task.start_time),
            wrote=bool(result.get("written")),
            download=str(result.get("downloadId") or ""),
        ),
    )


def packages_used_then_gone() -> tuple[Step, ...]:
    """A story every run tells: the first workspace's package (its second task, the export
    still kept) opened, imported into both workspaces (by an admin there, a developer in the
    other), refused to an operator and without a workspace chosen, then deleted: its page
    says it is gone and its *Import into…* is the 404 page; the clock moves past the second
    workspace's package's expiry, and its page says so too."""
    kept = ("own", 1)
    return (
        Step("open", (0, 0, kept)),
        Step("open", (2, 0, kept)),
        Step("import", (0, 0, kept, "own")),
        Step("import", (0, 0, kept, "other")),
        Step("import", (1, 1, kept, "own")),
        Step("import", (1, 0, kept, "none")),
        Step("delete", (1, 0, kept)),
        Step("open", (0, 0, kept)),
        Step("open", (2, 0, kept)),
        Step("import", (0, 0, kept, "own")),
        Step("later", (LATER_MS[1],)),
        Step("later", (LATER_MS[1],)),
        Step("open", (3, 1, kept)),
        Step("center", (3, 1)),
        Step("import", (3, 1, kept, "none")),
    )
