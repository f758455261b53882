"""DataArts v1 script calls: /v1/{project_id}/scripts…"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.definitions import DefinitionCalls
from jobferry.api.fastpath import kept_answer
from jobferry.api.paging import FromVersion, NamedPage, ToVersion, named_page
from jobferry.api.presenters.definitions import comparison_view, script_document, version_view
from jobferry.api.wire import json, json_list
from jobferry.web import services_of

ScriptsQuery = Annotated[NamedPage, named_page("scriptName")]

router = APIRouter(prefix="/v1/{project_id}/scripts", tags=["scripts"])


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


@router.get("/{script_name}/versions", summary="List a script's submitted versions (extension)")
def list_script_versions(request: Request, scope: ScopeDep, script_name: str) -> Response:
    versions = services_of(request).scripts.versions(scope, script_name)
    return json_list("versions", [version_view(v) for v in versions])


@router.get("/{script_name}/compare", summary="Compare two states of a script (extension)")
def compare_script(
    request: Request,
    scope: ScopeDep,
    script_name: str,
    older: FromVersion = None,
    newer: ToVersion = None,
) -> Response:
    comparison = services_of(request).comparisons.script(scope, script_name, older, newer)
    return json(comparison_view(comparison))


# The writes after the reads, which clients poll most (api.app.ROUTERS).
SCRIPT = DefinitionCalls(
    "script", "script_name", "ScriptInfo", lambda services: services.scripts, locked=True
)
SCRIPT.create(router)
SCRIPT.update(router)
SCRIPT.delete(router)
