"""DataArts Studio look-ups for the ``workspace`` header value: instances and workspaces
(management-centre calls, snake_case, no ``workspace`` header)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ActorDep
from jobferry.api.paging import PagingDep
from jobferry.api.presenters.workspaces import instances, workspace_body, workspaces
from jobferry.api.wire import json
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["DataArts Studio workspaces"])


@router.get("/instances", summary="list_data_arts_studio_instances")
def list_data_arts_studio_instances(
    request: Request, project_id: str, actor: ActorDep, paging: PagingDep
) -> Response:
    lookups = services_of(request).studio_workspaces
    found = lookups.instances(actor, project_id, paging.limit, paging.offset)
    return json(instances(found))


@router.get("/workspaces/{instance_id}", summary="list_manager_work_spaces")
def list_manager_work_spaces(
    request: Request,
    project_id: str,
    instance_id: str,
    actor: ActorDep,
    paging: PagingDep,
) -> Response:
    lookups = services_of(request).studio_workspaces
    found = lookups.workspaces(actor, project_id, instance_id, paging.limit, paging.offset)
    return json(workspaces(found))


@router.get("/workspaces/{instance_id}/{workspace_id}", summary="show_work_space")
def show_work_space(
    request: Request, project_id: str, instance_id: str, workspace_id: str, actor: ActorDep
) -> Response:
    lookups = services_of(request).studio_workspaces
    found = lookups.workspace(actor, project_id, instance_id, workspace_id)
    return json(workspace_body(found))
