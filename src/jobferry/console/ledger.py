"""The release ledger page of an enterprise workspace: every release, rollback and restore of
its production side, and what production held at a moment; the same, downloaded as CSV. A
signed release taken in from another server has no package page here, so when it is the
ledger's newest entry the page offers its rollback (deployers, operators, admins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from jobferry.console.fixes import said
from jobferry.console.web import FormDep, Page, PageContext, PageDep, render
from jobferry.domain.releases import DEPLOY_ROLES
from jobferry.errors import JobferryError
from jobferry.services.releases.ledger import ledger_csv, ledger_document, parse_moment
from jobferry.web import attachment

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class LedgerContext(PageContext):
    """The ledger at ``at`` (as typed, ``asked``): its entries, newest first, and what
    production held then (``ledger``: the API's document), or why it cannot be read."""

    template = "release_ledger.html"
    ledger: dict[str, Any]
    asked: str = ""
    error: str = ""
    message: str = ""
    rollback: bool = False
    """The newest entry is a signed release taken in and the viewer may roll it back."""


def _view(page: Page, request: Request, *, message: str = "", error: str = "") -> Response:
    """The ledger now, or at the moment asked, with what an action did or why it failed."""
    asked = _asked(request)
    status = 400 if error else 200
    try:
        view = page.services.ledger.ledger(page.scope, parse_moment(asked))
    except JobferryError as exc:
        context = LedgerContext(page=page, ledger={}, asked=asked, error=said(exc))
        return render(request, context, status_code=exc.status)
    shown = ledger_document(view)
    newest = shown["entries"][0] if shown["entries"] and not asked else None
    rollback = (
        newest is not None
        and newest["action"] == "deploy"
        and newest["source_workspace_id"] is not None
        and page.scope.role in DEPLOY_ROLES
    )
    context = LedgerContext(
        page=page, ledger=shown, asked=asked, message=message, error=error, rollback=rollback
    )
    return render(request, context, status_code=status)


def _asked(request: Request) -> str:
    return (request.query_params.get("at") or "").strip()


@router.get("/w/{workspace_id}/release-ledger")
def release_ledger(page: PageDep, request: Request) -> Response:
    """The ledger now, or at the moment asked."""
    return _view(page, request)


@router.post("/w/{workspace_id}/release-ledger/rollback")
def rollback_last(page: PageDep, form: FormDep, request: Request) -> Response:
    """Roll back the ledger's newest release (a signed release taken in: it has no package
    page), refused naming every object changed in production since."""
    try:
        done = page.services.release_rollback.rollback(page.scope, None)
    except JobferryError as exc:
        return _view(page, request, error=said(exc))
    return _view(
        page,
        request,
        message=f"Release '{done.package_name}' rolled back: production holds what it held "
        f"before it again ({done.count} object(s) put back; ledger entry {done.entry_id}).",
    )


@router.get("/w/{workspace_id}/release-ledger.csv")
def release_ledger_csv(page: PageDep, request: Request) -> Response:
    """What production held at the moment asked, one object a row (a download)."""
    view = page.services.ledger.ledger(page.scope, parse_moment(_asked(request)))
    return Response(
        ledger_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment("release-ledger.csv")},
    )
