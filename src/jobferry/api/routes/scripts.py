"""DataArts v1 script calls: /v1/{project_id}/scripts…"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.fastpath import kept_answer
from jobferry.api.paging import NamedPage, named_page
from jobferry.api.presenters.definitions import script_document
from jobferry.api.wire import BodyDep, body_doc, json, json_list, no_content, parse_object
from jobferry.web import services_of

ScriptsQuery = Annotated[NamedPage, named_page("scriptName")]

router = APIRouter(prefix="/v1/{project_id}/scripts", tags=["scripts"])


@router.post("", status_code=204, openapi_extra=body_doc("ScriptInfo"), summary="create_script")
def create_script(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="ScriptInfo")
    services_of(request).scripts.create(scope, body)
    return no_content()


@router.get("", summary="list_scripts")
@kept_answer
def list_scripts(request: Request, scope: ScopeDep, query: ScriptsQuery) -> Response:
    total, items = services_of(request).scripts.list_scripts(
        scope, script_name=query.name, limit=query.limit, offset=query.offset
    )
    return json_list("scripts", [script_document(item) for item in items], total)


@router.get("/{script_name}", summary="show_script")
@kept_answer
def show_script(request: Request, scope: ScopeDep, script_name: str) -> Response:
    return json(script_document(services_of(request).scripts.show(scope, script_name)))


@router.put(
    "/{script_name}", status_code=204, openapi_extra=body_doc("ScriptInfo"), summary="update_script"
)
def update_script(request: Request, scope: ScopeDep, raw: BodyDep, script_name: str) -> Response:
    body = parse_object(raw, required=True, what="ScriptInfo")
    services_of(request).scripts.update(scope, script_name, body)
    return no_content()


@router.delete(
    "/{script_name}",
    status_code=204,
    openapi_extra=body_doc("DeleteReq", required=False),
    summary="delete_script",
)
def delete_script(request: Request, scope: ScopeDep, raw: BodyDep, script_name: str) -> Response:
    parse_object(raw, required=False, what="DeleteReq")
    services_of(request).scripts.delete(scope, script_name)
    return no_content()
