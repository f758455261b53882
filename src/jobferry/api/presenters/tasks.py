"""System tasks on the wire: ListSystemTasksResponse, plus jobferry's extension fields (kind,
progress, who created it, result, when and by whom an import was rolled back, the rollback
task undoing it now, and when its per-object lines were dropped), which DataArts clients
ignore."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from jobferry.api.presenters.plans import stored_plan_document
from jobferry.api.presenters.remotes import refresh_view
from jobferry.domain.enums import TaskKind
from jobferry.services.remotes.records import Refresh
from jobferry.services.retention import LinesDropped
from jobferry.services.taskviews import SubtaskPage, Task, TaskHead, TaskList


def task_document(task: Task, *, subtasks: bool = True) -> dict[str, Any]:
    """A task as ``GET /system-tasks/{id}`` answers it (``subtasks=False``: as the task list
    does, without them)."""
    doc: dict[str, Any] = {
        "id": task.id,
        "name": task.name,
        "projectId": task.project_id,
        "startTime": task.start_time,
        "lastUpdate": task.last_update,
        "status": task.status.value,
        "message": task.message,
    }
    if subtasks:
        doc["subtasks"] = task.subtasks
    doc["kind"] = task.kind.value
    doc["progress"] = task.progress
    doc["createUser"] = task.created_by
    if task.end_time is not None:
        doc["endTime"] = task.end_time
    if task.rolled_back is not None:
        doc["rolledBack"] = {"at": task.rolled_back.at, "by": task.rolled_back.by}
    if task.rolling_back is not None:
        doc["rollingBack"] = {"taskId": task.rolling_back}
    if task.rollback_expired is not None:
        expiry = task.rollback_expired
        doc["rollbackExpired"] = {"at": expiry.dropped_at, "keptDays": expiry.kept_days}
    if task.lines_dropped is not None:
        doc["subtasksDropped"] = _dropped(task.lines_dropped)
    if task.result is not None:
        doc["result"] = _result(task)
    if subtasks and task.subtasks_total is not None:
        doc["subtasksTotal"] = task.subtasks_total
    return doc


def _result(task: Task) -> dict[str, Any]:
    """The task's result on the wire: a dry run's plan said as the plan call says it, a
    refresh as the refresh call answers it."""
    result = task.outcome
    if task.kind in (TaskKind.IMPORT, TaskKind.PLAN) and "plan" in result:
        return {**result, "plan": stored_plan_document(result["plan"])}
    if task.kind is TaskKind.REFRESH and "refresh" in result:
        return {**result, "refresh": refresh_view(Refresh.of(result["refresh"]))}
    return result


def task_list_document(listed: TaskList) -> dict[str, Any]:
    """A page of tasks (extension): ``{"total", "tasks"}``, the tasks without subtasks."""
    return {
        "total": listed.total,
        "tasks": [task_document(task, subtasks=False) for task in listed.tasks],
    }


def subtask_page_document(found: SubtaskPage) -> dict[str, Any]:
    """A page of a task's subtasks (extension): ``{"total", "subtasks"}``."""
    doc: dict[str, Any] = {"total": found.total, "subtasks": found.subtasks}
    if found.dropped is not None:
        doc["subtasksDropped"] = _dropped(found.dropped)
    return doc


def _dropped(dropped: LinesDropped) -> dict[str, Any]:
    """``subtasksDropped``: the task's subtasks were dropped (``JOBFERRY_TASK_LINES_DAYS``)."""
    return {
        "at": dropped.at,
        "keptDays": dropped.kept_days,
        "count": dropped.count,
        "message": dropped.said,
    }


def task_stream(head: TaskHead, pages: Iterator[list[str]]) -> Iterator[bytes]:
    """The bytes of :func:`task_document` for a task whose subtasks are rows, written a page
    of stored subtask lines at a time (``pages``) after the task's own fields."""
    if not head.subtask_rows:
        yield orjson.dumps(task_document(head.task))
        return
    yield orjson.dumps(task_document(head.task, subtasks=False))[:-1] + b',"subtasks":['
    first = True
    for lines in pages:
        yield (b"" if first else b",") + ",".join(lines).encode()
        first = False
    yield b"]}"
