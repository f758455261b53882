"""Task pages (exports and imports) and the small JSON the page's script polls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from jobferry.console.fixes import console_problems, said, without_fix
from jobferry.console.web import FormDep, PageDep, render
from jobferry.errors import JobferryError
from jobferry.settings import OffsetMode

router = APIRouter()


def task_summary(page: Any, task: dict[str, Any]) -> dict[str, Any]:
    """What the polling script needs: status, progress, message, and where the package is."""
    result = task.get("result") or {}
    summary: dict[str, Any] = {
        "id": task["id"],
        "status": task["status"],
        "progress": task.get("progress", 0),
        "message": task.get("message", ""),
        "done": task["status"] != "RUNNING",
    }
    if result.get("downloadId"):
        summary["downloadUrl"] = page.url(f"/downloads/{result['downloadId']}/file")
        summary["fileName"] = result.get("fileName", "")
    return summary


TASKS_PAGE = 25


@router.get("/w/{workspace_id}/tasks")
def tasks_page(page: PageDep, offset: int = 0) -> Response:
    """The workspace's imports and exports, newest first, a page at a time."""
    start = max(offset, 0) // TASKS_PAGE * TASKS_PAGE
    paging = page.services.settings.offset_mode
    asked = start // TASKS_PAGE if paging is OffsetMode.PAGE else start
    listing = page.services.tasks.list_tasks(page.scope, limit=TASKS_PAGE, offset=asked)
    imports = [t["id"] for t in listing["tasks"] if t["kind"] == "import"]
    rolled_back = page.services.rollback.rolled_back_among(imports)
    return render(
        page.request,
        "tasks.html",
        page,
        listing=listing,
        rolled_back=rolled_back,
        offset=start,
        size=TASKS_PAGE,
    )


@router.get("/w/{workspace_id}/tasks/{task_id}")
def task_page(page: PageDep, task_id: str) -> Response:
    """A task with its progress bar (polled while it runs), result and subtasks."""
    return _task_view(page, task_id)


def _task_view(
    page: Any,
    task_id: str,
    *,
    rollback: dict[str, Any] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    """A task's page: its progress, result, problems (fixes in the console's terms) and
    objects (their messages without the API's fix, which the problems give)."""
    task = page.services.tasks.show(page.scope, task_id)
    result = task.get("result") or {}
    return render(
        page.request,
        "task.html",
        page,
        status_code=status_code,
        task=task,
        summary=task_summary(page, task),
        result=result,
        problems=console_problems(
            result.get("problems") or [], page.scope.workspace.name, in_wizard=False
        ),
        subtasks=_listed_subtasks(task.get("subtasks") or []),
        subtask_count=len(task.get("subtasks") or []),
        rolled_back=page.services.rollback.rolled_back(page.scope, task_id),
        rollback=rollback,
        error=error,
    )


SUBTASKS_LISTED = 500
"""Objects a task's page lists at most (an import of 4,001 objects has as many subtasks)."""


def _listed_subtasks(subtasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ``SUBTASKS_LISTED`` subtasks, the failed ones first, each message without the
    API's fix (the page lists every problem with its console fix)."""
    ordered = sorted(subtasks, key=lambda s: s.get("status") == "SUCCESSFUL")
    return [
        {**s, "message": without_fix(str(s.get("message") or ""))}
        for s in ordered[:SUBTASKS_LISTED]
    ]


@router.get("/w/{workspace_id}/tasks/{task_id}/status")
def task_status(page: PageDep, task_id: str) -> Response:
    """The task's state as JSON, for the progress bar."""
    task = page.services.tasks.show(page.scope, task_id)
    return JSONResponse(task_summary(page, task), headers={"Cache-Control": "no-store"})


@router.post("/w/{workspace_id}/tasks/{task_id}/rollback")
def rollback(page: PageDep, form: FormDep, task_id: str) -> Response:
    """Undo a finished import (refused, with the reason, when objects changed since)."""
    error, error_status, outcome = "", 0, None
    try:
        outcome = page.services.rollback.rollback(page.scope, task_id)
    except JobferryError as exc:
        error, error_status = said(exc), exc.status
    return _task_view(page, task_id, rollback=outcome, error=error, status_code=error_status or 200)
