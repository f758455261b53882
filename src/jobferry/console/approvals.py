"""A release package's approvals: its plan hash, the rule, who signed it and whether each
approval counts, and how an approver signs it from the command line (the console does not
sign: a private key stays on its owner's machine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response

from jobferry.console.web import PageContext, PageDep, render
from jobferry.errors import InvalidRequestError

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class ApprovalsContext(PageContext):
    """A package's approvals file, as the page shows it."""

    template = "approvals.html"
    package_id: str
    approvals: dict[str, Any]


@router.get("/w/{workspace_id}/releases/packages/{package_id}/approvals")
def approvals_page(page: PageDep, package_id: str) -> Response:
    """The package's approvals, and the command that adds one."""
    if not package_id.isdigit():
        raise InvalidRequestError(f"Release package '{package_id}' is not a package number.")
    found = page.services.release_approvals.approvals(page.scope, int(package_id))
    return render(
        page.request,
        ApprovalsContext(page=page, package_id=package_id, approvals=found.document()),
    )
