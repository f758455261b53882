"""The job directory tree (with check boxes and filters), job details, and the export dialog
for ticked jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from jobferry.console.dag import layout
from jobferry.console.tree import STATUS_FILTERS, build_tree, matches_status
from jobferry.console.web import FormDep, Page, PageDep, redirect, render, text, texts
from jobferry.errors import JobferryError
from jobferry.services.context import WRITERS
from jobferry.services.exporting.options import parse_export_request
from jobferry.web import attachment

router = APIRouter()


def export_options(form: Any) -> dict[str, Any]:
    """The export request options the dialogs post (content, job status, upstream jobs)."""
    return {
        "exportDepend": text(form, "content", "deps") != "jobs",
        "exportStatus": "SUBMIT" if text(form, "export_status") == "SUBMIT" else "DEVELOP",
        "withUpstream": text(form, "upstream") == "on",
    }


def _jobs_page(
    page: Page,
    *,
    q: str = "",
    tag: str = "",
    status: str = "",
    select: bool = False,
    error: str = "",
    ticked: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    services = page.services
    jobs = services.jobs.directory(page.scope, name=q or None, tag=tag or None)
    jobs = [j for j in jobs if matches_status(j, status)]
    tags = [t["name"] for t in services.governance.list_tags(page.scope)]
    return render(
        page.request,
        "jobs.html",
        page,
        status_code=status_code,
        tree=build_tree(jobs),
        total=len(jobs),
        q=q,
        tag=tag,
        status=status,
        statuses=STATUS_FILTERS,
        tags=tags,
        select=(select or bool(ticked)) and page.can_write,
        ticked=set(ticked or []),
        error=error,
        sync_max=min(
            services.settings.console_sync_export_max_jobs,
            services.settings.export_batch_max_jobs,
        ),
    )


@router.get("/w/{workspace_id}/jobs")
def job_tree(
    page: PageDep, q: str = "", tag: str = "", status: str = "", select: str = ""
) -> Response:
    """The workspace's jobs as a folder tree, filtered by name, tag and status."""
    return _jobs_page(
        page, q=q.strip(), tag=tag.strip(), status=status, select=select in ("1", "on")
    )


@router.get("/w/{workspace_id}/jobs/{job_name}")
def job_detail(page: PageDep, job_name: str) -> Response:
    """One job: its node graph, schedule, parameters, versions and scheduling status."""
    detail = page.services.jobs.detail(page.scope, job_name)
    doc = detail.document
    schedule = doc.get("schedule")
    params = doc.get("params")
    params = params if isinstance(params, list) else []
    return render(
        page.request,
        "job.html",
        page,
        job=doc,
        name=job_name,
        dag=layout(doc.get("nodes")),
        schedule=schedule if isinstance(schedule, dict) else {},
        params=[p for p in params if isinstance(p, dict)],
        versions=detail.versions,
        status=detail.status,
        references=detail.references,
    )


@router.post("/w/{workspace_id}/export")
def export_ticked(request: Request, page: PageDep, form: FormDep) -> Response:
    """Export the ticked jobs: small selections download at once, large ones become a task."""
    page.scope.require(WRITERS, "export jobs")
    names = list(dict.fromkeys(texts(form, "job")))
    options = export_options(form)
    q, tag, status = text(form, "q"), text(form, "tag"), text(form, "status")
    if not names:
        return _jobs_page(
            page,
            q=q,
            tag=tag,
            status=status,
            select=True,
            error="Tick at least one job to export.",
            status_code=400,
        )
    try:
        outcome = page.runner.export_selected(page.scope, names, parse_export_request(options))
    except JobferryError as exc:
        return _jobs_page(
            page,
            q=q,
            tag=tag,
            status=status,
            ticked=names,
            error=exc.message,
            status_code=exc.status,
        )
    if isinstance(outcome, str):
        return redirect(page.url(f"/tasks/{outcome}"))
    assert outcome.data is not None
    return Response(
        content=outcome.data,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(outcome.file_name)},
    )
