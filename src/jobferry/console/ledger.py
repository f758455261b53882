"""The release ledger page of an enterprise workspace: every release, rollback and restore of
its production side, and what production held at a moment; the same, downloaded as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from jobferry.console.fixes import said
from jobferry.console.web import PageContext, PageDep, render
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


def _asked(request: Request) -> str:
    return (request.query_params.get("at") or "").strip()


@router.get("/w/{workspace_id}/release-ledger")
def release_ledger(page: PageDep, request: Request) -> Response:
    """The ledger now, or at the moment asked."""
    asked = _asked(request)
    try:
        view = page.services.ledger.ledger(page.scope, parse_moment(asked))
    except JobferryError as exc:
        context = LedgerContext(page=page, ledger={}, asked=asked, error=said(exc))
        return render(request, context, status_code=exc.status)
    return render(request, LedgerContext(page=page, ledger=ledger_document(view), asked=asked))


@router.get("/w/{workspace_id}/release-ledger.csv")
def release_ledger_csv(page: PageDep, request: Request) -> Response:
    """What production held at the moment asked, one object a row (a download)."""
    view = page.services.ledger.ledger(page.scope, parse_moment(_asked(request)))
    return Response(
        ledger_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment("release-ledger.csv")},
    )
