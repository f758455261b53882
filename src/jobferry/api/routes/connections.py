"""DataArts Factory connection calls: CRUD, and the export/import bundle that moves them.

The same stored connections as ``/environment/connection`` (one store, several wire shapes).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.paging import PagingDep
from jobferry.api.presenters import connections as present
from jobferry.api.wire import (
    BodyDep,
    body_doc,
    json,
    no_content,
    package_response,
    parse_object,
)
from jobferry.package.connections import BUNDLE_NAME
from jobferry.web import attached, services_of

router = APIRouter(prefix="/v1/{project_id}/connections", tags=["connections"])

CONNECTION_BODY = '{"name", "type", "config": {... secrets inside ...}, "description"}'


@router.post(
    "/export",
    summary="export_connections",
    responses=package_response("application/octet-stream"),
)
def export_connections(request: Request, scope: ScopeDep) -> Response:
    data = services_of(request).connection_migration.export(scope)
    return attached(data, BUNDLE_NAME, "application/octet-stream")


@router.post(
    "/import",
    summary="import_connections",
    openapi_extra=body_doc("ImportConnectionReq", schema=bodies.CONNECTIONS_IMPORT),
)
def import_connections(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ImportConnectionReq")
    migration = services_of(request).connection_migration
    task_id = migration.import_bundle(scope, body)
    return json({"taskId": task_id})


@router.post("", summary="create_connection", openapi_extra=body_doc(CONNECTION_BODY))
def create_connection(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ConnectionInfo")
    services_of(request).connections.create(scope, body)
    return no_content()


@router.get("", summary="list_connections")
def list_connections(
    request: Request,
    scope: ScopeDep,
    paging: PagingDep,
    connectionName: str | None = None,  # noqa: N803 - the wire name
) -> Response:
    service = services_of(request).connections
    found = service.list(scope, name=connectionName, limit=paging.limit, offset=paging.offset)
    return json(present.connections(found))


@router.get("/{connection_name}", summary="show_connection")
def show_connection(request: Request, scope: ScopeDep, connection_name: str) -> Response:
    return json(present.connection(services_of(request).connections.get(scope, connection_name)))


@router.put(
    "/{connection_name}", summary="update_connection", openapi_extra=body_doc(CONNECTION_BODY)
)
def update_connection(
    request: Request, scope: ScopeDep, raw: BodyDep, connection_name: str, ischeck: bool = False
) -> Response:
    body = parse_object(raw, required=True, what="ConnectionInfo")
    service = services_of(request).connections
    service.update(scope, connection_name, body, ischeck)
    return no_content()


@router.delete("/{connection_name}", status_code=204, summary="delete_connection")
def delete_connection(request: Request, scope: ScopeDep, connection_name: str) -> Response:
    services_of(request).connections.delete(scope, connection_name)
    return no_content()
