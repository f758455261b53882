"""How an apply ends: refused before it writes anything (a stale kept plan, or problems that
stop it), or what it did (:class:`Outcome`) and the task's end once the plan was written
(status, message, result), written in the import's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import ImportMode, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConflictError, InvalidRequestError, PlanStaleError
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.model import PlanOutcome
from jobferry.services.importing.request import ImportRequest
from jobferry.storage import Tx
from jobferry.storage import audit as audit_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing.plans import PlanRecord


@dataclass
class Outcome:
    """What apply did, counted (its subtasks are stored as it goes)."""

    versions: int = 0
    written: int = 0
    deleted: int = 0
    failed: int = 0
    over_drift: int = 0
    """Objects written over changes made in the target since the last import."""

    def said_over_drift(self, by: str) -> str:
        """What the task's message adds when objects were written over drift."""
        if not self.over_drift:
            return ""
        return (
            f" {self.over_drift} written over changes made in the target: drift protection "
            f"overridden by {by}."
        )


CHANGES_NAMED = 5
"""How many of the target's changes since a stale plan its refusal names."""


ChangesSince = Callable[[int], tuple[int, list[dict[str, Any]]]]
"""The target's changes to its objects since a moment (:func:`changes_since`)."""


def refuse_unfit(
    stored: PlanRecord | None,
    plan: PlanOutcome,
    request: ImportRequest,
    since: ChangesSince = lambda at: (0, []),
    by: str | None = None,
) -> None:
    """Refuse an apply (by user ``by``) whose kept plan is stale (naming what changed in the
    target since it was made, as ``since`` finds it, or that another user made it), or whose
    plan found what stops it."""
    if stored is not None and stored.fingerprint != plan.fingerprint:
        raise _stale(stored, since, by)
    if plan.package_problems or (plan.problems_total and request.mode is ImportMode.ATOMIC):
        raise InvalidRequestError(
            f"The check found {plan.problems_total} problem(s); nothing was imported. "
            + " | ".join(p.detail for p in plan.problems[:5]),
            problems=[p.as_json() for p in plan.problems],
        )


def _stale(stored: PlanRecord, since: ChangesSince, by: str | None) -> PlanStaleError:
    """The refusal of a kept plan whose target moved since, naming what changed (or, when
    nothing did and another user applies it, who planned it: locks tell users apart)."""
    total, changes = since(stored.created_at)
    named = "; ".join(
        f"{c['action']} of {c['kind']} '{c['name']}' by {c['by']} at {_moment(c['at'])}"
        for c in changes
    )
    more = f" and {total - len(changes)} more" if total > len(changes) else ""
    someone = (
        f" It was planned by '{stored.created_by}': a lock's holder and everyone else may "
        "change different objects, so plan it again as yourself."
        if not named and by is not None and by != stored.created_by
        else ""
    )
    return PlanStaleError(
        f"The target changed since plan {stored.id} was made"
        + (f" ({named}{more}); nothing was imported." if named else "; nothing was imported.")
        + someone,
        fix="Review a new plan (POST /jobs/import/plan) and import with its planId.",
        remedy=Remedy.PLAN_AGAIN,
        plan_id=stored.id,
        changed=changes,
        changed_total=total,
    )


def changes_since(tx: Tx, scope: Scope, since: int) -> tuple[int, list[dict[str, Any]]]:
    """The workspace's changes to its objects since ``since`` (its audit log's entries that
    name an object, newest first; the first :data:`CHANGES_NAMED`), and how many in all."""
    query = AuditQuery(since=since)
    total, rows = audit_repo.list_entries(
        tx, scope.actor.project_id, scope.workspace.id, query, limit=CHANGES_NAMED, offset=0
    )
    changes = [
        {
            "action": r.action,
            "kind": r.object_kind,
            "name": r.object_name,
            "by": r.actor,
            "at": r.at,
        }
        for _, r in rows
        if r.object_kind and r.object_name
    ]
    return total, changes


def _moment(at: int) -> str:
    return datetime.fromtimestamp(at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ended(
    outcome: Outcome, plan: PlanOutcome, sha256: str, by: str
) -> tuple[TaskStatus, str, dict[str, Any]]:
    """The task's end after an apply: its status, message and result."""
    if outcome.failed and (outcome.written or outcome.deleted):
        status = TaskStatus.WARNING  # a PER_OBJECT import that changed something
    elif outcome.failed:
        status = TaskStatus.FAILED
    else:
        status = TaskStatus.SUCCESSFUL
    message = (
        f"Imported {outcome.written} object(s)"
        + (f", deleted {outcome.deleted}" if outcome.deleted else "")
        + f", {outcome.failed} failed ({plan.describe()})"
        + versions_said(outcome.versions)
        + outcome.said_over_drift(by)
    )
    result = {
        "packageSha256": sha256,
        "summary": plan.counts,
        "written": outcome.written,
        "failed": outcome.failed,
        "versionsCreated": outcome.versions,
        "problems": [p.as_json() for p in plan.problems],
    }
    return status, message, result


def versions_said(count: int) -> str:
    """What an import's task message says of the versions it submitted."""
    return f"; {count} version(s) submitted."


def recount_versions(message: str, result: dict[str, Any], more: int) -> tuple[str, dict[str, Any]]:
    """An import's task message and result (:func:`ended`) once ``more`` versions than it
    counted were submitted (a push's end: fewer where the remote submitted none of a job the
    import gave a version, more where it submitted one of a job the import rewrote without)."""
    if not more:
        return message, result
    count = int(result.get("versionsCreated") or 0)
    said = message.replace(versions_said(count), versions_said(count + more), 1)
    return said, {**result, "versionsCreated": count + more}


def hold_in(tx: Tx, task_id: str, message: str) -> None:
    """The task still running once the import's transaction commits (its change pending)."""
    _running(tx, task_id, progress=50, message=message.strip(), last_update=now_ms())


def finish_in(tx: Tx, task_id: str, status: str, message: str, result: dict[str, Any]) -> None:
    """The task's end, in the import's own transaction."""
    now = now_ms()
    values = {"status": status, "message": message, "progress": 100, "result": dump(result)}
    _running(tx, task_id, **values, end_time=now, last_update=now)


def _running(tx: Tx, task_id: str, **values: Any) -> None:
    """Change the import's task, still RUNNING. A task no longer RUNNING was failed by a
    process that took this one for stopped (it missed its heartbeats): roll back."""
    if not task_repo.update_running(tx, task_id, **values):
        raise ConflictError(
            f"Import task {task_id} was failed by another server process while it ran "
            "(this process missed its heartbeats); nothing was imported. Run it again."
        )
