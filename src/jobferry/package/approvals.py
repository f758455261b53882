"""Signing and checking approvals, and the approvals file that carries them.

The signature side of :mod:`jobferry.domain.approvals`: an approver signs a statement with
their Ed25519 private key (the signature travels as standard base64), the server and anyone
else verify it with the public key. An **approvals file** (``jobferry-approvals/1``, JSON) is
what ``GET …/release-packages/{id}/approvals`` answers: the plan's facts, its hash, the
statement, the rule, and each approval with its public key; :func:`check_approvals` verifies
one with no server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from jobferry.domain.approvals import PlanFacts, statement
from jobferry.package.keys import (
    b64decode,
    b64encode,
    key_id_of,
    normalize_public_key,
    parse_public_key,
    private_key,
)

FILE_FORMAT = "jobferry-approvals/1"
"""The ``format`` of an approvals file."""
_SIGNATURE_BYTES = 64


def sign_statement(private_pem: bytes, text: str) -> str:
    """The base64 Ed25519 signature of ``text`` (ValueError: not an Ed25519 private key)."""
    return b64encode(private_key(private_pem).sign(text.encode("utf-8")))


def signature_valid(public_key: str, text: str, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``public_key``'s signature of ``text``."""
    raw = b64decode(signature) if isinstance(signature, str) else None
    if raw is None or len(raw) != _SIGNATURE_BYTES:
        return False
    try:
        parse_public_key(public_key).verify(raw, text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class ApprovalCheck:
    """One approval of a file, checked."""

    user: str
    key_id: str
    valid: bool
    why: str
    """Empty when valid; else what is wrong."""
    distrusted: str = ""
    """The public key when the signature verifies under a key among the ``distrusted`` ones
    :func:`check_approvals` was given (then not valid); else empty."""


@dataclass(frozen=True)
class ApprovalsVerdict:
    """An approvals file checked: each approval, how many count, and what is wrong."""

    plan_hash: str
    required: int
    counted: int
    checks: tuple[ApprovalCheck, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """The file is whole and enough valid approvals from distinct approvers count."""
        return not self.problems and self.counted >= self.required


def _text(document: Mapping[str, Any], key: str, problems: list[str]) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        problems.append(f"'{key}' is missing or not text")
        return ""
    return value


def _facts(document: Mapping[str, Any], problems: list[str]) -> PlanFacts | None:
    facts = document.get("plan")
    if not isinstance(facts, Mapping) or not isinstance(facts.get("basis"), Mapping):
        problems.append("'plan' must hold packageSha256, requestSha256 and basis")
        return None
    return PlanFacts(
        _text(facts, "packageSha256", problems),
        _text(facts, "requestSha256", problems),
        {str(k): None if v is None else str(v) for k, v in facts["basis"].items()},
    )


def _check_one(
    item: object,
    text: str,
    approvers: Sequence[str],
    trusted: frozenset[str] | None,
    distrusted: frozenset[str],
) -> ApprovalCheck:
    if not isinstance(item, Mapping):
        return ApprovalCheck("?", "?", False, "not an object")
    user, public_key = str(item.get("user", "?")), str(item.get("publicKey", ""))
    try:
        key_id = key_id_of(public_key)
        public_key = normalize_public_key(public_key)
    except ValueError:
        return ApprovalCheck(user, str(item.get("keyId", "?")), False, "unreadable public key")
    why = ""
    if not signature_valid(public_key, text, str(item.get("signature", ""))):
        why = "the signature is not this key's signature of the statement"
    elif public_key in distrusted:
        return ApprovalCheck(user, key_id, False, "its key is distrusted", public_key)
    elif approvers and user not in approvers:
        why = "not one of the approvers named"
    elif trusted is not None and public_key not in trusted:
        why = "its key is not one of the keys trusted"
    return ApprovalCheck(user, key_id, not why, why)


def _head(document: Mapping[str, Any], problems: list[str]) -> tuple[str, str, int]:
    """The file's plan hash, the statement rebuilt, and ``required``, each checked."""
    facts = _facts(document, problems)
    plan_hash = _text(document, "planHash", problems)
    if facts is not None and facts.plan_hash() != plan_hash:
        problems.append("planHash is not the hash of the plan's facts")
    text = statement(
        _text(document, "workspaceId", problems), _text(document, "subject", problems), plan_hash
    )
    if document.get("statement") != text:
        problems.append("statement is not the statement of this workspace, subject and plan")
    required = document.get("required")
    if isinstance(required, bool) or not isinstance(required, int) or required < 0:
        problems.append("'required' must be a whole number")
        required = 0
    return plan_hash, text, required


def _one_person_a_key(checks: list[ApprovalCheck]) -> tuple[ApprovalCheck, ...]:
    """``checks`` with each key counting for one person: the user an approval names travels
    unsigned beside its signature, so a key's approval listed again under another name is
    not another approver's (the first name it came with keeps it)."""
    owner: dict[str, str] = {}
    for at, check in enumerate(checks):
        if not check.valid:
            continue
        first = owner.setdefault(check.key_id, check.user)
        if first != check.user:
            why = f"its key {check.key_id} approved for {first} already (a key approves for one)"
            checks[at] = ApprovalCheck(check.user, check.key_id, False, why)
    return tuple(checks)


def check_approvals(
    document: object,
    trusted: frozenset[str] | None = None,
    distrusted: frozenset[str] = frozenset(),
) -> ApprovalsVerdict:
    """Check an approvals file with no server: the plan hash rebuilt from its facts, the
    statement rebuilt from its workspace, subject and hash, each signature verified with the
    public key carried beside it (and, with ``trusted``, public keys as ``ed25519:…``, that
    whole key among them: a key id is only a label); an approver counts once. An approval
    whose signature verifies under a key among ``distrusted`` never counts and is marked
    (``ApprovalCheck.distrusted``), for the caller to refuse; a key counts for one approver
    (the names beside the signatures are not signed)."""
    problems: list[str] = []
    if not isinstance(document, Mapping) or document.get("format") != FILE_FORMAT:
        return ApprovalsVerdict("", 0, 0, (), (f"not an approvals file ({FILE_FORMAT})",))
    plan_hash, text, required = _head(document, problems)
    approvers = [str(a) for a in document.get("approvers") or []]
    found = document.get("approvals")
    items = found if isinstance(found, list) else []
    checks = _one_person_a_key(
        [_check_one(item, text, approvers, trusted, distrusted) for item in items]
    )
    counted = len({c.user for c in checks if c.valid})
    return ApprovalsVerdict(plan_hash, required, counted, checks, tuple(problems))
