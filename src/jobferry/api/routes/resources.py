"""DataArts v1 resource calls: /v1/{project_id}/resources…"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.definitions import DefinitionCalls
from jobferry.api.fastpath import kept_answer
from jobferry.api.paging import NamedPage, named_page
from jobferry.api.presenters.definitions import resource_document
from jobferry.api.wire import BodyDep, body_doc, json, json_list, no_content, parse_object
from jobferry.web import services_of

ResourcesQuery = Annotated[NamedPage, named_page("resourceName")]

router = APIRouter(prefix="/v1/{project_id}/resources", tags=["resources"])


@router.get("", summary="list_resources")
@kept_answer
def list_resources(request: Request, scope: ScopeDep, query: ResourcesQuery) -> Response:
    total, items = services_of(request).resources.list_resources(
        scope, resource_name=query.name, limit=query.limit, offset=query.offset
    )
    return json_list("resources", [resource_document(item) for item in items], total)


@router.get("/{resource_id}", summary="show_resource")
@kept_answer
def show_resource(request: Request, scope: ScopeDep, resource_id: str) -> Response:
    return json(resource_document(services_of(request).resources.show(scope, resource_id)))


# The writes after the reads, which clients poll most (api.app.ROUTERS).
@router.post("", openapi_extra=body_doc("ResourceInfo"), summary="create_resource")
def create_resource(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ResourceInfo")
    resource_id = services_of(request).resources.create(scope, body)
    return json({"resourceId": resource_id})


RESOURCE = DefinitionCalls(
    "resource", "resource_id", "ResourceInfo", lambda services: services.resources
)
RESOURCE.update(router)


@router.delete("/{resource_id}", status_code=204, summary="delete_resource")
def delete_resource(request: Request, scope: ScopeDep, resource_id: str) -> Response:
    services_of(request).resources.delete(scope, resource_id)
    return no_content()
