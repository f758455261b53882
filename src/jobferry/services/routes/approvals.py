"""Signed approvals of a route's plan: a route may require N approvals from named people
(``approvals`` in its document) before ``apply`` imports the plan of its waiting promotion.

The plan hash of a route's plan binds its package, the import's settings and the target's
fingerprint the plan read (``domain.approvals``): a plan made again on a target that moved has
another hash, so the approvals of the first count no more. Whoever made the plan never
approves it.

*Decision:* the rule its approvers are named and sign by holds while their approval waits: an
approval counts while its signer holds a role (any) in the route's target workspace, so one
whose role there was taken away since counts no more at ``apply`` (as a release package's
approval counts while its signer holds admin or deployer). It is counted in the transaction
that queues the import, not again as the import applies: a role taken away after that is too
late for this import, as a key revoked then is.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.domain.approvals import ROUTE_BASIS, PlanFacts, route_subject
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import Route, parse_route
from jobferry.errors import (
    ApprovalRefusedError,
    ApprovalsMissingError,
    InvalidRequestError,
    PlanStaleError,
    RouteNotFoundError,
)
from jobferry.services import approving
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Actor, Scope
from jobferry.services.definitions.documents import load
from jobferry.services.routes.promote import RoutePromotions
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import routes as repo
from jobferry.storage.importing import plans as plan_repo


def route_plan_subject(tx: Tx, target: Scope, route: Route, plan_id: str) -> approving.Subject:
    """The approval subject of plan ``plan_id`` of the route's waiting promotion (refused
    when it is not that promotion's plan)."""
    item = repo.newest_promotion(tx, target.actor.project_id, route.name)
    stored = plan_repo.get_plan(tx, target.workspace.id, plan_id)
    if item is None or stored is None or stored.package_sha256 != item.package_sha256:
        raise PlanStaleError(
            f"Plan {plan_id} is not the plan of the newest promotion of route '{route.name}' "
            f"in workspace '{target.workspace.name}'.",
            fix=f"Plan it again (POST /v1/{{project_id}}/routes/{route.name}/plans) and approve "
            "the plan id it answers.",
            remedy=Remedy.PLAN_AGAIN,
            plan_id=plan_id,
            route=route.name,
        )
    facts = PlanFacts(
        stored.package_sha256, stored.request_sha256, {ROUTE_BASIS: stored.fingerprint}
    )
    return approving.Subject(
        target.workspace.id,
        route_subject(route.name),
        facts.plan_hash(),
        stored.created_by,
        route.approvals.approvers,
        f"Plan {plan_id} of route '{route.name}'",
        {"route": route.name, "plan_id": plan_id},
    )


def _refuse_imported(tx: Tx, target: Scope, subject: approving.Subject) -> None:
    """Refuse (``DLF.9043``, ``approval.imported``) an approval of a plan whose promotion was
    imported: it takes no more approvals, as a release package released takes none."""
    route = subject.ids["route"]
    item = repo.newest_promotion(tx, target.actor.project_id, route)
    if item is None or item.task_id is None:
        return
    raise ApprovalRefusedError(
        f"{subject.what} was not approved: its promotion was imported (task {item.task_id}), "
        "so it takes no more approvals.",
        fix=f"Promote the route again (POST /v1/{{project_id}}/routes/{route}/plans) to import "
        "what changed since, and approve the plan it answers.",
        remedy=Remedy.CUT_PACKAGE,
        rule="approval.imported",
        task_id=item.task_id,
        **subject.ids,
    )


def _refuse_approvers_gone(tx: Tx, target: Scope, route: Route, plan_id: str, missing: str) -> None:
    """Refuse (``DLF.9044``, ``approval.approvers_gone``) the import of a plan short of
    approvals that no signature can bring in: the route names people who are no longer users
    of the project (removed: someone left), so fewer than it requires are left to approve.
    Its fix is to name others, not to have "its approvers" sign."""
    named = route.approvals.approvers
    gone = approving.gone_short(tx, target.actor.project_id, named, route.approvals.required)
    if not gone:
        return
    left = len(named) - len(gone)
    raise ApprovalsMissingError(
        f"Plan {plan_id} of route '{route.name}' cannot be imported: {missing}; nothing was "
        f"imported. The route names {', '.join(gone)} among its approvers, no longer "
        f"user(s) of the project, so {left} of them can approve where "
        f"{route.approvals.required} are required.",
        fix=f"A project admin names approvers who can (approvals.approvers of PUT "
        f"/v1/{{project_id}}/routes/{route.name}); they sign the plan then.",
        remedy=Remedy.APPROVE_PLAN,
        rule="approval.approvers_gone",
        route=route.name,
        plan_id=plan_id,
        gone=gone,
        required=route.approvals.required,
    )


def require_route_approvals(tx: Tx, target: Scope, route: Route, plan_id: str) -> None:
    """Refuse an apply (``DLF.9044``) when the route requires more valid approvals of the
    plan than it has; nothing when the route requires none. The rule is the route's newest
    version's, as its approvers sign by it: a rule saved since the plan was cut (an approver
    struck off, more approvals required) holds for the waiting plan too."""
    newest = repo.ROUTES.get(tx, target.actor.project_id, route.name, None)
    if newest is not None:
        route = parse_route(newest.name, load(newest.document))
    if not route.approvals.on:
        return
    subject = route_plan_subject(tx, target, route, plan_id)
    missing = approving.shortfall(approving.standing(tx, subject), route.approvals.required)
    if missing is not None:
        _refuse_approvers_gone(tx, target, route, plan_id, missing)
        raise ApprovalsMissingError(
            f"Plan {plan_id} of route '{route.name}' cannot be imported: {missing}; nothing "
            "was imported.",
            fix=f"Its approvers sign plan {subject.plan_hash} (GET /v1/{{project_id}}/routes/"
            f"{route.name}/plans/{plan_id}/approvals answers the statement to sign).",
            remedy=Remedy.APPROVE_PLAN,
            route=route.name,
            plan_id=plan_id,
            plan_hash=subject.plan_hash,
            required=route.approvals.required,
        )


@dataclass
class RouteApprovals:
    """Approve a route's plan and read its approvals."""

    db: Database
    promotions: RoutePromotions

    def _target(self, actor: Actor, name: str) -> tuple[Route, Scope]:
        """The route and the caller in its target workspace (an approver needs a role there,
        not in the route's source or any other workspace)."""
        project = actor.project_id
        with self.db.transaction(readonly=True) as tx:
            item = repo.ROUTES.get(tx, project, name, None)
            route = None if item is None else parse_route(item.name, load(item.document))
            end = None if route is None else route.target.workspace
            found = None
            if end is not None:
                found = account_repo.find_workspace_by_name(tx, project, end)
                found = found or account_repo.get_workspace(tx, project, end)
        if route is None:
            raise RouteNotFoundError(
                f"There is no route '{name}' in this project.",
                fix="List them with GET /v1/{project_id}/routes.",
                remedy=Remedy.LIST_ROUTES,
                route=name,
            )
        if found is None:
            raise InvalidRequestError(
                f"Route '{name}' ends in no workspace of this server: its plans are imported "
                "and approved where its target is.",
                route=name,
            )
        return route, self.promotions.accounts.scope(actor, project, found.id)

    def approvals(self, actor: Actor, name: str, plan_id: str) -> approving.ApprovalsFile:
        """The approvals of the route's plan ``plan_id``."""
        route, target = self._target(actor, name)
        with self.db.transaction(readonly=True) as tx:
            subject = route_plan_subject(tx, target, route, plan_id)
            stored = plan_repo.get_plan(tx, target.workspace.id, plan_id)
            assert stored is not None
            facts = PlanFacts(
                stored.package_sha256, stored.request_sha256, {ROUTE_BASIS: stored.fingerprint}
            )
            found = approving.standing(tx, subject)
            named = {"route": route.name, "planId": plan_id}
            return approving.ApprovalsFile(subject, facts, route.approvals.required, found, named)

    def approve(
        self, actor: Actor, name: str, plan_id: str, signed: approving.Signed
    ) -> approving.ApprovalsFile:
        """Keep the caller's signature of the route's plan (refused, ``DLF.9043``, naming the
        rule it breaks)."""
        route, target = self._target(actor, name)
        with self.db.transaction() as tx:
            subject = route_plan_subject(tx, target, route, plan_id)
            _refuse_imported(tx, target, subject)
            approving.keep_approval(tx, target, subject, signed)
            audit_in_scope(
                tx,
                target,
                "route.approve",
                "route",
                name,
                {"planId": plan_id, "planHash": subject.plan_hash, "keyId": signed.key_id},
            )
        return self.approvals(actor, name, plan_id)
