"""What ``import`` and ``rollback`` ask before they change a workspace, and how an import ends.

Both questions name the workspace (by name, with its id), the endpoint and the counts, so the
answer is given knowing what will change where. An import's last line is its task id and the
exact command that rolls it back, as this invocation would run it (same config file, context and
workspace), so it can be copied as it is.
"""

from __future__ import annotations

import shlex
from typing import Any

from jobferry.cli.exits import (
    CommandError,
    FollowingInterruptedError,
    TaskWaitTimeoutError,
    WaitTimedOutError,
)
from jobferry.cli.output import mapping
from jobferry.cli.planview import summary_text
from jobferry.cli.session import Session
from jobferry.domain.enums import PlanAction, TaskStatus


def _where(s: Session) -> str:
    return f"{s.workspace_label()} at {s.client().endpoint}"


def import_question(s: Session, plan: dict[str, Any] | None, contents: dict[str, Any]) -> str:
    """``Import into workspace prod (…) at http://…: 2 to create, 1 to overwrite, …?``"""
    if plan is None:
        jobs, scripts = len(contents.get("jobs") or []), len(contents.get("scripts") or [])
        counts = f"{jobs} job(s) and {scripts} script(s), unchecked (no plan on this endpoint)"
    else:
        summary = mapping(plan.get("summary"))
        counts = summary_text(summary).rsplit(";", 1)[0]
        failing = len(plan.get("problems") or [])
        if failing:
            counts += f", {failing} problem(s) (those objects fail)"
    return f"Import into {_where(s)}: {counts}?"


def written(task: dict[str, Any]) -> tuple[int, int]:
    """How many objects an import created and changed (overwrote, renamed or deleted: what a
    rollback restores), from its successful subtasks; none for a failed import, which kept
    nothing a rollback could undo (a push into a remote that failed was undone)."""
    if task.get("status") == TaskStatus.FAILED:
        return 0, 0
    counts = _undoable(task)
    return counts[PlanAction.CREATE], sum(counts.values()) - counts[PlanAction.CREATE]


def _undoable(task: dict[str, Any]) -> dict[PlanAction, int]:
    """Successful subtasks per action a rollback undoes."""
    undone = (PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE)
    counts = dict.fromkeys(undone, 0)
    if isinstance(task.get("subtasksDropped"), dict):  # its lines are gone: its summary counts
        summary = mapping(mapping(task.get("result")).get("summary"))
        return {action: int(summary.get(action) or 0) for action in undone}
    for sub in task.get("subtasks") or []:
        if not isinstance(sub, dict) or sub.get("status") == TaskStatus.FAILED:
            continue
        action = sub.get("action")
        if action in counts:
            counts[PlanAction(action)] += 1
    return counts


def cannot_roll_back(task: dict[str, Any]) -> bool:
    """Whether the server refuses this import's rollback whatever is asked: it was rolled back
    already, or what it replaced was dropped (``rollbackExpired``). Nothing to ask then: the
    refusal says why."""
    return isinstance(task.get("rolledBack"), dict) or isinstance(task.get("rollbackExpired"), dict)


UNDONE_AS = {
    PlanAction.CREATE: "DELETED",
    PlanAction.OVERWRITE: "RESTORED",
    PlanAction.RENAME: "RENAMED",
    PlanAction.DELETE: "RECREATED",
}
"""What a rollback does to what an import did, as the server counts it (``actions``)."""


def rollback_question(
    s: Session, task_id: str, task: dict[str, Any], foreseen: dict[str, Any] | None = None
) -> str:
    """``Roll back import … in workspace prod (…) at http://…: delete the 3 …?``, counting what
    the server said the rollback would undo (``foreseen``), or, from a server that does not
    say, what the import's task says it wrote."""
    if foreseen is None:
        counts = _undoable(task)
    else:
        actions = mapping(foreseen.get("actions"))
        counts = {done: int(actions.get(undo) or 0) for done, undo in UNDONE_AS.items()}
    question = (
        f"Roll back import {task_id} in {_where(s)}: delete the {counts[PlanAction.CREATE]} "
        f"object(s) it created and restore the {counts[PlanAction.OVERWRITE]} it overwrote"
    )
    if counts[PlanAction.RENAME]:
        question += f", rename back the {counts[PlanAction.RENAME]} it renamed"
    if counts[PlanAction.DELETE]:
        question += f", recreate the {counts[PlanAction.DELETE]} it deleted"
    return question + "?"


def own_command_line(s: Session, *args: str, scoped: bool = True) -> str:
    """A ``jobferry`` command as this invocation would run it (same config file, context and,
    for a command acting in one workspace, ``scoped``, workspace), ready to copy."""
    words = ["jobferry"]
    if s.config is not None:
        words += ["--config", str(s.config)]
    if s.context_name:
        words += ["--context", s.context_name]
    words += args
    workspace = s.workspace_arg() if scoped else None
    if workspace:
        words += ["-w", workspace]
    return shlex.join(words)


def rollback_command_line(s: Session, task_id: str) -> str:
    """The command that rolls the import back, as this invocation would run it."""
    return own_command_line(s, "rollback", task_id)


def follow_command_line(s: Session, task_id: str) -> str:
    """The command that follows the task to its end, as this invocation would run it."""
    return own_command_line(s, "tasks", "show", task_id, "--wait")


def _undo_line(undo: str | None) -> str:
    """The line that says how to undo an import once it has ended (``undo``: the command;
    none without it)."""
    return f"\nOnce it has ended, undo what it wrote with: {undo}" if undo else ""


def interrupted_import(s: Session, task_id: str) -> FollowingInterruptedError:
    """What Ctrl-C after the server accepted an import says: stopping here does not stop the
    import, which goes on (and commits or fails as a whole) on the server."""
    follow = follow_command_line(s, task_id)
    rollback = rollback_command_line(s, task_id)
    return FollowingInterruptedError(
        f"Stopped following import task {task_id}; the import goes on in the server.\n"
        f"Follow it to its end with: {follow}{_undo_line(rollback)}",
        code="interrupted",
        taskId=task_id,
        follow=follow,
        rollback=rollback,
    )


def lost_while_following(
    s: Session, task_id: str, what: str, lost: Exception, *, rollback: bool = False
) -> CommandError:
    """What losing the server while following ``what`` (an import, a rollback, a refresh)
    says: the task may go on or have ended there (a server stopping finishes what it runs), so
    the task's id and how to follow it, and to undo an import, are what matters (exit 1)."""
    follow = follow_command_line(s, task_id)
    undo = rollback_command_line(s, task_id) if rollback else None
    then = _undo_line(undo)
    return CommandError(
        f"{lost}\nLost the server while following {what} task {task_id}; the {what} may go on "
        f"there, or have ended.\nOnce the server answers, follow it with: {follow}{then}",
        code="unreachable",
        taskId=task_id,
        follow=follow,
        rollback=undo,
    )


def interrupted_task(
    s: Session, task_id: str, what: str = "", *, all_or_nothing: bool = False, then: str = ""
) -> FollowingInterruptedError:
    """What Ctrl-C while following a task the server runs says (``what`` it is: an export, a
    plan, a rollback, a release; nothing when not known): it goes on in the server (``and
    changes all or nothing``), how to follow it, and ``then`` what to do once it has ended."""
    follow = follow_command_line(s, task_id)
    task, it = (f"{what} task", f"the {what}") if what else ("task", "it")
    atomic = " (and changes all or nothing)" if all_or_nothing else ""
    after = f"\n{then}" if then else ""
    return FollowingInterruptedError(
        f"Stopped following {task} {task_id}; {it} goes on in the server{atomic}.\n"
        f"Follow it to its end with: {follow}{after}",
        code="interrupted",
        taskId=task_id,
        follow=follow,
    )


def wait_timed_out(
    s: Session,
    late: TaskWaitTimeoutError,
    what: str = "",
    *,
    rollback: bool = False,
    then: str = "",
) -> WaitTimedOutError:
    """What a task still running when the wait's limit (``--wait-timeout``) ran out says
    (exit 124): nothing of it was stopped; its status and progress when last seen, how to
    follow it on, and ``then`` (or, for an import, how to undo it) once it has ended."""
    follow = follow_command_line(s, late.task_id)
    undo = rollback_command_line(s, late.task_id) if rollback else None
    task, it = (f"{what} task", f"the {what}") if what else ("task", "it")
    seen = f"{late.task.get('status') or 'RUNNING'} {late.task.get('progress') or 0}%"
    after = _undo_line(undo)
    after += f"\n{then}" if then else ""
    return WaitTimedOutError(
        f"Stopped waiting for {task} {late.task_id} after {late.seconds:g} s (--wait-timeout, "
        f"JOBFERRY_WAIT_TIMEOUT); {it} goes on in the server (last seen: {seen}).\n"
        f"Follow it to its end with: {follow}{after}",
        code="timeout",
        taskId=late.task_id,
        waited=late.seconds,
        status=late.task.get("status"),
        progress=late.task.get("progress"),
        follow=follow,
        rollback=undo,
    )


def last_line(s: Session, task: dict[str, Any]) -> str:
    """An import's last line: its task id, and how to roll it back when it wrote anything."""
    task_id = str(task.get("id", ""))
    if task.get("status") == TaskStatus.FAILED:
        kept = mapping(mapping(task.get("result")).get("push")).get("notUndone")
        if kept:
            return f"Task {task_id}: nothing to roll back; what the remote kept is said above."
        return f"Task {task_id}: nothing was kept, nothing to roll back."
    if sum(written(task)) == 0:
        return f"Task {task_id}: nothing was written, nothing to roll back."
    return f"Task {task_id}. Roll it back with: {rollback_command_line(s, task_id)}"
