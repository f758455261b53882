"""Rolling an import back (extension): one transaction, refused when objects changed since.

``GET`` on the same path asks first, writing nothing: what the rollback would undo, or the
refusal it would answer (the rollback's own checks, in a read-only transaction).

With ``Prefer: respond-async`` (RFC 7240) the rollback runs as a task of its own: refused at once
for what can be told before reading a change, otherwise answered ``202 {"taskId", "rollbackOf"}``
(the rollback task, its result the same answer) with ``Preference-Applied: respond-async``.
Without it the call answers when the rollback is done.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.presenters.imports import rollback_preview_view, rollback_view
from jobferry.api.wire import (
    REMOTE_FAILED,
    PreferHeader,
    accepted,
    accepted_response,
    json,
    prefers_async,
    refusals,
)
from jobferry.web import runner_of, services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["export and import"])


@router.post(
    "/system-tasks/{task_id}/rollback",
    summary="Roll back an import (one transaction)",
    responses={
        **accepted_response(("taskId", "rollbackOf"), "the rollback"),
        **refusals(REMOTE_FAILED),
    },
)
def rollback_import(
    request: Request, scope: ScopeDep, task_id: str, prefer: PreferHeader = None
) -> Response:
    if prefers_async(prefer):
        queued = runner_of(request).start_rollback(scope, task_id)
        return accepted({"taskId": queued, "rollbackOf": task_id})
    return json(rollback_view(services_of(request).rollback.rollback(scope, task_id)))


@router.get(
    "/system-tasks/{task_id}/rollback",
    summary="What rolling back an import would undo, or why it would be refused; writes nothing",
)
def rollback_preview(request: Request, scope: ScopeDep, task_id: str) -> Response:
    return json(rollback_preview_view(services_of(request).rollback.preview(scope, task_id)))
