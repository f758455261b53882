"""The approvals of a route's plan: a route may require N signed approvals of the plan of its
waiting promotion before that plan is imported. The plan step of its promotion says how many
count and links the plan's Approvals page: the plan hash, the rule, each approval and whether it
counts, *Approve with my key* (the same card and script as a release package's, ``approvals``:
the browser signs, the key is never posted), and the import once enough approvals count. The
route form's approvers are chosen among the target workspace's members (``members``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response

from jobferry.console.approvals import Signing, signing_for
from jobferry.console.fixes import said
from jobferry.console.missing import ROUTES, looked_up
from jobferry.console.release_fixes import approval_refusal
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render, text
from jobferry.domain.routes import Route
from jobferry.errors import JobferryError
from jobferry.services.accounts.records import Workspace
from jobferry.services.approving import ApprovalsFile, parse_signed
from jobferry.services.context import WRITERS
from jobferry.services.routes.records import Promotion

router = APIRouter()

APPROVED = "Approved: your signature of the route's plan is kept."


@dataclass(frozen=True)
class PlanApprovals:
    """Where a route's plan stands with the approvals its route requires."""

    url: str
    """Its Approvals page."""
    required: int
    counted: int
    missing: int
    """How many more approvals must count before its import."""


def approvals_url(page: Page, route: str, plan_id: str) -> str:
    """The Approvals page of the route's plan, in this page's workspace (its target)."""
    return page.url(f"/routes/{quote(route, safe='')}/plans/{quote(plan_id, safe='')}/approvals")


def standing(page: Page, route: str, plan_id: str) -> PlanApprovals | None:
    """How the route's plan stands with its approvals (``None``: the route requires none)."""
    if not page.services.routes.get(page.scope, route).route.approvals.on:
        return None
    found = page.services.route_approvals.approvals(page.scope.actor, route, plan_id)
    url = approvals_url(page, route, plan_id)
    return PlanApprovals(url, found.required, found.found.users, found.missing)


@dataclass(frozen=True, kw_only=True)
class RouteApprovalsContext(PageContext):
    """A route plan's approvals file as the page shows it, whether the viewer may approve it
    here, whether its import is offered, and what an approval or the import did."""

    template = "route_approvals.html"
    route: str
    plan_id: str
    approvals: dict[str, Any]
    signing: Signing
    missing: int
    can_import: bool
    """The plan waits for its import, enough approvals count and the viewer imports here."""
    imported: bool
    """Its promotion was imported already (nothing to approve or import)."""
    replan_url: str = ""
    """Where its promotion is planned again ('' once imported, or for a viewer who does not
    import here)."""
    message: str = ""
    error: str = ""


def _waiting(page: Page, route: str, found: ApprovalsFile) -> Promotion | None:
    """The route's waiting promotion, when the plan is its (the service refused any other)."""
    waiting = page.services.promotions.waiting(page.scope, route)
    if waiting is None or waiting.package_sha256 != found.facts.package_sha256:
        return None
    return waiting


def planned_already(page: Page, route: Route, promotion: Promotion) -> str:
    """The Approvals page of the plan already made of ``promotion`` ('' when its route
    requires no approvals, it is not the promotion waiting for its import, or it was not
    planned yet, or its plan lists problems to fix first): opening a promotion whose plan waits
    for approvals opens that plan, so that its planner and its approvers look at one plan;
    planning it again is asked for apart (a new plan needs approvals of its own)."""
    if not route.approvals.on:
        return ""
    plans = page.services.route_plans
    plan_id = plans.waiting_plan(page.scope, route.name, importable=True, promotion=promotion.id)
    return approvals_url(page, route.name, plan_id) if plan_id else ""


def replan_url(page: Page, route: str, promotion: Promotion) -> str:
    """Where the promotion is planned again (its plan step), whatever plan it has."""
    return page.url(f"/routes/{quote(route, safe='')}/promotions/{promotion.id}?again=1")


def _view(
    page: Page,
    route: str,
    plan_id: str,
    *,
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    found = page.services.route_approvals.approvals(page.scope.actor, route, plan_id)
    waiting = _waiting(page, route, found)
    closed = "" if waiting else "This plan's promotion was imported: there is nothing to approve."
    again = replan_url(page, route, waiting) if waiting and page.scope.role in WRITERS else ""
    subject, missing = found.subject, found.missing
    context = RouteApprovalsContext(
        page=page,
        route=route,
        plan_id=plan_id,
        approvals=found.document(),
        signing=signing_for(page, "plan", closed, subject.maker, subject.approvers),
        missing=missing,
        can_import=waiting is not None and not missing and page.scope.role in WRITERS,
        imported=waiting is None,
        replan_url=again,
        message=message,
        error=error,
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/routes/{name}/plans/{plan_id}/approvals")
def route_approvals(page: PageDep, name: str, plan_id: str, approved: str = "") -> Response:
    """The plan's approvals, the form that approves it with the viewer's key, and its import
    once enough approvals count."""
    with looked_up(page, ROUTES):
        return _view(page, name, plan_id, message=APPROVED if approved else "")


@router.post("/w/{workspace_id}/routes/{name}/plans/{plan_id}/approvals")
def approve(page: PageDep, form: FormDep, name: str, plan_id: str) -> Response:
    """Keep the signature the page's script made of the plan's statement (refusals said on
    the page in the console's words)."""
    body: dict[str, object] = {
        "keyId": text(form, "key_id"),
        "planHash": text(form, "plan_hash"),
        "signature": text(form, "signature"),
    }
    try:
        page.services.route_approvals.approve(page.scope.actor, name, plan_id, parse_signed(body))
    except JobferryError as exc:
        error = approval_refusal(exc, "routes") or said(exc)
        return _view(page, name, plan_id, error=error, status_code=exc.status)
    return redirect(f"{approvals_url(page, name, plan_id)}?approved=1")


@router.post("/w/{workspace_id}/routes/{name}/plans/{plan_id}/import")
def import_plan(page: PageDep, form: FormDep, name: str, plan_id: str) -> Response:
    """Import the approved plan along its route (refused, on the page, while approvals are
    missing) and follow its task."""
    page.scope.require(WRITERS, "import packages")
    try:
        task_id = page.runner.apply_promotion(page.scope, name, plan_id).task_id
    except JobferryError as exc:
        return _view(page, name, plan_id, error=said(exc), status_code=exc.status)
    return redirect(page.url(f"/tasks/{task_id}"))


@dataclass(frozen=True)
class Member:
    """A member of a workspace the route form offers as approver: name and role."""

    name: str
    role: str


def members_of(page: Page, workspace: Workspace) -> list[Member]:
    """The members of ``workspace`` (the viewer is a project admin, who has a role in each)."""
    actor = page.session.actor
    scope = page.services.accounts.scope(actor, actor.project_id, workspace.id)
    found: list[Member] = []
    offset = 0
    while True:
        listed = page.services.studio_workspaces.members(scope, 100, offset)
        found += [Member(m.name, m.role.value) for m in listed.items]
        offset += 100
        if offset >= listed.total:
            return found


def members(page: Page, target: str = "") -> dict[str, list[Member]]:
    """Workspace name → its members, for the route form's approvers (for project admins, who
    change routes): an approver approves in the route's target, so needs a role there. Only
    the ``target``'s members once the form names one of the workspaces (the form shows no
    other); every workspace's for a form without one."""
    if not page.session.actor.is_project_admin:
        return {}
    chosen = [ws for ws in page.workspaces if ws.name == target]
    return {ws.name: members_of(page, ws) for ws in chosen or page.workspaces}
