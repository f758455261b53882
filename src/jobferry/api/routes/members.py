"""DataArts Studio's workspace members and roles (v2, snake_case): where a client finds the
user ids a release package names as approvers (``list_workspaceusers``) and the roles' codes
(``list_workspace_roles``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ActorDep
from jobferry.api.paging import PagingDep
from jobferry.api.presenters.workspaces import members, roles
from jobferry.api.wire import json
from jobferry.services.context import require_same_project
from jobferry.web import services_of

router = APIRouter(prefix="/v2/{project_id}", tags=["DataArts Studio workspaces"])


@router.get("/{workspace_id}/users", summary="list_workspaceusers")
def list_workspaceusers(
    request: Request, project_id: str, workspace_id: str, actor: ActorDep, paging: PagingDep
) -> Response:
    services = services_of(request)
    scope = services.accounts.scope(actor, project_id, workspace_id)
    found = services.studio_workspaces.members(scope, paging.limit, paging.offset)
    return json(members(found, project_id))


@router.get("/users/role", summary="list_workspace_roles")
def list_workspace_roles(request: Request, project_id: str, actor: ActorDep) -> Response:
    require_same_project(actor, project_id)
    return json(roles())
