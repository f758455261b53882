"""The jobs page (one folder at a time, with check boxes and filters), job details, and the
export dialog for ticked jobs and folders."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from jobferry.console.dag import Dag, layout
from jobferry.console.deleting import delete_then_list, deleted_said
from jobferry.console.editor import saved_said
from jobferry.console.fixes import said
from jobferry.console.listing import Listing, ListingAddressDep, Ticks, listing_query
from jobferry.console.missing import JOBS, looked_up
from jobferry.console.nodes import NodeView, node_views
from jobferry.console.web import (
    FormDep,
    Page,
    PageContext,
    PageDep,
    paths,
    redirect,
    render,
    text,
    texts,
)
from jobferry.domain.enums import ListedStatus, ObjectKind
from jobferry.domain.folders import crumbs
from jobferry.domain.references import Reference
from jobferry.domain.schedule import parse_schedule_time
from jobferry.errors import JobferryError
from jobferry.services.context import OPERATORS, WRITERS
from jobferry.services.definitions.folders import FolderQuery, parse_job_selection
from jobferry.services.definitions.records import (
    JobState,
    Lock,
    Provenance,
    ShownJob,
    SubmittedVersion,
)
from jobferry.services.exporting.options import parse_export_request
from jobferry.web import attachment

router = APIRouter()

STATUS_LABELS = {
    ListedStatus.SCHEDULED: "scheduled",
    ListedStatus.STOPPED: "stopped",
    ListedStatus.UNSUBMITTED: "never submitted",
}


def export_options(form: Any) -> dict[str, Any]:
    """The export request options the dialogs post (content, job status, upstream jobs, and
    the target the package is for: its deletions since the last export for it, as
    ``jobferry export --for TARGET``)."""
    options: dict[str, Any] = {
        "exportDepend": text(form, "content", "deps") != "jobs",
        "exportStatus": "SUBMIT" if text(form, "export_status") == "SUBMIT" else "DEVELOP",
        "withUpstream": text(form, "upstream") == "on",
    }
    target = text(form, "for_target")
    if target:
        options["deletionsFor"] = target
    return options


@dataclass(frozen=True, kw_only=True)
class JobsContext(PageContext):
    """The jobs page: one folder's listing, the link that shows or hides the check boxes,
    the parent folder, the ticks as the page's script reads them (JSON), whether a filter is
    on, the status and tag filters, a refused export, the export options last posted and the
    most ticked jobs downloaded at once."""

    template = "jobs.html"
    view: Listing
    toggle_url: str
    parent: str
    marks: str
    filtered: bool
    statuses: list[tuple[str, str]]
    tags: list[str]
    error: str = ""
    message: str = ""
    options: dict[str, Any] | None = None
    sync_max: int


def _jobs_page(
    page: Page,
    query: FolderQuery,
    *,
    select: bool = False,
    ticks: Ticks | None = None,
    error: str = "",
    message: str = "",
    status_code: int = 200,
) -> Response:
    services = page.services
    select = (select or ticks is not None) and page.can_write
    shown = services.folders.page(page.scope, ObjectKind.JOB, query)
    view = Listing(page, shown, select=select, ticks=ticks or Ticks())
    toggle = Listing(page, replace(shown, query=replace(query, page=1)), select=not select)
    trail = crumbs(query.folder)
    context = JobsContext(
        page=page,
        view=view,
        toggle_url=toggle.page_url(query.folder),
        parent=trail[-2][1] if len(trail) > 1 else "",
        marks=json.dumps(view.ticks.marks, separators=(",", ":")),
        filtered=bool(query.name or query.tag or query.status),
        statuses=[(s.value, label) for s, label in STATUS_LABELS.items()],
        tags=[t.name for t in services.governance.list_tags(page.scope)],
        error=error,
        message=message,
        sync_max=min(
            services.settings.console_sync_export_max_jobs,
            services.settings.export_batch_max_jobs,
        ),
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/jobs")
def jobs_page(page: PageDep, address: ListingAddressDep) -> Response:
    """One folder of the workspace's jobs: its sub-folders and its jobs, filtered by name,
    tag and status, a page at a time."""
    return _jobs_page(
        page, address.query(), select=address.selecting, message=deleted_said(page, "job")
    )


@dataclass(frozen=True, kw_only=True)
class JobContext(PageContext):
    """A job's page: the job and its document, its description, node graph and nodes (with each
    node's panel anchor), schedule, parameters, versions, scheduling status, references,
    where it came from (the import from another workspace that wrote it) and its owner (as
    the jobs listing shows it)."""

    template = "job.html"
    job: ShownJob
    doc: dict[str, Any]
    description: str
    dag: Dag
    nodes: list[NodeView]
    anchors: dict[str, str]
    schedule: dict[str, Any]
    cron_times: list[tuple[str, str]]
    """The cron schedule's start and end as written, one without an offset said to be read in
    the schedule's zone (``From``, ``Until``)."""
    params: list[dict[str, Any]]
    versions: list[SubmittedVersion]
    state: JobState
    references: list[Reference]
    missing: frozenset[tuple[str, str]]
    """The scripts, resources and jobs named that the workspace lacks: ``(kind, name)``."""
    came_from: Provenance | None
    owner: str
    lock: Lock | None
    """Who holds a lock on it (``None``: nobody)."""
    error: str = ""
    """A refused Delete, said on the page."""
    message: str = ""
    """What the editor saved, when it came back here."""


@router.get("/w/{workspace_id}/jobs/{job_name}")
def job_detail(page: PageDep, job_name: str, saved: str = "") -> Response:
    """One job: its description, node graph and nodes, schedule, parameters, versions,
    scheduling status and where it came from (``saved``: what the editor just saved)."""
    with looked_up(page, JOBS):
        return _job_page(page, job_name, saved=saved)


def _job_page(
    page: Page, job_name: str, *, error: str = "", status_code: int = 200, saved: str = ""
) -> Response:
    detail = page.services.jobs.detail(page.scope, job_name)
    doc = detail.job.document
    schedule = doc.get("schedule")
    params = doc.get("params")
    params = params if isinstance(params, list) else []
    nodes = node_views(doc.get("nodes"), detail.references, detail.missing)
    context = JobContext(
        page=page,
        job=detail.job,
        doc=doc,
        description=_description(doc),
        dag=layout(doc.get("nodes")),
        nodes=nodes,
        anchors={node.name: node.anchor for node in nodes},
        schedule=schedule if isinstance(schedule, dict) else {},
        cron_times=_cron_times(schedule),
        params=[p for p in params if isinstance(p, dict)],
        versions=detail.versions,
        state=detail.state,
        references=detail.references,
        missing=detail.missing,
        came_from=detail.provenance,
        owner=detail.owner,
        lock=detail.lock,
        error=error,
        message=saved_said(saved, "job", detail.job.version),
    )
    return render(page.request, context, status_code=status_code)


def _cron_times(schedule: Any) -> list[tuple[str, str]]:
    cron = schedule.get("cron") if isinstance(schedule, dict) else None
    if not isinstance(cron, dict):
        return []
    zone = cron.get("expressionTimeZone")
    shown: list[tuple[str, str]] = []
    for label, key in (("From", "startTime"), ("Until", "endTime")):
        value = cron.get(key)
        if not isinstance(value, str) or not value.strip():
            shown.append((label, "—"))
            continue
        try:
            local = parse_schedule_time(value).tzinfo is None
        except ValueError:
            local = False
        shown.append((label, f"{value} ({zone} time)" if local and zone else value))
    return shown


def _description(doc: dict[str, Any]) -> str:
    """A job's description: DataArts keeps it as ``description`` (the API) or as
    ``basicConfig.jobDescription`` (console exports)."""
    basic = doc.get("basicConfig")
    found = doc.get("description") or (
        basic.get("jobDescription") if isinstance(basic, dict) else None
    )
    return found if isinstance(found, str) else ""


@router.post("/w/{workspace_id}/jobs/{job_name}/scheduling")
def scheduling(page: PageDep, form: FormDep, job_name: str) -> Response:
    """Start or stop scheduling a job (admins, developers, operators), then show it again;
    refused in a remote's shadow, whose scheduling changes only with the remote."""
    start = text(form, "action") == "start"
    page.require_change(OPERATORS, "start jobs" if start else "stop jobs", scheduling=True)
    if start:
        page.services.jobs.start(page.scope, job_name)
    else:
        page.services.jobs.stop(page.scope, job_name)
    return redirect(page.url(f"/jobs/{quote(job_name, safe='')}"))


@router.post("/w/{workspace_id}/jobs/{job_name}/delete")
def delete_job(page: PageDep, form: FormDep, job_name: str) -> Response:
    """Delete a job (writers) with the API's own checks: refused, on its page, while it is
    scheduled, other jobs depend on it or another user locks it. Who may not delete here is
    told so first, as the API tells them, whether the job is there or not."""
    page.require_change(WRITERS, "delete jobs")
    jobs = page.services.jobs
    directory = jobs.detail(page.scope, job_name).job.directory
    return delete_then_list(page, job_name, jobs.delete, _job_page, "/jobs", directory)


@router.post("/w/{workspace_id}/export")
def export_ticked(request: Request, page: PageDep, form: FormDep) -> Response:
    """Export the ticked jobs and folders: small selections download at once, large ones
    become a task."""
    page.scope.require(WRITERS, "export jobs")
    folder = paths(form, "folder")
    query = listing_query(
        folder[0] if folder else "/", text(form, "q"), text(form, "tag"), text(form, "status")
    )
    ticks = Ticks(
        frozenset(texts(form, "job")),
        frozenset(paths(form, "job_folder")),
        frozenset(texts(form, "not_job")),
        frozenset(paths(form, "not_job_folder")),
    )
    selection = parse_job_selection(
        sorted(ticks.jobs),
        sorted(ticks.folders),
        sorted(ticks.not_jobs),
        sorted(ticks.not_folders),
        query,
    )
    names = page.services.folders.selected_jobs(page.scope, selection)
    if not names:
        return _jobs_page(
            page,
            query,
            ticks=ticks,
            error="Tick at least one job or folder to export.",
            status_code=400,
        )
    try:
        outcome = page.runner.export_selected(
            page.scope, names, parse_export_request(export_options(form))
        )
    except JobferryError as exc:
        return _jobs_page(page, query, ticks=ticks, error=said(exc), status_code=exc.status)
    if isinstance(outcome, str):
        return redirect(page.url(f"/tasks/{outcome}"))
    assert outcome.data is not None
    return Response(
        content=outcome.data,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(outcome.file_name)},
    )
