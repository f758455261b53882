"""Generated stories of system tasks (``support/task_stories.py``): imports (some refused,
some ``PER_OBJECT`` with a warning), plans, exports and rollbacks (asked now, or queued as a
task and run later) in two workspaces, the clock moving on by hours and days, and the
housekeeping sweep dropping task lines (``JOBFERRY_TASK_LINES_DAYS``) and what imports
replaced (``JOBFERRY_ROLLBACK_DAYS``). After every step, whatever the story, the tasks keep
the promises of docs/api.md and docs/operations.md (``support/task_model.py`` says them):

- the task list reads every task of the workspace once, newest first, with ``total`` right:
  whole, by each status (in any case) and kind, within windows of start times (``since``
  included, ``until`` not, either open), and a page at a time in both offset modes (rows,
  pages); a task of the other workspace is none of this one's (DLF.0810);
- each task says its kind, status, times, counts and, exactly when the model says so,
  ``rolledBack``, ``rollingBack``, ``rollbackExpired`` and ``subtasksDropped``;
- a task's subtasks read a page at a time are its lines, each once and in order, ``total``
  right; once dropped, none, saying so;
- a rollback is taken or refused, with the documented code and rule, exactly as the model
  says, and says what it undid; a refused one changes nothing; a queued one fails with the
  refusal the call would have answered;
- the download center lists each export's package, newest first, until it expires.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.errors import JobferryError, TaskNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.expiry import DAY_MS
from jobferry.services.retention import LinesDropped
from jobferry.services.taskviews import RolledBack, Task
from jobferry.settings import OffsetMode
from jobferry.storage.importing.expiry import Expiry
from support.clock import Clock, held_clock
from support.import_stories import generated
from support.planning import workspace
from support.release_stories import Step
from support.task_model import Held, Model
from support.task_stories import (
    TICK_MS,
    TaskStory,
    claimed_by_a_process_that_died,
    crash,
    expired_while_queued,
    package,
    refused_then_past_its_days,
    run_export,
    run_import,
    run_queued_rollbacks,
    sweep,
    task_stories,
    warned_then_rolled_back,
)
from support.workspace_state import workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(4)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
START = 1_900_000_000_000
"""Where each story's clock starts (epoch ms)."""
SUBTASK_PAGE = 4
TASK_PAGE = 3


def _check_task(shown: Task, held: Held, model: Model) -> None:
    """A task as shown (alone or listed) agrees with the model."""
    what = (held.kind, held.id)
    assert (shown.kind, shown.status) == (held.kind, held.status), (what, shown.message)
    assert (shown.start_time, shown.end_time) == (held.start, held.end), what
    shown_since = held.end or held.claimed or held.start
    assert shown.last_update == shown_since, what
    assert shown.rolled_back == (RolledBack(*held.rolled_back) if held.rolled_back else None)
    # an import rolled back says so, not that its rollback expired (the sweep passed it too)
    expired = held.expired if held.rolled_back is None else None
    assert shown.rollback_expired == (Expiry(*expired) if expired else None), what
    assert shown.rolling_back == model.rolling_back(held), what
    assert shown.lines_dropped == (LinesDropped(*held.dropped) if held.dropped else None), what
    if held.end is None:  # queued, or claimed: RUNNING at 0, saying so
        said = "Starting." if held.claimed else "Queued: waiting"
        assert (shown.progress, shown.message[: len(said)]) == (0, said), what
    elif held.status is not TaskStatus.FAILED:
        assert shown.progress == 100, what


def _check_answer(
    services: Services, scope: Scope, held: Held, model: Model, *, paged: bool
) -> None:
    """A task's own answer, its counts and its subtasks, read whole and (``paged``) its first
    few alone, then a page at a time."""
    shown = services.tasks.show(scope, held.id)
    _check_task(shown, held, model)
    if held.kind is TaskKind.IMPORT and held.status is not TaskStatus.FAILED:
        counts = (shown.outcome["written"], shown.outcome["failed"])
        assert counts == (len(held.written), held.failed), held.id
    whole = [line["id"] for line in shown.subtasks]
    assert sorted(whole) == sorted(held.lines), held.id
    assert len(set(whole)) == len(whole), held.id
    if not paged:
        return
    first = services.tasks.show(scope, held.id, subtasks=SUBTASK_PAGE)
    assert [line["id"] for line in first.subtasks] == whole[:SUBTASK_PAGE], held.id
    assert first.subtasks_total == (len(whole) if len(whole) > SUBTASK_PAGE else None), held.id
    read: list[str] = []
    dropped = LinesDropped(*held.dropped) if held.dropped else None
    for offset in itertools.count(0, SUBTASK_PAGE):
        page = services.tasks.subtasks(scope, held.id, offset=offset, limit=SUBTASK_PAGE)
        assert (page.total, page.dropped) == (len(held.lines), dropped), held.id
        read += [line["id"] for line in page.subtasks]
        if len(page.subtasks) < SUBTASK_PAGE:
            break
    assert read == whole, held.id


def _listed(services: Services, scope: Scope, expected: list[Held], **given: object) -> list[Task]:
    """The list filtered by ``given``: the ``expected`` tasks, newest first, total right."""
    found = services.tasks.list_tasks(scope, limit=100, **given)  # type: ignore[arg-type]
    assert [t.id for t in found.tasks] == [t.id for t in expected], given
    assert found.total == len(expected), given
    return found.tasks


def _check_paging(services: Services, scope: Scope, expected: list[Held]) -> None:
    """The list read a few tasks a page, in either offset mode, reads each task once."""
    mode = services.tasks.offset_mode
    try:
        for services.tasks.offset_mode in (OffsetMode.ROW, OffsetMode.PAGE):
            step = TASK_PAGE if services.tasks.offset_mode is OffsetMode.ROW else 1
            read: list[str] = []
            for offset in itertools.count(0, step):
                page = services.tasks.list_tasks(scope, limit=TASK_PAGE, offset=offset)
                assert page.total == len(expected), services.tasks.offset_mode
                read += [t.id for t in page.tasks]
                if len(page.tasks) < TASK_PAGE:
                    break
            assert read == [t.id for t in expected], services.tasks.offset_mode
    finally:
        services.tasks.offset_mode = mode


def _check_filters(
    services: Services, scope: Scope, expected: list[Held], *, every: bool = False
) -> None:
    """The list by each status and kind the workspace's tasks have (``every``: and a kind
    they have none of), within a window of their start times (``every``: each window, else
    one of the three in turn), and a page at a time."""
    for n, status in enumerate(sorted({t.status for t in expected})):
        said = status.value if n % 2 else status.value.lower()  # any case
        _listed(services, scope, [t for t in expected if t.status is status], status=said)
    kinds = {t.kind for t in expected} | ({TaskKind.REFRESH} if every else set())
    for kind in kinds:
        _listed(services, scope, [t for t in expected if t.kind is kind], kind=kind.value)
    if expected:
        since, newest = expected[len(expected) // 2].start, expected[0].start
        until = newest + len(expected) % 2 if newest > since else since + 1
        windows = ((since, until), (since, None), (None, since))
        for window in windows if every else windows[len(expected) % 3 :][:1]:
            low, high = window[0] or 0, window[1] or newest + 1
            within = [t for t in expected if low <= t.start < high]
            _listed(services, scope, within, window=window)
    _check_paging(services, scope, expected)


def _check_workspace(
    services: Services,
    scope: Scope,
    model: Model,
    ws: int,
    now: int,
    *,
    listed: bool,
    paged: set[str],
    every: bool = False,
) -> None:
    """The workspace's tasks listed and answered as the model says at ``now``, and its
    download center; ``listed``: the filters and pages of the list too (read again when a
    step made a task or changed a status, what they select by); ``paged``: the tasks whose
    subtasks are read a page at a time too; ``every``: every filter (a story's end)."""
    kept = [d.id for d in services.downloads.list_downloads(scope).downloads]
    assert kept == model.downloads(ws, now)
    expected = model.of(ws)
    for shown, held in zip(_listed(services, scope, expected), expected, strict=True):
        _check_task(shown, held, model)
        assert (shown.result, shown.subtasks) == (None, []), held.id  # the task alone says them
    if listed:
        _check_filters(services, scope, expected, every=every)
    for held in expected:
        _check_answer(services, scope, held, model, paged=held.id in paged)


def _target(model: Model, ws: int, pick: int, mine: bool) -> str:
    """A task id a rollback names: one of the workspace's tasks, or of the other's (an id
    no task has when there is none)."""
    among = [t for t in model.tasks.values() if (t.workspace == ws) is mine]
    return among[pick % len(among)].id if among else "0" * 32


def _refused(error: JobferryError | None, expected: str | None, step: Step) -> None:
    """A rollback refused (or not) as ``expected`` says: a code, or a rule of DLF.9016."""
    if expected is None:
        assert error is None, f"{step!r} refused: {error}"
        return
    assert error is not None, f"{step!r} was taken; expected {expected}"
    if expected.startswith("DLF."):
        assert error.code == expected, (step, error.code, str(error))
    else:
        assert (error.code, error.context.get("rule")) == ("DLF.9016", expected), (step, error)


def _rollback(
    services: Services, scopes: list[Scope], model: Model, clock: Clock, step: Step
) -> None:
    ws, pick, mine = step.args
    scope, target = scopes[ws], _target(model, ws, pick, mine)
    asked = step.act == "queue"
    expected = model.at_once(ws, target, lock_first=False) if asked else model.refusal(ws, target)
    event(f"{step.act}: {expected or 'taken'}")
    before = workspace_state(services, scope.workspace.id)
    error: JobferryError | None = None
    try:
        made = services.rollback.start(scope, target) if asked else None
        done = None if asked else services.rollback.rollback(scope, target).as_result()
    except JobferryError as refused:
        error = refused
    _refused(error, expected, step)
    if error is not None:
        assert workspace_state(services, scope.workspace.id) == before, step
    elif made is not None:
        model.queue(made, ws, clock.now, target)
    else:
        assert done == {**done, **model.undone(target)}, step
        model.rolled_back(target, clock.now, scope.actor.name)


def _run_queued(services: Services, scopes: list[Scope], model: Model, clock: Clock) -> None:
    queued = [(t.id, t.workspace) for t in model.waiting()]
    assert run_queued_rollbacks(services) == [t for t, _ in queued]
    for task_id, ws in queued:
        undoes = model.tasks[task_id].undoes or ""
        undone = model.undone(undoes)
        rule = model.ran(ws, clock.now, scopes[ws].actor.name)
        result = services.tasks.show(scopes[ws], task_id).outcome
        if rule is None:  # the rollback call's answer
            assert result == {**result, **undone}, task_id
        else:  # the refusal the call would have answered
            assert (result["errorCode"], result["rule"]) == ("DLF.9016", rule), result
        event(f"queued rollback: {rule or 'taken'}")


def _import(
    services: Services, scopes: list[Scope], model: Model, step: Step, folder: Path, at: int
) -> None:
    ws, jobs, bad, *each = step.args
    scope, path = scopes[ws], package(folder, at, jobs, bad)
    refusal = model.import_refusal(ws) if step.act == "import" else None  # a plan: no lock
    options: dict[str, object] = {"dryRun": True} if step.act == "plan" else {}
    if each and each[0]:
        options["mode"] = "PER_OBJECT"
    task_id, code = "", None
    try:
        task_id = run_import(services, scope, path, options)
    except JobferryError as error:
        code = error.code
    assert code == refusal, step
    if code is not None:
        return
    if step.act == "plan":
        model.planned(task_id, ws, at, bad)
    else:
        model.imported(task_id, ws, at, jobs, bad, bool(each and each[0]))


def _touched(step: Step, model: Model) -> list[int]:
    """The workspaces whose tasks a step may change: the one it names, those whose queued
    rollbacks it runs, both for a sweep, none for the clock alone."""
    if step.act in ("clock", "still"):
        return []
    if step.act == "sweep":
        return [0, 1]
    if step.act in ("run", "crash", "beat"):
        return [ws for ws, task in enumerate(model.queued) if task is not None]
    return [step.args[0]]


def _act(
    services: Services,
    scopes: list[Scope],
    model: Model,
    clock: Clock,
    step: Step,
    story: TaskStory,
    folder: Path,
) -> None:
    """Take ``step`` (the model follows); packages are written in ``folder``."""
    if step.act in ("import", "plan"):
        _import(services, scopes, model, step, folder, clock.now)
    elif step.act == "export":
        ws = step.args[0]
        task_id, download = run_export(services, scopes[ws])
        model.exported(task_id, ws, clock.now, download)
    elif step.act in ("rollback", "queue"):
        _rollback(services, scopes, model, clock, step)
    elif step.act == "run":
        _run_queued(services, scopes, model, clock)
    elif step.act == "clock":
        clock.move(step.args[0])
    elif step.act == "still":
        pass  # the next step starts in the same millisecond
    elif step.act == "crash":
        crashed = model.crashed(clock.now)
        assert crash(services) == (crashed.id if crashed else None), step
    elif step.act == "beat":
        failed = model.beat(clock.now, clock.now - 4 * services.tasks.heartbeat_ms)
        assert sorted(services.tasks.heartbeat()) == sorted(t.id for t in failed), step
    else:
        sweep(services, story, clock.now)
        model.swept(clock.now)


def _tell(services: Services, story: TaskStory, folder: Path) -> None:
    n = next(_SERIAL)
    scopes = [workspace(services, f"tasks{n}_{side}") for side in ("a", "b")]
    model = Model(story.lines_days, story.rollback_days, story.ttl_days * DAY_MS)
    ttl, services.downloads.ttl_seconds = services.downloads.ttl_seconds, story.ttl_days * 86400
    try:
        _told(services, story, folder, scopes, model)
    finally:
        services.downloads.ttl_seconds = ttl


def _told(
    services: Services, story: TaskStory, folder: Path, scopes: list[Scope], model: Model
) -> None:
    still = False
    with held_clock(START) as clock:
        for step in story.steps:
            clock.move(0 if still else TICK_MS)
            still = step.act == "still"
            touched, known = _touched(step, model), set(model.tasks)
            statuses = [t.status for t in model.tasks.values()]
            _act(services, scopes, model, clock, step, story, folder)
            made = set(model.tasks) - known
            listed = bool(made) or statuses != [t.status for t in model.tasks.values()]
            paged = set(model.tasks) if step.act == "sweep" else made
            for ws in touched:
                _check_workspace(
                    services, scopes[ws], model, ws, clock.now, listed=listed, paged=paged
                )
        for ws, scope in enumerate(scopes):  # whole, at the end
            everything = set(model.tasks)
            _check_workspace(
                services, scope, model, ws, clock.now, listed=True, paged=everything, every=True
            )
        for held in model.tasks.values():  # a task of another workspace is none of this one's
            other = scopes[1 - held.workspace]
            with pytest.raises(TaskNotFoundError):
                services.tasks.show(other, held.id)
            with pytest.raises(TaskNotFoundError):
                services.tasks.subtasks(other, held.id, offset=0, limit=SUBTASK_PAGE)
        run_queued_rollbacks(services)  # the next story's queue starts empty, and no task of
        clock.move(DAY_MS)  # this one is left claimed by a process that died
        services.tasks.heartbeat()


@GENERATED
@given(story=task_stories())
@example(story=refused_then_past_its_days())
@example(story=claimed_by_a_process_that_died())
@example(story=expired_while_queued())
@example(story=warned_then_rolled_back())
def test_task_stories_keep_the_api_s_promises(
    services: Services, tmp_path: Path, story: TaskStory
) -> None:
    note(repr(story))
    _tell(services, story, tmp_path)
