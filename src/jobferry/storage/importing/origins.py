"""Where a job came from: its ledger row with what the import task, the rollbacks, the route
promotions and the workspaces know about it, in one query (a job's provenance,
``services/definitions``)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, distinct, exists, func, or_, select

from jobferry.domain.enums import ObjectKind
from jobferry.storage.importing.ledger import LedgerRow, row_of, unpack
from jobferry.storage.importing.tables import deletions, promotion_ledger
from jobferry.storage.routes import route_promotions
from jobferry.storage.tables import (
    import_rollbacks,
    jobs,
    resources,
    scripts,
    system_tasks,
    workspaces,
)
from jobferry.storage.tx import Tx


class JobOrigin(NamedTuple):
    """A job as its provenance needs it: its development state now and, when an import from
    another workspace wrote it, the ledger row of that import with what else is known of it."""

    document: str
    """The job's development state now."""
    ledger: LedgerRow | None
    """``None``: no import from another workspace wrote it (or the rollback of one forgot it)."""
    source_workspace: str | None
    """The source workspace's name, when it is a workspace of this server."""
    imported_by: str | None
    """Who started the import task."""
    import_request: str | None
    """The import's request as its task keeps it (JSON)."""
    rolled_back: tuple[int, str] | None
    """(when, by whom) the import that wrote the ledger row was rolled back."""
    route: str | None
    """The route whose promotion that import was (``None``: a plain import)."""


def job_origin(tx: Tx, workspace_id: str, name: str) -> JobOrigin | None:
    """Job ``name`` of the workspace and where it came from; ``None``: no such job."""
    j, t, tasks, r = jobs.c, promotion_ledger.c, system_tasks.c, import_rollbacks.c
    promoted = route_promotions.c
    ledger = and_(
        t.target_workspace_id == j.workspace_id,
        t.kind == ObjectKind.JOB.value,
        t.target_uid == j.uid,
    )
    query = (
        select(
            j.document.label("job_document"),
            *promotion_ledger.c,
            workspaces.c.name.label("source_workspace_name"),
            tasks.created_by.label("task_created_by"),
            tasks.request.label("task_request"),
            r.rolled_back_at,
            r.rolled_back_by,
            promoted.route.label("route_name"),
        )
        .select_from(
            jobs.outerjoin(promotion_ledger, ledger)
            .outerjoin(workspaces, workspaces.c.id == t.source_workspace_id)
            .outerjoin(system_tasks, tasks.id == t.task_id)
            .outerjoin(import_rollbacks, r.task_id == t.task_id)
            # An import a route's promotion recorded (one promotion per package, so per task).
            .outerjoin(route_promotions, promoted.task_id == t.task_id)
        )
        .where(j.workspace_id == workspace_id, j.name == name)
        # Nothing makes a target object's ledger row unique: should two sources each hold one
        # for the job, the newest import is where it came from.
        .order_by(t.recorded_at.desc())
        .limit(1)
    )
    found = tx.conn.execute(query).first()
    if found is None:
        return None
    m = found._mapping
    if m["task_id"] is None:
        return JobOrigin(m["job_document"], None, None, None, None, None, None)
    rolled_back = m["rolled_back_at"]
    return JobOrigin(
        m["job_document"],
        row_of(found),
        m["source_workspace_name"],
        m["task_created_by"],
        m["task_request"],
        None if rolled_back is None else (int(rolled_back), str(m["rolled_back_by"])),
        m["route_name"],
    )


class WrittenObject(NamedTuple):
    """A job, script or resource an import from another workspace wrote, as it is now, with
    what the newest such import wrote (a workspace's drift, ``services/definitions``)."""

    uid: str
    """Its stable identifier (a job's uid, a script's or resource's id)."""
    name: str
    document: str
    """Its development state now."""
    updated_at: int
    updated_by: str
    written_sha256: str
    packed: bytes
    """What the import wrote, as the ledger keeps it (:meth:`written` reads it)."""
    task_id: str
    recorded_at: int
    source_workspace_id: str

    def written(self) -> str:
        """What the import wrote (unpacked only when asked: most objects are compared by
        their hash alone)."""
        return unpack(self.packed)


_OBJECTS = {ObjectKind.JOB: jobs, ObjectKind.SCRIPT: scripts, ObjectKind.RESOURCE: resources}


def written_count(tx: Tx, workspace_id: str, kind: ObjectKind) -> int:
    """How many objects of ``kind`` imports from another workspace wrote into the workspace,
    those it holds and those deleted since (counted in the ledger's index alone)."""
    t = promotion_ledger.c
    query = select(func.count(distinct(t.target_uid))).where(
        t.target_workspace_id == workspace_id, t.kind == kind.value
    )
    return tx.conn.execute(query).scalar_one()


def drifted_objects(
    tx: Tx, workspace_id: str, kind: ObjectKind, after: str, limit: int
) -> list[WrittenObject]:
    """The workspace's objects of ``kind`` whose definition is not what the newest import from
    another workspace that wrote it wrote, by stable identifier, the first ``limit`` after
    ``after`` (``""``: from the first), each with what that import wrote.

    The database finds them by the hash kept beside each definition (``document_sha256``):
    the definitions of the others are not read. An object whose hash is not kept (none should
    be) is among them, for its reader to compare by its text."""
    table, t, newer = _OBJECTS[kind], promotion_ledger.c, promotion_ledger.alias("newer").c
    key = table.c.uid if kind == ObjectKind.JOB else table.c.id
    current = table.c.document_sha256
    ledger = and_(t.target_workspace_id == workspace_id, t.kind == kind.value, t.target_uid == key)
    rows = tx.conn.execute(
        select(
            t.target_uid,
            table.c.name,
            table.c.document,
            table.c.updated_at,
            table.c.updated_by,
            t.written_sha256,
            t.written,
            t.task_id,
            t.recorded_at,
            t.source_workspace_id,
        )
        .select_from(table.join(promotion_ledger, ledger))
        .where(
            table.c.workspace_id == workspace_id,
            t.target_uid > after,
            or_(current.is_(None), current != t.written_sha256),
            # Nothing makes a target object's ledger row unique: the newest import's counts.
            # Keyed on the object's row, so that it is asked only of the rows whose hash
            # differs (SQLite otherwise asked it of every ledger row first).
            ~exists().where(
                newer.target_workspace_id == workspace_id,
                newer.kind == kind.value,
                newer.target_uid == key,
                newer.recorded_at > t.recorded_at,
            ),
        )
        # In the ledger's identifier: its index gives the batch in order (ordered by the
        # object's own key, every batch read and sorted all the rows after it). Of two ledger
        # rows of one moment, the first read is the object's.
        .order_by(t.target_uid, t.recorded_at.desc())
        .limit(limit)
    )
    found: dict[str, WrittenObject] = {}
    for r in rows:
        uid = str(r[0])
        if uid not in found:
            found[uid] = WrittenObject(
                uid, r[1], r[2], int(r[3]), str(r[4]), r[5], r[6], r[7], int(r[8]), r[9]
            )
    return list(found.values())


class GoneObject(NamedTuple):
    """An object an import from another workspace wrote that the workspace no longer holds:
    its ledger row's name and import, and when and by whom it was deleted (``None``: no
    tombstone says so)."""

    uid: str
    name: str
    task_id: str
    recorded_at: int
    source_workspace_id: str
    deleted: tuple[int, str] | None


def gone_objects(
    tx: Tx, workspace_id: str, kind: ObjectKind, after: str, limit: int
) -> list[GoneObject]:
    """The objects of ``kind`` an import from another workspace wrote (the ledger says so)
    that the workspace holds no more, by stable identifier, the first ``limit`` after
    ``after``, each with its tombstone's time and author when there is one."""
    table, t, d = _OBJECTS[kind], promotion_ledger.c, deletions.c
    key = table.c.uid if kind == ObjectKind.JOB else table.c.id
    held = select(key).where(table.c.workspace_id == workspace_id, key == t.target_uid)
    tomb = and_(d.workspace_id == workspace_id, d.kind == kind.value, d.uid == t.target_uid)
    rows = tx.conn.execute(
        select(
            t.target_uid,
            t.name,
            t.task_id,
            t.recorded_at,
            t.source_workspace_id,
            d.deleted_at,
            d.deleted_by,
        )
        .select_from(promotion_ledger.outerjoin(deletions, tomb))
        .where(
            t.target_workspace_id == workspace_id,
            t.kind == kind.value,
            t.target_uid > after,
            ~held.exists(),
        )
        .order_by(t.target_uid, t.recorded_at.desc())
        .limit(limit)
    )
    found: dict[str, GoneObject] = {}
    for r in rows:
        uid = str(r[0])
        if uid not in found:
            when = (int(r[5]), str(r[6])) if r[5] is not None else None
            found[uid] = GoneObject(uid, r[1], r[2], int(r[3]), r[4], when)
    return list(found.values())
