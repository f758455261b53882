"""Environment objects: connections, queues, clusters… that jobs reference by name.

Secrets are write-only: they are encrypted and stored apart, never returned (only which keys are
set), never exported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobferry.domain.connections import SECRET_MASK, holds_secret, merged_secrets, split_secrets
from jobferry.domain.enums import EnvironmentKind, Role
from jobferry.domain.environment_types import TYPE_EXAMPLES
from jobferry.domain.names import check_object_name, storable
from jobferry.domain.remedies import Remedy
from jobferry.domain.shapes import BodyShape, Field, JsonType, text
from jobferry.errors import EnvironmentObjectNotFoundError, InUseError, InvalidRequestError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.definitions.usage import users_of
from jobferry.services.support.requests import valid_name
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import Database, Tx
from jobferry.storage import environment as repo
from jobferry.storage.records import EnvironmentObjectRecord

KINDS = ", ".join(k.value for k in EnvironmentKind)
KIND_CONNECTION = EnvironmentKind.CONNECTION.value


def parse_kind(kind: str) -> EnvironmentKind:
    """The environment kind named in a path, or a clear refusal listing the kinds."""
    try:
        return EnvironmentKind(kind)
    except ValueError:
        raise InvalidRequestError(
            f"'{kind}' is not an environment object kind; use one of: {KINDS}.", kind=kind
        ) from None


def require_unreferenced(tx: Tx, workspace_id: str, kind: str, name: str) -> None:
    """Refuse (DLF.9013) the removal of the environment object ``kind`` ``name`` while jobs of
    the workspace reference it, naming them; its row locked first, so that an import that
    found it there is counted among them (or finds it gone), never a job imported naming an
    object removed beside it."""
    repo.hold_for_removal(tx, workspace_id, kind, name)
    users = users_of(tx, workspace_id, kind, name)
    if users:
        raise InUseError(
            f"The {kind} '{name}' is referenced by {users.said()}; nothing was removed.",
            fix=f"{users.fix('Change those jobs (or map the name on import)')}, before "
            "removing it.",
            kind=kind,
            name=name,
            **users.context(),
        )


OBJECT = BodyShape(
    "environment object",
    (
        text("type", "its type, e.g. DWS, DLI, HIVE", required=True),
        Field("config", "its settings", (JsonType.OBJECT,)),
        Field(
            "secrets",
            "write-only settings, kept encrypted (absent: keep the stored ones)",
            (JsonType.OBJECT,),
            values=(JsonType.STRING,),
            nullable=True,
        ),
        text("kind", "if given, the kind in the path"),
        text("name", "if given, the name in the path"),
    ),
)
"""A PUT body as :meth:`EnvironmentWrite.from_wire` reads it; other keys are refused."""


@dataclass(frozen=True)
class EnvironmentObject:
    """An environment object: its settings in full, of its secrets only which are set."""

    kind: EnvironmentKind
    name: str
    type: str
    config: dict[str, Any]
    secret_keys: tuple[str, ...]
    created_at: int
    updated_at: int
    updated_by: str

    @classmethod
    def of(cls, obj: EnvironmentObjectRecord) -> EnvironmentObject:
        """The stored object (its secrets stay in storage; a connection's setting that looks
        like a secret, saved as a plain setting before writes split them off, reads as the
        mask)."""
        kind = EnvironmentKind(obj.kind)
        config = load(obj.config)
        if kind is EnvironmentKind.CONNECTION and isinstance(config, dict):
            config = {k: SECRET_MASK if holds_secret(k, v) else v for k, v in config.items()}
        return cls(
            kind,
            obj.name,
            obj.type,
            config,
            obj.secret_keys,
            obj.created_at,
            obj.updated_at,
            obj.updated_by,
        )


@dataclass(frozen=True)
class ObjectNames:
    """The first names of a workspace's objects of one kind, sorted, and how many it has."""

    kind: EnvironmentKind
    names: tuple[str, ...]
    total: int

    @property
    def more(self) -> int:
        """How many names were left out."""
        return self.total - len(self.names)


TYPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\- ]*")
"""An object's type: a name (``DWS``, ``MRS Hive``, ``http.request``), never the placeholder
of a suggested command copied as printed (``--type …``)."""


def _type_problems(type_: Any, kind: EnvironmentKind) -> list[str]:
    """Why a PUT body's ``type`` cannot be saved (empty: it can), with a type of the kind's
    objects as the example."""
    example = TYPE_EXAMPLES[kind]
    if not isinstance(type_, str) or not type_.strip():
        return [f"type must be a non-empty string, e.g. {example}"]
    if not TYPE_NAME.fullmatch(type_):
        return [
            f"type '{type_}' is not a type's name (letters, digits, '_', '-', '.' and spaces, "
            f"e.g. {example}; a '…' in a suggested command stands for the type to give)"
        ]
    return []


@dataclass(frozen=True)
class EnvironmentWrite:
    """A create-or-replace of one environment object (``secrets`` None keeps the stored ones)."""

    type: str
    config: dict[str, Any]
    secrets: dict[str, str] | None

    @classmethod
    def from_wire(cls, kind: EnvironmentKind, name: str, body: dict[str, Any]) -> EnvironmentWrite:
        """Check a PUT body, collecting every problem; refuses with all of them at once."""
        type_, config, secrets = body.get("type"), body.get("config", {}), body.get("secrets")
        problems = [
            f"body {key} '{body[key]}' differs from '{expected}' in the path"
            for key, expected in (("kind", kind.value), ("name", name))
            if key in body and body[key] != expected
        ]
        unknown = OBJECT.unknown(body)
        rules = (
            (bool(unknown), f"unknown field(s) {', '.join(unknown)} (use type, config, secrets)"),
            (not isinstance(config, dict), "config must be an object of settings"),
            (
                secrets is not None
                and not (
                    isinstance(secrets, dict) and all(isinstance(v, str) for v in secrets.values())
                ),
                "secrets must be an object of text values",
            ),
        )
        problems += [rule for broken, rule in rules if broken] + _type_problems(type_, kind)
        if problems:
            raise InvalidRequestError(
                f"The {kind.value} '{name}' cannot be saved: {'; '.join(problems)}.",
                kind=kind.value,
                name=name,
            )
        return cls(str(type_), dict(config), secrets)


@dataclass
class EnvironmentService:
    """Register, read and remove environment objects of a workspace."""

    db: Database
    box: SecretBox

    def put(self, scope: Scope, kind: str, name: str, body: dict[str, Any]) -> EnvironmentObject:
        """Create or replace an object; omitting ``secrets`` keeps the stored ones."""
        scope.require((Role.ADMIN,), "register environment objects")
        scope.require_not_production("register environment objects")
        env_kind = parse_kind(kind)
        valid_name(name, f"{env_kind.value} name")
        write = EnvironmentWrite.from_wire(env_kind, name, body)
        with self.db.transaction() as tx:
            if env_kind is EnvironmentKind.CONNECTION:
                write = self._secrets_split_off(tx, scope, name, write)
            stored = repo.get_object(tx, scope.workspace.id, env_kind.value, name)
            if stored is not None and self._holds(tx, stored, write):
                return EnvironmentObject.of(stored)  # as it is already: no write, no audit
            created = repo.upsert_object(
                tx,
                scope.workspace.id,
                env_kind.value,
                name,
                type_=write.type,
                config=dump(write.config),
                now=now_ms(),
                actor=scope.actor.name,
            )
            if write.secrets is not None:
                kept = {k: v for k, v in write.secrets.items() if v != ""}
                repo.replace_secrets(
                    tx,
                    scope.workspace.id,
                    env_kind.value,
                    name,
                    list(kept),
                    self.box.encrypt(dump(kept)),
                )
            audit_in_scope(
                tx,
                scope,
                f"environment.{'create' if created else 'update'}",
                env_kind.value,
                name,
                {"secretsChanged": write.secrets is not None},
            )
            obj = repo.get_object(tx, scope.workspace.id, env_kind.value, name)
        assert obj is not None
        return EnvironmentObject.of(obj)

    def _holds(self, tx: Tx, stored: EnvironmentObjectRecord, write: EnvironmentWrite) -> bool:
        """Whether ``stored`` holds what ``write`` writes already (its secrets too)."""
        if stored.type != write.type or load(stored.config) != write.config:
            return False
        if write.secrets is None:
            return True
        token = repo.read_secrets(tx, stored.workspace_id, stored.kind, stored.name)
        secrets = {} if token is None else dict(load(self.box.decrypt(token)))
        return secrets == {k: v for k, v in write.secrets.items() if v != ""}

    def _secrets_split_off(
        self, tx: Tx, scope: Scope, name: str, write: EnvironmentWrite
    ) -> EnvironmentWrite:
        """A connection's write with each setting whose key looks like a secret (``password``,
        ``secretKey``…) moved into its secrets, as the DataArts connection calls keep them:
        encrypted, write-only, never answered; so is a setting under a key the connection holds
        as a secret, or the write's ``secrets`` name, whatever it is called. A setting sent as
        the mask keeps the stored secret, or the plain value an older write left in the
        settings."""
        stored = repo.get_object(tx, scope.workspace.id, KIND_CONNECTION, name)
        before = load(stored.config) if stored is not None else {}
        sent = {
            key: before.get(key) if value == SECRET_MASK else value
            for key, value in write.config.items()
        }
        held = {*(stored.secret_keys if stored is not None else ()), *(write.secrets or {})}
        public, moved = split_secrets(sent, held)
        if not moved and public == write.config:
            return write
        base = write.secrets
        if base is None:
            token = repo.read_secrets(tx, scope.workspace.id, KIND_CONNECTION, name)
            base = {} if token is None else dict(load(self.box.decrypt(token)))
        return EnvironmentWrite(write.type, public, merged_secrets(base, moved))

    def get(self, scope: Scope, kind: str, name: str) -> EnvironmentObject:
        """One object (secrets as set/unset only)."""
        env_kind = parse_kind(kind)
        if not storable(name):
            raise self._missing(scope, env_kind, name)
        with self.db.transaction(readonly=True) as tx:
            obj = repo.get_object(tx, scope.workspace.id, env_kind.value, name)
        if obj is None:
            raise self._missing(scope, env_kind, name)
        return EnvironmentObject.of(obj)

    def list_objects(self, scope: Scope, kind: str | None = None) -> list[EnvironmentObject]:
        """Every object of one kind in the workspace (``None``: of every kind), by kind and
        name."""
        wanted = parse_kind(kind).value if kind is not None else None
        with self.db.transaction(readonly=True) as tx:
            rows = repo.list_objects(tx, scope.workspace.id, wanted)
        return [EnvironmentObject.of(o) for o in rows]

    def names(self, scope: Scope, kind: str, limit: int) -> ObjectNames:
        """The first ``limit`` names of the workspace's objects of one kind, sorted by code
        point (the same on every database), and how many there are."""
        env_kind = parse_kind(kind)
        with self.db.transaction(readonly=True) as tx:
            found = repo.object_names(tx, scope.workspace.id, env_kind.value)
        return ObjectNames(env_kind, tuple(sorted(found)[:limit]), len(found))

    def delete(self, scope: Scope, kind: str, name: str) -> None:
        """Remove an object no job references."""
        scope.require((Role.ADMIN,), "remove environment objects")
        scope.require_not_production("remove environment objects")
        env_kind = parse_kind(kind)
        if not storable(name):
            raise self._missing(scope, env_kind, name)
        with self.db.transaction() as tx:
            require_unreferenced(tx, scope.workspace.id, env_kind.value, name)
            if not repo.delete_object(tx, scope.workspace.id, env_kind.value, name):
                raise self._missing(scope, env_kind, name)
            audit_in_scope(tx, scope, "environment.delete", env_kind.value, name)

    @staticmethod
    def _missing(scope: Scope, kind: EnvironmentKind, name: str) -> EnvironmentObjectNotFoundError:
        missing = (
            f"The {kind.value} '{name}' is not registered in workspace '{scope.workspace.name}'"
        )
        development = scope.workspace.production_of
        if development is not None:  # each release gives production its objects: no put there
            return EnvironmentObjectNotFoundError(
                f"{missing}: a production side holds the objects of its development workspace "
                "as last released.",
                fix="Register it in the development workspace and release it "
                "(POST /v2/{project_id}/factory/pending-items/package, then "
                "/v2/{project_id}/factory/release-packages/deploy).",
                remedy=Remedy.RELEASE_FROM_DEVELOPMENT,
                kind=kind.value,
                name=name,
                development=development,
            )
        rule = check_object_name(name, f"{kind.value} name")
        if rule is not None:  # none can be: registering it is no fix
            return EnvironmentObjectNotFoundError(
                f"{missing}, and none can be: {rule}.",
                fix=f"List them with GET /v1/{{project_id}}/environment/{kind.value}.",
                remedy=Remedy.LIST_OBJECTS,
                kind=kind.value,
                name=name,
            )
        return EnvironmentObjectNotFoundError(
            f"{missing}.",
            fix=f"Register it with PUT /v1/{{project_id}}/environment/{kind.value}/{name}.",
            remedy=Remedy.REGISTER_OBJECT,
            kind=kind.value,
            name=name,
        )
