"""Task pages (exports and imports) and the small JSON the page's script polls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from jobferry.console.fixes import console_problems, task_refused, without_fix
from jobferry.console.missing import TASKS, looked_up
from jobferry.console.plans import task_plan
from jobferry.console.remotes import refresh_failed
from jobferry.console.web import (
    Page,
    PageContext,
    PageDep,
    QueryInt,
    base_of,
    redirect,
    render,
)
from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.importing.delivery import RolledBack
from jobferry.services.importing.plan import Plan
from jobferry.services.routes.running import Following
from jobferry.services.taskends import MAX_WAIT
from jobferry.services.taskviews import Task, TaskList
from jobferry.settings import OffsetMode

router = APIRouter()


DOWNLOAD_NOTE = (
    "The package is kept in the download center, which admins and developers of this "
    "workspace use: ask one of them for it."
)
DOWNLOAD_GONE = (
    "The package is no longer in the download center: it expired or was deleted. Export "
    "again to make a new one."
)


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
    poll_url: str = ""
    """Where its progress is polled, when not the task page's workspace (a release's task
    runs in the production side)."""
    download_note: str = ""
    """Why the package is not offered to this viewer (the download center takes a role that
    may export, or the package is gone: expired or deleted), in place of a link that would
    be refused."""

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
        if self.download_note:
            found["downloadNote"] = self.download_note
        return found


def task_summary(page: Page, task: Task) -> TaskSummary:
    """The progress box of a task (a refresh's failure said in the console's terms); an
    export's asks the download center whether its package is still kept (a read: called on
    the thread pool)."""
    result = task.outcome
    download = result.get("downloadId")
    note = ""
    if download and not page.services.downloads.kept(page.scope, str(download)):
        download, note = None, DOWNLOAD_GONE
    elif download and not page.can_write:
        download, note = None, DOWNLOAD_NOTE
    return TaskSummary(
        id=task.id,
        status=task.status,
        progress=task.progress,
        message=_said(task),
        done=task.done,
        download_url=page.url(f"/downloads/{download}/file") if download else "",
        file_name=str(result.get("fileName", "")) if download else "",
        download_note=note,
    )


def _said(task: Task) -> str:
    """A task's message; a refresh's or a rollback's refusal said in the console's terms."""
    if task.status is not TaskStatus.FAILED:
        return task.message
    if task.kind is TaskKind.REFRESH:
        return refresh_failed(task.message, task.outcome)
    if task.kind in (TaskKind.ROLLBACK, TaskKind.PROMOTION):
        return task_refused(task.message, task.outcome)
    return task.message


TASKS_PAGE = 25
KINDS = (
    (TaskKind.IMPORT, "Imports"),
    (TaskKind.PLAN, "Plans"),
    (TaskKind.EXPORT, "Exports"),
    (TaskKind.ROLLBACK, "Rollbacks"),
    (TaskKind.REFRESH, "Refreshes"),
    (TaskKind.PROMOTION, "Promotions"),
    (TaskKind.CONNECTIONS, "Connection imports"),
)
"""The kinds the task list filters by, as it names them."""


@dataclass(frozen=True)
class TaskFilter:
    """What the task list shows: tasks of one kind and status, started on one day (UTC), or
    all (``None``)."""

    kind: TaskKind | None = None
    status: TaskStatus | None = None
    day: date | None = None

    @classmethod
    def of(cls, kind: str, status: str, day: str = "") -> TaskFilter:
        """The filter a query names; a value that names no kind, status or day is no filter."""
        kinds, statuses = {str(k): k for k in TaskKind}, {str(s): s for s in TaskStatus}
        try:
            on = date.fromisoformat(day.strip()) if day.strip() else None
        except ValueError:
            on = None
        return cls(kinds.get(kind), statuses.get(status.upper()), on)

    @property
    def window(self) -> tuple[int | None, int | None]:
        """The day as epoch ms, from its start (included) to the next's (excluded)."""
        if self.day is None:
            return None, None
        start = int(datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC).timestamp())
        return start * 1000, (start + 86_400) * 1000

    @property
    def query(self) -> str:
        """The filter as the list's links carry it (``&kind=…&status=…&day=…``; ``""``:
        none)."""
        kind = f"&kind={self.kind}" if self.kind is not None else ""
        day = f"&day={self.day.isoformat()}" if self.day is not None else ""
        return kind + (f"&status={self.status}" if self.status is not None else "") + day


@dataclass(frozen=True, kw_only=True)
class TasksContext(PageContext):
    """The task list: a page of tasks, which imports were rolled back, where the page starts,
    the filter and the choices it offers."""

    template = "tasks.html"
    listing: TaskList
    rolled_back: set[str]
    offset: int
    size: int
    shown: TaskFilter
    kinds: tuple[tuple[TaskKind, str], ...] = KINDS
    statuses: tuple[TaskStatus, ...] = tuple(TaskStatus)


@router.get("/w/{workspace_id}/tasks")
def tasks_page(
    page: PageDep, offset: QueryInt = 0, kind: str = "", status: str = "", day: str = ""
) -> Response:
    """The workspace's tasks, newest first, a page at a time, of one kind, status and day if
    asked (plans and imports soon outnumber the rest on a workspace promoted into every day)."""
    shown = TaskFilter.of(kind, status, day)
    start = max(offset, 0) // TASKS_PAGE * TASKS_PAGE
    listing = _task_page(page, shown, start)
    if not listing.tasks and listing.total and start:
        # an address past the end (a stale link, tasks swept since): the last page, never
        # "no tasks" where there are some
        start = (listing.total - 1) // TASKS_PAGE * TASKS_PAGE
        listing = _task_page(page, shown, start)
    imports = [t.id for t in listing.tasks if t.kind is TaskKind.IMPORT]
    rolled_back = page.services.rollback.rolled_back_among(imports)
    context = TasksContext(
        page=page,
        listing=listing,
        rolled_back=rolled_back,
        offset=start,
        size=TASKS_PAGE,
        shown=shown,
    )
    return render(page.request, context)


def _task_page(page: Page, shown: TaskFilter, start: int) -> TaskList:
    """The tasks ``shown`` asks for, a page from row ``start``."""
    paging = page.services.settings.offset_mode
    return page.services.tasks.list_tasks(
        page.scope,
        kind=shown.kind,
        status=shown.status,
        limit=TASKS_PAGE,
        offset=start // TASKS_PAGE if paging is OffsetMode.PAGE else start,
        window=shown.window,
    )


@router.get("/w/{workspace_id}/tasks/{task_id}")
def task_page(
    page: PageDep, task_id: str, offset: QueryInt = 0, undone: QueryInt = 0, then: str = ""
) -> Response:
    """A task with its progress bar (polled while it runs), result, and a page of its
    subtasks (``offset``: where the page starts) or of what a rollback undid (``undone``).
    ``then=plan`` (*Promote now* past its budget): once the promotion's package is made, the
    page opens its plan step."""
    with looked_up(page, TASKS):
        if then == "plan":
            ready = promotion_plan_url(
                page, page.services.tasks.show(page.scope, task_id, subtasks=0)
            )
            if ready:
                return redirect(ready)
        return task_view(page, task_id, offset=offset, undone=undone)


def promotion_task_url(page: Page, following: Following) -> str:
    """The page of a promotion's task (of the route's target workspace), which opens the
    plan step once the task has made the promotion's package."""
    where = f"{base_of(page.request)}/w/{following.workspace_id}"
    return f"{where}/tasks/{following.task_id}?then=plan"


def promotion_plan_url(page: Page, task: Task) -> str:
    """Where a promotion task that made its package goes on: the plan step of the import
    wizard of the route's target ('' for another task, or one that made none)."""
    promotion = task.outcome.get("promotionId")
    if task.kind is not TaskKind.PROMOTION or task.status is not TaskStatus.SUCCESSFUL:
        return ""
    if not promotion:
        return ""
    route = quote(str(task.outcome.get("route")), safe="")
    return page.url(f"/routes/{route}/promotions/{promotion}")


ROWS_PAGE = 100
"""Rows a task's page lists at once: of its subtasks (an import of 4,001 objects has as
many), and of what a rollback undid (the first 1,000 are kept)."""


@dataclass(frozen=True)
class Listing:
    """A page of a task's rows (its subtasks in the order it ran them, each message without
    the API's fix; or what a rollback undid), and where the page sits among them all."""

    rows: list[dict[str, Any]]
    offset: int
    total: int
    size: int

    @property
    def first(self) -> int:
        """The 1-based number of the page's first row."""
        return self.offset + 1

    @property
    def last(self) -> int:
        """The 1-based number of the page's last row."""
        return self.offset + len(self.rows)

    @property
    def previous(self) -> int | None:
        """Where the previous page starts (``None`` on the first)."""
        return max(self.offset - self.size, 0) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        """Where the next page starts (``None`` on the last)."""
        return self.offset + self.size if self.offset + self.size < self.total else None


def _page_start(offset: int, total: int) -> int:
    """Where the page holding ``offset`` starts (the last page when past the end)."""
    last_page = max(total - 1, 0) // ROWS_PAGE * ROWS_PAGE
    return min(max(offset, 0) // ROWS_PAGE * ROWS_PAGE, last_page)


def subtask_listing(page: Page, task: Task, offset: int) -> Listing:
    """The page of ``task``'s subtasks holding ``offset``."""
    total = task.subtasks_total or len(task.subtasks)
    if not total:
        return Listing([], 0, 0, ROWS_PAGE)
    start = _page_start(offset, total)
    found = page.services.tasks.subtasks(page.scope, task.id, offset=start, limit=ROWS_PAGE)
    listed = [{**s, "message": without_fix(str(s.get("message") or ""))} for s in found.subtasks]
    return Listing(listed, start, found.total, ROWS_PAGE)


def undone_listing(done: RolledBack | None, offset: int) -> Listing:
    """The page holding ``offset`` of the objects a rollback undid, of those it kept."""
    if done is None or not done.objects:
        return Listing([], 0, 0, ROWS_PAGE)
    start = _page_start(offset, len(done.objects))
    rows = list(done.objects[start : start + ROWS_PAGE])
    return Listing(rows, start, len(done.objects), ROWS_PAGE)


@dataclass(frozen=True, kw_only=True)
class TaskContext(PageContext):
    """A task's page: the task, its progress box, its result (``{}`` while it runs), the plan
    a dry run left, problems in the console's terms, a page of its subtasks, what a rollback
    task undid, and a refusal to show."""

    template = "task.html"
    task: Task
    summary: TaskSummary
    result: dict[str, Any]
    plan: Plan | None
    problems: list[dict[str, Any]]
    objects: Listing
    rollback: RolledBack | None
    undone: Listing
    error: str
    plan_step: str = ""
    """A promotion task's package, once made: its plan step (``promotion_plan_url``)."""


def task_view(
    page: Page,
    task_id: str,
    *,
    offset: int = 0,
    undone: int = 0,
    error: str = "",
    status_code: int = 200,
) -> Response:
    """A task's page: its progress, result (a rollback task's: what it undid), problems (fixes
    in the console's terms) and a page of its objects (their messages without the API's fix,
    which the problems give)."""
    task = page.services.tasks.show(page.scope, task_id, subtasks=0)
    result = task.outcome
    undid = task.kind is TaskKind.ROLLBACK and task.status is TaskStatus.SUCCESSFUL
    rollback = RolledBack.of_result(result) if undid else None
    context = TaskContext(
        page=page,
        task=task,
        summary=task_summary(page, task),
        result=result,
        plan=task_plan(task),
        problems=console_problems(
            result.get("problems") or [], page.scope.workspace.name, in_wizard=False
        ),
        objects=subtask_listing(page, task, offset),
        rollback=rollback,
        undone=undone_listing(rollback, undone),
        error=error,
        plan_step=promotion_plan_url(page, task),
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/tasks/{task_id}/status")
async def task_status(
    page: PageDep, task_id: str, wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0.0
) -> Response:
    """The task's state as JSON, for the progress bar; ``wait``: seconds to wait for a running
    task to end first (the bar asks with one: it shows the end as it happens and the progress
    every second meanwhile), read on the thread pool, no thread held while waiting."""
    with looked_up(page, TASKS):
        head = await page.services.tasks.head(page.scope, task_id, run_in_threadpool, wait=wait)
    summary = await run_in_threadpool(task_summary, page, head.task)  # asks if the package is kept
    return JSONResponse(summary.as_json(), headers={"Cache-Control": "no-store"})
