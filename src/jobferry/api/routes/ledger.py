"""Release rollback, restore and the release ledger (jobferry extensions of the DataArts
Studio factory v2 release calls): roll back the last release, restore production to an
earlier one, named by its package or by its ledger entry (a plan to review, then its apply),
and read or download the ledger at a moment."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.paging import PagingDep
from jobferry.api.presenters import ledger as present
from jobferry.api.routes.releases import package_id_of
from jobferry.api.wire import (
    BodyDep,
    PreferHeader,
    accepted,
    accepted_response,
    body_doc,
    json,
    parse_object,
    prefers_async,
)
from jobferry.errors import InvalidRequestError
from jobferry.services.releases.ledger import ledger_csv, ledger_document, parse_moment
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted
from jobferry.services.support.paging import LONG_PAGE, page
from jobferry.web import attached, runner_of, services_of

router = APIRouter(prefix="/v2/{project_id}/factory", tags=["factory v2: releases"])

LAST = "last"
RESTORE_DOC = '{"dry_run": false, "plan_id": null} (both optional)'


@router.post(
    "/release-packages/{package_id}/rollback",
    summary="roll back the last release (extension)",
    responses=accepted_response(("task_id", "workspace_id"), "the rollback"),
)
def rollback_release(
    request: Request, scope: ScopeDep, package_id: str, prefer: PreferHeader = None
) -> Response:
    wanted = None if package_id == LAST else package_id_of(package_id, "rollback")
    if prefers_async(prefer):  # a rollback task of the production side
        queued = runner_of(request).start_release_rollback(scope, wanted)
        return accepted({"task_id": queued.task_id, "workspace_id": queued.workspace_id})
    done = services_of(request).release_rollback.rollback(scope, wanted)
    return json(present.rolled_back(done))


@router.post(
    "/release-packages/{package_id}/restore",
    summary="restore production to a release (extension)",
    openapi_extra=body_doc(RESTORE_DOC, required=False),
)
def restore_release(request: Request, scope: ScopeDep, package_id: str, raw: BodyDep) -> Response:
    dry_run, plan_id = _restore_body(raw)
    found = services_of(request).restores.restore(
        scope, package_id_of(package_id, "restore"), dry_run=dry_run, plan_id=plan_id
    )
    return _restore_answer(request, found)


@router.post(
    "/release-ledger/{entry_id}/restore",
    summary="restore production to the release of a ledger entry (extension)",
    openapi_extra=body_doc(RESTORE_DOC, required=False),
)
def restore_entry(request: Request, scope: ScopeDep, entry_id: str, raw: BodyDep) -> Response:
    dry_run, plan_id = _restore_body(raw)
    if not entry_id.isdigit():
        raise InvalidRequestError(
            f"entry_id '{entry_id}' is not a release ledger entry's id (a whole number).",
            parameter="entry_id",
        )
    found = services_of(request).restores.restore_entry(
        scope, int(entry_id), dry_run=dry_run, plan_id=plan_id
    )
    return _restore_answer(request, found)


def _restore_body(raw: bytes) -> tuple[bool, str | None]:
    """A restore's body: ``dry_run`` and ``plan_id``, both optional."""
    body = parse_object(raw, required=False, what='{"dry_run", "plan_id"}')
    dry_run, plan_id = body.get("dry_run", False), body.get("plan_id")
    if not isinstance(dry_run, bool) or not isinstance(plan_id, str | None):
        raise InvalidRequestError(
            "restore: dry_run is true or false, and plan_id the id of a restore's plan.",
            parameter="dry_run" if not isinstance(dry_run, bool) else "plan_id",
        )
    return dry_run, plan_id


def _restore_answer(request: Request, found: RestorePlanned | RestoreStarted) -> Response:
    """A restore planned, or started: its import task is queued, and this process's task
    threads are told at once rather than at their next look."""
    runner_of(request).kick(queued_here=True)
    return json(present.restore(found))


@router.get("/release-ledger", summary="the release ledger at a moment (extension)")
def release_ledger(request: Request, scope: ScopeDep, paging: PagingDep) -> Response:
    at = parse_moment(request.query_params.get("at"))
    shape = request.query_params.get("format") or "json"
    if shape not in ("json", "csv"):
        raise InvalidRequestError(f"format '{shape}' is not json or csv.", parameter="format")
    services = services_of(request)
    if shape == "csv":  # what production held, one object a row: one entry read, not all
        view = services.ledger.ledger(scope, at, (1, 0))
        return attached(ledger_csv(view), "release-ledger.csv", "text/csv; charset=utf-8")
    if paging.limit is None and paging.offset is None:  # every entry: the ledger's export
        return json(ledger_document(services.ledger.ledger(scope, at)))
    p = page(paging.limit, paging.offset, services.settings.offset_mode, LONG_PAGE)
    view = services.ledger.ledger(scope, at, (p.limit, p.skip))
    return json(ledger_document(view, p.offset))
