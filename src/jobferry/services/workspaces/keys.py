"""Package signing keys of a workspace: its own Ed25519 signing key and the keys it trusts.

The private half of a signing key is encrypted with the server's secret key (like environment
secrets) and never leaves the server; exports of the workspace carry ``manifest.sig`` made with
it. Trusted keys are public keys (``ed25519:<base64>`` or PEM) whose signatures imports accept;
with the workspace setting ``requireSigned`` an import refuses unsigned packages and packages
signed by a key that is not trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import Role
from jobferry.domain.remedies import Remedy
from jobferry.domain.shapes import BodyShape, Extra, text
from jobferry.errors import InvalidRequestError, KeyNotFoundError, NameTakenError
from jobferry.package.signature import (
    generate_key_pair,
    key_id_of,
    normalize_public_key,
    sign_manifest,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import Database, Tx
from jobferry.storage import keys as repo
from jobferry.storage.keys import SigningKeyRecord, TrustedKeyRecord


@dataclass(frozen=True)
class SigningKey:
    """The public half of a workspace's signing key."""

    key_id: str
    public_key: str
    created_at: int
    created_by: str

    @classmethod
    def of(cls, item: SigningKeyRecord) -> SigningKey:
        """The stored key without its (encrypted) private half."""
        return cls(item.key_id, item.public_key, item.created_at, item.created_by)


@dataclass(frozen=True)
class TrustedKey:
    """A public key whose signatures a workspace accepts."""

    key_id: str
    name: str
    public_key: str
    added_at: int
    added_by: str

    @classmethod
    def of(cls, item: TrustedKeyRecord) -> TrustedKey:
        """The stored trusted key."""
        return cls(item.key_id, item.name, item.public_key, item.added_at, item.added_by)


@dataclass(frozen=True)
class KeyToTrust:
    """A public key to trust and its label."""

    name: str
    public_key: str
    """Normalised: ``ed25519:<base64>``."""


TRUSTED_KEY = BodyShape(
    "a key to trust",
    (
        text("name", "a label for the key, e.g. the environment it signs in", required=True),
        text("publicKey", "'ed25519:<base64>' or a PEM public key", required=True),
    ),
    Extra.IGNORED,
)
"""The body :func:`parse_trust` reads; other keys are accepted and ignored."""


def parse_trust(body: dict[str, Any]) -> KeyToTrust:
    """``{"name", "publicKey"}`` checked; the key is normalised."""
    name, text = body.get("name"), body.get("publicKey")
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(
            "name is required: a label for the key, e.g. the environment it signs in."
        )
    if not isinstance(text, str):
        raise InvalidRequestError(
            "publicKey is required: 'ed25519:<base64>' (as GET /signing-key answers) or a "
            "PEM public key."
        )
    try:
        public = normalize_public_key(text)
    except ValueError as exc:
        raise InvalidRequestError(f"The public key is not usable: {exc}") from None
    return KeyToTrust(name.strip(), public)


@dataclass
class KeyService:
    """Create and read signing keys; keep the list of trusted keys."""

    db: Database
    box: SecretBox

    # -- the workspace's signing key ------------------------------------------------------

    def create_signing_key(self, scope: Scope) -> SigningKey:
        """Generate (or replace) the workspace's signing key; answers its public half."""
        scope.require((Role.ADMIN,), "manage signing keys")
        pair = generate_key_pair()
        item = SigningKeyRecord(
            scope.workspace.id,
            pair.key_id,
            pair.public_key,
            self.box.encrypt(pair.private_pem.decode("ascii")),
            now_ms(),
            scope.actor.name,
        )
        with self.db.transaction() as tx:
            repo.put_signing_key(tx, item)
            audit_in_scope(tx, scope, "key.create", "signing_key", pair.key_id, {})
        return SigningKey.of(item)

    def signing_key(self, scope: Scope) -> SigningKey:
        """The public half of the workspace's signing key."""
        with self.db.transaction(readonly=True) as tx:
            item = repo.get_signing_key(tx, scope.workspace.id)
        if item is None:
            raise KeyNotFoundError(
                f"Workspace '{scope.workspace.name}' has no signing key.",
                fix="Create one with POST /v1/{project_id}/signing-key.",
                remedy=Remedy.CREATE_SIGNING_KEY,
            )
        return SigningKey.of(item)

    def delete_signing_key(self, scope: Scope) -> None:
        """Stop signing exports of the workspace."""
        scope.require((Role.ADMIN,), "manage signing keys")
        with self.db.transaction() as tx:
            item = repo.get_signing_key(tx, scope.workspace.id)
            if item is None or not repo.delete_signing_key(tx, scope.workspace.id):
                raise KeyNotFoundError(
                    f"Workspace '{scope.workspace.name}' has no signing key to delete."
                )
            audit_in_scope(tx, scope, "key.delete", "signing_key", item.key_id, {})

    def signer_in(self, tx: Tx, workspace_id: str) -> Callable[[bytes], bytes] | None:
        """What signs the workspace's export manifests (None: the workspace has no key)."""
        item = repo.get_signing_key(tx, workspace_id)
        if item is None:
            return None
        private_pem = self.box.decrypt(item.private_key_encrypted).encode("ascii")
        return lambda manifest: sign_manifest(manifest, private_pem)

    # -- trusted keys ---------------------------------------------------------------------

    def trusted(self, scope: Scope) -> list[TrustedKey]:
        """The keys whose signatures the workspace accepts."""
        with self.db.transaction(readonly=True) as tx:
            return [TrustedKey.of(k) for k in repo.trusted(tx, scope.workspace.id)]

    def trust(self, scope: Scope, key: KeyToTrust) -> TrustedKey:
        """Trust a public key."""
        scope.require((Role.ADMIN,), "manage trusted keys")
        key_id = key_id_of(key.public_key)
        item = TrustedKeyRecord(
            scope.workspace.id, key_id, key.name, key.public_key, now_ms(), scope.actor.name
        )
        with self.db.transaction() as tx:
            if repo.get_trusted(tx, scope.workspace.id, key_id) is not None:
                raise NameTakenError(
                    f"Key {key_id} is already trusted in workspace '{scope.workspace.name}'.",
                    key_id=key_id,
                )
            repo.add_trusted(tx, item)
            audit_in_scope(tx, scope, "key.trust", "trusted_key", key_id, {"name": item.name})
        return TrustedKey.of(item)

    def distrust(self, scope: Scope, key_id: str) -> None:
        """Stop trusting a key."""
        scope.require((Role.ADMIN,), "manage trusted keys")
        with self.db.transaction() as tx:
            if not repo.remove_trusted(tx, scope.workspace.id, key_id):
                raise KeyNotFoundError(
                    f"Workspace '{scope.workspace.name}' does not trust a key with id '{key_id}'.",
                    fix="List them with GET /v1/{project_id}/trusted-keys.",
                    remedy=Remedy.LIST_TRUSTED_KEYS,
                    key_id=key_id,
                )
            audit_in_scope(tx, scope, "key.distrust", "trusted_key", key_id, {})


def trusted_public_keys(tx: Tx, workspace_id: str) -> list[str]:
    """The public keys (text form) a workspace trusts, for signature checks."""
    return [k.public_key for k in repo.trusted(tx, workspace_id)]


def accepted_public_keys(tx: Tx, scope: Scope) -> list[str]:
    """The keys whose signatures a workspace accepts: those it trusts and its own, and, unless
    it requires signed packages (then only the keys it chose count, e.g. a release key), the
    signing keys of every workspace of its project on this server. A package this server
    signed in one workspace was "untrusted" in the others until each trusted each."""
    ws = scope.workspace
    trusted = trusted_public_keys(tx, ws.id)
    if not ws.require_signed:
        return trusted + repo.project_signing_keys(tx, scope.actor.project_id)
    own = repo.get_signing_key(tx, ws.id)
    return trusted + ([own.public_key] if own is not None else [])
