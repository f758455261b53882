"""System tasks: long work (imports, exports) with the status the DataArts API reports.

An import, plan or export is accepted as a queued task: a row holding everything needed to run
it (the request, who asked, the workspace), RUNNING with progress 0 on the wire (DataArts has
no queued status). Any server process sharing the database claims it (``claim``) and runs it;
while it runs, the claiming process's heartbeat (its ``workers`` row) vouches for it, and a task
whose process stopped beating is failed by any other process (``heartbeat``). A server process
that starts alone on its database (no other holds a presence mark, ``storage/presence.py``)
fails the tasks its dead predecessors claimed at once (``register_worker``). A task whose end
this process could not record (the database went away under it) is failed by the process's next
heartbeat that reaches the database, in the beat's own transaction: a process never vouches for
a task it no longer runs.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from jobferry.domain.audit import check_time_window
from jobferry.domain.enums import Role, TaskKind, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ImportRunningError,
    JobferryError,
    StorageError,
    TaskNotFoundError,
)
from jobferry.services import taskviews
from jobferry.services.context import Actor, Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.support.paging import Given, page, window
from jobferry.services.taskends import OnThread, TaskEnds, UnrecordedEnds, when_ended
from jobferry.services.taskfailures import log_failed, orphaned
from jobferry.services.taskprogress import Progress
from jobferry.services.taskviews import SubtaskPage, Task, TaskHead, TaskList, rollbacks_of, shown
from jobferry.settings import OffsetMode
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import tasks as repo
from jobferry.storage import workers as worker_repo
from jobferry.storage.presence import Presence
from jobferry.storage.tasks import TaskRecord

log = logging.getLogger("jobferry.tasks")
SUBTASK_PAGE = 1000
DEFAULT_SUBTASKS = 200
"""A page of subtasks when the call names no ``limit``."""
QUEUED = "Queued: waiting for a server process with a free task thread."
CLAIMED = "Starting."
UNRUNNABLE = "This task cannot run any more: {why}. Nothing was changed; start it again."


def task_missing(task_id: str, workspace: str) -> TaskNotFoundError:
    """The refusal of a task id the workspace does not have (to show, follow or roll back)."""
    return TaskNotFoundError(
        f"Task [{task_id}] does not exist in workspace '{workspace}'.",
        fix="Name a taskId this workspace answered (GET /v1/{project_id}/system-tasks lists them).",
        remedy=Remedy.LIST_TASKS,
        task_id=task_id,
    )


@dataclass(frozen=True)
class ClaimedTask:
    """A queued task this process now owns: the request as ``prepare`` stored it, and the
    scope of who asked for it (their role in the workspace when it was accepted)."""

    id: str
    kind: TaskKind
    scope: Scope
    request: dict[str, Any]


@dataclass(frozen=True)
class QueuedTask:
    """A task queued in a workspace not the caller's (a refresh's, in the remote's shadow; a
    release rollback's, in the production side): its id, and that workspace (reading it)."""

    task_id: str
    workspace_id: str


def refusal_result(exc: JobferryError, kept: Sequence[str]) -> dict[str, Any]:
    """What a task failed by refusal ``exc`` keeps as its result: the error code, the HTTP
    status and the ``kept`` fields of the envelope the call would have answered (a client says
    it in its own terms from them)."""
    said = exc.envelope()
    found = {"errorCode": exc.code, "httpStatus": exc.status}
    return found | {key: said[key] for key in kept if key in said}


def lock_holding(tx: Tx, holder: str) -> TaskKind:
    """What the task holding a workspace's import lock does: a rollback, or an import."""
    return TaskKind.ROLLBACK if repo.kind_of(tx, holder) == TaskKind.ROLLBACK else TaskKind.IMPORT


def lock_held(running: TaskKind, workspace: str, holder: str, then: str) -> ImportRunningError:
    """The refusal of an import or rollback while task ``holder`` (``running`` an import or a
    rollback) holds ``workspace``'s import lock; ``then``: what to do once it ended."""
    return ImportRunningError(
        f"{running.value.capitalize()} task {holder} is running in workspace '{workspace}'; "
        "imports and rollbacks run one at a time.",
        fix=f"Wait for it (GET /v1/{{project_id}}/system-tasks/{holder}) and {then}.",
        remedy=Remedy.FOLLOW_TASK,
        task_id=holder,
        running=running.value,
    )


def _actor_json(scope: Scope) -> str:
    """Who queued a task, to run it as them: the actor, their role, and whether it releases
    into a production side (a release rollback)."""
    who: dict[str, Any] = {
        "userId": scope.actor.user_id,
        "name": scope.actor.name,
        "projectAdmin": scope.actor.is_project_admin,
        "role": scope.role.value,
    }
    if scope.releasing:
        who["releasing"] = True
    return dump(who)


class TaskService:
    """Create, advance, finish and show system tasks."""

    def __init__(
        self, db: Database, *, heartbeat_seconds: int, offset_mode: OffsetMode = OffsetMode.ROW
    ) -> None:
        self.db = db
        self.offset_mode = offset_mode
        self.worker_id = uuid.uuid4().hex
        self.heartbeat_ms = heartbeat_seconds * 1000
        self._presence: Presence | None = None
        self._unrecorded = UnrecordedEnds()
        """Ends ``abandon`` could not write (the database was away): the next beat does."""
        self.ends = TaskEnds()
        """The ends this process records, for callers waiting for one (``head(wait=…)``)."""
        self.progress = Progress(db)
        """How far running tasks got, said from inside a transaction too."""
        self.telling: taskviews.Telling = taskviews.nothing_told  # PushService's, in Services

    def record(
        self,
        scope: Scope,
        kind: TaskKind,
        name: str,
        request: dict[str, Any],
        *,
        queued: bool = False,
    ) -> TaskRecord:
        """A new RUNNING task, not yet stored (see ``insert``): owned by this process, or
        ``queued`` for whichever process claims it first (``claim``)."""
        now = now_ms()
        return TaskRecord(
            id=uuid.uuid4().hex,
            project_id=scope.actor.project_id,
            workspace_id=scope.workspace.id,
            kind=kind,
            name=name,
            status=TaskStatus.RUNNING,
            message=QUEUED if queued else None,
            progress=0,
            request=dump(request),
            result=None,
            subtasks=None,
            created_by=scope.actor.name,
            start_time=now,
            end_time=None,
            last_update=now,
            owner=None if queued else self.worker_id,
            actor=_actor_json(scope),
        )

    def create(self, scope: Scope, kind: TaskKind, name: str, request: dict[str, Any]) -> str:
        """A new RUNNING task this process runs now; returns its 32-hex id."""
        return self.insert(self.record(scope, kind, name, request))

    def enqueue(self, scope: Scope, kind: TaskKind, name: str, request: dict[str, Any]) -> str:
        """A new queued task, run by whichever process claims it; returns its id."""
        return self.insert(self.record(scope, kind, name, request, queued=True))

    def insert(self, task: TaskRecord) -> str:
        """Store a task made by ``record``; returns its id."""
        with self.db.transaction() as tx:
            repo.insert_task(tx, task)
        return task.id

    def claim(self, kinds: Sequence[TaskKind], *, look_first: bool = True) -> ClaimedTask | None:
        """Take the oldest queued task of one of ``kinds`` for this process; ``None`` when
        none waits. A task that cannot run any more (its workspace was deleted, or an older
        version queued it without its actor) is failed, saying why, and the next one taken.

        ``look_first`` reads before claiming, so that looking when nothing is queued never
        waits for SQLite's write lock (an import may hold it for seconds); a process that has
        just queued a task knows there is one and skips the look."""
        while True:
            if look_first:
                with self.db.transaction(readonly=True) as tx:
                    if not repo.has_queued(tx, kinds):
                        return None
            look_first = True
            with self.db.transaction() as tx:
                task = repo.claim_next(tx, kinds, self.worker_id, now_ms(), CLAIMED)
                if task is None:
                    return None
                claimed, why = self._claimed(tx, task)
                if claimed is not None:
                    return claimed
                repo.fail_task(tx, task.id, UNRUNNABLE.format(why=why), now_ms())

    @staticmethod
    def _claimed(tx: Tx, task: TaskRecord) -> tuple[ClaimedTask | None, str]:
        workspace = account_repo.get_workspace(tx, task.project_id, task.workspace_id)
        if workspace is None:
            return None, f"workspace {task.workspace_id} no longer exists"
        if task.actor is None or task.request is None:
            return None, "it was queued by an earlier jobferry version without its caller"
        who = load(task.actor)
        actor = Actor(int(who["userId"]), str(who["name"]), task.project_id, who["projectAdmin"])
        scope = Scope(actor, workspace, Role(who["role"]), bool(who.get("releasing")))
        return ClaimedTask(task.id, TaskKind(task.kind), scope, load(task.request)), ""

    def abandon(self, task_id: str, message: str) -> None:
        """Fail a task that cannot run (and release any import lock it holds). When the
        database cannot be reached to say so, the end is kept for this process's next heartbeat
        that reaches it, which writes it before it beats."""
        try:
            with self.db.transaction() as tx:
                if repo.fail_task(tx, task_id, message, now_ms()):
                    log_failed(tx, task_id, message)
        except StorageError as away:
            log.warning(
                "task %s ended, but the database cannot record it (%s) until the next "
                "heartbeat reaches it",
                task_id,
                away.message,
            )
            self._unrecorded.keep(task_id, message)
            return
        self.ends.ended()

    def advance(self, task_id: str, progress: int, message: str, *, often: bool = False) -> None:
        """Report progress (0–100) of a running task, from inside a write transaction of this
        thread too (``often``: after each batch of a long loop; :meth:`Progress.say`)."""
        self.progress.say(task_id, progress, message, often=often)

    def finish(
        self,
        task_id: str,
        status: TaskStatus,
        message: str,
        *,
        result: dict[str, Any] | None = None,
        subtasks: list[dict[str, Any]] | None = None,
    ) -> None:
        """Record the end of a task, unless it already ended (failed by another process as
        orphaned: that end stands)."""
        now = now_ms()
        values: dict[str, Any] = {
            "status": status,
            "message": message,
            "end_time": now,
            "last_update": now,
        }
        if status is not TaskStatus.FAILED:
            values["progress"] = 100
        if result is not None:
            values["result"] = dump(result)
        if subtasks is not None:
            values["subtasks"] = dump({"items": subtasks})
        with self.db.transaction() as tx:
            if repo.update_running(tx, task_id, **values) and status is TaskStatus.FAILED:
                log_failed(tx, task_id, message)
        self.ends.ended()

    def _task(self, tx: Tx, scope: Scope, task_id: str) -> TaskRecord:
        task = repo.get_task(tx, scope.workspace.id, task_id)
        production = scope.workspace.production_id
        if task is None and production is not None:
            # An enterprise workspace's releases run in its production side.
            task = repo.get_task(tx, production, task_id)
        if task is None:
            raise task_missing(task_id, scope.workspace.name)
        return self.progress.since(task)

    def ended_here(self, task_id: str) -> None:
        """Task ``task_id`` ended on this process's task thread: what it said from inside its
        transaction is forgotten."""
        self.progress.forget(task_id)

    def show(self, scope: Scope, task_id: str, *, subtasks: int | None = None) -> Task:
        """A task of the workspace (DLF.0810 when unknown) with its first ``subtasks``
        subtasks (``None``: all of them; ``subtasks_total`` tells when some were left out)."""
        with self.db.transaction(readonly=True) as tx:
            task = self._task(tx, scope, task_id)
            total = repo.count_subtasks(tx, task_id)
            lines = repo.subtask_lines(tx, task_id, 0, total if subtasks is None else subtasks)
            rollbacks = rollbacks_of(tx, [task], self.telling)
        view = shown(task, rollbacks=rollbacks)
        if not total:
            return view
        return replace(
            view,
            subtasks=[load(line) for line in lines],
            subtasks_total=total if len(lines) < total else None,
        )

    def subtasks(self, scope: Scope, task_id: str, *, offset: Given, limit: Given) -> SubtaskPage:
        """A page of a task's subtasks, in order (extension)."""
        p = window(limit, offset, SUBTASK_PAGE, DEFAULT_SUBTASKS)
        with self.db.transaction(readonly=True) as tx:
            task = self._task(tx, scope, task_id)
            total = repo.count_subtasks(tx, task_id)
            lines = repo.subtask_lines(tx, task_id, p.skip, p.limit)
        if not total and task.subtasks:  # stored before subtasks were rows
            items = load(task.subtasks)["items"]
            return SubtaskPage(len(items), items[p.skip : p.skip + p.limit])
        return SubtaskPage(total, [load(line) for line in lines], taskviews.lines_dropped(task))

    async def head(
        self, scope: Scope, task_id: str, on_thread: OnThread[TaskHead], *, wait: float = 0.0
    ) -> TaskHead:
        """A task (DLF.0810 when unknown) and how many subtask rows it has, for answering it
        a page of subtasks at a time (``subtask_pages``: 200,000 are never held), read
        ``on_thread``; ``wait``: seconds to wait for a running task to end first, no thread
        held meanwhile (:func:`~jobferry.services.taskends.when_ended`)."""
        look = partial(on_thread, partial(self._head, scope, task_id))
        return await when_ended(look, lambda head: head.task.done, self.ends, wait)

    def _head(self, scope: Scope, task_id: str) -> TaskHead:
        with self.db.transaction(readonly=True) as tx:
            task = self._task(tx, scope, task_id)
            total = repo.count_subtasks(tx, task_id)
            rollbacks = rollbacks_of(tx, [task], self.telling)
        return TaskHead(shown(task, subtasks=not total, rollbacks=rollbacks), total)

    def subtask_pages(self, task_id: str, total: int) -> Iterator[list[str]]:
        """A task's first ``total`` subtasks as their stored JSON lines, a page at a time."""
        offset = 0
        while offset < total:
            with self.db.transaction(readonly=True) as tx:
                lines = repo.subtask_lines(tx, task_id, offset, SUBTASK_PAGE)
            if not lines:
                break
            yield lines
            offset += len(lines)

    def list_tasks(
        self,
        scope: Scope,
        *,
        kind: str | None = None,
        status: str | None = None,
        limit: Given = None,
        offset: Given = None,
        window: tuple[int | None, int | None] = (None, None),
    ) -> TaskList:
        """A page of the workspace's imports and exports, newest first (extension); only
        those started within ``window`` (since, until: epoch ms, either open)."""
        check_time_window(*window)
        status = taskviews.checked_filter(kind, status)
        p = page(limit, offset, self.offset_mode)
        with self.db.transaction(readonly=True, seeking=True) as tx:
            total, tasks = repo.list_tasks(
                tx,
                scope.workspace.id,
                kind=kind,
                status=status,
                limit=p.limit,
                offset=p.skip,
                window=window,
            )
            rollbacks = rollbacks_of(tx, tasks, self.telling)
        listed = [self.progress.since(task) for task in tasks]
        return TaskList(total, [shown(t, subtasks=False, rollbacks=rollbacks) for t in listed])

    def register_worker(self, *, presence: bool = False) -> list[str]:
        """Announce this process (its tasks are alive while it beats). With ``presence`` (a
        server's task runner), first take its mark of serving the database
        (``storage/presence.py``): when no other process holds one, every process that claimed
        a task is gone, so their RUNNING tasks are failed now, their import locks released,
        rather than after four missed beats. Returns the ids of the tasks failed."""
        alone = False
        if presence and self._presence is None:
            self._presence = Presence(self.db)
            alone = self._presence.enter()
        now = now_ms()
        with self.db.transaction() as tx:
            if alone:  # the others are gone, save any whose mark went with a restart
                worker_repo.forget_gone(tx, self.heartbeat_ms)
            worker_repo.register(tx, self.worker_id, socket.gethostname(), os.getpid(), now)
            stale = now - 4 * self.heartbeat_ms
            failed = repo.fail_orphaned(tx, stale, orphaned, now) if alone else []
        self._forget(failed)
        return failed

    def heartbeat(self) -> list[str]:
        """Beat for this process; fail tasks whose process stopped beating. Returns their ids.
        The ends of this process's tasks that ``abandon`` could not write are written first,
        in the same transaction: without them the beat would keep those tasks RUNNING."""
        if self._presence is not None:
            self._presence.hold()  # before the beat: a beat says the mark was held
        now = now_ms()
        stale = now - 4 * self.heartbeat_ms
        unrecorded = self._unrecorded.kept()
        with self.db.transaction() as tx:
            repo.fail_tasks(tx, unrecorded, now)
            if not worker_repo.beat(tx, self.worker_id, now):
                # Silent for 100 beats (a suspended machine): another process forgot this one.
                worker_repo.register(tx, self.worker_id, socket.gethostname(), os.getpid(), now)
            failed = repo.fail_orphaned(tx, stale, orphaned, now)
            worker_repo.forget_stale(tx, now - 100 * self.heartbeat_ms)
        self._recorded(unrecorded)
        if failed:
            self.ends.ended()
        self._forget(failed)
        return failed

    def _recorded(self, ends: dict[str, str]) -> None:
        if ends:
            self._unrecorded.written(ends)
            log.warning("recorded the end of task(s) %s now that the database is back", [*ends])
            self.ends.ended()

    def _forget(self, failed: list[str]) -> None:
        """Drop what tasks failed as orphaned said from inside their transaction."""
        for task_id in failed:
            self.progress.forget(task_id)

    def unregister_worker(self) -> None:
        """Say goodbye on a clean stop (writing the ends ``abandon`` could not)."""
        presence, self._presence = self._presence, None
        if presence is not None:  # first: the mark goes even if the database refuses the rest
            presence.leave()
        unrecorded = self._unrecorded.kept()
        with self.db.transaction() as tx:
            repo.fail_tasks(tx, unrecorded, now_ms())
            worker_repo.unregister(tx, self.worker_id)
        self._recorded(unrecorded)
