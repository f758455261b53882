"""Extension: a workspace's drift, every imported object changed since its import wrote it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.presenters.definitions import drift_view
from jobferry.api.wire import json
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}/drift", tags=["drift (extension)"])


@router.get("")
def show_drift(request: Request, scope: ScopeDep) -> Response:
    return json(drift_view(services_of(request).drift.report(scope)))
