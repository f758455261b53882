"""Release rollback, restore and the release ledger on the wire (jobferry extensions of the
factory v2 release calls, snake_case as they are)."""

from __future__ import annotations

from typing import Any

from jobferry.api.presenters.plans import plan_document
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted
from jobferry.services.releases.rollback import RolledBackRelease


def rolled_back(done: RolledBackRelease) -> dict[str, Any]:
    """A release rolled back: its package, the ledger entry, what was undone."""
    return {
        "package_id": str(done.package_id) if done.package_id is not None else None,
        "package_name": done.package_name,
        "entry_id": done.entry_id,
        "task_id": done.undone.task_id,
        "rolled_back": done.undone.count,
        "actions": dict(sorted(done.undone.actions.items())),
        "objects": list(done.undone.objects),
    }


def restore(found: RestorePlanned | RestoreStarted) -> dict[str, Any]:
    """A restore planned (its kept plan, to review) or started (the import task applying it)."""
    package_id = str(found.package_id) if found.package_id is not None else None
    if isinstance(found, RestorePlanned):
        return {
            "package_id": package_id,
            "entry_id": found.entry_id,
            "plan_id": found.plan.plan_id if found.plan is not None else None,
            "plan": plan_document(found.plan) if found.plan is not None else None,
        }
    return {
        "package_id": package_id,
        "entry_id": found.entry_id,
        "plan_id": found.plan_id,
        "asy_task_id": found.task_id,
    }
