"""Generated stories of system tasks (``tests/unit/services/test_generated_tasks.py``): in two
workspaces, small imports (some refused by a job no workspace takes, some ``PER_OBJECT``
ending with a warning), plans, exports, rollbacks asked now or queued as tasks and run later
(or claimed by a server process that dies, failed by a heartbeat four beats on), the clock
moving on by hours or days (or standing still: two tasks started in one
millisecond), and the housekeeping sweep, under drawn
``JOBFERRY_TASK_LINES_DAYS`` and ``JOBFERRY_ROLLBACK_DAYS``.

:class:`~support.task_model.Model` says what every task must say after each step, and what
each rollback is refused with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from jobferry.domain.enums import TaskKind
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry
from jobferry.services.importing.request import parse_import_request
from jobferry.services.retention import Retention
from jobferry.services.tasks import TaskService
from support.builders import make_job
from support.planning import jobs_with_dependencies, upload, write_objects
from support.release_stories import Step
from support.task_model import BAD_JOB

JOBS = ("ja", "jb", "jc")
HOUR_MS = 3600 * 1000
MOVES = (HOUR_MS, 6 * HOUR_MS, 23 * HOUR_MS, DAY_MS, DAY_MS + HOUR_MS, 2 * DAY_MS, 3 * DAY_MS)
"""How far the clock moves in one step."""
TICK_MS = 1000
"""How far the clock moves before every step but one after ``still``, which starts in the
same millisecond as the step before it (tasks started at once: newest first is then by id)."""


@dataclass(frozen=True)
class TaskStory:
    """The sweep's settings (days; 0: never), how many days the download center keeps a
    package, and the steps."""

    lines_days: int
    rollback_days: int
    ttl_days: int
    steps: tuple[Step, ...]


_WS = st.integers(0, 1)
_JOBS = st.lists(st.sampled_from(JOBS), min_size=1, max_size=2, unique=True).map(
    lambda names: tuple(sorted(names))
)


def _steps() -> st.SearchStrategy[Step]:
    return st.one_of(
        st.builds(lambda *a: Step("import", a), _WS, _JOBS, st.booleans(), st.booleans()),
        st.builds(lambda *a: Step("import", a), _WS, _JOBS, st.just(False), st.just(False)),
        st.builds(lambda *a: Step("plan", a), _WS, _JOBS, st.booleans()),
        st.builds(lambda *a: Step("export", a), _WS),
        st.builds(lambda *a: Step("rollback", a), _WS, st.integers(0, 30), st.booleans()),
        st.builds(lambda *a: Step("queue", a), _WS, st.integers(0, 30), st.booleans()),
        st.just(Step("run")),
        st.just(Step("crash")),
        st.just(Step("beat")),
        st.builds(lambda ms: Step("clock", (ms,)), st.sampled_from(MOVES)),
        st.just(Step("sweep")),
        st.just(Step("still")),
    )


@st.composite
def task_stories(draw: st.DrawFn) -> TaskStory:
    """A story of 4 to 10 steps under drawn days of the sweep's two settings."""
    return TaskStory(
        lines_days=draw(st.integers(0, 2)),
        rollback_days=draw(st.integers(0, 2)),
        ttl_days=draw(st.integers(1, 2)),
        steps=tuple(draw(st.lists(_steps(), min_size=4, max_size=10))),
    )


def package(folder: Path, look: int, jobs: tuple[str, ...], bad: bool) -> Path:
    """A package of ``jobs`` in their ``look`` (a new one each import, so every job is
    written), with a job no workspace takes when ``bad``."""
    made = [make_job(name, description=f"look {look}") for name in jobs]
    if bad:
        made.append(make_job(BAD_JOB, processType="SOMETIMES"))
    return write_objects(folder / f"p{look}.zip", jobs_with_dependencies(*made))


def run_import(services: Services, scope: Scope, path: Path, body: dict[str, Any]) -> str:
    """Upload ``path`` and import it with ``body``'s options, on this thread; the task id."""
    request = {"path": upload(services, scope, path), "sameNamePolicy": "OVERWRITE", **body}
    prepared = services.imports.prepare(scope, parse_import_request(request))
    services.imports.run(prepared)
    return prepared.task_id


def run_export(services: Services, scope: Scope) -> tuple[str, str]:
    """A whole workspace's export, queued and run on this thread; the task id, and its
    package's id in the download center."""
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)
    result = services.tasks.show(scope, prepared.task_id).outcome
    return prepared.task_id, str(result["downloadId"])


def run_queued_rollbacks(services: Services) -> list[str]:
    """Claim and run every queued rollback task, oldest first; their ids."""
    ran = []
    while (claimed := services.tasks.claim([TaskKind.ROLLBACK])) is not None:
        services.rollback.run(claimed)
        ran.append(claimed.id)
    return ran


def crash(services: Services) -> str | None:
    """Another server process claims the oldest queued rollback task and dies before running
    it (it never beats again); the task's id."""
    gone = TaskService(services.db, heartbeat_seconds=services.tasks.heartbeat_ms // 1000)
    gone.register_worker()
    claimed = gone.claim([TaskKind.ROLLBACK])
    return claimed.id if claimed is not None else None


def sweep(services: Services, story: TaskStory, now: int) -> None:
    """The housekeeping sweep of packages, task lines and rollbacks at ``now``, under the
    story's days."""
    services.downloads.sweep(now)
    Retention(services.db, story.lines_days, 0).sweep(now)
    RollbackExpiry(services.db, story.rollback_days).sweep(now)


def expired_while_queued() -> TaskStory:
    """An import queued for its rollback (an import is refused meanwhile, a plan is not),
    then past its day before the rollback ran: the task fails, saying it expired; its lines
    go the next day."""
    steps = (
        Step("import", (0, ("ja",), False, False)),
        Step("queue", (0, 0, True)),
        Step("import", (0, ("jb",), False, False)),
        Step("plan", (0, ("jb",), False)),
        Step("clock", (DAY_MS + 1000,)),
        Step("sweep"),
        Step("run"),
        Step("rollback", (0, 0, True)),
        Step("clock", (DAY_MS,)),
        Step("sweep"),
    )
    return TaskStory(1, 1, 1, steps)


def warned_then_rolled_back() -> TaskStory:
    """A per-object import with a warning, a refused one, a plan, an export; the first
    rolled back, a later one using what it made refused."""
    steps = (
        Step("import", (1, ("ja", "jb"), True, True)),
        Step("import", (1, ("jc",), True, False)),
        Step("plan", (1, ("jc",), True)),
        Step("export", (1,)),
        Step("import", (1, ("jc",), False, False)),
        Step("rollback", (1, 0, True)),
        Step("rollback", (1, 4, True)),
        Step("rollback", (1, 0, True)),
        Step("rollback", (0, 0, False)),
    )
    return TaskStory(2, 0, 2, steps)


def refused_then_past_its_days() -> TaskStory:
    """A refused import (nothing imported) past the rollbacks' days: it never could be rolled
    back, so the sweep leaves it saying nothing of an expiry; a finished one beside it
    expires."""
    steps = (
        Step("import", (0, ("ja",), True, False)),
        Step("import", (0, ("jb",), False, False)),
        Step("clock", (2 * DAY_MS,)),
        Step("sweep"),
        Step("rollback", (0, 0, True)),
        Step("rollback", (0, 1, True)),
    )
    return TaskStory(0, 1, 1, steps)


def claimed_by_a_process_that_died() -> TaskStory:
    """A queued rollback claimed by a process that dies: it holds the import lock (an import
    is refused) until a heartbeat four beats on fails it; the import can then be rolled back
    (or imported over)."""
    steps = (
        Step("import", (1, ("jb",), False, False)),
        Step("queue", (1, 0, True)),
        Step("crash"),
        Step("beat"),
        Step("import", (1, ("jc",), False, False)),
        Step("run"),
        Step("clock", (HOUR_MS,)),
        Step("beat"),
        Step("rollback", (1, 0, True)),
        Step("import", (1, ("jc",), False, False)),
    )
    return TaskStory(0, 0, 1, steps)
