"""Task pages (exports and imports) and the small JSON the page's script polls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from jobferry.console.fixes import console_problems, said, without_fix
from jobferry.console.web import FormDep, Page, PageContext, PageDep, render
from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.tasks import Task, TaskList
from jobferry.settings import OffsetMode

router = APIRouter()


@dataclass(frozen=True)
class TaskSummary:
    """What a task's progress box shows and its polling script reads: status, progress,
    message, and where the package is once an export made one."""

    id: str
    status: TaskStatus
    progress: int
    message: str
    done: bool
    download_url: str = ""
    file_name: str = ""

    def as_json(self) -> dict[str, Any]:
        """The summary as the polling script (console.js) reads it."""
        found: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "progress": self.progress,
            "message": self.message,
            "done": self.done,
        }
        if self.download_url:
            found["downloadUrl"] = self.download_url
            found["fileName"] = self.file_name
        return found


def task_summary(page: Page, task: Task) -> TaskSummary:
    """The progress box of a task."""
    result = task.outcome
    download = result.get("downloadId")
    return TaskSummary(
        id=task.id,
        status=task.status,
        progress=task.progress,
        message=task.message,
        done=task.done,
        download_url=page.url(f"/downloads/{download}/file") if download else "",
        file_name=str(result.get("fileName", "")) if download else "",
    )


TASKS_PAGE = 25


@dataclass(frozen=True, kw_only=True)
class TasksContext(PageContext):
    """The task list: a page of tasks, which imports were rolled back, where the page starts."""

    template = "tasks.html"
    listing: TaskList
    rolled_back: set[str]
    offset: int
    size: int


@router.get("/w/{workspace_id}/tasks")
def tasks_page(page: PageDep, offset: int = 0) -> Response:
    """The workspace's imports and exports, newest first, a page at a time."""
    start = max(offset, 0) // TASKS_PAGE * TASKS_PAGE
    paging = page.services.settings.offset_mode
    asked = start // TASKS_PAGE if paging is OffsetMode.PAGE else start
    listing = page.services.tasks.list_tasks(page.scope, limit=TASKS_PAGE, offset=asked)
    imports = [t.id for t in listing.tasks if t.kind is TaskKind.IMPORT]
    rolled_back = page.services.rollback.rolled_back_among(imports)
    context = TasksContext(
        page=page, listing=listing, rolled_back=rolled_back, offset=start, size=TASKS_PAGE
    )
    return render(page.request, context)


@router.get("/w/{workspace_id}/tasks/{task_id}")
def task_page(page: PageDep, task_id: str) -> Response:
    """A task with its progress bar (polled while it runs), result and subtasks."""
    return _task_view(page, task_id)


@dataclass(frozen=True, kw_only=True)
class TaskContext(PageContext):
    """A task's page: the task, its progress box, its result (``{}`` while it runs), problems
    in the console's terms, the subtasks listed and how many there are, its rollback (when
    and by whom, or what a rollback just did) and a refusal to show."""

    template = "task.html"
    task: Task
    summary: TaskSummary
    result: dict[str, Any]
    problems: list[dict[str, Any]]
    subtasks: list[dict[str, Any]]
    subtask_count: int
    rolled_back: dict[str, Any] | None
    rollback: dict[str, Any] | None
    error: str


def _task_view(
    page: Page,
    task_id: str,
    *,
    rollback: dict[str, Any] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    """A task's page: its progress, result, problems (fixes in the console's terms) and
    objects (their messages without the API's fix, which the problems give)."""
    task = page.services.tasks.show(page.scope, task_id)
    result = task.outcome
    context = TaskContext(
        page=page,
        task=task,
        summary=task_summary(page, task),
        result=result,
        problems=console_problems(
            result.get("problems") or [], page.scope.workspace.name, in_wizard=False
        ),
        subtasks=_listed_subtasks(task.subtasks),
        subtask_count=len(task.subtasks),
        rolled_back=page.services.rollback.rolled_back(page.scope, task_id),
        rollback=rollback,
        error=error,
    )
    return render(page.request, context, status_code=status_code)


SUBTASKS_LISTED = 500
"""Objects a task's page lists at most (an import of 4,001 objects has as many subtasks)."""


def _listed_subtasks(subtasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ``SUBTASKS_LISTED`` subtasks, the failed ones first, each message without the
    API's fix (the page lists every problem with its console fix)."""
    ordered = sorted(subtasks, key=lambda s: s.get("status") == TaskStatus.SUCCESSFUL)
    return [
        {**s, "message": without_fix(str(s.get("message") or ""))}
        for s in ordered[:SUBTASKS_LISTED]
    ]


@router.get("/w/{workspace_id}/tasks/{task_id}/status")
def task_status(page: PageDep, task_id: str) -> Response:
    """The task's state as JSON, for the progress bar."""
    task = page.services.tasks.show(page.scope, task_id)
    return JSONResponse(task_summary(page, task).as_json(), headers={"Cache-Control": "no-store"})


@router.post("/w/{workspace_id}/tasks/{task_id}/rollback")
def rollback(page: PageDep, form: FormDep, task_id: str) -> Response:
    """Undo a finished import (refused, with the reason, when objects changed since)."""
    error, error_status, outcome = "", 0, None
    try:
        outcome = page.services.rollback.rollback(page.scope, task_id)
    except JobferryError as exc:
        error, error_status = said(exc), exc.status
    return _task_view(page, task_id, rollback=outcome, error=error, status_code=error_status or 200)
