"""What moved production since a kept plan of it was made, object by object: the objects the
release ledger's entries since name (a release, a rollback, a restore), and the jobs and
scripts the production side's audit log names (a job started or stopped by hand). A restore
whose plan production moved from is refused naming them (the import names only its audit
entries: "import.apply of package 'p2.zip'"), and told to plan the restore again rather than
an import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.domain.remedies import Remedy
from jobferry.errors import PlanStaleError
from jobferry.services.releases.restore import named
from jobferry.storage import Tx
from jobferry.storage import ledger as ledger_repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.ledger import RestoreRecord

_KINDS = (ObjectKind.JOB.value, ObjectKind.SCRIPT.value)


def moved_since(
    tx: Tx, development: str, since: int, audited: Sequence[dict[str, Any]]
) -> list[tuple[str, str]]:
    """(kind, name) of each job and script production changed since ``since`` (ms): those
    the ledger's entries of ``development`` made since then name, then those the audit
    entries ``audited`` (a stale plan's ``changed``) name, each once, in that order."""
    since_then = [e.id for e in ledger_repo.entries(tx, development) if e.at >= since]
    found: dict[tuple[str, str], None] = {}
    for state in ledger_repo.objects_of(tx, since_then):
        if state.kind in _KINDS:
            found[(state.kind, state.name)] = None
    for change in audited:
        if change.get("kind") in _KINDS and change.get("name"):
            found[(str(change["kind"]), str(change["name"]))] = None
    return list(found)


def restore_moved(
    tx: Tx, restore: RestoreRecord, production: str, stale: PlanStaleError
) -> PlanStaleError:
    """The refusal of a restore's apply whose kept plan production moved from (``stale``,
    the import's refusal): what moved, named object by object, and the restore to plan
    again."""
    plan = plan_repo.get_plan(tx, production, restore.plan_id)
    since = plan.created_at if plan is not None else restore.created_at
    moved = moved_since(tx, restore.workspace_id, since, stale.context.get("changed") or [])
    entry = ledger_repo.entry_of(tx, restore.workspace_id, restore.target_entry)
    target = named(entry) if entry is not None else f"ledger entry {restore.target_entry}"
    route = (
        f"release-packages/{entry.package_id}/restore"
        if entry is not None and entry.package_id is not None
        else f"release-ledger/{restore.target_entry}/restore"
    )
    said = ", ".join(f"{kind} '{name}'" for kind, name in moved[:20])
    more = f" and {len(moved) - 20} more" if len(moved) > 20 else ""
    what = f"{said}{more}" if said else "a job there was started or stopped"
    return PlanStaleError(
        f"Production changed since the restore to {target} was planned (plan "
        f"{restore.plan_id}): {what}; nothing was restored.",
        fix=f"Review the change, then plan the restore again (POST /v2/{{project_id}}/factory/"
        f"{route} with dry_run true) and apply the plan it answers.",
        remedy=Remedy.PLAN_AGAIN,
        plan_id=restore.plan_id,
        changed=[{"kind": kind, "name": name} for kind, name in moved],
    )
