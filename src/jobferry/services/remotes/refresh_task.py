"""A remote's refresh run as a task of its own (``Prefer: respond-async``; ``jobferry remotes
refresh`` and the console's *Refresh* ask so).

A refresh reads every object of the remote through its public API before it writes the shadow:
a 5,000-job remote took 10 s at 50 ms a call, a 100,000-job one takes minutes, longer than a
reverse proxy waits for an answer. So the refresh is queued in the remote's shadow workspace
(who may refresh it is checked at once: admins and developers of the shadow), a task thread of
any server process runs it, and the task ends with what it did (``result``: the remote's name
and the refresh in its stored form, which the remote keeps as its last refresh too) or with
its refusal (``result.errorCode``, and the refusal's remedy). A second refresh of a remote is
refused while one is queued or running; two asked at the same instant may both be queued, and
then the one that writes second is refused as it writes (the first recorded meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConflictError, JobferryError
from jobferry.services.context import Actor, Scope
from jobferry.services.definitions.documents import load
from jobferry.services.remotes.refresh_said import Said
from jobferry.services.remotes.service import RemoteService
from jobferry.services.tasks import ClaimedTask, QueuedTask, TaskService, refusal_result
from jobferry.storage import tasks as task_repo

REFUSAL_CONTEXT = ("remote", "call", "remote_status", "remote_error_code", "remote_error_msg")
"""What a failed refresh task keeps of its refusal's context in its result (with its code,
remedy and problem): what a client needs to say it in its own terms."""
REFUSAL_KEPT = ("remedy", "problem", *REFUSAL_CONTEXT)


@dataclass
class RefreshTasks:
    """Queue a remote's refresh (:meth:`start`) and run it on a task thread (:meth:`run`)."""

    remotes: RemoteService
    tasks: TaskService

    def start(self, actor: Actor, name: str, path: str | None = None) -> QueuedTask:
        """Queue the refresh of remote ``name`` (``path``: from the snapshot it names rather
        than the remote) in its shadow workspace. Refused at once, queuing nothing, for an
        unknown remote, a caller who may not refresh it, or a refresh of it queued or running
        already."""
        _, scope = self.remotes.refresh_scope(actor, name)
        self._refuse_running(scope, name)
        title = f"Refresh remote '{name}'" + (f" from {path}" if path else " from the remote")
        request = {"remote": name, "path": path}
        queued = self.tasks.enqueue(scope, TaskKind.REFRESH, f"{title}.", request)
        return QueuedTask(queued, scope.workspace.id)

    def _refuse_running(self, scope: Scope, name: str) -> None:
        """Refuse a second refresh while one of the remote is queued or running (it would read
        the remote again only to be refused as it writes, the first having recorded)."""
        with self.tasks.db.transaction(readonly=True) as tx:
            running = task_repo.running_in(tx, [scope.workspace.id], TaskKind.REFRESH)
        task = running.get(scope.workspace.id)
        if task is not None:
            task_id = task.id
            raise ConflictError(
                f"A refresh of remote '{name}' is queued or running already (task {task_id}, "
                f"in its shadow workspace '{scope.workspace.name}'); nothing was queued.",
                fix=f"Follow it (GET /v1/{{project_id}}/system-tasks/{task_id} in that "
                "workspace) and refresh again when it has ended.",
                remedy=Remedy.FOLLOW_TASK,
                remote=name,
                task_id=task_id,
                workspace=scope.workspace.name,
            )

    def _said(self, task_id: str) -> Said:
        """How the refresh says how far it got: as task ``task_id``'s progress."""

        def said(progress: int, message: str, often: bool) -> None:
            self.tasks.advance(task_id, progress, message, often=often)

        return said

    def run(self, task: ClaimedTask) -> None:
        """Run a queued refresh to its end, which records it: ``SUCCESSFUL`` with what it did,
        or ``FAILED`` with its refusal."""
        name, path = str(task.request["remote"]), task.request.get("path")
        actor = task.scope.actor
        self.tasks.advance(task.id, 0, f"Reading {f'snapshot {path}' if path else 'the remote'}.")
        try:
            if path:
                done = self.remotes.refresh_from(actor, name, str(path))
            else:
                done = self.remotes.refresh(actor, name, self._said(task.id))
        except JobferryError as exc:
            result = refusal_result(exc, REFUSAL_KEPT)
            self.tasks.finish(task.id, TaskStatus.FAILED, exc.message, result=result)
            return
        source = f" from snapshot {path}" if path else ""
        notes = "".join(f" Note: {note}." for note in done.notes)
        self.tasks.finish(
            task.id,
            TaskStatus.SUCCESSFUL,
            f"Refreshed remote '{name}'{source}: {done.said()}.{notes}",
            result={"remote": name, "refresh": load(done.dump())},
        )
