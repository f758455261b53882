"""DataArts v1 script calls: /v1/{project_id}/scripts…"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.definitions import DefinitionCalls
from jobferry.api.fastpath import kept_answer
from jobferry.api.paging import NamedPage, ShownVersion, named_page
from jobferry.api.presenters.definitions import script_document
from jobferry.api.versions import VersionCalls
from jobferry.api.wire import json, json_list
from jobferry.domain.enums import ObjectKind
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
def show_script(
    request: Request, scope: ScopeDep, script_name: str, version: ShownVersion = None
) -> Response:
    shown = services_of(request).scripts.show(scope, script_name, version)
    return json(script_document(shown))


VersionCalls(ObjectKind.SCRIPT, "script_name").register(router)

# The writes after the reads, which clients poll most (api.app.ROUTERS).
SCRIPT = DefinitionCalls(
    "script", "script_name", "ScriptInfo", lambda services: services.scripts, locked=True
)
SCRIPT.create(router)
SCRIPT.update(router)
SCRIPT.delete(router)
