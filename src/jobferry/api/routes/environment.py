"""Extension: environment objects jobs reference by name (connections, queues, clusters…)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.presenters.environment import environment_object
from jobferry.api.wire import BodyDep, body_doc, json, json_list, no_content, parse_object
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}/environment", tags=["environment (extension)"])


@router.get("")
def list_every_object(request: Request, scope: ScopeDep) -> Response:
    found = services_of(request).environment.list_objects(scope)
    return json_list("objects", [environment_object(o) for o in found])


@router.get("/{kind}")
def list_objects(request: Request, scope: ScopeDep, kind: str) -> Response:
    found = services_of(request).environment.list_objects(scope, kind)
    return json_list("objects", [environment_object(o) for o in found])


@router.put(
    "/{kind}/{name}",
    openapi_extra=body_doc("environment object", schema=bodies.ENVIRONMENT_OBJECT),
)
def put_object(request: Request, scope: ScopeDep, raw: BodyDep, kind: str, name: str) -> Response:
    body = parse_object(raw, required=True, what="environment object")
    return json(environment_object(services_of(request).environment.put(scope, kind, name, body)))


@router.get("/{kind}/{name}")
def get_object(request: Request, scope: ScopeDep, kind: str, name: str) -> Response:
    return json(environment_object(services_of(request).environment.get(scope, kind, name)))


@router.delete("/{kind}/{name}", status_code=204)
def delete_object(request: Request, scope: ScopeDep, kind: str, name: str) -> Response:
    services_of(request).environment.delete(scope, kind, name)
    return no_content()
