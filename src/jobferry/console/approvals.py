"""A release package's approvals: its plan hash, the rule, who signed it and whether each
approval counts, and the approval itself: an approver picks their private key file and the
page's script (``static/approve.js``) signs the package's statement in the browser with
WebCrypto Ed25519. The key never leaves the browser: the form posts only the signature, the
plan hash signed and the key's id (which the script computes as the server does, from the
public key), and the handler keeps it through the release approvals service the API uses.
The command line's ``jobferry releases approve`` stays shown as the other way to sign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.missing import PACKAGES, looked_up, package_number
from jobferry.console.releases import require_enterprise
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render, text
from jobferry.domain.enums import Role
from jobferry.domain.releases import DeployStatus
from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.services.approving import parse_signed
from jobferry.services.releases.checks import state
from jobferry.services.releases.records import PackageView
from jobferry.services.releases.signatures import PackageApprovals
from jobferry.storage.releases import PackageRecord

router = APIRouter()

APPROVED = "Approved: your signature of the package's plan is kept."


@dataclass(frozen=True)
class Signing:
    """Whether the viewer may approve the plan here, and why not (``''``: they may)."""

    why_not: str
    key_ids: tuple[str, ...]
    """The viewer's active approval keys."""
    closed: str = ""
    """Why the plan takes no more approvals from anyone (a package released or cancelled, a
    route's plan imported): then the page offers no way to approve it, not even the command;
    ``''`` while it waits for them."""

    @property
    def offered(self) -> bool:
        """Whether the page offers *Approve with my key*."""
        return not self.why_not


def _why_not(
    me: str, what: str, maker: str, approvers: tuple[str, ...], keys: tuple[str, ...]
) -> str:
    if me == maker:
        return f"You made this {what}; one of its approvers approves it."
    if approvers and me not in approvers:
        return "You are not one of its approvers."
    if not keys:
        return (
            "You have no approval key yet: make one and register its public key from the "
            "command line (below), then approve here with its private key file."
        )
    return ""


def signing_for(
    page: Page,
    what: str,
    closed: str,
    maker: str,
    approvers: tuple[str, ...],
    roles: tuple[Role, ...] = (),
) -> Signing:
    """What the viewer may do with a plan's approvals (a release package's or a route's):
    nothing when ``closed`` says why it takes none; else an approver named (anyone when none
    is), not the plan's maker, holding an active approval key and one of ``roles`` (any role
    when empty; the service checks each again when they approve). ``what`` names what its
    maker made ("package", "plan")."""
    me = page.scope.actor.name
    keys = tuple(
        k.key_id for k in page.services.approval_keys.mine(page.scope.actor) if k.revoked_at is None
    )
    why = closed or _why_not(me, what, maker, approvers, keys) or _role_lost(page, roles)
    return Signing(why, keys, closed)


def _role_lost(page: Page, roles: tuple[Role, ...]) -> str:
    """Why an approver named no longer approves here: they hold none of ``roles`` now (a
    release package's approvers hold admin or deployer; empty: any role approves)."""
    held = page.scope.role
    if not roles or held in roles:
        return ""
    wanted = " or ".join(r.value for r in roles)
    return (
        f"You hold the {held.value} role here now; an approver holds {wanted}: ask a "
        "workspace admin for one of them again."
    )


def signing(page: Page, found: PackageApprovals) -> Signing:
    """What the viewer may do with a package's approvals: approve it while it waits for its
    release (as the service takes an approval: not cancelled, waiting or failed)."""
    record, subject = found.record, found.subject
    waiting = not record.delete_flag and record.status in (
        DeployStatus.PENDING,
        DeployStatus.FAILED,
    )
    closed = "" if waiting else closed_words(record)
    return signing_for(page, "package", closed, subject.maker, subject.approvers, subject.roles)


def closed_words(record: PackageRecord) -> str:
    """Why a package no longer waiting for its release takes no approvals, its state named."""
    stands = state(PackageView(record, DeployStatus(record.status)))
    return (
        f"This package is {stands}: it takes no more approvals (only a package waiting for its "
        "release is approved)."
    )


@dataclass(frozen=True, kw_only=True)
class ApprovalsContext(PageContext):
    """A package's approvals file, as the page shows it, whether the viewer may approve it
    here, and what an approval did or why it was refused."""

    template = "approvals.html"
    package_id: str
    approvals: dict[str, Any]
    signing: Signing
    message: str = ""
    error: str = ""


def _package_id(package_id: str) -> int:
    if not package_id.isdigit():
        raise InvalidRequestError(f"Release package '{package_id}' is not a package number.")
    return int(package_id)


def _approvals_view(
    page: Page, package_id: str, *, message: str = "", error: str = "", status_code: int = 200
) -> Response:
    found = page.services.release_approvals.approvals(page.scope, _package_id(package_id))
    context = ApprovalsContext(
        page=page,
        package_id=package_id,
        approvals=found.document(),
        signing=signing(page, found),
        message=message,
        error=error,
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/releases/packages/{package_id}/approvals")
def approvals_page(page: PageDep, package_id: str, approved: str = "") -> Response:
    """The package's approvals, the form that approves it with the viewer's key, and the
    command that does the same."""
    require_enterprise(page)
    package_number(page, package_id)
    with looked_up(page, PACKAGES):
        return _approvals_view(page, package_id, message=APPROVED if approved else "")


@router.post("/w/{workspace_id}/releases/packages/{package_id}/approvals")
def approve(page: PageDep, form: FormDep, package_id: str) -> Response:
    """Keep the signature the page's script made of the package's statement (refusals said
    on the page in the console's words)."""
    require_enterprise(page)
    number = _package_id(package_id)
    body: dict[str, object] = {
        "keyId": text(form, "key_id"),
        "planHash": text(form, "plan_hash"),
        "signature": text(form, "signature"),
    }
    try:
        page.services.release_approvals.approve(page.scope, number, parse_signed(body))
    except JobferryError as exc:
        return _approvals_view(page, package_id, error=said(exc), status_code=exc.status)
    return redirect(page.url(f"/releases/packages/{package_id}/approvals?approved=1"))
