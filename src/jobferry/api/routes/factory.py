"""DataArts Studio factory v2 calls (snake_case): workspace variables, job rename, script list,
and the alarm records of job runs, answered "not supported" (jobferry runs nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep, WorkspaceScopeDep
from jobferry.api.paging import NamedPage, named_page
from jobferry.api.presenters.definitions import factory_script
from jobferry.api.presenters.environment import VARIABLES_SAVED, variables
from jobferry.api.routes.execution import refuse
from jobferry.api.wire import (
    BodyDep,
    body_doc,
    json,
    lock_passed,
    lock_passed_response,
    parse_object,
)
from jobferry.services.definitions.renames import parse_rename
from jobferry.web import services_of

FactoryScriptsQuery = Annotated[NamedPage, named_page("script_name")]

router = APIRouter(prefix="/v2/{project_id}/factory", tags=["factory v2"])


@router.get("/env", summary="show_factory_env")
def show_factory_env(request: Request, scope: ScopeDep) -> Response:
    return json(variables(services_of(request).variables.list(scope)))


@router.put(
    "/env",
    summary="create_factory_env",
    openapi_extra=body_doc('EnvRequestBody {"params": [{"name", "type", "value", "desc"}]}'),
)
def create_factory_env(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="EnvRequestBody")
    services_of(request).variables.save(scope, body)
    return json(VARIABLES_SAVED)


@router.put(
    "/jobs/{job_name}/rename",
    summary="update_factory_job_name",
    openapi_extra=body_doc("UpdateFactoryJobNameRequestBody", schema=bodies.RENAME_JOB_REQ),
    responses=lock_passed_response(200, "Successful Response"),
)
def update_factory_job_name(
    request: Request, scope: WorkspaceScopeDep, raw: BodyDep, job_name: str
) -> Response:
    new_name = parse_rename(parse_object(raw, required=True, what='{"name"}'))
    renamed = services_of(request).jobs.rename(scope, job_name, new_name)
    return lock_passed(json({"is_success": True, "status_code": 200}), renamed.holders)


@router.get("/scripts", summary="list_factory_scripts")
def list_factory_scripts(
    request: Request, scope: WorkspaceScopeDep, query: FactoryScriptsQuery
) -> Response:
    total, items = services_of(request).scripts.list_scripts(
        scope, script_name=query.name, limit=query.limit, offset=query.offset
    )
    return json({"total": total, "scripts": [factory_script(item) for item in items]})


_NO_ALARMS = (
    "jobferry stores, versions and moves job definitions and their scheduling state; it runs no "
    "job, so it raises no alarms. Read them on the DataArts service the jobs are promoted to."
)


@router.get("/alarm-info", summary="list_factory_alarm_info (not supported)")
def list_factory_alarm_info(scope: ScopeDep) -> None:
    raise refuse("list_factory_alarm_info", _NO_ALARMS)
