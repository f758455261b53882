"""Rolling an import back from its task's page: *Roll back this import* opens a review first,
which asks the rollback's own checks, writing nothing, what the rollback would undo; one the
rollback would refuse (objects changed since, an import running…) is refused there, on the
import's page, before anything is confirmed. The review's *Roll back* starts the rollback as a
task of its own, whose page follows it to its end."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.missing import TASKS, looked_up, missing
from jobferry.console.tasks import task_view
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render
from jobferry.errors import JobferryError, PermissionDeniedError, TaskNotFoundError
from jobferry.services.importing.delivery import RolledBack
from jobferry.services.taskviews import Task

router = APIRouter()

LISTED = 100
"""Objects the review lists (its counts count every one)."""


@dataclass(frozen=True, kw_only=True)
class RollbackReviewContext(PageContext):
    """The review of an import's rollback: the import, what its rollback would undo (each
    undo action counted; the first :data:`LISTED` objects) and where *Roll back* posts."""

    template = "rollback_review.html"
    task: Task
    foreseen: RolledBack
    listed: int = LISTED
    task_url: str
    rollback_url: str


@router.get("/w/{workspace_id}/tasks/{task_id}/rollback")
def review_rollback(page: PageDep, task_id: str) -> Response:
    """What rolling the import back would undo, with *Roll back* to confirm it; the import's
    page saying why when the rollback would be refused."""
    try:
        foreseen = page.services.rollback.preview(page.scope, task_id)
    except JobferryError as exc:
        return _refused_rollback(page, task_id, exc)
    with looked_up(page, TASKS):
        task = page.services.tasks.show(page.scope, task_id, subtasks=0)
    context = RollbackReviewContext(
        page=page,
        task=task,
        foreseen=foreseen,
        task_url=page.url(f"/tasks/{task_id}"),
        rollback_url=page.url(f"/tasks/{task_id}/rollback"),
    )
    return render(page.request, context)


@router.post("/w/{workspace_id}/tasks/{task_id}/rollback")
def rollback(page: PageDep, form: FormDep, task_id: str) -> Response:
    """Undo a finished import as a task of its own, whose page follows it to its end (a
    refusal of objects changed since is its end); refused on the import's page, with the
    reason, where it cannot start."""
    try:
        queued = page.runner.start_rollback(page.scope, task_id)
    except JobferryError as exc:
        return _refused_rollback(page, task_id, exc)
    return redirect(page.url(f"/tasks/{queued}"))


def _refused_rollback(page: Page, task_id: str, refused: JobferryError) -> Response:
    """The task's page saying why its rollback was refused. One who may not roll back is
    told so (403) whether or not the task is there, so a refusal never tells them which ids
    exist; anyone else asking for a task that is not there gets the 404 page."""
    try:
        return task_view(page, task_id, error=said(refused), status_code=refused.status)
    except TaskNotFoundError as exc:
        if isinstance(refused, PermissionDeniedError):
            raise refused from None
        raise missing(page, TASKS, said(exc)) from exc
