"""What an approval is checked against, for a release package and a route's plan alike: the
signer's registered key, the plan the signature must be over, and which kept approvals still
count (their plan unchanged, their signer still one of its approvers holding a role that
approves, their key not revoked, their signature good)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jobferry.domain.approvals import PlanFacts, is_plan_hash, statement
from jobferry.domain.enums import Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import ApprovalRefusedError
from jobferry.package.approvals import FILE_FORMAT, signature_valid
from jobferry.services.context import Scope, now_ms
from jobferry.storage import Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import approvals as repo
from jobferry.storage.approvals import ApprovalKeyRecord, ApprovalRecord


@dataclass(frozen=True)
class Signed:
    """What an approver sends: their key's id, the plan hash they signed, the signature."""

    key_id: str
    plan_hash: str
    signature: str


def parse_signed(body: dict[str, object]) -> Signed:
    """``{"keyId", "planHash", "signature"}`` checked."""
    key_id, plan_hash, signature = body.get("keyId"), body.get("planHash"), body.get("signature")
    problems = []
    if not isinstance(key_id, str) or not key_id:
        problems.append("keyId must name one of your approval keys")
    if not is_plan_hash(plan_hash):
        problems.append("planHash must be the plan hash you signed (64 hex characters)")
    if not isinstance(signature, str) or not signature:
        problems.append("signature must be the base64 Ed25519 signature of the statement")
    if problems:
        raise ApprovalRefusedError(
            f"The approval was not kept: {'; '.join(problems)}.", rule="approval.body"
        )
    return Signed(str(key_id), str(plan_hash), str(signature))


@dataclass(frozen=True)
class Subject:
    """What is approved: its workspace and subject (the statement's), its plan hash now,
    who made the plan (never its approver), and who may approve (empty: anyone)."""

    workspace_id: str
    subject: str
    plan_hash: str
    maker: str
    approvers: tuple[str, ...]
    what: str
    """The subject in words, for messages."""
    ids: dict[str, str]
    """The refusal's context naming it (``package_id``, or ``route`` and ``plan_id``)."""
    roles: tuple[Role, ...] = ()
    """The roles one of which a signer holds in ``workspace_id`` (a project admin holds
    admin) for their approval to count, now as when they signed: a release package's
    approvers hold admin or deployer; empty: any role there (a route's target)."""

    @property
    def statement(self) -> str:
        """The statement an approval of the plan as it is now signs."""
        return statement(self.workspace_id, self.subject, self.plan_hash)


def _refuse(
    subject: Subject,
    problem: str,
    rule: str,
    *,
    fix: str,
    remedy: Remedy = Remedy.APPROVE_PLAN,
    **more: str,
) -> Exception:
    return ApprovalRefusedError(
        f"{subject.what} was not approved: {problem}.",
        fix=fix,
        remedy=remedy,
        rule=rule,
        **subject.ids,
        **more,
    )


def _key(tx: Tx, scope: Scope, subject: Subject, key_id: str) -> ApprovalKeyRecord:
    key = repo.get_key(tx, scope.actor.user_id, key_id)
    if key is None or key.revoked_at is not None:
        state = "is revoked" if key is not None else "is not one of your registered keys"
        raise _refuse(
            subject,
            f"key {key_id} {state}",
            "approval.key",
            fix="Register a key (POST /v1/{project_id}/users/me/approval-keys) and sign with it.",
            remedy=Remedy.REGISTER_APPROVAL_KEY,
            key_id=key_id,
        )
    return key


def keep_approval(tx: Tx, scope: Scope, subject: Subject, signed: Signed) -> ApprovalRecord:
    """Check ``signed`` against ``subject`` and keep it; refused (``DLF.9043``) naming the
    rule: the plan's maker approving, an approver not named, a key not theirs or revoked, a
    signature over another plan hash or not the key's signature of the statement."""
    me, names = scope.actor.name, ", ".join(subject.approvers)
    if me == subject.maker:
        raise _refuse(
            subject,
            f"'{me}' made it; nobody approves their own plan",
            "approval.self",
            fix=f"Ask one of its approvers ({names}) to sign it."
            if names
            else "Ask one of the approvers to sign it.",
            approvers=names,
        )
    if subject.approvers and me not in subject.approvers:
        raise _refuse(
            subject,
            f"'{me}' is not one of its approvers ({names})",
            "approval.approver",
            fix="Ask one of them to sign it.",
            approvers=names,
        )
    key = _key(tx, scope, subject, signed.key_id)
    if signed.plan_hash != subject.plan_hash:
        raise _refuse(
            subject,
            f"the signature is over plan {signed.plan_hash}, but its plan is now "
            f"{subject.plan_hash} (it was planned again)",
            "approval.plan",
            fix="Read its approvals again and sign the plan as it is now.",
            plan_hash=subject.plan_hash,
        )
    if not signature_valid(key.public_key, subject.statement, signed.signature):
        raise _refuse(
            subject,
            f"the signature is not key {key.key_id}'s signature of its statement",
            "approval.signature",
            fix="Sign the statement its approvals answer, byte for byte, with that key's "
            "private half.",
            plan_hash=subject.plan_hash,
        )
    repo.drop_approvals(
        tx, subject.workspace_id, subject.subject, scope.actor.user_id, subject.plan_hash
    )
    values = {
        "workspace_id": subject.workspace_id,
        "subject": subject.subject,
        "plan_hash": subject.plan_hash,
        "user_id": scope.actor.user_id,
        "user_name": me,
        "key_id": key.key_id,
        "signature": signed.signature,
        "approved_at": now_ms(),
    }
    repo.add_approval(tx, values)
    return ApprovalRecord(0, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Standing:
    """The approvals of a subject, each judged: those that count, and why the others do not."""

    counted: tuple[ApprovalRecord, ...]
    not_counted: tuple[tuple[ApprovalRecord, str], ...]
    keys: dict[tuple[int, str], ApprovalKeyRecord]

    @property
    def users(self) -> int:
        """How many distinct approvers count."""
        return len({a.user_id for a in self.counted})


def _role_lost(subject: Subject, held: str | None) -> str:
    """Why a signer holding ``held`` in the subject's workspace now (``None``: no role) does
    not approve it any more; empty when they still may."""
    if held is None and not subject.roles:
        return "its signer holds no role in its workspace now"
    if held is None or (subject.roles and held not in subject.roles):
        wanted = " or ".join(r.value for r in subject.roles)
        return f"its signer holds {wanted} no longer ({held or 'no role'} now)"
    return ""


def _why_not(
    item: ApprovalRecord, subject: Subject, key: ApprovalKeyRecord | None, held: str | None
) -> str:
    if item.plan_hash != subject.plan_hash:
        return "signed an earlier plan"
    if item.user_name == subject.maker or (
        subject.approvers and item.user_name not in subject.approvers
    ):
        return "not one of its approvers"
    lost = _role_lost(subject, held)
    if lost:
        return lost
    if key is None or key.revoked_at is not None:
        return "its key is revoked"
    if not signature_valid(key.public_key, subject.statement, item.signature):
        return "the signature does not verify"
    return ""


def standing(tx: Tx, subject: Subject) -> Standing:
    """Every approval kept for ``subject``, each checked again now (its signer's role in the
    subject's workspace too: one set to another role, or whose role was taken away, since
    they signed no longer approves)."""
    found = repo.approvals(tx, subject.workspace_id, subject.subject)
    signers = sorted({a.user_id for a in found})
    keys = {(k.user_id, k.key_id): k for k in repo.user_keys(tx, signers)}
    roles = account_repo.roles_in(tx, signers, subject.workspace_id)
    users = account_repo.existing_users(tx, signers)
    counted: list[ApprovalRecord] = []
    not_counted: list[tuple[ApprovalRecord, str]] = []
    for item in found:
        key = keys.get((item.user_id, item.key_id))
        why = (
            _why_not(item, subject, key, roles.get(item.user_id))
            if item.user_id in users
            else "its signer was removed"
        )
        if why:
            not_counted.append((item, why))
        else:
            counted.append(item)
    return Standing(tuple(counted), tuple(not_counted), keys)


def gone_short(
    tx: Tx, project_id: str, approvers: Sequence[str], required: int, *, leaving: str = ""
) -> list[str]:
    """The named approvers who are no longer users of the project (removed: someone left),
    when so few are left that fewer than ``required`` can approve: a plan waiting for them
    will never get its approvals (refused ``DLF.9044``, ``approval.approvers_gone``). Empty
    when none is gone or enough are left. ``leaving``: a user about to be removed, counted as
    gone already (what a removal asks first)."""
    gone = [
        name
        for name in approvers
        if name == leaving or account_repo.find_user(tx, project_id, name) is None
    ]
    return gone if gone and len(approvers) - len(gone) < required else []


def shortfall(found: Standing, required: int) -> str | None:
    """What is missing, in words (``None``: enough approvals count): how many count, and
    each reason the others do not with whose approvals it is."""
    if found.users >= required:
        return None
    why: dict[str, list[str]] = {}
    for item, reason in found.not_counted:
        why.setdefault(reason, []).append(item.user_name)
    others = "".join(
        f"; {len(users)} not counted ({', '.join(dict.fromkeys(users))}): {reason}"
        for reason, users in why.items()
    )
    needed = f"{required} approval{'s' if required != 1 else ''} of its plan"
    verb = "is" if required == 1 else "are"
    counted = f"{found.users} count{'s' if found.users == 1 else ''}"
    return f"{needed} {verb} required, {counted}{others}"


def names(items: Iterable[ApprovalRecord]) -> list[str]:
    """The approvers' names, once each."""
    return list(dict.fromkeys(a.user_name for a in items))


@dataclass(frozen=True)
class ApprovalsFile:
    """A subject's approvals file (``jobferry-approvals/1``, see ``package.approvals``): the
    plan's facts, hash and statement, the rule, and each approval kept with its public key,
    whether it counts and why not."""

    subject: Subject
    facts: PlanFacts
    required: int
    found: Standing
    named: dict[str, Any]
    """The keys naming the subject on the wire (a package's id, name and applicant; a
    route's name and plan id)."""

    @property
    def missing(self) -> int:
        """How many more approvals must count before the subject goes on."""
        return max(self.required - self.found.users, 0)

    def document(self) -> dict[str, Any]:
        """The file, as the API answers and ``approve`` checks it."""
        subject, found = self.subject, self.found
        judged = [(a, "") for a in found.counted] + list(found.not_counted)
        judged.sort(key=lambda pair: (pair[0].approved_at, pair[0].user_name))
        return {
            "format": FILE_FORMAT,
            "workspaceId": subject.workspace_id,
            "subject": subject.subject,
            "maker": subject.maker,
            "approvers": list(subject.approvers),
            "required": self.required,
            "counted": found.users,
            "plan": self.facts.wire(),
            "planHash": subject.plan_hash,
            "statement": subject.statement,
            "approvals": [_approval(a, why, found) for a, why in judged],
            **self.named,
        }


def _approval(item: ApprovalRecord, why: str, found: Standing) -> dict[str, Any]:
    key = found.keys.get((item.user_id, item.key_id))
    return {
        "user": item.user_name,
        "keyId": item.key_id,
        "publicKey": key.public_key if key is not None else None,
        "planHash": item.plan_hash,
        "signature": item.signature,
        "approvedAt": item.approved_at,
        "counts": not why,
        "why": why or None,
    }
