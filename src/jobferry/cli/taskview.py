"""Human rendering of system tasks and import results (JSON is printed as is)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.text import Text

from jobferry.cli.output import Output, mapping, moment, objects_under
from jobferry.cli.planview import SCREENFUL, locked_line, problem_lines, without_fix
from jobferry.cli.remedies import refusal_text
from jobferry.domain.enums import TaskStatus

_DONE = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)


def said_message(task: dict[str, Any], refused_in: str | None = None) -> str | None:
    """A task's message; a failed one's refusal (its result names a remedy) said with this
    CLI's fix instead of the one the server wrote for API clients (``refused_in``: the
    workspace its commands name with ``-w``, when not the context's own)."""
    message = task.get("message")
    result = mapping(task.get("result"))
    if message is None or not result.get("remedy"):
        return None if message is None else str(message)
    return refusal_text(str(message), result, refused_in)


def show_task(
    out: Output,
    task: dict[str, Any],
    workspace: str | None = None,
    *,
    summarise: bool = False,
    refused_in: str | None = None,
) -> None:
    """A system task: what it is, who started it, status, times, message, its rollback (an
    import), then subtasks and problems. ``summarise`` (an import just shown as a plan): past
    a screenful, only the subtasks that did not succeed, and how many did; ``refused_in``: as
    :func:`said_message`."""
    if out.json_mode:
        return
    status = str(task.get("status", ""))
    styles: dict[str, str] = {
        TaskStatus.SUCCESSFUL: "green",
        TaskStatus.FAILED: "red",
        TaskStatus.WARNING: "yellow",
    }
    style = styles.get(status, "")
    fields: list[tuple[str, Any]] = [
        ("task", task.get("id")),
        ("name", task.get("name")),
        ("kind", task.get("kind")),
        ("by", task.get("createUser")),
        ("status", Text(status, style=f"{style} bold")),
        ("progress", f"{task.get('progress', 0)}%"),
        ("started", moment(task.get("startTime"))),
        ("ended", moment(task.get("endTime"))),
        ("message", said_message(task, refused_in)),
    ]
    undone = task.get("rolledBack")
    if isinstance(undone, dict):
        when = f"{moment(undone.get('at'))} by {undone.get('by')}"
        fields.append(("rolled back", Text(when, style="magenta")))
    rolling = task.get("rollingBack")
    if isinstance(rolling, dict):
        fields.append(("rollback", Text(f"running: task {rolling.get('taskId')}", style="magenta")))
    expired = task.get("rollbackExpired")
    if isinstance(expired, dict):
        days = expired.get("keptDays")
        said = f"no longer possible: kept {days} day(s), dropped {moment(expired.get('at'))}"
        fields.append(("rollback", Text(said, style="dim")))
    dropped = task.get("subtasksDropped")
    if isinstance(dropped, dict):
        said = (
            f"{dropped.get('count')} per-object line(s) dropped {moment(dropped.get('at'))}, "
            f"{dropped.get('keptDays')} day(s) after it ended (the server's "
            "JOBFERRY_TASK_LINES_DAYS): none is listed"
        )
        fields.append(("objects", Text(said, style="yellow")))
    out.fields([(name, value) for name, value in fields if value not in (None, "")])
    result = mapping(task.get("result"))
    if task.get("kind") == "rollback":
        rolled_back_table(out, result)
    _subtasks(out, task, summarise)
    problems = result.get("problems") or []
    if problems:
        out.line("Problems:", style="red bold")
        problem_lines(out, problems, workspace)


def rolled_back_table(out: Output, answer: dict[str, Any], every: str | None = None) -> None:
    """What a rollback undid (its answer, or its task's result): each object's kind, name,
    what was done to it and the version it holds again. ``every``: past a screenful, only how
    many of each action, and this, the command that lists each one. A list the server cut
    (it keeps the first 1,000) says so and names the import's task, which lists them all."""
    objects = objects_under(answer, "objects")
    total = int(answer.get("rolledBack") or len(objects))
    if every is not None and len(objects) > SCREENFUL:
        counts = _actions(answer, objects, total)
        which = "each one" if total == len(objects) else f"the first {len(objects):,}"
        out.line(f"{total:,} object(s){counts}; {every} lists {which}.", style="dim")
    elif objects:
        out.table(
            ("kind", "name", "action", "version"),
            [
                (o.get("kind"), o.get("name"), o.get("action"), o.get("version") or "")
                for o in objects
            ],
        )
    if total > len(objects) and answer.get("taskId"):
        out.line(
            f"Each of the {total:,}: jobferry tasks show {answer['taskId']} lists every object "
            "the import changed.",
            style="dim",
        )


def _actions(answer: dict[str, Any], objects: list[dict[str, Any]], total: int) -> str:
    """``: 40 deleted, 1 restored``: how many objects of each action the rollback undid (the
    server's count of all of them; an older server's list, counted, when it holds them all)."""
    kept = answer.get("actions")
    if isinstance(kept, dict):
        counts: dict[str, int] = {str(action): int(n) for action, n in kept.items()}
    elif total == len(objects):
        counts = Counter(str(o.get("action") or "?") for o in objects)
    else:
        return ""
    return ": " + ", ".join(f"{n:,} {action.lower()}" for action, n in sorted(counts.items()))


def _subtasks(out: Output, task: dict[str, Any], summarise: bool) -> None:
    """A task's subtasks (``summarise``: past a screenful, those that did not succeed, and
    how many did), each message without the API's fix."""
    subtasks = objects_under(task, "subtasks")
    listed = subtasks
    if summarise and len(subtasks) > SCREENFUL:
        listed = [s for s in subtasks if s.get("status") not in _DONE][:SCREENFUL]
        counts = Counter(str(s.get("status")) for s in subtasks)
        said = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
        out.line(
            f"{len(subtasks)} object(s): {said}; jobferry tasks show {task.get('id')} lists "
            "each one.",
            style="dim",
        )
    if listed:
        out.table(
            ("object", "status", "action", "message"),
            [
                (
                    _object_cell(s),
                    s.get("status"),
                    s.get("action", ""),
                    without_fix(str(s.get("message", ""))),
                )
                for s in listed
            ],
        )
    locked_line(out, [_object_of(s) for s in subtasks if s.get("lockedBy")])


def _object_cell(line: dict[str, Any]) -> str:
    """A subtask's object (``kind:name``), marked ``locked by`` the user whose lock an
    import passed over (the soft lock policy: its plan said so too)."""
    said = str(line.get("id") or line.get("name"))
    return f"{said} (locked by {line['lockedBy']})" if line.get("lockedBy") else said


def _object_of(line: dict[str, Any]) -> dict[str, Any]:
    """The object an import's subtask is of (its ``id`` is ``kind:name``), as a plan's line
    says it."""
    kind, _, name = str(line.get("id") or "").partition(":")
    return {**line, "kind": line.get("kind") or kind, "name": name}
