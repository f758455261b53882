"""Export by a pasted name list (check first, generate only on a full match) and the
workspace export (all, changed since the last export, changed since a date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.jobs import export_options
from jobferry.console.tasks import TaskSummary, task_summary
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render, text
from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.services.context import WRITERS
from jobferry.services.exporting.options import parse_background_export, parse_export_request
from jobferry.services.exporting.selection import NameCheck

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class ExportNamesContext(PageContext):
    """The name-list export: the pasted names, their check, the task generating the package
    (its progress box; ``reload``: whether the page reloads when it ends), a refusal, the
    most names at once, when the last package was generated, the options last posted."""

    template = "export_names.html"
    names_text: str = ""
    report: NameCheck | None = None
    summary: TaskSummary | None = None
    reload: bool = False
    error: str = ""
    cap: int
    last_generated: int | None
    options: dict[str, Any] | None = None


def _names_page(
    page: Page,
    *,
    names_text: str = "",
    report: NameCheck | None = None,
    summary: TaskSummary | None = None,
    error: str = "",
    options: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    services = page.services
    downloads = services.downloads.list_downloads(page.scope)
    context = ExportNamesContext(
        page=page,
        names_text=names_text,
        report=report,
        summary=summary,
        error=error,
        cap=services.settings.export_name_list_max,
        last_generated=downloads.last_generated_at,
        options=options,
    )
    return render(page.request, context, status_code=status_code)


@dataclass(frozen=True, kw_only=True)
class ExportWorkspaceContext(PageContext):
    """The workspace export: a refusal, when the last package was generated, the options
    last posted."""

    template = "export_workspace.html"
    error: str = ""
    last_generated: int | None
    options: dict[str, Any] | None = None


@router.get("/w/{workspace_id}/export/names")
def names_form(page: PageDep) -> Response:
    """The name-list export: paste names, one per line."""
    page.scope.require(WRITERS, "export jobs")
    return _names_page(page)


@router.post("/w/{workspace_id}/export/names")
def names_generate(page: PageDep, form: FormDep) -> Response:
    """Check the names; on a full match start generating the package (a task)."""
    page.scope.require(WRITERS, "export jobs")
    names_text = text(form, "names")
    names = [line.strip() for line in names_text.splitlines() if line.strip()]
    options = export_options(form)
    try:
        report = page.services.exports.check_names(page.scope, names)
        if report.unmatched or text(form, "action") == "check":
            return _names_page(page, names_text=names_text, report=report, options=options)
        task_id = page.runner.start_export(
            page.scope, parse_export_request(options).of_names(names)
        )
    except JobferryError as exc:
        return _names_page(
            page,
            names_text=names_text,
            error=said(exc),
            options=options,
            status_code=exc.status,
        )
    summary = task_summary(page, page.services.tasks.show(page.scope, task_id, subtasks=0))
    return _names_page(page, names_text=names_text, report=report, summary=summary, options=options)


def _since(day: str, time: str) -> int:
    """The moment *Changed since* names (UTC, the day's start when no time is given), epoch
    ms; a day or time that is not one is refused in the form's words."""
    day, time = day.strip(), time.strip() or "00:00"
    if not day:
        raise InvalidRequestError(
            "Changed since needs a day.",
            fix="Give the day as YYYY-MM-DD (and a time, UTC), or choose another export.",
        )
    try:
        moment = datetime.strptime(f"{day} {time}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidRequestError(
            f"Changed since '{day} {time}' is not a day and time.",
            fix="Give the day as YYYY-MM-DD and the time as HH:MM (UTC).",
        ) from None
    return max(int(moment.timestamp() * 1000), 0)  # before 1970: every change is after it


@router.get("/w/{workspace_id}/export/workspace")
def workspace_form(page: PageDep) -> Response:
    """The workspace export: everything, or what changed."""
    page.scope.require(WRITERS, "export jobs")
    downloads = page.services.downloads.list_downloads(page.scope)
    context = ExportWorkspaceContext(page=page, last_generated=downloads.last_generated_at)
    return render(page.request, context)


@router.post("/w/{workspace_id}/export/workspace")
def workspace_generate(page: PageDep, form: FormDep) -> Response:
    """Start a workspace export task and follow it."""
    page.scope.require(WRITERS, "export jobs")
    changed = text(form, "changed", "all")
    body: dict[str, Any] = {"mode": "workspace", "changed": changed, **export_options(form)}
    try:
        if changed == "since":
            body["since"] = _since(text(form, "since_date"), text(form, "since_time"))
        task_id = page.runner.start_export(page.scope, parse_background_export(body))
    except JobferryError as exc:
        downloads = page.services.downloads.list_downloads(page.scope)
        context = ExportWorkspaceContext(
            page=page,
            error=said(exc),
            last_generated=downloads.last_generated_at,
            options=export_options(form),
        )
        return render(page.request, context, status_code=exc.status)
    return redirect(page.url(f"/tasks/{task_id}"))
