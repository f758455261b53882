"""Import, apply (results): each object's line of the import's result, a DataArts subtask
(``id``, ``name``, ``status``, ``message``, ``lastUpdate``) with jobferry's ``kind`` and
``action``, and ``lockedBy`` on the line of an object written or deleted though another user
holds a lock on it: the workspace's soft lock policy only warns, and the result says what the
plan's line said.
"""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import ObjectKind, PlanAction, TaskStatus
from jobferry.services.importing.model import Record

NOUNS = {
    ObjectKind.JOB: "job",
    ObjectKind.SCRIPT: "script",
    ObjectKind.RESOURCE: "resource",
    ObjectKind.CDM_JOB: "CDM job",
}
_OVER = (PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE)
"""The actions whose line says a lock passed over (``PlanLine.locked_by``): what the import
changes of an object the target holds."""


def subtask(record: Record, status: TaskStatus, message: str, now: int) -> dict[str, Any]:
    """The DataArts subtask line of one object."""
    line = object_line(record.kind, record.name, record.action, status, message, now)
    return line | passed_lock(record, status)


def object_line(
    kind: str, name: str, action: str, status: TaskStatus, message: str, now: int
) -> dict[str, Any]:
    """The subtask line of object ``kind`` ``name``."""
    return {
        "id": f"{kind}:{name}",
        "name": f"Import the {name} {NOUNS[ObjectKind(kind)]}.",
        "status": status,
        "message": message,
        "lastUpdate": now,
        "kind": kind,
        "action": action,
    }


def passed_lock(record: Record, status: TaskStatus) -> dict[str, str]:
    """``{"lockedBy": holder}`` for an object the import wrote or deleted (``status``) over
    another user's lock, as its plan line said; else nothing (a failed object's lock held)."""
    if status is not TaskStatus.SUCCESSFUL or record.locked_by is None:
        return {}
    return {"lockedBy": record.locked_by} if record.action in _OVER else {}
