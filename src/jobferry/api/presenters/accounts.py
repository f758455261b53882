"""Workspaces, users and the audit log as the administration calls answer them (camelCase)."""

from __future__ import annotations

from typing import Any

from jobferry.services.accounts.records import User, Workspace, WorkspaceRole
from jobferry.services.audit import AuditEntry, AuditPage, ObjectImport


def workspace(ws: Workspace) -> dict[str, Any]:
    """A workspace; ``role`` only when the record names the caller's."""
    view: dict[str, Any] = {
        "id": ws.id,
        "name": ws.name,
        "isDefault": ws.is_default,
        "lockPolicy": ws.lock_policy.value,
        "approvalEnabled": ws.approval_enabled,
        "requireSigned": ws.require_signed,
        "createTime": ws.created_at,
        "mode": "1" if ws.production_id is not None else "0",
        "productionWorkspaceId": ws.production_id,
    }
    if ws.role is not None:
        view["role"] = ws.role.value
    return view


def created_user(record: User) -> dict[str, Any]:
    """The answer of creating a user."""
    return {"id": record.id, "name": record.name, "projectAdmin": record.project_admin}


def workspace_role(role: WorkspaceRole) -> dict[str, Any]:
    """A user's role in one workspace."""
    return {"workspaceId": role.workspace_id, "workspace": role.workspace, "role": role.role.value}


def user(record: User) -> dict[str, Any]:
    """A user with their roles and access keys."""
    return {
        "id": record.id,
        "name": record.name,
        "projectAdmin": record.project_admin,
        "createTime": record.created_at,
        "roles": [workspace_role(r) for r in record.roles],
        "accessKeys": list(record.access_keys),
    }


def audit_entry(entry: AuditEntry) -> dict[str, Any]:
    """One line of the audit log (``GET …/audit``)."""
    return {
        "id": entry.id,
        "time": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "objectKind": entry.object_kind,
        "objectName": entry.object_name,
        "detail": entry.detail,
    }


def audit_page(found: AuditPage) -> dict[str, Any]:
    """A page of the audit log (``GET …/audit``): ``{"total", "entries"}``, and ``dropped``
    when the search reaches before the moment ``JOBFERRY_AUDIT_DAYS`` dropped entries up to."""
    doc: dict[str, Any] = {
        "total": found.total,
        "entries": [audit_entry(entry) for entry in found.entries],
    }
    if found.dropped is not None:
        mark = found.dropped
        doc["dropped"] = {
            "before": mark.before,
            "at": mark.dropped_at,
            "keptDays": mark.kept_days,
            "message": found.dropped_said,
        }
    return doc


def object_import(found: ObjectImport) -> dict[str, Any]:
    """An import that changed the object an audit search names (``GET …/audit``'s
    ``imports``)."""
    return {
        "taskId": found.task_id,
        "taskName": found.title,
        "objectKind": found.kind,
        "objectName": found.name,
        "action": found.action,
        "time": found.at,
        "actor": found.by,
        "rolledBack": found.rolled_back,
    }
