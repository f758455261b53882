"""Extensions for administration: workspaces, users, credentials, roles, tags, locks, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ActorDep, ScopeDep
from jobferry.api.paging import OptionalInt, PagingDep
from jobferry.api.presenters import accounts as present
from jobferry.api.presenters.definitions import lock_view, tag_view
from jobferry.api.wire import (
    BodyDep,
    body_doc,
    json,
    json_list,
    no_content,
    parse_object,
)
from jobferry.domain.audit import AuditQuery
from jobferry.services.context import require_same_project
from jobferry.services.definitions.governance import parse_tag_lock
from jobferry.services.support.paging import page
from jobferry.services.workspaces.settings import parse_workspace_settings
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["administration (extension)"])


@router.post("/workspaces", openapi_extra=body_doc("workspace", schema=bodies.WORKSPACE))
def create_workspace(request: Request, project_id: str, actor: ActorDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what='{"name"}')
    ws_id = services_of(request).accounts.create_workspace(actor, project_id, body.get("name"))
    return json({"id": ws_id})


@router.get("/workspaces")
def list_workspaces(request: Request, project_id: str, actor: ActorDep) -> Response:
    found = services_of(request).accounts.list_workspaces(actor, project_id)
    return json_list("workspaces", [present.workspace(ws) for ws in found])


@router.put(
    "/workspaces/{workspace_id}",
    openapi_extra=body_doc("workspace settings", schema=bodies.WORKSPACE_SETTINGS),
)
def update_workspace(
    request: Request, project_id: str, workspace_id: str, actor: ActorDep, raw: BodyDep
) -> Response:
    body = parse_object(raw, required=True, what="workspace settings")
    change = parse_workspace_settings(body)
    ws = services_of(request).accounts.update_workspace(actor, project_id, workspace_id, change)
    return json(present.workspace(ws))


@router.post("/users", openapi_extra=body_doc("user", schema=bodies.USER))
def create_user(request: Request, project_id: str, actor: ActorDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what='{"name"}')
    user = services_of(request).accounts.create_user(
        actor, project_id, body.get("name"), body.get("projectAdmin", False)
    )
    return json(present.created_user(user))


@router.get("/users")
def list_users(request: Request, project_id: str, actor: ActorDep) -> Response:
    found = services_of(request).accounts.list_users(actor, project_id)
    return json_list("users", [present.user(u) for u in found])


@router.put(
    "/users/{user_name}",
    summary="Make a user a project admin, or no longer one (extension)",
    openapi_extra=body_doc("project admin", schema=bodies.PROJECT_ADMIN),
)
def set_project_admin(
    request: Request, project_id: str, user_name: str, actor: ActorDep, raw: BodyDep
) -> Response:
    body = parse_object(raw, required=True, what='{"projectAdmin"}')
    admin = services_of(request).users.set_project_admin(
        actor, project_id, user_name, body.get("projectAdmin")
    )
    return json({"name": user_name, "projectAdmin": admin})


@router.delete("/users/{user_name}", summary="Remove a user from the project (extension)")
def remove_user(request: Request, project_id: str, user_name: str, actor: ActorDep) -> Response:
    """Their access keys, roles, sessions, tokens and approval keys go with them, their locks
    are released; the answer says what went."""
    removed = services_of(request).users.remove(actor, project_id, user_name)
    return json(removed.wire())


@router.get("/users/me")
def show_caller(project_id: str, actor: ActorDep) -> Response:
    """The caller (the user its access key belongs to): its id, as a release package's
    ``apply_user_id`` names it."""
    require_same_project(actor, project_id)
    return json({"id": actor.user_id, "name": actor.name, "projectAdmin": actor.is_project_admin})


@router.post("/users/{user_name}/credentials")
def create_credential(
    request: Request, project_id: str, user_name: str, actor: ActorDep
) -> Response:
    issued = services_of(request).accounts.issue_credential(actor, project_id, user_name)
    return json({"accessKey": issued.access_key, "secretKey": issued.secret_key})


@router.delete("/users/{user_name}/credentials/{access_key}", status_code=204)
def delete_credential(
    request: Request, project_id: str, user_name: str, access_key: str, actor: ActorDep
) -> Response:
    services_of(request).accounts.revoke_credential(actor, project_id, user_name, access_key)
    return no_content()


@router.put(
    "/users/{user_name}/roles/{workspace_id}",
    status_code=204,
    openapi_extra=body_doc("role", schema=bodies.ROLE),
)
def set_role(
    request: Request,
    project_id: str,
    user_name: str,
    workspace_id: str,
    actor: ActorDep,
    raw: BodyDep,
) -> Response:
    body = parse_object(raw, required=True, what='{"role"}')
    services_of(request).accounts.set_role(
        actor, project_id, user_name, workspace_id, body.get("role")
    )
    return no_content()


@router.delete("/users/{user_name}/roles/{workspace_id}", status_code=204)
def remove_role(
    request: Request, project_id: str, user_name: str, workspace_id: str, actor: ActorDep
) -> Response:
    services_of(request).accounts.remove_role(actor, project_id, user_name, workspace_id)
    return no_content()


@router.get("/tags")
def list_tags(request: Request, scope: ScopeDep) -> Response:
    tags = services_of(request).governance.list_tags(scope, counted=True)
    return json_list("tags", [tag_view(t) for t in tags])


@router.put("/tags/{tag_name}", openapi_extra=body_doc("tag", schema=bodies.TAG, required=False))
def put_tag(request: Request, scope: ScopeDep, raw: BodyDep, tag_name: str) -> Response:
    body = parse_object(raw, required=False, what='{"locked"}')
    tag = services_of(request).governance.put_tag(scope, tag_name, parse_tag_lock(body))
    return json(tag_view(tag))


@router.delete("/tags/{tag_name}", status_code=204)
def delete_tag(request: Request, scope: ScopeDep, tag_name: str) -> Response:
    services_of(request).governance.delete_tag(scope, tag_name)
    return no_content()


@router.get("/locks")
def list_locks(request: Request, scope: ScopeDep) -> Response:
    locks = services_of(request).governance.list_locks(scope)
    return json_list("locks", [lock_view(lk) for lk in locks])


@router.post("/locks/{kind}/{name}")
def acquire_lock(request: Request, scope: ScopeDep, kind: str, name: str) -> Response:
    return json(lock_view(services_of(request).governance.acquire(scope, kind, name)))


@router.delete("/locks/{kind}/{name}", status_code=204)
def release_lock(request: Request, scope: ScopeDep, kind: str, name: str) -> Response:
    services_of(request).governance.release(scope, kind, name)
    return no_content()


@router.get("/audit")
def list_audit(
    request: Request,
    scope: ScopeDep,
    paging: PagingDep,
    object_name: Annotated[str | None, Query(alias="objectName")] = None,
    object_kind: Annotated[str | None, Query(alias="objectKind")] = None,
    actor: str | None = None,
    action: str | None = None,
    since: OptionalInt = None,
    until: OptionalInt = None,
    project: bool = False,
) -> Response:
    services = services_of(request)
    p = page(paging.limit, paging.offset, services.settings.offset_mode)
    query = AuditQuery(object_name, object_kind, actor, action, since, until)
    if project:  # the entries of no workspace: users, keys, sign-ins, tokens, the secret key
        found = services.audit.project_entries(scope.actor, p.limit, p.skip, query)
        return json(present.audit_page(found))
    found = services.audit.list_entries(scope, p.limit, p.skip, query)
    doc = present.audit_page(found)
    if object_name:  # an import writes one line for its package: what it did to this object
        imports = services.audit.imports_of(scope, object_kind, object_name.strip(), query)
        doc["imports"] = [present.object_import(i) for i in imports]
    return json(doc)
