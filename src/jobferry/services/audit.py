"""Audit: every change is recorded in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import Role
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.storage import Database, Tx
from jobferry.storage import audit as repo
from jobferry.storage.audit import AuditRow


def record_audit(
    tx: Tx,
    project_id: str,
    workspace_id: str | None,
    actor: str,
    action: str,
    object_kind: str | None,
    object_name: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry inside the caller's transaction."""
    repo.append(
        tx,
        project_id=project_id,
        workspace_id=workspace_id,
        actor=actor,
        action=action,
        object_kind=object_kind,
        object_name=object_name,
        detail=dump(detail) if detail is not None else None,
        at=now_ms(),
    )


def audit_in_scope(
    tx: Tx,
    scope: Scope,
    action: str,
    object_kind: str,
    object_name: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry for an action in a workspace."""
    record_audit(
        tx,
        scope.actor.project_id,
        scope.workspace.id,
        scope.actor.name,
        action,
        object_kind,
        object_name,
        detail,
    )


def audit_many_in_scope(
    tx: Tx, scope: Scope, entries: Iterable[tuple[str, str, str, dict[str, Any] | None]]
) -> None:
    """Append entries for actions in a workspace, (action, object kind, object name, detail)
    each, in one bulk insert: what :func:`audit_in_scope` writes for each, in that order."""
    at, actor = now_ms(), scope.actor
    repo.append_many(
        tx,
        [
            AuditRow(
                actor.project_id,
                scope.workspace.id,
                actor.name,
                action,
                kind,
                name,
                dump(detail) if detail is not None else None,
                at,
            )
            for action, kind, name, detail in entries
        ],
    )


@dataclass
class AuditService:
    """Reading the audit log (workspace admins)."""

    db: Database

    def list_entries(
        self, scope: Scope, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """Newest entries of the workspace first."""
        scope.require((Role.ADMIN,), "read the audit log")
        with self.db.transaction(readonly=True) as tx:
            total, rows = repo.list_entries(
                tx, scope.actor.project_id, scope.workspace.id, limit=limit, offset=offset
            )
        return total, [
            {
                "id": r.id,
                "time": r.at,
                "actor": r.actor,
                "action": r.action,
                "objectKind": r.object_kind,
                "objectName": r.object_name,
                "detail": load(r.detail) if r.detail and r.detail.startswith("{") else r.detail,
            }
            for r in rows
        ]
