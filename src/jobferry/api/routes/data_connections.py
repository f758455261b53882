"""DataArts Studio data-connection calls (snake_case), on the same store as every connection API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import WorkspaceScopeDep
from jobferry.api.presenters import connections as present
from jobferry.api.wire import BodyDep, body_doc, empty_ok, json, parse_object
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}/data-connections", tags=["data connections"])

SOURCES_BODY = (
    'ApigDataSourcesVo {"mode", "visible", "data_source_vos": [{"dw_name", "dw_type", '
    '"dw_config", "agent_id", "agent_name", "env_type", "supportService", "dw_category", '
    '"description"}]}'
)


@router.post(
    "/validation", summary="debug_dataconnection", openapi_extra=body_doc("ApigDataSourceVo")
)
def debug_dataconnection(request: Request, scope: WorkspaceScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=False, what="ApigDataSourceVo")
    services_of(request).data_connections.validate(scope, body)
    return empty_ok()


@router.post("", summary="create_connections", openapi_extra=body_doc(SOURCES_BODY))
def create_connections(request: Request, scope: WorkspaceScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ApigDataSourcesVo")
    services_of(request).data_connections.create(scope, body)
    return empty_ok()


@router.get("", summary="list_dataconnections")
def list_dataconnections(
    request: Request,
    scope: WorkspaceScopeDep,
    name: str | None = None,
    type: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
    ip: str | None = None,
) -> Response:
    query = {"name": name, "type": type, "limit": limit, "offset": offset, "ip": ip}
    return json(present.data_connections(services_of(request).data_connections.list(scope, query)))


@router.get("/{data_connection_id}", summary="show_dataconnection")
def show_dataconnection(
    request: Request, scope: WorkspaceScopeDep, data_connection_id: str
) -> Response:
    found = services_of(request).data_connections.get(scope, data_connection_id)
    return json(present.data_connection(found))


@router.put(
    "/{data_connection_id}", summary="update_dataconnection", openapi_extra=body_doc(SOURCES_BODY)
)
def update_dataconnection(
    request: Request, scope: WorkspaceScopeDep, raw: BodyDep, data_connection_id: str
) -> Response:
    body = parse_object(raw, required=True, what="ApigDataSourcesVo")
    service = services_of(request).data_connections
    service.update(scope, data_connection_id, body)
    return empty_ok()


@router.delete("/{data_connection_id}", summary="delete_dataconnection")
def delete_dataconnection(
    request: Request, scope: WorkspaceScopeDep, data_connection_id: str
) -> Response:
    services_of(request).data_connections.delete(scope, data_connection_id)
    return empty_ok()
