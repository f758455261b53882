"""DataArts Studio look-ups for the ``workspace`` header value: instances and workspaces
(management-centre calls, snake_case, no ``workspace`` header)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ActorDep
from jobferry.api.paging import PagingDep
from jobferry.api.presenters.workspaces import instances, workspace_body, workspaces
from jobferry.api.wire import BodyDep, body_doc, json, parse_object
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


@router.put(
    "/{instance_id}/workspace/{workspace_id}",
    summary="update_work_space_old",
    openapi_extra=body_doc('WorkspaceDto {"name", "mode": "1" (enterprise)}'),
)
def update_work_space_old(
    request: Request,
    project_id: str,
    instance_id: str,
    workspace_id: str,
    actor: ActorDep,
    raw: BodyDep,
) -> Response:
    services = services_of(request)
    services.studio_workspaces.workspace(actor, project_id, instance_id, workspace_id)
    scope = services.accounts.scope(actor, project_id, workspace_id)
    body = parse_object(raw, required=True, what="WorkspaceDto")
    services.releases.update_workspace(scope, body)
    return json({"message": None, "is_success": True})


@router.get("/workspaces/{instance_id}/{workspace_id}", summary="show_work_space")
def show_work_space(
    request: Request, project_id: str, instance_id: str, workspace_id: str, actor: ActorDep
) -> Response:
    lookups = services_of(request).studio_workspaces
    found = lookups.workspace(actor, project_id, instance_id, workspace_id)
    return json(workspace_body(found))
