"""What changed in a workspace since promotions wrote it: every job, script and resource an
import from another workspace wrote and that changed since, who changed it last and when, the
import, and each field as it was written and as it is now (``services/definitions/drift.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response

from jobferry.console.web import PageContext, PageDep, render
from jobferry.services.definitions.drift import DriftReport

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class DriftContext(PageContext):
    """The workspace's drift: how many objects were compared, how many changed, the first
    of those."""

    template = "drift.html"
    report: DriftReport


@router.get("/w/{workspace_id}/drift")
def drift_page(page: PageDep) -> Response:
    """The workspace's drift, read when the page is asked for (any role of the workspace)."""
    return render(
        page.request, DriftContext(page=page, report=page.services.drift.report(page.scope))
    )
