"""Rolling an import back (extension): one transaction, refused when objects changed since.

With ``Prefer: respond-async`` (RFC 7240) the rollback runs as a task of its own: refused at once
for what can be told before reading a change, otherwise answered ``202 {"taskId"}`` (the
rollback task, its result the same answer) with ``Preference-Applied: respond-async``. Without
it the call answers when the rollback is done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.presenters.imports import rollback_view
from jobferry.api.wire import json
from jobferry.web import runner_of, services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["export and import"])

ASYNC = "respond-async"


@router.post("/system-tasks/{task_id}/rollback", summary="Roll back an import (one transaction)")
def rollback_import(
    request: Request,
    scope: ScopeDep,
    task_id: str,
    prefer: Annotated[
        str | None, Header(description="respond-async: run it as a task, answer 202 {taskId}")
    ] = None,
) -> Response:
    if ASYNC in _preferences(prefer):
        queued = runner_of(request).start_rollback(scope, task_id)
        answer = json({"taskId": queued, "rollbackOf": task_id}, status_code=202)
        answer.headers["Preference-Applied"] = ASYNC
        return answer
    return json(rollback_view(services_of(request).rollback.rollback(scope, task_id)))


def _preferences(prefer: str | None) -> set[str]:
    """The preference tokens of a ``Prefer`` header (``respond-async, wait=10``: both names)."""
    return {
        part.split("=", 1)[0].strip().lower()
        for part in (prefer or "").replace(";", ",").split(",")
        if part.strip()
    }
