"""What the account calls answer: workspaces as their users see them, users with their roles."""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.domain.enums import LockPolicy, Role
from jobferry.storage.records import WorkspaceRecord


@dataclass(frozen=True)
class Workspace:
    """A workspace with its policies; in lists, the caller's role in it."""

    id: str
    name: str
    is_default: bool
    lock_policy: LockPolicy
    approval_enabled: bool
    require_signed: bool
    created_at: int
    role: Role | None = None
    production_id: str | None = None
    """Enterprise mode: the production side's workspace id (``None``: simple mode)."""

    @classmethod
    def of(cls, ws: WorkspaceRecord, role: Role | None = None) -> Workspace:
        """The stored workspace, with ``role`` when the answer names the caller's."""
        return cls(
            ws.id,
            ws.name,
            ws.is_default,
            LockPolicy(ws.lock_policy),
            ws.approval_enabled,
            ws.require_signed,
            ws.created_at,
            role,
            ws.production_id,
        )


@dataclass(frozen=True)
class WorkspaceRole:
    """A user's role in one workspace (``workspace`` None: its name is unknown)."""

    workspace_id: str
    workspace: str | None
    role: Role


@dataclass(frozen=True)
class User:
    """A user of the project, with their roles and access keys."""

    id: int
    name: str
    project_admin: bool
    created_at: int
    roles: tuple[WorkspaceRole, ...] = ()
    access_keys: tuple[str, ...] = ()
