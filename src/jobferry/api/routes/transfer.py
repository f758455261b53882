"""Export, import, check-file, system tasks and the download center."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep, accept_upload, streams_upload
from jobferry.api.paging import PagingDep, TasksQueryDep
from jobferry.api.presenters.downloads import download_document, download_list_document
from jobferry.api.presenters.exports import name_check_document, upload_document
from jobferry.api.presenters.imports import contents_view, upload_view
from jobferry.api.presenters.plans import plan_document, plan_page_document
from jobferry.api.presenters.tasks import (
    subtask_page_document,
    task_document,
    task_list_document,
    task_stream,
)
from jobferry.api.wire import BodyDep, body_doc, json, no_content, package_response, parse_object
from jobferry.errors import InvalidRequestError
from jobferry.services.exporting.options import (
    name_list,
    parse_background_export,
    parse_batch_export,
    parse_export_request,
)
from jobferry.services.exporting.service import ExportOutcome
from jobferry.services.importing.uploads import KeptUpload
from jobferry.services.taskends import MAX_WAIT
from jobferry.web import attached, package_download, runner_of, services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["export and import"])


def _export_response(outcome: ExportOutcome) -> Response:
    if outcome.uploaded is not None:
        return json(upload_document(outcome.uploaded))
    assert outcome.data is not None
    return attached(outcome.data, outcome.file_name, "application/octet-stream")


@router.post(
    "/jobs/import/plan",
    summary="Plan an import (extension)",
    openapi_extra=body_doc("ImportFileReq", schema=bodies.IMPORT),
)
def plan_import(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ImportFileReq")
    asked = services_of(request).imports.request_of(scope, body, planning=True)
    planned = runner_of(request).plan_import(scope, asked)
    return json({"taskId": planned} if isinstance(planned, str) else plan_document(planned))


@router.get(
    "/jobs/import/plans/{plan_id}/objects",
    summary="A page of a kept plan's objects, in plan order (extension)",
)
def plan_objects(
    request: Request,
    scope: ScopeDep,
    plan_id: str,
    paging: PagingDep,
    action: str | None = None,
    kind: str | None = None,
) -> Response:
    plans = services_of(request).imports.plans
    page = plans.objects(
        scope, plan_id, offset=paging.offset, limit=paging.limit, action=action, kind=kind
    )
    return json(plan_page_document(page))


@router.post(
    "/jobs/import",
    summary="import_job",
    openapi_extra=body_doc("ImportFileReq", schema=bodies.IMPORT),
)
def import_job(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ImportFileReq")
    asked = services_of(request).imports.request_of(scope, body, planning=False)
    return json({"taskId": runner_of(request).start_import(scope, asked)})


@router.post(
    "/jobs/check-file",
    summary="show_file_info",
    openapi_extra=body_doc("FilePath", schema=bodies.FILE_PATH),
)
def show_file_info(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="FilePath")
    path = body.get("path")
    if not isinstance(path, str) or not path:
        raise InvalidRequestError("path is required: the package to look into.", parameter="path")
    return json(contents_view(services_of(request).imports.check_file(scope, path)))


@router.post(
    "/packages",
    summary="Upload a package to import (extension): multipart, the zip in field 'file'",
)
@streams_upload
async def upload_package(request: Request, scope: ScopeDep) -> Response:
    # The form parser needs the event loop and spools the file to disk as it streams in (the
    # body is never held whole: see api/auth.py, streams_upload); recording the replay, storing
    # and hashing the upload run on the pool.
    # Every file the form spooled is closed on the way out, the ones it was not asked for too.
    async with request.form() as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidRequestError(
                "Send the package as multipart/form-data with the zip in the field 'file'."
            )
        uploads, file = services_of(request).imports, upload.file

        def keep() -> KeptUpload:
            accept_upload(request, file)
            return uploads.upload(scope, file, upload.filename or "")

        return json(upload_view(await run_in_threadpool(keep)))


@router.post(
    "/jobs/batch-export",
    summary="export_job_list",
    responses=package_response("application/octet-stream", or_json=True),
    openapi_extra=body_doc("ExportJobsReq", schema=bodies.EXPORT_JOBS_REQ),
)
def export_job_list(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ExportJobsReq")
    return _export_response(
        services_of(request).exports.export_batch(scope, parse_batch_export(body))
    )


@router.post(
    "/jobs/{job_name}/export",
    summary="export_job",
    responses=package_response("application/octet-stream", or_json=True),
    openapi_extra=body_doc("ExportJobReq", required=False, schema=bodies.EXPORT_JOB_REQ),
)
def export_job(request: Request, scope: ScopeDep, raw: BodyDep, job_name: str) -> Response:
    body = parse_object(raw, required=False, what="ExportJobReq")
    wanted = parse_export_request(body)
    return _export_response(services_of(request).exports.export_job(scope, job_name, wanted))


@router.get("/system-tasks", summary="List the workspace's imports and exports (extension)")
def list_tasks(request: Request, scope: ScopeDep, query: TasksQueryDep) -> Response:
    listed = services_of(request).tasks.list_tasks(
        scope,
        kind=query.kind,
        status=query.status,
        limit=query.limit,
        offset=query.offset,
        window=(query.since, query.until),
    )
    return json(task_list_document(listed))


@router.get("/system-tasks/{task_id}", summary="list_system_tasks")
async def list_system_tasks(
    request: Request,
    scope: ScopeDep,
    task_id: str,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT,
            description="Seconds to wait for a running task to end before answering "
            "(extension; the answer comes as soon as it ends).",
        ),
    ] = 0.0,
    subtasks: Annotated[
        bool,
        Query(
            description="false: the task without its subtasks (extension; how jobferry "
            "follows a running task's progress).",
        ),
    ] = True,
) -> Response:
    # Streamed: an import's subtasks (one per object) may number 200,000.
    tasks = services_of(request).tasks
    # Looked up (a refusal raised) before answering; a wait holds no thread.
    head = await tasks.head(scope, task_id, run_in_threadpool, wait=wait)
    if not subtasks:  # the document made on the thread pool, as the stream's pages are
        return await run_in_threadpool(lambda: json(task_document(head.task, subtasks=False)))
    pages = tasks.subtask_pages(task_id, head.subtask_rows)
    return StreamingResponse(task_stream(head, pages), media_type="application/json")


@router.get(
    "/system-tasks/{task_id}/subtasks",
    summary="A page of a task's subtasks, in order (extension)",
)
def list_subtasks(request: Request, scope: ScopeDep, task_id: str, paging: PagingDep) -> Response:
    tasks = services_of(request).tasks
    found = tasks.subtasks(scope, task_id, offset=paging.offset, limit=paging.limit)
    return json(subtask_page_document(found))


@router.post(
    "/exports/check-names",
    summary="Match a pasted name list against the workspace's jobs (extension)",
    openapi_extra=body_doc("name list", schema=bodies.NAME_LIST),
)
def check_export_names(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what='{"names"}')
    return json(
        name_check_document(services_of(request).exports.check_names(scope, name_list(body)))
    )


@router.post(
    "/exports",
    summary="Start a background export into the download center (extension)",
    openapi_extra=body_doc("export request", schema=bodies.EXPORT),
)
def start_export(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="export request")
    return json({"taskId": runner_of(request).start_export(scope, parse_background_export(body))})


@router.get("/downloads", summary="The download center (extension)")
def list_downloads(request: Request, scope: ScopeDep) -> Response:
    return json(download_list_document(services_of(request).downloads.list_downloads(scope)))


@router.get("/downloads/{download_id}", summary="One package's details (extension)")
def show_download(request: Request, scope: ScopeDep, download_id: str) -> Response:
    return json(download_document(services_of(request).downloads.get(scope, download_id)))


@router.get(
    "/downloads/{download_id}/content",
    summary="Download a package (extension)",
    responses=package_response("application/zip"),
)
def download_content(request: Request, scope: ScopeDep, download_id: str) -> Response:
    return package_download(*services_of(request).downloads.open(scope, download_id))


@router.delete("/downloads/{download_id}", status_code=204, summary="Delete a package (extension)")
def delete_download(request: Request, scope: ScopeDep, download_id: str) -> Response:
    services_of(request).downloads.delete(scope, download_id)
    return no_content()
