"""Signed approvals of release packages: an approver named on a package signs its plan hash
with their own key; a workspace may require N of them before a deploy.

*Decision:* an approval is bound to the plan's meaning (the package file, the import's
settings, what production held of each object it touches: ``domain.approvals``), not to the
kept plan's id, so it survives being read elsewhere (the approvals file, verified offline) and
a package planned again against a production that did not move; when production moved, the
hash moves and every approval of the old plan counts no more. The deploy counts them again in
the transaction that takes the package, each signature verified with its key as it stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jobferry.domain.approvals import MAX_REQUIRED, PlanFacts, package_subject
from jobferry.domain.enums import Role
from jobferry.domain.releases import APPROVER_ROLES
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ApprovalRefusedError,
    ApprovalsMissingError,
    InvalidRequestError,
)
from jobferry.services import approving
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.checks import not_waiting
from jobferry.services.releases.listing import package_of, view_of
from jobferry.services.releases.production import production_scope
from jobferry.storage import Database, Tx
from jobferry.storage import approvals as repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.releases import PackageRecord


def plan_facts(tx: Tx, production_id: str, record: PackageRecord) -> PlanFacts:
    """What the package's plan hash hashes, as the package stands."""
    kept = plan_repo.get_plan(tx, production_id, record.plan_id or "")
    return PlanFacts(
        record.sha256 or "",
        kept.request_sha256 if kept is not None else "",
        json.loads(record.basis or "{}"),
    )


def package_subject_of(tx: Tx, scope: Scope, record: PackageRecord) -> approving.Subject:
    """The approval subject of a package: its plan hash now, its applicant, its approvers."""
    return subject_of(tx, scope.workspace.id, scope.workspace.production_id or "", record)


def subject_of(
    tx: Tx, workspace_id: str, production_id: str, record: PackageRecord
) -> approving.Subject:
    """:func:`package_subject_of` of a package of ``workspace_id`` (production side
    ``production_id``)."""
    facts = plan_facts(tx, production_id, record)
    return approving.Subject(
        workspace_id,
        package_subject(record.id),
        facts.plan_hash(),
        record.apply_user_name,
        tuple(a["user_name"] for a in record.approver_list()),
        f"Release package '{record.id}'",
        {"package_id": str(record.id)},
        APPROVER_ROLES,
    )


def counted_approvals(
    tx: Tx, workspace_id: str, production_id: str, record: PackageRecord
) -> list[dict[str, Any]]:
    """The signed approvals of the package's plan that count now, each verified with its key
    as it stands (oldest first): who signed with which key, when, the plan hash, the
    statement and the signature — what a release's ledger entry keeps of its approvals."""
    subject = subject_of(tx, workspace_id, production_id, record)
    found = approving.standing(tx, subject)
    return [
        {
            "user_id": str(a.user_id),
            "user_name": a.user_name,
            "key_id": a.key_id,
            "public_key": found.keys[(a.user_id, a.key_id)].public_key,
            "approved_at": a.approved_at,
            "plan_hash": a.plan_hash,
            "statement": subject.statement,
            "signature": a.signature,
        }
        for a in sorted(found.counted, key=lambda a: (a.approved_at, a.user_name))
    ]


def require_approvals(tx: Tx, scope: Scope, record: PackageRecord) -> None:
    """Refuse a deploy (``DLF.9044``) when the workspace requires more valid approvals of the
    package's plan as it is now than it has; nothing when the workspace has no rule."""
    try:
        require_counted(tx, scope.workspace.id, scope.workspace.production_id or "", record)
    except ApprovalsMissingError as short:
        _refuse_approvers_gone(tx, scope, record, short)
        raise


def _refuse_approvers_gone(
    tx: Tx, scope: Scope, record: PackageRecord, short: ApprovalsMissingError
) -> None:
    """Refuse the deploy of a package short of approvals that no signature can bring in: it
    names approvers who are no longer users of the project (someone left), so fewer than the
    rule requires are left to approve. Its fix is to package the items again, naming others
    (a package's approvers are fixed when it is made), not to have "its approvers" sign."""
    subject = package_subject_of(tx, scope, record)
    required = int(short.context.get("required", 0))
    gone = approving.gone_short(tx, scope.actor.project_id, subject.approvers, required)
    if not gone:
        return
    left = len(subject.approvers) - len(gone)
    raise ApprovalsMissingError(
        f"{short.problem} It names {', '.join(gone)} among its approvers, no longer user(s) "
        f"of the project, so {left} of them can approve where {required} are required.",
        fix="Cancel it (cancel_factory_packages) and package its items again, naming "
        "approvers who can.",
        remedy=Remedy.PACKAGE_AGAIN,
        rule="approval.approvers_gone",
        package_id=str(record.id),
        gone=gone,
        required=required,
    ) from short


def require_counted(tx: Tx, workspace_id: str, production_id: str, record: PackageRecord) -> None:
    """:func:`require_approvals` of a package of ``workspace_id`` (production side
    ``production_id``): the deploy call's check, and its import's again as it applies (a key
    revoked, or the rule raised, since the call)."""
    required = repo.required(tx, workspace_id)
    if not required:
        return
    subject = subject_of(tx, workspace_id, production_id, record)
    missing = approving.shortfall(approving.standing(tx, subject), required)
    if missing is not None:
        raise ApprovalsMissingError(
            f"Release package '{record.id}' cannot be deployed: {missing}; nothing was deployed.",
            fix=f"Its approvers sign plan {subject.plan_hash} (GET /v2/{{project_id}}/factory/"
            f"release-packages/{record.id}/approvals answers the statement to sign).",
            remedy=Remedy.APPROVE_PLAN,
            package_id=str(record.id),
            plan_hash=subject.plan_hash,
            required=required,
        )


@dataclass(frozen=True)
class PackageApprovals(approving.ApprovalsFile):
    """A package's approvals file; its wire keys name the package's id, name and applicant."""

    record: PackageRecord

    @classmethod
    def of(cls, tx: Tx, scope: Scope, record: PackageRecord) -> PackageApprovals:
        """The package's approvals file as it stands."""
        facts = plan_facts(tx, scope.workspace.production_id or "", record)
        subject = package_subject_of(tx, scope, record)
        required = repo.required(tx, scope.workspace.id)
        named = {
            "packageId": str(record.id),
            "packageName": record.name,
            "applicant": subject.maker,
        }
        return cls(subject, facts, required, approving.standing(tx, subject), named, record)


def _refuse_role(scope: Scope, subject: approving.Subject) -> None:
    """Refuse (``DLF.9043``) an approver named on the package who no longer holds a role an
    approver holds (admin or deployer, as when the package named them)."""
    me = scope.actor.name
    if me not in subject.approvers or scope.role in APPROVER_ROLES:
        return
    others = ", ".join(a for a in subject.approvers if a != me) or "none"
    raise ApprovalRefusedError(
        f"{subject.what} was not approved: '{me}' holds role '{scope.role.value}' in workspace "
        f"'{scope.workspace.name}' now; an approver holds admin or deployer.",
        fix="Ask a workspace admin for the deployer role again, or one of its other approvers "
        f"({others}) to sign it.",
        remedy=Remedy.APPROVE_PLAN,
        rule="approval.role",
        **subject.ids,
    )


@dataclass
class ReleaseApprovals:
    """Approve release packages, read their approvals, set the workspace's rule."""

    db: Database

    def approvals(self, scope: Scope, package_id: int) -> PackageApprovals:
        """A package's approvals file."""
        with self.db.transaction(readonly=True) as tx:
            production_scope(tx, scope, releasing=False)
            return PackageApprovals.of(tx, scope, package_of(tx, scope, package_id))

    def approve(self, scope: Scope, package_id: int, signed: approving.Signed) -> PackageApprovals:
        """Keep the caller's signature of a waiting package's plan (refused, ``DLF.9043``,
        naming the rule it breaks)."""
        with self.db.transaction() as tx:
            production_scope(tx, scope, releasing=False)
            # Locked: an approval at the moment the package is cancelled or deployed reads
            # what that did, and is refused saying so rather than kept on it.
            record = package_of(tx, scope, package_id, lock=True)
            refusal = not_waiting(tx, scope, view_of(tx, scope, record), "approved")
            if refusal is not None:
                raise refusal
            subject = package_subject_of(tx, scope, record)
            _refuse_role(scope, subject)
            approving.keep_approval(tx, scope, subject, signed)
            audit_in_scope(
                tx,
                scope,
                "release.approve",
                "package",
                record.name,
                {"id": record.id, "planHash": subject.plan_hash, "keyId": signed.key_id},
            )
        return self.approvals(scope, package_id)

    def rule(self, scope: Scope) -> int:
        """How many approvals the workspace's release packages need (0: none)."""
        with self.db.transaction(readonly=True) as tx:
            return repo.required(tx, scope.workspace.id)

    def set_rule(self, scope: Scope, body: dict[str, Any]) -> int:
        """``{"requireApprovals": N}``: the workspace's rule (its admins; 0 removes it)."""
        scope.require((Role.ADMIN,), "set the workspace's approval rule")
        count = body.get("requireApprovals")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_REQUIRED:
            raise InvalidRequestError(
                f"requireApprovals must be a whole number from 0 (no rule) to {MAX_REQUIRED}.",
                parameter="requireApprovals",
            )
        with self.db.transaction() as tx:
            repo.set_required(tx, scope.workspace.id, count, now_ms(), scope.actor.name)
            audit_in_scope(
                tx,
                scope,
                "release.approval_rule",
                "workspace",
                scope.workspace.name,
                {"requireApprovals": count},
            )
        return count
