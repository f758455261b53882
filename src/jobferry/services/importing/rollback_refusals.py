"""How an import's rollback is refused, each refusal in one place: the import busy being
rolled back or imported over, an import or rollback running in the workspace, nothing written
to roll back, objects changed since (named, the first :data:`SHOWN` of them in the message)."""

from __future__ import annotations

from jobferry.domain.enums import RollbackRule
from jobferry.domain.remedies import Remedy
from jobferry.errors import ImportRunningError, RollbackRefusedError
from jobferry.services.tasks import lock_held, lock_holding
from jobferry.storage import Tx

SHOWN = 20
"""Conflicts a refusal's message names."""


def busy(task_id: str) -> RollbackRefusedError:
    """Import ``task_id`` is being rolled back or imported over (a conflicting write)."""
    return RollbackRefusedError(
        f"Import {task_id} is being rolled back or imported over right now; try again "
        "when that finished.",
        rule=RollbackRule.BUSY,
        task_id=task_id,
    )


def nothing(task_id: str) -> RollbackRefusedError:
    """Import ``task_id`` wrote nothing to roll back."""
    return RollbackRefusedError(
        f"Import {task_id} created, overwrote, renamed or deleted nothing (a dry run, or "
        "everything was unchanged or skipped); there is nothing to roll back.",
        rule=RollbackRule.NOTHING,
        task_id=task_id,
    )


def running(tx: Tx, workspace: str, holder: str) -> ImportRunningError:
    """The workspace's import lock is held by running task ``holder``."""
    return lock_held(lock_holding(tx, holder), workspace, holder, "roll back")


def changed_since(task_id: str, conflicts: list[str], counted: int) -> RollbackRefusedError:
    """``counted`` objects import ``task_id`` wrote changed since (``conflicts`` names them)."""
    shown = "; ".join(conflicts[:SHOWN])
    more = f" (and {counted - SHOWN} more)" if counted > SHOWN else ""
    return RollbackRefusedError(
        f"Import {task_id} cannot be rolled back: {counted} object(s) changed since it "
        f"ran: {shown}{more}. Nothing was changed; put those objects back as the "
        "import left them and roll back again, or change them by hand instead.",
        fix="GET /v1/{project_id}/drift says how each changed since and who changed it.",
        remedy=Remedy.SHOW_DRIFT,
        rule=RollbackRule.CHANGED,
        task_id=task_id,
        conflicts=conflicts,
    )
