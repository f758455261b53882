"""Generated stories of what a workspace keeps as time passes (``support/retention_stories.py``):
imports, plans kept and applied, an import accepted and left queued then run, rollbacks of
the newest import, the clock moving on by minutes to days, and the housekeeping sweeps under
one of a few profiles of ``JOBFERRY_TASK_LINES_DAYS``, ``JOBFERRY_ROLLBACK_DAYS`` and
``JOBFERRY_DOWNLOAD_TTL_SECONDS``. After every step the workspace keeps the promises of
docs/settings.md, docs/operations.md ("What the database keeps") and docs/api.md
(``support/retention_model.py`` says them):

- the task list holds exactly the imports run and the one queued, newest first, ``total``
  right; an import's lines are every object of its package until the sweep past its days
  drops them, then its view, its page of lines and the list say when, after how many days
  and how many (``subtasksDropped``) and list none, its status and result kept; a task
  queued keeps everything whatever its age;
- an import's rollback expires with the sweep past its days (but while a rollback task
  accepted before then waits for it, queued: that task then rolls it back), its view says so
  (``rollbackExpired``; one rolled back says ``rolledBack`` alone) and its rollback is refused
  ``DLF.9016`` ``expired`` naming the task and the setting, changing nothing; one rolled back
  is refused ``rolled_back``;
- a kept plan is read until the sweep past the TTL forgets it, then reading it or importing
  naming it is refused ``DLF.9015`` naming the plan, the TTL and the fix, and makes no task;
  past its ``keptUntil`` (the TTL), before the sweep, importing naming it is refused the
  same way (said of the plan, before its upload, gone with it, is looked for);
- an import accepted while its plan and upload were kept runs to its end, however long it
  waited queued and whatever the sweeps meanwhile.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.expiry import RollbackExpiry
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.importing.service import PreparedImport
from jobferry.services.retention import LinesDropped, Retention
from jobferry.storage.importing.expiry import Expiry
from support.builders import make_job
from support.clock import Clock, held_clock
from support.import_stories import generated
from support.planning import jobs_with_dependencies, run_import, upload, workspace, write_objects
from support.release_stories import Step
from support.retention_model import DAY_MS, Imported, KeptPlan, Model
from support.retention_stories import (
    TICK_MS,
    RetentionStory,
    expired_then_rolled_back,
    queued_past_the_ttl,
    retention_stories,
    rollback_queued_past_its_days,
)
from support.task_stories import run_queued_rollbacks

pytestmark = pytest.mark.fuzz
GENERATED = generated(3)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
START = 1_900_000_000_000
"""Where the first story's clock starts (epoch ms); each later one of a run 400 days on."""


class Story:
    """A story being told: the services, the workspace, the model, the clock."""

    def __init__(self, services: Services, told: RetentionStory, folder: Path, clock: Clock):
        self.services, self.folder, self.clock = services, folder, clock
        self.n = next(_SERIAL)
        self.scope: Scope = workspace(services, f"keep{self.n}")
        self.model = Model(told.profile)
        self.looks = itertools.count(1)
        self.prepared: PreparedImport | None = None

    def package(self, names: tuple[str, ...]) -> tuple[str, int]:
        """A new look of the jobs ``names`` uploaded: its path, how many objects it holds."""
        n = next(self.looks)
        objects = jobs_with_dependencies(*(make_job(j, description=f"look {n}") for j in names))
        path = upload(self.services, self.scope, write_objects(self.folder / f"p{n}.zip", objects))
        return path, len(objects)

    def body(self, path: str, plan_id: str | None = None) -> dict[str, str]:
        body = {"path": path, "sameNamePolicy": "OVERWRITE"}
        return body | ({"planId": plan_id} if plan_id else {})

    def task_ids(self) -> list[str]:
        return [t.id for t in self.services.tasks.list_tasks(self.scope, limit=100).tasks]


# -- the steps -------------------------------------------------------------------------------


def _busy(story: Story) -> bool:
    """Whether a queued import or rollback task holds the workspace's import lock."""
    return story.model.queued is not None or story.model.undoing is not None


def _import(story: Story, step: Step) -> None:
    if _busy(story):
        return
    path, objects = story.package(step.args[0])
    task = run_import(story.services, story.scope, path)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert len(task.subtasks) == objects  # every object of its package, a line each
    story.model.imported(task.id, story.clock.now, objects)


def _plan(story: Story, step: Step) -> None:
    if _busy(story):
        return
    path, _ = story.package(step.args[0])
    plan = story.services.imports.plan(story.scope, parse_import_request(story.body(path)))
    assert isinstance(plan, Plan)
    story.model.plans.append(KeptPlan(plan.plan_id, path, story.clock.now, story.model.writes))


def _appliable(story: Story) -> KeptPlan | None:
    """The newest plan, when nothing was written since it (else its import is stale)."""
    plan = story.model.newest_plan()
    if _busy(story) or plan is None or plan.basis != story.model.writes:
        return None
    return plan


def _apply(story: Story, _: Step) -> None:
    plan = _appliable(story)
    if plan is None:
        return
    before = story.task_ids()
    body = story.body(plan.path, plan.plan_id)
    if plan.forgotten or story.model.past_ttl(plan, story.clock.now):
        with pytest.raises(JobferryError) as refused:
            story.services.imports.prepare(story.scope, parse_import_request(body), own=True)
        # swept, or past its keptUntil though the sweep has not run yet: said of the plan,
        # before its upload (gone with it) is looked for
        _forgotten(refused.value, plan)
        assert story.task_ids() == before  # no task made
        event(f"apply refused: {'forgotten' if plan.forgotten else 'past the TTL'}")
        return
    task = run_import(story.services, story.scope, plan.path, planId=plan.plan_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    story.model.imported(task.id, story.clock.now, len(task.subtasks))
    event("apply")


def _queue(story: Story, _: Step) -> None:
    plan = _appliable(story)
    if plan is None or plan.forgotten or story.model.past_ttl(plan, story.clock.now):
        return
    body = story.body(plan.path, plan.plan_id)
    prepared = story.services.imports.prepare(story.scope, parse_import_request(body))
    story.model.queued = (prepared.task_id, plan.plan_id)
    story.prepared = prepared
    event("queue")


def _run(story: Story, _: Step) -> None:
    if story.model.undoing is not None:
        task_id, undone = story.model.undoing
        assert run_queued_rollbacks(story.services) == [task_id]
        task = story.services.tasks.show(story.scope, task_id)
        assert task.status == TaskStatus.SUCCESSFUL, task.message
        undone.rolled_back, story.model.undoing = True, None
        story.model.writes += 1
        event("run the queued rollback")
    if story.model.queued is None:
        return
    task_id = story.model.queued[0]
    assert story.prepared is not None
    story.services.imports.run(story.prepared)
    task = story.services.tasks.show(story.scope, task_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    story.model.queued = None
    story.model.imported(task_id, story.clock.now, len(task.subtasks))
    event("run the queued import")


def _rollback(story: Story, step: Step) -> None:
    if _busy(story) or not story.model.imports:
        return
    newest, later = story.model.imports[-1], step.args[0]
    rule = story.model.rollback_refusal(newest)
    rollback = story.services.rollback
    if rule is None and later:  # queued as a task of its own (Prefer: respond-async)
        task_id = rollback.start(story.scope, newest.task_id)
        story.model.undoing = (task_id, newest)
        story.model.rollbacks.append(task_id)
        event("rollback queued")
        return
    if rule is None:
        rollback.rollback(story.scope, newest.task_id)
        newest.rolled_back = True
        story.model.writes += 1
        event("rollback")
        return
    before = story.services.tasks.show(story.scope, newest.task_id)
    asked = rollback.start if later else rollback.rollback
    with pytest.raises(JobferryError) as refused:
        asked(story.scope, newest.task_id)
    error = refused.value
    assert (error.code, error.context.get("rule")) == ("DLF.9016", rule), error.message
    assert newest.task_id in error.message
    if rule == "expired":
        assert "JOBFERRY_ROLLBACK_DAYS" in error.message
    assert story.services.tasks.show(story.scope, newest.task_id) == before
    event(f"rollback refused: {rule}")


def _sweep(story: Story, _: Step) -> None:
    profile, services, now = story.model.profile, story.services, story.clock.now
    Retention(services.db, profile.lines_days, 0).sweep(now)
    RollbackExpiry(services.db, profile.rollback_days).sweep(now)
    services.imports.sweep(now)
    story.model.sweep(now)


ACTS: dict[str, Callable[[Story, Step], None]] = {
    "import": _import,
    "plan": _plan,
    "apply": _apply,
    "queue": _queue,
    "run": _run,
    "rollback": _rollback,
    "clock": lambda story, step: story.clock.move(step.args[0]) and None,
    "sweep": _sweep,
}


# -- the checks ------------------------------------------------------------------------------


def _forgotten(error: JobferryError, plan: KeptPlan) -> None:
    """A kept plan swept: refused naming the plan, the TTL and the fix."""
    assert error.code == "DLF.9015", error.message
    assert plan.plan_id in error.message
    assert "TTL" in error.message
    assert "plan" in error.problem
    assert error.message != error.problem  # a fix is said


def _check_import(story: Story, done: Imported) -> None:
    tasks = story.services.tasks
    shown = tasks.show(story.scope, done.task_id)
    page = tasks.subtasks(story.scope, done.task_id, offset=0, limit=100)
    assert shown.status == TaskStatus.SUCCESSFUL
    if done.dropped is None:
        assert (shown.lines_dropped, page.dropped) == (None, None)
        assert len(shown.subtasks) == page.total == done.lines
    else:
        dropped = LinesDropped(*done.dropped)
        assert (shown.lines_dropped, page.dropped) == (dropped, dropped)
        assert (shown.subtasks, page.total, page.subtasks) == ([], 0, [])
    assert (shown.rolled_back is not None) == done.rolled_back
    expired = None if done.expired is None or done.rolled_back else Expiry(*done.expired)
    assert shown.rollback_expired == expired, done


def _check_list(story: Story) -> None:
    listed = story.services.tasks.list_tasks(story.scope, limit=100)
    expected = [done.task_id for done in story.model.imports] + story.model.rollbacks
    if story.model.queued is not None:
        expected.append(story.model.queued[0])
    assert listed.total == len(expected)
    # newest first; tasks started in one millisecond in any order
    assert sorted(t.id for t in listed.tasks) == sorted(expected)
    starts = [t.start_time for t in listed.tasks]
    assert starts == sorted(starts, reverse=True)
    by_id = {done.task_id: done for done in story.model.imports}
    for task in listed.tasks:
        done = by_id.get(task.id)
        if done is None:  # a rollback task (no lines), or the queued import (lines whole)
            running = story.model.queued, story.model.undoing
            queued = {held[0] for held in running if held is not None}
            assert (task.status == TaskStatus.RUNNING) == (task.id in queued), task.id
            assert task.lines_dropped is None, task.id
            continue
        said = None if done.dropped is None else LinesDropped(*done.dropped)
        assert task.lines_dropped == said, done


def _check_plans(story: Story) -> None:
    for plan in story.model.plans:
        if not plan.forgotten:
            assert story.services.imports.plans.plan(story.scope, plan.plan_id).plan_id
            continue
        with pytest.raises(JobferryError) as refused:
            story.services.imports.plans.plan(story.scope, plan.plan_id)
        _forgotten(refused.value, plan)


def _check(story: Story) -> None:
    _check_list(story)
    for done in story.model.imports:
        _check_import(story, done)
    _check_plans(story)


def _tell(services: Services, told: RetentionStory, folder: Path) -> None:
    n = next(_SERIAL)
    ttl, settings = services.imports.packages.ttl_seconds, services.imports.settings
    with held_clock(START + n * 400 * DAY_MS) as clock:
        services.imports.packages.ttl_seconds = told.profile.ttl_seconds
        services.imports.settings = settings.model_copy(
            update={"download_ttl_seconds": told.profile.ttl_seconds}
        )
        try:
            story = Story(services, told, folder, clock)
            _check(story)
            for step in told.steps:
                clock.move(TICK_MS)
                ACTS[step.act](story, step)
                _check(story)
            _run(story, Step("run"))  # nothing left queued for the next story to claim
            _check(story)
        finally:
            services.imports.packages.ttl_seconds, services.imports.settings = ttl, settings


@GENERATED
@given(told=retention_stories())
@example(told=queued_past_the_ttl())
@example(told=expired_then_rolled_back())
@example(told=rollback_queued_past_its_days())
def test_retention_stories_keep_what_the_docs_promise(
    services: Services, tmp_path: Path, told: RetentionStory
) -> None:
    note(repr(told))
    _tell(services, told, tmp_path)
