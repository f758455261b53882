"""Routes on the wire: a route's canonical document with its version and who saved it."""

from __future__ import annotations

from typing import Any

from jobferry.api.presenters.plans import plan_document
from jobferry.package.routeblock import RouteBlock
from jobferry.services.context import Scope
from jobferry.services.routes.meanwhile import ImportedMeanwhile, ImportUnderWay
from jobferry.services.routes.overrides import Overrides
from jobferry.services.routes.plans import Applied
from jobferry.services.routes.records import Promotion, RoutePackage, RoutePlan
from jobferry.services.routes.service import RouteVersion


def route_view(item: RouteVersion) -> dict[str, Any]:
    """One version of a route as the API answers it."""
    return {
        **item.route.document(),
        "version": item.version,
        "updateTime": item.updated_at,
        "updateUser": item.updated_by,
    }


def promotion_view(item: Promotion) -> dict[str, Any]:
    """One promotion along a route (jobferry extension)."""
    return {
        "id": item.id,
        "route": item.route,
        "routeVersion": item.route_version,
        "snapshotTime": item.snapshot_at,
        "since": item.since,
        "path": item.package_path,
        "packageSha256": item.package_sha256,
        "jobs": item.jobs,
        "scripts": item.scripts,
        "resources": item.resources,
        "deletions": item.deletions,
        "planId": item.plan_id,
        "taskId": item.task_id,
        "taskStatus": item.task_status,
        "applied": item.applied,
        "rolledBack": (
            {"at": item.rolled_back_at, "by": item.rolled_back_by}
            if item.rolled_back_at is not None
            else None
        ),
        "createTime": item.created_at,
        "createUser": item.created_by,
        "carried": item.carried.value if item.carried is not None else None,
        "overrides": _overrides(item.overrides),
    }


def _overrides(found: Overrides | None) -> dict[str, Any] | None:
    """What the promotion's import changed of the route's settings, and who (jobferry
    extension; ``null``: it took the route's settings)."""
    if found is None:
        return None
    return {
        "by": found.by,
        "settings": [s.wire() for s in found.settings],
        "driftOverwritten": [{"kind": k, "name": n} for k, n in found.drift_overwritten],
        "driftOverwrittenTotal": found.drift_overwritten_total,
    }


def package_view(made: RoutePackage) -> dict[str, Any]:
    """A route's package of changes: the promotion made (``null``: nothing changed since the
    last promotion), the two workspaces and the import settings the target's plan takes."""
    answer: dict[str, Any] = {
        "route": made.route.name,
        "routeVersion": made.route_version,
        "source": _end(made.source, made.carried_from),
        "target": _end(made.target, None),
        "since": made.since,
        "promotion": promotion_view(made.promotion) if made.promotion is not None else None,
        "importOptions": made.import_options,
    }
    if made.download is not None:
        answer["download"] = {
            "id": made.download.id,
            "fileName": made.download.file_name,
            "size": made.download.size,
            "sha256": made.download.sha256,
        }
    return answer


def route_plan_view(planned: RoutePlan) -> dict[str, Any]:
    """A route's promotion planned (jobferry extension): its package as ``package_view`` says
    it, this run's import ``settings`` and what they change of the route's (``overrides``), the
    plan (``null``: nothing changed, or ``taskId`` names the task planning it), until when the
    plan and its package are kept for ``…/plans/{plan_id}/apply`` (``keptUntil``, ms), how
    many approvals the route requires of it, and another run's import of the same changes
    (``promotedMeanwhile``, ``null``: none; its apply would be refused with ``DLF.9088``), or
    else of others still queued or running (``importUnderWay``, ``null``: none)."""
    meanwhile, under_way = planned.meanwhile, planned.under_way
    return {
        **package_view(planned.package),
        "settings": planned.settings.wire(),
        "overrides": [c.wire() for c in planned.changes],
        "plan": plan_document(planned.plan) if planned.plan is not None else None,
        "taskId": planned.planning_task,
        "keptUntil": planned.kept_until,
        "approvalsRequired": planned.package.route.approvals.required,
        "promotedMeanwhile": meanwhile_view(meanwhile) if meanwhile is not None else None,
        "importUnderWay": _under_way(under_way) if under_way is not None else None,
    }


def _under_way(found: ImportUnderWay) -> dict[str, Any]:
    """Another run's import along the route, of other changes, still queued or running: its
    promotion, plan and task, whether it is queued, who started it and when (ms), and the
    sentence that says so."""
    return {
        "promotionId": found.promotion_id,
        "planId": found.plan_id,
        "taskId": found.task_id,
        "queued": found.queued,
        "promotedBy": found.promoted_by,
        "promotedAt": found.promoted_at,
        "message": f"{found.problem}.",
    }


def meanwhile_view(meanwhile: ImportedMeanwhile) -> dict[str, Any]:
    """Another run's import of the same changes: its promotion, plan and task, who started it
    and when (ms), and the sentence that says so."""
    return {
        "promotionId": meanwhile.promotion_id,
        "planId": meanwhile.plan_id,
        "taskId": meanwhile.task_id,
        "taskStatus": meanwhile.task_status,
        "promotedBy": meanwhile.promoted_by,
        "promotedAt": meanwhile.promoted_at,
        "message": f"{meanwhile.problem}.",
    }


def applied_view(applied: Applied) -> dict[str, Any]:
    """A route's planned promotion being imported: the import's task, and the promotion it is
    recorded on (jobferry extension)."""
    return {"taskId": applied.task_id, "promotion": promotion_view(applied.promotion)}


def _end(scope: Scope | None, carried: RouteBlock | None) -> dict[str, Any]:
    """A workspace of this server, or one on another server (``carried``: where a package
    taken in was cut)."""
    if scope is not None:
        return {"workspaceId": scope.workspace.id, "name": scope.workspace.name}
    if carried is not None:
        return {
            "workspaceId": carried.source_workspace_id,
            "name": carried.source_workspace,
            "carried": True,
        }
    return {"carried": True}
