"""What a system task is shown as (``TaskService`` reads them): the task, a page of tasks or
of a task's subtasks, and for an ended import its rollback, its rollback's expiry, or the
rollback task undoing it now."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.errors import InvalidRequestError
from jobferry.services.definitions.documents import load
from jobferry.services.retention import LinesDropped
from jobferry.storage import Tx
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import expiry as expiry_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.importing.expiry import Expiry
from jobferry.storage.tasks import TaskRecord


@dataclass(frozen=True)
class RolledBack:
    """When (epoch ms) and by whom an import was rolled back."""

    at: int
    by: str


@dataclass(frozen=True)
class Task:
    """A system task as it is shown: what it is, how far it got, and what it left.

    ``result`` is the document the task stored when it ended (its shape depends on the kind:
    an export's package, an import's summary, problems and plan); ``subtasks`` are the stored
    subtask documents (one per object of an import) this answer carries, ``subtasks_total``
    how many the task has when some were left out."""

    id: str
    name: str
    project_id: str
    kind: TaskKind
    status: TaskStatus
    message: str
    progress: int
    created_by: str
    start_time: int
    last_update: int
    end_time: int | None
    result: dict[str, Any] | None
    subtasks: list[dict[str, Any]] = field(default_factory=list)
    subtasks_total: int | None = None
    rolled_back: RolledBack | None = None
    """An import that was rolled back: when and by whom (``None``: it was not)."""
    rollback_expired: Expiry | None = None
    """An import past ``JOBFERRY_ROLLBACK_DAYS``: what it replaced was dropped, so it can no
    longer be rolled back (``None``: not so)."""
    rolling_back: str | None = None
    """An import a rollback task is undoing now, queued or running: that task's id."""
    lines_dropped: LinesDropped | None = None
    """A task past ``JOBFERRY_TASK_LINES_DAYS``: its subtasks were dropped, so ``subtasks`` is
    empty though it had some (``None``: they are kept, or it had none)."""

    @property
    def done(self) -> bool:
        """Whether the task ended (any status but RUNNING)."""
        return self.status is not TaskStatus.RUNNING

    @property
    def outcome(self) -> dict[str, Any]:
        """The stored result, ``{}`` while there is none."""
        return self.result or {}


@dataclass(frozen=True)
class TaskList:
    """A page of a workspace's tasks (without subtasks), and how many there are."""

    total: int
    tasks: list[Task]


@dataclass(frozen=True)
class SubtaskPage:
    """A page of a task's subtask documents, and how many the task has."""

    total: int
    subtasks: list[dict[str, Any]]
    dropped: LinesDropped | None = None
    """The task's lines were dropped (``JOBFERRY_TASK_LINES_DAYS``): none is left to page."""


@dataclass(frozen=True)
class TaskHead:
    """A task looked up for streaming: the task (its legacy inline subtasks, if any) and how
    many subtask rows follow it (read a page at a time with ``TaskService.subtask_pages``)."""

    task: Task
    subtask_rows: int


@dataclass(frozen=True)
class Rollbacks:
    """What became of the ended imports among some tasks: those rolled back (when, by whom),
    those that can no longer be (their expiry), and the one a rollback task is undoing now (its
    task's id)."""

    done: dict[str, tuple[int, str]] = field(default_factory=dict)
    expired: dict[str, Expiry] = field(default_factory=dict)
    running: dict[str, str] = field(default_factory=dict)
    undoing: dict[str, str] = field(default_factory=dict)
    """What a task whose work another process is still undoing says now (:data:`Telling`)."""


Telling = Callable[[Tx, Sequence[TaskRecord]], dict[str, str]]
"""Task id → what it says now, for those of some tasks whose work another server process has
yet to undo (a push whose process died: ``PushService.telling``), computed as they are read."""


def nothing_told(tx: Tx, tasks: Sequence[TaskRecord]) -> dict[str, str]:
    """No task's work is undone by another process."""
    return {}


FINISHED = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)
"""The statuses of an import that changed something a rollback could undo."""


def rollbacks_of(tx: Tx, tasks: Sequence[TaskRecord], telling: Telling = nothing_told) -> Rollbacks:
    """What became of the ended imports among ``tasks`` (:class:`Rollbacks`), and what those
    whose undo is not over say now (``telling``)."""
    told = telling(tx, tasks)
    imports = [t.id for t in tasks if t.kind == TaskKind.IMPORT and t.status != TaskStatus.RUNNING]
    if not imports:
        return Rollbacks(undoing=told)
    done = rollback_repo.rollbacks_of(tx, imports)
    # A failed import never could be rolled back, and one rolled back was: the sweep passes
    # them too, but their rollback did not expire (a failed one is refused as not finished,
    # a rolled-back one as rolled back already).
    finished = [
        t.id for t in tasks if t.id in imports and t.status in FINISHED and t.id not in done
    ]
    return Rollbacks(
        done,
        expiry_repo.expiries_of(tx, finished),
        _running(tx, {t.workspace_id for t in tasks}),
        told,
    )


def _running(tx: Tx, workspaces: set[str]) -> dict[str, str]:
    """Import → the rollback task holding its workspace's import lock, queued or running (one
    at most a workspace: the lock is the workspace's)."""
    found: dict[str, str] = {}
    for workspace in workspaces:
        holder = target_repo.lock_holder(tx, workspace)
        task = task_repo.get_task(tx, workspace, holder) if holder else None
        undone = _undoing(task)
        if task is not None and undone is not None:
            found[undone] = task.id
    return found


def _undoing(task: TaskRecord | None) -> str | None:
    """The import ``task`` undoes, when it is a rollback queued or running."""
    if task is None or task.kind != TaskKind.ROLLBACK or task.status != TaskStatus.RUNNING:
        return None
    return str(load(task.request or "{}").get("taskId"))


def shown(
    task: TaskRecord,
    *,
    subtasks: bool = True,
    rollbacks: Rollbacks | None = None,
) -> Task:
    """The record of a stored task (with the subtasks kept inline by older versions) and, for
    an import in ``rollbacks``, its rollback, its rollback's expiry, or the rollback task
    undoing it now; a task whose undo is not over says what ``rollbacks`` tells of it."""
    undoings = rollbacks or Rollbacks()
    undone = undoings.done.get(task.id)
    return Task(
        id=task.id,
        name=task.name,
        project_id=task.project_id,
        kind=TaskKind(task.kind),
        status=TaskStatus(task.status),
        message=undoings.undoing.get(task.id, task.message or ""),
        progress=task.progress,
        created_by=task.created_by,
        start_time=task.start_time,
        last_update=task.last_update,
        end_time=task.end_time,
        result=load(task.result) if task.result else None,
        subtasks=load(task.subtasks)["items"] if subtasks and task.subtasks else [],
        rolled_back=RolledBack(*undone) if undone is not None else None,
        rollback_expired=undoings.expired.get(task.id),
        rolling_back=undoings.running.get(task.id),
        lines_dropped=lines_dropped(task),
    )


def lines_dropped(task: TaskRecord) -> LinesDropped | None:
    """When and after how many days the task's lines were dropped, when it had any."""
    if task.lines_dropped_at is None or not task.lines_dropped:
        return None
    return LinesDropped(task.lines_dropped_at, task.lines_kept_days or 0, task.lines_dropped)


def checked_filter(kind: str | None, status: str | None) -> str | None:
    """The task list's ``status`` filter in upper case; refused, naming the parameter, when
    it or ``kind`` is not one."""
    kinds, statuses = ", ".join(TaskKind), ", ".join(TaskStatus)
    if kind is not None and kind not in set(TaskKind):
        raise InvalidRequestError(
            f"kind '{kind}' is not a task kind; use one of {kinds}.", parameter="kind"
        )
    status = status.upper() if status is not None else None
    if status is not None and status not in set(TaskStatus):
        raise InvalidRequestError(
            f"status '{status}' is not a task status; use one of {statuses}.",
            parameter="status",
        )
    return status
