"""System tasks: long work (imports, exports) with the status the DataArts API reports."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from jobferry.errors import InvalidRequestError, TaskNotFoundError
from jobferry.services.context import Scope, now_ms
from jobferry.services.documents import dump, load
from jobferry.services.paging import page
from jobferry.settings import OffsetMode
from jobferry.storage import Database
from jobferry.storage import tasks as repo
from jobferry.storage import workers as worker_repo
from jobferry.storage.tasks import TaskRecord

RUNNING, SUCCESSFUL, FAILED, WARNING = "RUNNING", "SUCCESSFUL", "FAILED", "WARNING"
STATUSES = (RUNNING, SUCCESSFUL, WARNING, FAILED)
TASK_KINDS = ("import", "export", "connections")


def task_view(task: TaskRecord) -> dict[str, Any]:
    """ListSystemTasksResponse, plus jobferry's kind, progress and result."""
    view: dict[str, Any] = {
        "id": task.id,
        "name": task.name,
        "projectId": task.project_id,
        "startTime": task.start_time,
        "lastUpdate": task.last_update,
        "status": task.status,
        "message": task.message or "",
        "subtasks": load(task.subtasks)["items"] if task.subtasks else [],
        "kind": task.kind,
        "progress": task.progress,
        "createUser": task.created_by,
    }
    if task.end_time is not None:
        view["endTime"] = task.end_time
    if task.result:
        view["result"] = load(task.result)
    return view


class TaskService:
    """Create, advance, finish and show system tasks."""

    def __init__(
        self, db: Database, *, heartbeat_seconds: int, offset_mode: OffsetMode = OffsetMode.ROW
    ) -> None:
        self.db = db
        self.offset_mode = offset_mode
        self.worker_id = uuid.uuid4().hex
        self.heartbeat_ms = heartbeat_seconds * 1000

    def record(
        self,
        scope: Scope,
        kind: str,
        name: str,
        request: dict[str, Any],
        *,
        task_id: str | None = None,
    ) -> TaskRecord:
        """A new RUNNING task owned by this process, not yet stored (see ``create``)."""
        now = now_ms()
        return TaskRecord(
            id=task_id or uuid.uuid4().hex,
            project_id=scope.actor.project_id,
            workspace_id=scope.workspace.id,
            kind=kind,
            name=name,
            status=RUNNING,
            message=None,
            progress=0,
            request=dump(request),
            result=None,
            subtasks=None,
            created_by=scope.actor.name,
            start_time=now,
            end_time=None,
            last_update=now,
            owner=self.worker_id,
        )

    def create(
        self,
        scope: Scope,
        kind: str,
        name: str,
        request: dict[str, Any],
        *,
        task_id: str | None = None,
    ) -> str:
        """A new RUNNING task; returns its 32-hex id."""
        task = self.record(scope, kind, name, request, task_id=task_id)
        with self.db.transaction() as tx:
            repo.insert_task(tx, task)
        return task.id

    def advance(self, task_id: str, progress: int, message: str) -> None:
        """Report progress (0–100) of a running task."""
        with self.db.transaction() as tx:
            repo.update_task(
                tx,
                task_id,
                progress=max(0, min(progress, 100)),
                message=message,
                last_update=now_ms(),
            )

    def finish(
        self,
        task_id: str,
        status: str,
        message: str,
        *,
        result: dict[str, Any] | None = None,
        subtasks: list[dict[str, Any]] | None = None,
    ) -> None:
        """Record the end of a task."""
        now = now_ms()
        values: dict[str, Any] = {
            "status": status,
            "message": message,
            "end_time": now,
            "last_update": now,
        }
        if status != FAILED:
            values["progress"] = 100
        if result is not None:
            values["result"] = dump(result)
        if subtasks is not None:
            values["subtasks"] = dump({"items": subtasks})
        with self.db.transaction() as tx:
            repo.update_task(tx, task_id, **values)

    def show(self, scope: Scope, task_id: str) -> dict[str, Any]:
        """A task of the workspace (DLF.0810 when unknown)."""
        with self.db.transaction(readonly=True) as tx:
            task = repo.get_task(tx, scope.workspace.id, task_id)
        if task is None:
            raise TaskNotFoundError(
                f"Task [{task_id}] does not exist in workspace '{scope.workspace.name}'.",
                task_id=task_id,
            )
        return task_view(task)

    def list_tasks(
        self,
        scope: Scope,
        *,
        kind: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> dict[str, Any]:
        """A page of the workspace's imports and exports, newest first (extension)."""
        if kind is not None and kind not in TASK_KINDS:
            raise InvalidRequestError(
                f"kind '{kind}' is not a task kind; use one of {', '.join(TASK_KINDS)}.",
                parameter="kind",
            )
        status = status.upper() if status is not None else None
        if status is not None and status not in STATUSES:
            raise InvalidRequestError(
                f"status '{status}' is not a task status; use one of {', '.join(STATUSES)}.",
                parameter="status",
            )
        p = page(limit, offset, self.offset_mode)
        with self.db.transaction(readonly=True) as tx:
            total, tasks = repo.list_tasks(
                tx, scope.workspace.id, kind=kind, status=status, limit=p.limit, offset=p.skip
            )
        items = []
        for task in tasks:
            view = task_view(task)
            view.pop("subtasks", None)
            items.append(view)
        return {"total": total, "tasks": items}

    def register_worker(self) -> None:
        """Announce this process (its tasks are alive while it beats)."""
        with self.db.transaction() as tx:
            worker_repo.register(tx, self.worker_id, socket.gethostname(), os.getpid(), now_ms())

    def heartbeat(self) -> list[str]:
        """Beat for this process; fail tasks whose process stopped beating. Returns their ids."""
        now = now_ms()
        stale = now - 4 * self.heartbeat_ms
        with self.db.transaction() as tx:
            worker_repo.beat(tx, self.worker_id, now)
            failed = repo.fail_orphaned(
                tx,
                stale,
                "The server process running this task stopped before it finished; nothing it "
                "was applying was kept. Run it again.",
                now,
            )
            worker_repo.forget_stale(tx, now - 100 * self.heartbeat_ms)
        return failed

    def unregister_worker(self) -> None:
        """Say goodbye on a clean stop."""
        with self.db.transaction() as tx:
            worker_repo.unregister(tx, self.worker_id)
