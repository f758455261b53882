"""Kept plans (with their objects, row by row) and uploaded packages."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, select

from jobferry.domain.enums import TaskStatus
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.importing.tables import import_plan_objects
from jobferry.storage.records import StoredPackageRecord, first_record, insert_record, record
from jobferry.storage.tables import import_plans, system_tasks, uploads
from jobferry.storage.tx import Tx, chunks


@dataclass(frozen=True)
class PlanRecord:
    """A stored plan."""

    id: str
    workspace_id: str
    package_sha256: str
    request_sha256: str
    fingerprint: str
    plan: str
    created_by: str
    created_at: int


def insert_plan(tx: Tx, plan: PlanRecord) -> None:
    """Keep a plan so an import can name it."""
    insert_record(tx, import_plans, plan)


def delete_plan(tx: Tx, plan_id: str) -> None:
    """Forget one plan and its objects."""
    tx.conn.execute(delete(import_plan_objects).where(import_plan_objects.c.plan_id == plan_id))
    tx.conn.execute(delete(import_plans).where(import_plans.c.id == plan_id))


def get_plan(tx: Tx, workspace_id: str, plan_id: str) -> PlanRecord | None:
    """A stored plan of the workspace."""
    return first_record(tx, PlanRecord, import_plans, workspace_id=workspace_id, id=plan_id)


def newest_plan_id(
    tx: Tx, workspace_id: str, package_sha256: str, request_sha256: str
) -> str | None:
    """The id of the newest stored plan of the workspace for this package and request."""
    found = tx.conn.execute(
        select(import_plans.c.id)
        .where(
            import_plans.c.workspace_id == workspace_id,
            import_plans.c.package_sha256 == package_sha256,
            import_plans.c.request_sha256 == request_sha256,
        )
        .order_by(import_plans.c.created_at.desc(), import_plans.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else str(found)


@dataclass(frozen=True)
class UploadRecord(StoredPackageRecord):
    """A package uploaded for import."""


def insert_upload(tx: Tx, item: UploadRecord) -> None:
    """Record an uploaded package."""
    insert_record(tx, uploads, item)


def get_upload(tx: Tx, workspace_id: str, upload_id: str) -> UploadRecord | None:
    """An uploaded package of the workspace."""
    return first_record(tx, UploadRecord, uploads, workspace_id=workspace_id, id=upload_id)


def expired_uploads(tx: Tx, now: int, keep: Collection[str] = ()) -> list[UploadRecord]:
    """Uploaded packages past their expiry, but those of ``keep`` (ids)."""
    rows = tx.conn.execute(select(uploads).where(uploads.c.expires_at <= now))
    return [record(UploadRecord, r) for r in rows if r.id not in keep]


def delete_upload(tx: Tx, upload_id: str) -> None:
    """Forget an uploaded package."""
    tx.conn.execute(delete(uploads).where(uploads.c.id == upload_id))


def delete_plans_before(tx: Tx, before: int, keep: Collection[str] = ()) -> int:
    """Forget plans made before ``before`` (ms), with their objects, but those of ``keep``
    (ids); returns how many."""
    c = import_plans.c
    due = and_(c.created_at < before, c.id.not_in(list(keep))) if keep else c.created_at < before
    old = select(c.id).where(due)
    tx.conn.execute(delete(import_plan_objects).where(import_plan_objects.c.plan_id.in_(old)))
    result = tx.conn.execute(delete(import_plans).where(due))
    return int(result.rowcount)


def running_requests(tx: Tx) -> list[str]:
    """The requests (JSON) of the tasks still running, queued ones included: what they name
    (a package's path, a kept plan) is theirs until they end."""
    t = system_tasks.c
    rows = tx.conn.execute(
        select(t.request).where(t.status == TaskStatus.RUNNING, t.request.is_not(None))
    )
    return [str(r.request) for r in rows]


@dataclass(frozen=True)
class PlanObjectRow:
    """One object of a stored plan: its position in the plan's listing (from 1; unique in the
    plan, not necessarily dense: the service says how it lists), kind and action (what pages
    are filtered by) and its plan line as the service keeps it (JSON)."""

    seq: int
    kind: str
    action: str
    line: str


def insert_plan_objects(tx: Tx, plan_id: str, rows: Sequence[PlanObjectRow]) -> None:
    """Store a plan's objects."""
    insert_tuples(
        tx,
        import_plan_objects,
        ("plan_id", "seq", "kind", "action", "line"),
        [(plan_id, row.seq, row.kind, row.action, row.line) for row in rows],
    )


def plan_objects(
    tx: Tx,
    plan_id: str,
    *,
    offset: int,
    limit: int,
    action: str | None = None,
    kind: str | None = None,
) -> tuple[int, list[str]]:
    """A page of a plan's objects as JSON lines, in listing order, and how many there are."""
    t = import_plan_objects.c
    where = [t.plan_id == plan_id]
    if action is not None:
        where.append(t.action == action)
    if kind is not None:
        where.append(t.kind == kind)
    columns = [t.line, t.seq]  # seq orders a plan's objects, one each: pages may seek
    total, rows = tx.page(
        import_plan_objects, and_(*where), [t.seq], limit, offset, columns, [t.seq]
    )
    return total, [r.line for r in rows]


def plans_among(tx: Tx, plan_ids: Sequence[str]) -> set[str]:
    """Which of these plans are kept (of any workspace)."""
    found: set[str] = set()
    for part in chunks(plan_ids, 500):
        rows = tx.conn.execute(select(import_plans.c.id).where(import_plans.c.id.in_(part)))
        found.update(r.id for r in rows)
    return found
