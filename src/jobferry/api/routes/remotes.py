"""Remotes (extension): DataArts workspaces reached through their public API, each with a
shadow workspace on this server that changes only when the remote is refreshed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ActorDep, ScopeDep
from jobferry.api.presenters.remotes import check_view, refresh_view, remote_view
from jobferry.api.wire import (
    REMOTE_FAILED,
    TASK_IN_WORKSPACE,
    BodyDep,
    PreferHeader,
    accepted,
    accepted_response,
    body_doc,
    json,
    no_content,
    parse_object,
    prefers_async,
    refusals,
    task_in_workspace,
)
from jobferry.services.context import require_same_project
from jobferry.services.remotes.records import parse_refresh, parse_remote, parse_remote_change
from jobferry.web import runner_of, services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["remotes (extension)"])

REMOTE_DOC = "{name, endpoint, projectId, workspace, accessKey, secretKey, studioEndpoint?}"
CHANGE_DOC = "{endpoint?, studioEndpoint?, accessKey? with secretKey, secretKey?}"
REFRESH_DOC = "{path}: a snapshot's upload:// path, or no body to read the remote"


@router.get("/remotes", summary="List remotes")
def list_remotes(request: Request, scope: ScopeDep) -> Response:
    items = services_of(request).remotes.list_all(scope.actor)
    return json({"remotes": [remote_view(item) for item in items]})


@router.post(
    "/remotes",
    summary="Add a remote and its shadow workspace (project admins)",
    openapi_extra=body_doc("remote", schema=bodies.REMOTE),
)
def add_remote(request: Request, project_id: str, actor: ActorDep, raw: BodyDep) -> Response:
    # a remote belongs to the project (project admins): no workspace's role is asked for
    require_same_project(actor, project_id)
    spec = parse_remote(parse_object(raw, required=True, what=REMOTE_DOC))
    return json(remote_view(services_of(request).remotes.add(actor, spec)))


@router.get("/remotes/{name}", summary="One remote, with its last refresh")
def show_remote(request: Request, scope: ScopeDep, name: str) -> Response:
    return json(remote_view(services_of(request).remotes.get(scope.actor, name)))


@router.patch(
    "/remotes/{name}",
    summary="Rotate a remote's access key or secret key, or move its endpoints, in place "
    "(project admins); its shadow workspace, routes and history stay",
    openapi_extra=body_doc("remote change", schema=bodies.REMOTE_CHANGE),
)
def change_remote(
    request: Request, project_id: str, actor: ActorDep, name: str, raw: BodyDep
) -> Response:
    require_same_project(actor, project_id)
    change = parse_remote_change(parse_object(raw, required=True, what=CHANGE_DOC))
    return json(remote_view(services_of(request).remotes.change(actor, name, change)))


@router.post("/remotes/{name}/test", summary="One cheap signed read of the remote")
def probe_remote(request: Request, scope: ScopeDep, name: str) -> Response:
    return json(check_view(services_of(request).remotes.test(scope.actor, name)))


@router.post(
    "/remotes/{name}/refresh",
    summary="Read the remote in bulk (or a carried snapshot of it) and bring its shadow "
    "workspace to that state",
    openapi_extra=body_doc("refresh", schema=bodies.REFRESH, required=False),
    responses={
        **accepted_response(TASK_IN_WORKSPACE, "the refresh"),
        **refusals(REMOTE_FAILED),
    },
)
def refresh_remote(
    request: Request, scope: ScopeDep, name: str, raw: BodyDep, prefer: PreferHeader = None
) -> Response:
    remotes = services_of(request).remotes
    snapshot = parse_refresh(parse_object(raw, required=False, what=REFRESH_DOC))
    if prefers_async(prefer):
        queued = runner_of(request).start_refresh(scope.actor, name, snapshot)
        return accepted(task_in_workspace(queued))
    if snapshot is None:
        return json(refresh_view(remotes.refresh(scope.actor, name)))
    return json(refresh_view(remotes.refresh_from(scope.actor, name, snapshot)))


@router.delete("/remotes/{name}", status_code=204, summary="Forget a remote (project admins)")
def remove_remote(request: Request, project_id: str, actor: ActorDep, name: str) -> Response:
    require_same_project(actor, project_id)
    services_of(request).remotes.remove(actor, name)
    return no_content()
