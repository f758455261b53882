"""Import plans on the wire (extension): a kept plan with its first objects
(``POST /jobs/import/plan``, a dry run's task result), and a page of its objects
(``GET /jobs/import/plans/{planId}/objects``)."""

from __future__ import annotations

from typing import Any

from jobferry.services.importing.plan import Plan, PlanLine, PlanSummary, UnreadablePlanError
from jobferry.services.importing.plans import PlanPage


def plan_document(plan: Plan) -> dict[str, Any]:
    """A plan: its head, then its first objects and how many it has."""
    doc: dict[str, Any] = {
        "planId": plan.plan_id,
        "packageSha256": plan.package_sha256,
        "fingerprint": plan.fingerprint,
        "summary": summary_document(plan.summary),
        "problems": [p.as_json() for p in plan.problems],
    }
    if plan.summary.problems > len(plan.problems):
        doc["problemsShown"] = len(plan.problems)
    if plan.signature is not None:
        doc["signature"] = plan.signature.as_json()
    if plan.profile is not None:
        doc["profile"] = {"name": plan.profile.name or "(inline)", "version": plan.profile.version}
    if plan.policy is not None:
        doc["sameNamePolicy"] = plan.policy.as_json()
    doc["deletionsNotApplied"] = [
        {"kind": n.kind, "name": n.name, "reason": n.reason, "option": n.option, "fix": n.fix}
        for n in plan.not_applied
    ]
    if plan.not_applied_total > len(plan.not_applied):
        doc["deletionsNotAppliedTotal"] = plan.not_applied_total
    doc |= _jobs("referencesRewritten", plan.rewrites, plan.rewrites_total, plan.rewrites_locked)
    doc |= _jobs("descriptionsNotSent", plan.unsent, plan.unsent_total)
    if plan.remote_state is not None:
        doc["remoteState"] = dict(plan.remote_state)
    doc["objects"] = [line_document(line) for line in plan.lines]
    doc["objectsTotal"] = plan.lines_total
    return doc


def _jobs(
    field: str, names: tuple[str, ...], total: int, locked: tuple[tuple[str, str], ...] = ()
) -> dict[str, Any]:
    """A list of jobs the plan names (``field``: its first, ``fieldTotal`` when more), each
    with ``lockedBy`` when the import writes over another user's lock on it (``locked``), or
    nothing when there are none."""
    if not total:
        return {}
    holders = dict(locked)
    doc: dict[str, Any] = {
        field: [
            {"kind": "job", "name": name} | ({"lockedBy": holders[name]} if name in holders else {})
            for name in names
        ]
    }
    if total > len(names):
        doc[f"{field}Total"] = total
    return doc


def summary_document(summary: PlanSummary) -> dict[str, int]:
    """A plan's counts by action, then its number of problems."""
    doc = {str(action): count for action, count in summary.by_action()}
    doc["problems"] = summary.problems
    return doc


def line_document(line: PlanLine) -> dict[str, Any]:
    """One object of a plan: what the import does with it."""
    doc: dict[str, Any] = {
        "kind": str(line.kind),
        "name": line.name,
        "action": str(line.action),
        "path": line.path,
    }
    if line.previous_name is not None:
        doc["previousName"] = line.previous_name
    if line.diff is not None:
        doc["diff"] = list(line.diff)
    if line.drift_diff is not None:
        doc["drift"] = True
        doc["driftDiff"] = list(line.drift_diff)
    if line.skip is not None:
        skip = line.skip
        doc["reason"] = {"code": str(skip.reason), "detail": skip.detail, "fix": skip.fix}
    if line.pause:
        doc["pause"] = True
    if line.schedule is not None:
        doc["schedule"] = list(line.schedule)
    if line.problems:
        doc["problems"] = [p.as_json() for p in line.problems]
    if line.remote_read is not None:
        doc["remoteRead"] = line.remote_read.sha256
    if line.locked_by is not None:
        doc["lockedBy"] = line.locked_by
    return doc


def plan_page_document(page: PlanPage) -> dict[str, Any]:
    """A page of a plan's objects: ``{"planId", "total", "objects"}``."""
    return {
        "planId": page.plan_id,
        "total": page.total,
        "objects": [line_document(line) for line in page.lines],
    }


def stored_plan_document(stored: Any) -> Any:
    """A plan a dry run's task kept in its result, on the wire (a result kept by an earlier
    version is in the wire form already: as it is)."""
    try:
        return plan_document(Plan.of_stored(stored))
    except UnreadablePlanError:
        return stored
