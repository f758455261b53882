"""``list_factory_workspaces_approval``: the simple-mode review centre, served from what
jobferry keeps of it.

jobferry's approval switch (``approvalEnabled``) makes every submission name its approvers,
and records them with the job version it submits; the submission takes effect at once (nothing
waits for a review here). So the applications are those versions: each *approved* on
submission (``status`` APPROVED, no ``actual_approver``), none pending (``DEVELOPING``) or
rejected. The call lists them with DataArts' filters; it is the review centre, not the
release flow (DataArts: enterprise mode has no review function).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jobferry.errors import InvalidRequestError
from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.records import int_parameter, paging
from jobferry.storage import Database
from jobferry.storage import releases as repo

WEEK_MS = 7 * 24 * 3600 * 1000
STATUSES = ("DEVELOPING", "APPROVED", "REJECT")
VIEWS = ("DEVELOPING", "FINISHED", "APPLY")
OBJECT_TYPES = ("JOB", "SCRIPT")
APPLIED = (
    "Applied on submission: jobferry records the approvers named with the version and does "
    "not hold submissions for review."
)


@dataclass(frozen=True)
class ApprovalQuery:
    """The call's query, checked."""

    begin: int
    end: int
    status: str | None
    view: str
    apply_id: str | None
    approver_name: str | None
    create_user: str | None
    object_name: str | None
    object_type: str | None
    limit: int
    page: int


@dataclass(frozen=True)
class Application:
    """One application as the call lists it."""

    apply_id: str
    object_id: str
    object_name: str
    create_user: str
    submit_time: int
    approvers: tuple[str, ...]


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if str(value) not in allowed:
        raise InvalidRequestError(
            f"{name} '{value}' is not one of {', '.join(allowed)}.", parameter=name
        )
    return str(value)


def parse_approval_query(query: dict[str, Any]) -> ApprovalQuery:
    """The query of ``list_factory_workspaces_approval`` (neither time given: the last 7
    days; ``type`` APPLY by default)."""
    end = int_parameter(query.get("end_time"), "end_time", 0)
    begin = int_parameter(query.get("begin_time"), "begin_time", 0)
    if begin is None and end is None:
        end = now_ms()
        begin = end - WEEK_MS
    limit, page = paging(query.get("limit"), query.get("offset"))
    view = _choice(query.get("type"), "type", VIEWS) or "APPLY"
    return ApprovalQuery(
        begin or 0,
        end if end is not None else now_ms(),
        _choice(query.get("status"), "status", STATUSES),
        view,
        query.get("apply_id") or None,
        query.get("approver_name") or None,
        query.get("create_user") or None,
        query.get("object_name") or None,
        _choice(query.get("object_type"), "object_type", OBJECT_TYPES),
        limit,
        page,
    )


def _names(approvers: str) -> tuple[str, ...]:
    found = json.loads(approvers)
    listed = found.get("approvers") if isinstance(found, dict) else found
    return tuple(str(a.get("approverName")) for a in listed or [] if isinstance(a, dict))


def _wanted(item: Application, scope: Scope, query: ApprovalQuery) -> bool:
    me = scope.actor.name
    mine = item.create_user == me if query.view == "APPLY" else me in item.approvers
    return (
        mine
        and query.view != "DEVELOPING"
        and query.status in (None, "APPROVED")
        and query.object_type in (None, "JOB")
        and (query.apply_id is None or item.apply_id == query.apply_id)
        and (query.approver_name is None or query.approver_name in item.approvers)
        and (
            query.create_user is None
            or query.view == "APPLY"
            or item.create_user == query.create_user
        )
        and (query.object_name is None or query.object_name in item.object_name)
    )


@dataclass
class ApprovalService:
    """The review centre's list."""

    db: Database

    def applications(self, scope: Scope, query: ApprovalQuery) -> tuple[int, list[Application]]:
        """The applications ``query`` selects: (total, the page asked)."""
        with self.db.transaction(readonly=True) as tx:
            found = repo.applications(tx, scope.workspace.id, query.begin, query.end)
        items = [
            Application(
                f"{a.job_id}-{a.version}",
                str(a.job_id),
                a.name,
                a.created_by,
                a.created_at,
                _names(a.approvers),
            )
            for a in found
        ]
        chosen = [i for i in items if _wanted(i, scope, query)]
        start = query.page * query.limit
        return len(chosen), chosen[start : start + query.limit]
