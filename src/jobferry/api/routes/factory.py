"""DataArts Studio factory v2 calls (snake_case): workspace variables, job rename, script list."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.wire import BodyDep, body_doc, json, parse_object
from jobferry.web import services_of

router = APIRouter(prefix="/v2/{project_id}/factory", tags=["factory v2"])


@router.get("/env", summary="show_factory_env")
def show_factory_env(request: Request, scope: ScopeDep) -> Response:
    return json(services_of(request).variables.list(scope))


@router.put(
    "/env",
    summary="create_factory_env",
    openapi_extra=body_doc('EnvRequestBody {"params": [{"name", "type", "value", "desc"}]}'),
)
def create_factory_env(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="EnvRequestBody")
    return json(services_of(request).variables.save(scope, body))
