"""Rolling an import back (extension): one transaction, refused when objects changed since."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.presenters.imports import rollback_view
from jobferry.api.wire import json
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["export and import"])


@router.post("/system-tasks/{task_id}/rollback", summary="Roll back an import (one transaction)")
def rollback_import(request: Request, scope: ScopeDep, task_id: str) -> Response:
    return json(rollback_view(services_of(request).rollback.rollback(scope, task_id)))
