"""Package signing keys of a workspace: its own Ed25519 signing key and the keys it trusts.

The private half of a signing key is encrypted with the server's secret key (like environment
secrets) and never leaves the server; exports of the workspace carry ``manifest.sig`` made with
it. Trusted keys are public keys (``ed25519:<base64>`` or PEM) whose signatures imports accept;
with the workspace setting ``requireSigned`` an import refuses unsigned packages and packages
signed by a key that is not trusted.

A distrusted key is remembered (marked with when and by whom, not deleted): a package whose
signature verifies under it is refused at check, plan and import (``KeyDistrustedError``)
whatever ``requireSigned`` says, by :class:`SigningTrust`, which every signature check of a
workspace goes through. Trusting it again clears the mark. A key the workspace never trusted
can be distrusted by its public key (a sibling workspace's signing key, accepted without being
listed, or any key to refuse from now on): it is remembered as distrusted the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from jobferry.domain.enums import Role
from jobferry.domain.remedies import Remedy
from jobferry.domain.shapes import BodyShape, Extra, text
from jobferry.errors import (
    AlreadyDistrustedError,
    InvalidRequestError,
    KeyDistrustedError,
    KeyNotFoundError,
    NameTakenError,
)
from jobferry.package.signature import (
    DISTRUSTED,
    SignatureCheck,
    check_signature,
    generate_key_pair,
    key_id_of,
    normalize_public_key,
    sign_manifest,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.expiry import utc_minute
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
    """A public key whose signatures a workspace accepts, or distrusts (``distrusted_at``)."""

    key_id: str
    name: str
    public_key: str
    added_at: int
    added_by: str
    distrusted_at: int | None = None
    """When the key was distrusted (None: it is trusted)."""
    distrusted_by: str | None = None

    @classmethod
    def of(cls, item: TrustedKeyRecord) -> TrustedKey:
        """The stored key."""
        return cls(
            item.key_id,
            item.name,
            item.public_key,
            item.added_at,
            item.added_by,
            item.distrusted_at,
            item.distrusted_by,
        )

    @property
    def distrusted(self) -> bool:
        """Whether the workspace distrusts the key."""
        return self.distrusted_at is not None


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


def _usable(text: str) -> str:
    """The public key ``text`` normalised; refused, saying why, when it is not one."""
    try:
        return normalize_public_key(text)
    except ValueError as exc:
        raise InvalidRequestError(f"The public key is not usable: {exc}.") from None


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
    return KeyToTrust(name.strip(), _usable(text))


UNNAMED = "unnamed"
"""The label of a key distrusted by its public key without a name, that the workspace did not
know."""

DISTRUSTED_KEY = BodyShape(
    "a public key to distrust",
    (
        text("publicKey", "'ed25519:<base64>' or a PEM public key", required=True),
        text(
            "name",
            "a label for a key the workspace does not know yet (a key it knows keeps its "
            f"name); '{UNNAMED}' when left out",
            nullable=True,
        ),
    ),
    Extra.IGNORED,
)
"""The body :func:`parse_distrust` reads; other keys are accepted and ignored."""


def parse_distrust(body: dict[str, Any]) -> KeyToTrust:
    """``{"publicKey", "name"?}`` checked; the key is normalised, ``name`` is empty when left
    out (the key's own name, or :data:`UNNAMED`, is used)."""
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidRequestError("name must be text: a label for the key.")
    text = body.get("publicKey")
    if not isinstance(text, str):
        raise InvalidRequestError(
            "publicKey is required: the public key to distrust, 'ed25519:<base64>' (as GET "
            "/signing-key answers) or a PEM public key."
        )
    return KeyToTrust((name or "").strip(), _usable(text))


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
        """The public half of the workspace's signing key (its admins', as every call of the
        key is: docs/api.md)."""
        scope.require((Role.ADMIN,), "manage signing keys")
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
                    f"Workspace '{scope.workspace.name}' has no signing key to delete.",
                    fix="Nothing changed: its exports are not signed already.",
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

    def trusted(self, scope: Scope, distrusted: bool = False) -> list[TrustedKey]:
        """The keys whose signatures the workspace accepts, and with ``distrusted`` those it
        distrusts too (marked), by name."""
        with self.db.transaction(readonly=True) as tx:
            found = (repo.all_keys if distrusted else repo.trusted)(tx, scope.workspace.id)
            return [TrustedKey.of(k) for k in found]

    def allow_trust(self, scope: Scope) -> None:
        """Refuse unless the scope's actor may change which keys the workspace trusts
        (admins): what :meth:`trust` and the distrusts refuse first, and what an adapter asks
        before it reads the key sent, so a caller without the role is told so whatever the
        body (not that the key is malformed)."""
        scope.require((Role.ADMIN,), "manage trusted keys")

    def trust(self, scope: Scope, key: KeyToTrust) -> TrustedKey:
        """Trust a public key; a distrusted one again (its mark cleared, audited as such)."""
        self.allow_trust(scope)
        key_id = key_id_of(key.public_key)
        item = TrustedKeyRecord(
            scope.workspace.id, key_id, key.name, key.public_key, now_ms(), scope.actor.name
        )
        with self.db.transaction() as tx:
            known = repo.get_key(tx, scope.workspace.id, key_id)
            if known is None:
                repo.add_trusted(tx, item)
                detail: dict[str, object] = {"name": item.name}
            elif known.distrusted_at is None:
                raise NameTakenError(
                    f"Key {key_id} is already trusted in workspace '{scope.workspace.name}', "
                    f"as '{known.name}'.",
                    fix="Nothing changed: its signatures are accepted already.",
                    key_id=key_id,
                )
            else:
                repo.trust_again(tx, item)
                detail = {
                    "name": item.name,
                    "again": True,
                    "distrustedAt": known.distrusted_at,
                    "distrustedBy": known.distrusted_by,
                }
            audit_in_scope(tx, scope, "key.trust", "trusted_key", key_id, detail)
        return TrustedKey.of(item)

    def distrust(self, scope: Scope, key_id: str) -> TrustedKey:
        """Stop trusting a key, and remember it: packages it signs are refused from now on.
        A key distrusted already is refused as such (``AlreadyDistrustedError``): nothing
        changes."""
        self.allow_trust(scope)
        ws = scope.workspace
        with self.db.transaction() as tx:
            repo.lock_for_distrust(tx, ws.id)  # after the applies that read it as trusted
            known = repo.get_key(tx, ws.id, key_id)
            if known is None:
                raise KeyNotFoundError(
                    f"Workspace '{ws.name}' does not trust a key with id '{key_id}'.",
                    fix="List them with GET /v1/{project_id}/trusted-keys; to distrust a key "
                    "the workspace never trusted, give its public key (POST /v1/{project_id}/"
                    "trusted-keys/distrust).",
                    remedy=Remedy.LIST_TRUSTED_KEYS,
                    key_id=key_id,
                )
            return self._mark(tx, scope, known, {"byPublicKey": False})

    def distrust_public_key(self, scope: Scope, key: KeyToTrust) -> TrustedKey:
        """Distrust a public key whether or not the workspace trusted it (a sibling
        workspace's signing key, accepted unlisted, or any key to refuse from now on): a key
        it knows is marked as :meth:`distrust` marks it (keeping its name), one it does not
        is remembered as distrusted under ``key.name`` (:data:`UNNAMED` when empty)."""
        self.allow_trust(scope)
        key_id, at, by = key_id_of(key.public_key), now_ms(), scope.actor.name
        with self.db.transaction() as tx:
            repo.lock_for_distrust(tx, scope.workspace.id)  # after the applies that read it
            known = repo.get_key(tx, scope.workspace.id, key_id)
            if known is not None:
                return self._mark(tx, scope, known, {"byPublicKey": True})
            name = key.name or UNNAMED
            item = TrustedKeyRecord(
                scope.workspace.id, key_id, name, key.public_key, at, by, at, by
            )
            repo.add_trusted(tx, item)
            detail = {"name": name, "byPublicKey": True, "wasTrusted": False}
            audit_in_scope(tx, scope, "key.distrust", "trusted_key", key_id, detail)
        return TrustedKey.of(item)

    @staticmethod
    def _mark(
        tx: Tx, scope: Scope, known: TrustedKeyRecord, detail: dict[str, object]
    ) -> TrustedKey:
        """Mark a key the workspace knows distrusted, audited with ``detail`` (refused when
        it is distrusted already: nothing changes)."""
        ws = scope.workspace
        if known.distrusted_at is not None:
            raise AlreadyDistrustedError(
                f"Key {known.key_id} ('{known.name}') is already distrusted in workspace "
                f"'{ws.name}': {distrusted_since(known)}. Nothing changed.",
                key_id=known.key_id,
                distrusted_at=known.distrusted_at,
                distrusted_by=known.distrusted_by,
            )
        at, by = now_ms(), scope.actor.name
        repo.mark_distrusted(tx, ws.id, known.key_id, at, by)
        detail = {"name": known.name, **detail, "wasTrusted": True}
        audit_in_scope(tx, scope, "key.distrust", "trusted_key", known.key_id, detail)
        return TrustedKey.of(replace(known, distrusted_at=at, distrusted_by=by))


def distrusted_since(key: TrustedKeyRecord) -> str:
    """When and by whom, as a refusal says it: "distrusted on 2026-11-28 17:50 UTC by alice"."""
    assert key.distrusted_at is not None
    return f"distrusted on {utc_minute(key.distrusted_at)} by {key.distrusted_by}"


@dataclass(frozen=True)
class SigningTrust:
    """The keys a workspace's signature checks go by: those it accepts and those it
    distrusts. Every check of a package's signature against a workspace goes through
    :meth:`check`, so that none lets a distrusted signer through."""

    accepted: Sequence[str]
    distrusted: Sequence[TrustedKeyRecord]

    def check(
        self, manifest_bytes: bytes | None, signature: bytes | None, workspace: str
    ) -> SignatureCheck:
        """The package's signature state; a package signed by a distrusted key is refused
        (``KeyDistrustedError``) whether or not ``workspace`` requires signed packages."""
        found = check_signature(
            manifest_bytes, signature, self.accepted, [k.public_key for k in self.distrusted]
        )
        if found.state == DISTRUSTED:
            raise self._refusal(found, workspace)
        return found

    def _refusal(self, found: SignatureCheck, workspace: str) -> KeyDistrustedError:
        key = next(k for k in self.distrusted if k.key_id == found.key_id)
        return KeyDistrustedError(
            f"The package is signed by key {key.key_id} ('{key.name}'), which workspace "
            f"'{workspace}' distrusts ({distrusted_since(key)}): a package a distrusted key "
            "signs is refused, whether or not the workspace requires signed packages.",
            fix=f"Ask its sender to sign it again with a key workspace '{workspace}' trusts "
            "(GET /v1/{project_id}/trusted-keys); if distrusting the key was a mistake, trust "
            "it again (POST /v1/{project_id}/trusted-keys with its publicKey).",
            remedy=Remedy.DISTRUSTED_SIGNER,
            **distrusted_fields(key),
            workspace=workspace,
        )


def distrusted_fields(key: TrustedKeyRecord) -> dict[str, Any]:
    """The fields of a refusal naming a distrusted key: its id, name and public key, and when
    and by whom it was distrusted."""
    return {
        "key_id": key.key_id,
        "key_name": key.name,
        "public_key": key.public_key,
        "distrusted_at": key.distrusted_at,
        "distrusted_by": key.distrusted_by,
    }


def trusted_public_keys(tx: Tx, workspace_id: str) -> list[str]:
    """The public keys (text form) a workspace trusts, for signature checks."""
    return [k.public_key for k in repo.trusted(tx, workspace_id)]


def distrusted_keys(tx: Tx, workspace_id: str, *, held: bool = False) -> list[TrustedKeyRecord]:
    """The keys a workspace distrusts, for signature checks; ``held`` (an import's apply): no
    key is distrusted until the transaction ends, so that none is distrusted after the apply
    read it as not distrusted and before what it signed is imported."""
    if held:
        repo.hold_distrusts(tx, workspace_id)
    return repo.distrusted(tx, workspace_id)


def accepted_public_keys(tx: Tx, scope: Scope) -> list[str]:
    """The keys whose signatures a workspace accepts: those it trusts and its own, and, unless
    it requires signed packages (then only the keys it chose count, e.g. a release key), the
    signing keys of every workspace of its project on this server. A package this server
    signed in one workspace was "untrusted" in the others until each trusted each. A key the
    workspace distrusts is never among them."""
    ws = scope.workspace
    trusted = trusted_public_keys(tx, ws.id)
    if not ws.require_signed:
        signers = repo.project_signing_keys(tx, scope.actor.project_id)
    else:
        own = repo.get_signing_key(tx, ws.id)
        signers = [own.public_key] if own is not None else []
    refused = {k.public_key for k in repo.distrusted(tx, ws.id)}
    return trusted + [k for k in signers if k not in refused]


def signing_trust(tx: Tx, scope: Scope) -> SigningTrust:
    """What the scope's workspace checks a package's signature by."""
    return SigningTrust(accepted_public_keys(tx, scope), distrusted_keys(tx, scope.workspace.id))
