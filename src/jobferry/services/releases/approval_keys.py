"""Users' approval keys: the Ed25519 public keys an approver signs plans with.

A user registers their own public keys (several: a new one before the old is revoked), lists
and revokes them; the private half never reaches the server (``jobferry users keys new``
makes the pair on the user's machine). A revoked key is kept, with its time, so that what it
signed can still be read, and counts no more. A workspace admin lists the keys of the
workspace's members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.approvals import KEY_LABEL_LENGTH
from jobferry.domain.enums import Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, KeyNotFoundError, NameTakenError
from jobferry.package.keys import key_id_of, normalize_public_key
from jobferry.services.audit import record_audit
from jobferry.services.context import Actor, Scope, now_ms
from jobferry.storage import Database
from jobferry.storage import accounts as account_repo
from jobferry.storage import approvals as repo
from jobferry.storage.approvals import ApprovalKeyRecord

REGISTER, REVOKE = "approval_key.register", "approval_key.revoke"
"""The audit actions of a user's approval key (the project's, as the user is: in no
workspace's log)."""


@dataclass(frozen=True)
class KeyToRegister:
    """A public key to register, normalised, and its label."""

    public_key: str
    label: str


def parse_key(body: dict[str, Any]) -> KeyToRegister:
    """``{"publicKey", "name"}`` checked (``name`` optional: a label such as the laptop)."""
    text, label = body.get("publicKey"), body.get("name", "")
    problems: list[str] = []
    public = ""
    if not isinstance(text, str):
        problems.append("publicKey is required: 'ed25519:<base64>' or a PEM public key")
    else:
        try:
            public = normalize_public_key(text)
        except ValueError as exc:
            problems.append(f"publicKey is not usable: {exc}")
    if not isinstance(label, str) or len(label) > KEY_LABEL_LENGTH:
        problems.append(f"name must be text of at most {KEY_LABEL_LENGTH} characters")
        label = ""
    if problems:
        raise InvalidRequestError(f"The approval key was not registered: {'; '.join(problems)}.")
    return KeyToRegister(public, label.strip())


@dataclass
class ApprovalKeys:
    """Register, list and revoke approval keys."""

    db: Database

    def register(self, actor: Actor, key: KeyToRegister) -> ApprovalKeyRecord:
        """Register ``key`` as one of the caller's approval keys."""
        key_id = key_id_of(key.public_key)
        with self.db.transaction() as tx:
            holders = [k for k in repo.keys_with_id(tx, key_id) if k.public_key == key.public_key]
            if holders:
                whose = "yours" if holders[0].user_id == actor.user_id else "another user's"
                raise NameTakenError(
                    f"Key {key_id} is {whose} already (revoked keys stay registered): a key "
                    "approves for one person only.",
                    fix="Generate a new key pair and register its public key.",
                    remedy=Remedy.NEW_APPROVAL_KEY,
                    key_id=key_id,
                )
            item = ApprovalKeyRecord(
                actor.user_id,
                key_id,
                actor.name,
                key.label,
                key.public_key,
                now_ms(),
                actor.name,
                None,
            )
            repo.add_key(tx, item)
            detail = {"keyId": key_id, "name": key.label}
            record_audit(
                tx, actor.project_id, None, actor.name, REGISTER, "user", actor.name, detail
            )
        return item

    def mine(self, actor: Actor) -> list[ApprovalKeyRecord]:
        """The caller's approval keys, revoked ones too."""
        with self.db.transaction(readonly=True) as tx:
            return repo.user_keys(tx, [actor.user_id])

    def revoke(self, actor: Actor, key_id: str) -> ApprovalKeyRecord:
        """Revoke one of the caller's keys: it signs nothing from now on, and approvals made
        with it count no more."""
        with self.db.transaction() as tx:
            found = repo.get_key(tx, actor.user_id, key_id)
            if found is None:
                raise KeyNotFoundError(
                    f"Key '{key_id}' is not one of {actor.name}'s approval keys.",
                    fix="List them (GET /v1/{project_id}/users/me/approval-keys).",
                    remedy=Remedy.LIST_APPROVAL_KEYS,
                    key_id=key_id,
                )
            at = found.revoked_at or now_ms()
            if found.revoked_at is None:  # revoking a revoked key again changes nothing
                repo.revoke_key(tx, actor.user_id, key_id, at)
                detail = {"keyId": key_id}
                record_audit(
                    tx, actor.project_id, None, actor.name, REVOKE, "user", actor.name, detail
                )
        return ApprovalKeyRecord(**{**found.__dict__, "revoked_at": at})

    def members(self, scope: Scope) -> list[ApprovalKeyRecord]:
        """The approval keys of the workspace's members (its admins only; a production side's
        are its development workspace's, whose roles reach it)."""
        scope.require((Role.ADMIN,), "list the members' approval keys")
        held = scope.workspace.roles_held_in
        with self.db.transaction(readonly=True) as tx:
            found = account_repo.workspace_members(tx, scope.actor.project_id, held)
            return repo.user_keys(tx, [user.id for user, _ in found])
