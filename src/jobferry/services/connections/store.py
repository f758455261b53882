"""The one write path of data connections, whichever API shape they arrive in.

Connections are environment objects of kind ``connection`` (the same rows the
``/environment/connection`` extension, environment profiles, export requirements and import
checks read). The DataArts wire shapes carry secrets inside the settings; here they are split
off (:mod:`jobferry.domain.connections`), merged with the stored ones and encrypted apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.connections import masked, merged_secrets, split_secrets
from jobferry.domain.enums import EnvironmentKind, EnvType
from jobferry.domain.names import check_object_name
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ConnectionNotFoundError,
    ConnectionTypeError,
    InvalidRequestError,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.environment.objects import require_unreferenced
from jobferry.services.support.secretbox import SecretBox
from jobferry.settings import OffsetMode
from jobferry.storage import Database, Tx
from jobferry.storage import environment as repo
from jobferry.storage.records import EnvironmentObjectRecord

KIND = str(EnvironmentKind.CONNECTION)
DESCRIPTION_MAX = 255


def description_problem(description: object, where: str) -> str | None:
    """Why a connection's description cannot be saved (``where`` names the field), or
    ``None``: every API shape holds it to the same rule, so a connection saved through one is
    saved back unchanged through another."""
    if description is None or (
        isinstance(description, str) and len(description) <= DESCRIPTION_MAX
    ):
        return None
    return f"{where} must be text of at most {DESCRIPTION_MAX} characters"


@dataclass(frozen=True)
class ConnectionWrite:
    """One connection as a DataArts call sends it: settings with their secrets inside."""

    name: str
    type: str
    config: dict[str, Any]
    description: str | None
    env: EnvType = EnvType.DEVELOPMENT


def check_name(name: object) -> str:
    """The connection name, or a refusal saying the rule."""
    problem = check_object_name(name, "connection name")
    if problem:
        raise InvalidRequestError(problem, name=name if isinstance(name, str) else None)
    assert isinstance(name, str)
    return name


def shown_config(obj: EnvironmentObjectRecord) -> dict[str, Any]:
    """The stored settings with every secret that is set as the mask."""
    config = load(obj.config)
    return masked(config if isinstance(config, dict) else {}, obj.secret_keys)


def missing(scope: Scope, name: str, env: EnvType = EnvType.DEVELOPMENT) -> Exception:
    """The refusal for a connection that is not there."""
    side = "" if env is EnvType.DEVELOPMENT else f" ({env.value} side)"
    return ConnectionNotFoundError(
        f"The data connection '{name}'{side} does not exist in workspace '{scope.workspace.name}'.",
        fix="Create it first (GET /v1/{project_id}/connections lists the workspace's connections).",
        remedy=Remedy.LIST_CONNECTIONS,
        kind=KIND,
        name=name,
    )


@dataclass
class ConnectionStore:
    """Save and remove connections inside the caller's transaction."""

    box: SecretBox

    def stored_secrets(self, tx: Tx, scope: Scope, name: str, env: EnvType) -> dict[str, str]:
        """The decrypted secrets of a connection (empty when it has none)."""
        token = repo.read_secrets(tx, scope.workspace.id, KIND, name, env.value)
        if token is None:
            return {}
        value = load(self.box.decrypt(token))
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def save(
        self, tx: Tx, scope: Scope, write: ConnectionWrite, *, keep_type: bool
    ) -> EnvironmentObjectRecord:
        """Create or update; secrets sent replace their stored value, the rest are kept."""
        ws, env = scope.workspace.id, write.env.value
        existing = repo.get_object(tx, ws, KIND, write.name, env)
        if keep_type and existing is not None and existing.type != write.type:
            raise ConnectionTypeError(
                f"The data connection '{write.name}' is of type {existing.type}; its type cannot "
                f"change to {write.type}. Create a connection of type {write.type} under "
                "another name instead.",
                name=write.name,
            )
        public, sent = split_secrets(write.config, existing.secret_keys if existing else ())
        created = repo.upsert_object(
            tx,
            ws,
            KIND,
            write.name,
            type_=write.type,
            config=dump(public),
            now=now_ms(),
            actor=scope.actor.name,
            env=env,
            description=write.description,
        )
        stored = {} if existing is None else self.stored_secrets(tx, scope, write.name, write.env)
        secrets = merged_secrets(stored, sent)
        if secrets != stored or (created and secrets):
            repo.replace_secrets(
                tx, ws, KIND, write.name, list(secrets), self.box.encrypt(dump(secrets)), env
            )
        audit_in_scope(
            tx,
            scope,
            f"environment.{'create' if created else 'update'}",
            KIND,
            write.name,
            {"secretsChanged": secrets != stored, "env": env},
        )
        saved = repo.get_object(tx, ws, KIND, write.name, env)
        assert saved is not None
        return saved

    def remove(self, tx: Tx, scope: Scope, name: str, env: EnvType) -> None:
        """Remove one side of a connection; the development side only when no job uses it."""
        ws = scope.workspace.id
        if env is EnvType.DEVELOPMENT:
            require_unreferenced(tx, ws, KIND, name)
        if not repo.delete_object(tx, ws, KIND, name, env.value):
            raise missing(scope, name, env)
        audit_in_scope(tx, scope, "environment.delete", KIND, name, {"env": env.value})


@dataclass
class ConnectionCalls:
    """What both API shapes of the connection calls (Factory: :mod:`.dlf`, Studio:
    :mod:`.studio`) work with: the database, the one write path, and how lists read offset."""

    db: Database
    store: ConnectionStore
    offset_mode: OffsetMode
