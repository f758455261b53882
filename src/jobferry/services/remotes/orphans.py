"""What the task of a push (or of a push's rollback) whose server process died says until the
undo of its calls is over, computed each time the task is read.

The heartbeat fails such a task at once (``TaskService.heartbeat``), but the remote may still
hold what it wrote: :meth:`~.push.PushService.recover` undoes it once the calls it had in
flight can no longer land (the settle time after the newest was sent), on whichever server
process takes it; so is a push whose own undo could not reach the remote (:data:`HANDED_OVER`).
Until then the task says that its undo waits, and how long (from the time it is read), that it
waits for a remote it could not reach (why, and when it is tried again), or
that a server process is undoing it now; once over, the recovery writes into the
task how it ended (what was undone, what could not be and what to do): a push's
(``PushService._tell``), a rollback's (:func:`tell_rollback`: what it had rolled back, what
stays so, and the command that finishes it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.definitions.documents import dump, load
from jobferry.services.remotes.undo import ROLLBACK, UndoReport
from jobferry.storage import Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.remotes_journal import PushRecord
from jobferry.storage.tasks import TaskRecord

LATER = (
    "Read this task again once the undo is over: it says then what was undone, and what to do "
    "about anything that could not be."
)
HANDED_OVER = (
    "Its undo could not reach the remote either: a server process finishes it once the remote "
    "answers again."
)
"""How the message of a push (or a push's rollback) whose own undo found the remote out of
reach ends (the recovery finishes that undo: :meth:`~.push.PushService.hand_over`)."""


def failed_live(message: str | None) -> str | None:
    """What a push (or a push's rollback) whose own undo found the remote out of reach said of
    its failure (its message without :data:`HANDED_OVER`); ``None``: its process died
    instead."""
    if message is None or not message.endswith(HANDED_OVER):
        return None
    return message.removesuffix(HANDED_OVER).rstrip()


def journal_key(task_id: str, kind: TaskKind | str) -> str:
    """The key of the journal a task of ``kind`` writes into a remote under: a push's is its
    import task's id, a rollback task's the rollback prefix and its id."""
    return f"{ROLLBACK}{task_id}" if kind == TaskKind.ROLLBACK else task_id


def undoing_now(
    tx: Tx, tasks: Sequence[TaskRecord], *, settle_ms: int, alive_since: int, now: int
) -> dict[str, str]:
    """Task id → what it says now, for those of ``tasks`` whose push or rollback stopped with
    its server process and whose undo is not over (``alive_since``: a process that beat since
    is running; ``now``: when the task is read)."""
    keyed = {
        journal_key(task.id, task.kind): task
        for task in tasks
        if task.kind in (TaskKind.IMPORT, TaskKind.ROLLBACK)
    }
    if not keyed:
        return {}
    pushes = journal_repo.open_among(tx, list(keyed))
    if not pushes:
        return {}
    alive = journal_repo.alive_among(tx, {p.owner for p in pushes if p.owner}, alive_since)
    said: dict[str, str] = {}
    for push in pushes:
        task = keyed[push.task_id]
        when = _when(tx, push, task, push.owner in alive, settle_ms, now)
        if when is not None:
            undone = f"the calls it made to the remote are not undone yet: {when}"
            said[task.id] = f"{stopped(task, push)}; {undone}. {LATER}"
    return said


def _when(
    tx: Tx, push: PushRecord, task: TaskRecord, live: bool, settle_ms: int, now: int
) -> str | None:
    """When the undo of ``push`` happens, as of ``now`` (``live``: its owner beats; ``None``:
    a push, or its own undo, running on a live process, which says nothing of the kind)."""
    if push.state == "waiting":
        return _waits(push, now)
    if push.state == "recovering" and live and (push.retry_at or now) >= now:
        return "a server process is undoing them now"
    if live and push.state != "recovering" and task.status == TaskStatus.RUNNING:
        return None
    return _starts(journal_repo.newest_pending(tx, push.task_id), settle_ms, now)


def _waits(push: PushRecord, now: int) -> str:
    """What a recovery waiting on its remote says: why, and when it is tried again."""
    error = (push.last_error or "no answer").rstrip(". ")
    again = "when a server process takes it"
    if push.retry_at is not None and push.retry_at > now:
        again = f"in {_duration(push.retry_at - now)}, {again}"
    return (
        f"its undo waits for remote '{push.remote}', which it could not reach (tried "
        f"{push.tries} time(s)): {error}; it is tried again {again}"
    )


def _duration(ms: int) -> str:
    """A wait in whole seconds, or minutes and seconds past a minute."""
    seconds = math.ceil(ms / 1000)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s" if seconds % 60 else f"{seconds // 60} min"


def _starts(sent: int | None, settle_ms: int, now: int) -> str:
    """When the undo starts, as of ``now`` (``sent``: the newest call in flight)."""
    if sent is not None and sent + settle_ms > now:
        wait = math.ceil((sent + settle_ms - now) / 1000)
        return (
            f"its undo starts in {wait} s, once the calls it had in flight can no longer "
            "reach the remote, when a server process takes it"
        )
    return "its undo starts when a server process takes it"


def stopped(task: TaskRecord, push: PushRecord) -> str:
    """What stopped, and where (a push, or the rollback of a push)."""
    failed = failed_live(task.message)
    if failed is not None:
        return failed.rstrip(".")
    if task.kind == TaskKind.ROLLBACK:
        pushed = load(task.request or "{}").get("taskId")
        return (
            f"The rollback of push {pushed} in remote '{push.remote}' stopped when its server "
            "process did"
        )
    return f"The push to remote '{push.remote}' stopped when its server process did"


def tell_rollback(tx: Tx, push: PushRecord, report: UndoReport, now: int) -> None:
    """End the task of a push's rollback whose process died (a rollback answered in its
    request has none: its caller was told) with what the recovery's ``report`` left: what it
    had rolled back in the remote and was put back, what stays rolled back and its fix, and the
    command that finishes the rollback."""
    task = task_repo.get_task(tx, push.workspace_id, push.task_id.removeprefix(ROLLBACK))
    workspace = account_repo.get_workspace(tx, push.project_id, push.workspace_id)
    if task is None or task.kind != TaskKind.ROLLBACK or workspace is None:
        return
    pushed = str(load(task.request or "{}").get("taskId"))
    changes = journal_repo.count_calls(tx, pushed, "done")
    rolled = [*report.undone, *(str(item["object"]) for item in report.stuck)]
    having = f"before it rolled back any of the push's {changes} change(s) in the remote"
    if rolled:
        named = ", ".join(rolled[:20]) + (", …" if len(rolled) > 20 else "")
        having = (
            f"having rolled back {len(rolled)} of the push's {changes} change(s) in the remote "
            f"({named}) and none in the shadow"
        )
    again = f"the rollback by running it again: jobferry rollback {pushed} -w {workspace.name}."
    later = "After a restart" if failed_live(task.message) is None else "Once the remote answered"
    if report.stuck:
        left = (
            f"{later}, {report.describe('rollback')} Those stay rolled back in the "
            f"remote while the shadow shows push {pushed} whole. Once each is fixed, finish {again}"
        )
    else:
        put = "those were put back as the push left them" if rolled else "nothing was changed"
        left = (
            f"{later} {put}: push {pushed} stands whole in the remote and in the shadow, "
            f"nothing of it rolled back. Finish {again}"
        )
    message = f"{stopped(task, push)}, {having}. {left}"
    result = dump({"push": report.as_json()})
    journal_repo.tell_task(tx, task.id, TaskStatus.FAILED, message, result, now)
