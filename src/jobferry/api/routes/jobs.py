"""DataArts v1 job calls: /v1/{project_id}/jobs…"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.definitions import DefinitionCalls
from jobferry.api.fastpath import kept_answer
from jobferry.api.paging import JobsQueryDep, OptionalInt
from jobferry.api.presenters.definitions import (
    job_answer,
    job_document,
    job_result,
    job_status,
    provenance_view,
    reference_view,
)
from jobferry.api.versions import VersionCalls
from jobferry.api.wire import (
    BodyDep,
    body_doc,
    json,
    json_bytes,
    json_list,
    no_content,
    parse_object,
)
from jobferry.domain.enums import ObjectKind
from jobferry.services.definitions.jobs import NO_VERSION
from jobferry.services.definitions.starts import parse_start
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}/jobs", tags=["jobs"])


@router.get("", summary="list_jobs")
@kept_answer
def list_jobs(request: Request, scope: ScopeDep, query: JobsQueryDep) -> Response:
    total, items = services_of(request).jobs.list_jobs(
        scope,
        job_type=query.job_type,
        job_name=query.job_name,
        tags=query.tags,
        limit=query.limit,
        offset=query.offset,
    )
    return json_list("jobs", [job_result(item) for item in items], total)


@router.get("/{job_name}", summary="show_job")
@kept_answer
def show_job(
    request: Request,
    scope: ScopeDep,
    job_name: str,
    version: OptionalInt = None,
    dependencies: bool = False,
    get_job_submit_version: Annotated[bool, Query(alias="getJobSubmitVersion")] = False,
    provenance: Annotated[
        bool, Query(description="Add where the job came from (extension field provenance).")
    ] = False,
) -> Response:
    jobs = services_of(request).jobs
    plain = not dependencies and not get_job_submit_version and not provenance
    if (version is None or version == NO_VERSION) and plain:
        return json_bytes(jobs.show_answer(scope, job_name, job_answer))
    shown = jobs.show(
        scope,
        job_name,
        version=version,
        dependencies=dependencies,
        submitted=get_job_submit_version,
        provenance=provenance,
    )
    return json(job_document(shown))


# The writes after the reads, which clients poll most (api.app.ROUTERS).
JOB = DefinitionCalls("job", "job_name", "JobInfo", lambda services: services.jobs, locked=True)
JOB.create(router)
JOB.update(router)
JOB.delete(router)


@router.post(
    "/{job_name}/start",
    status_code=204,
    openapi_extra=body_doc("StartJobReq", required=False, schema=bodies.START_JOB_REQ),
    summary="start_job",
)
def start_job(request: Request, scope: ScopeDep, raw: BodyDep, job_name: str) -> Response:
    body = parse_object(raw, required=False, what="StartJobReq")
    services_of(request).jobs.start(scope, job_name, parse_start(body))
    return no_content()


@router.post("/{job_name}/stop", status_code=204, summary="stop_job")
def stop_job(request: Request, scope: ScopeDep, job_name: str) -> Response:
    services_of(request).jobs.stop(scope, job_name)
    return no_content()


@router.get("/{job_name}/status", summary="show_job_status")
def show_job_status(request: Request, scope: ScopeDep, job_name: str) -> Response:
    return json(job_status(services_of(request).jobs.status(scope, job_name)))


VersionCalls(ObjectKind.JOB, "job_name").register(router)


@router.get("/{job_name}/provenance", summary="Where a job came from (extension)")
def show_job_provenance(request: Request, scope: ScopeDep, job_name: str) -> Response:
    came_from = services_of(request).jobs.provenance(scope, job_name)
    return json({"jobName": job_name, "provenance": provenance_view(came_from)})


@router.get("/{job_name}/references", summary="What a job references (extension)")
def list_job_references(request: Request, scope: ScopeDep, job_name: str) -> Response:
    references = services_of(request).jobs.references(scope, job_name)
    return json_list("references", [reference_view(r) for r in references])
