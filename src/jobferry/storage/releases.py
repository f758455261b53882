"""Enterprise mode's pending items and release packages (the production sides themselves:
``storage/production.py``), and the job versions the simple-mode approval switch recorded.

The tables share the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports
this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    select,
    update,
)

from jobferry.storage.columns import at_and_by, holds, user_and_time, workspace_id
from jobferry.storage.records import all_records, first_record, record
from jobferry.storage.tables import import_changes, job_versions, jobs, metadata
from jobferry.storage.tx import Tx, chunks

release_packages = Table(
    "release_packages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    workspace_id(index=True),
    Column("name", String(256), nullable=False),
    Column("status", Integer, nullable=False),
    *user_and_time("apply"),
    # [{"user_id", "user_name"}] as JSON text.
    Column("approvers", Text, nullable=False),
    *user_and_time("deploy", nullable=True),
    Column("startup_mode", Integer, nullable=True),
    # The production import (a system task) that deploys the package.
    Column("task_id", String(64), nullable=True, index=True),
    Column("delete_flag", Integer, nullable=False),
    # The frozen content: the package file (an upload of the production side) and its plan.
    Column("path", Text, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("plan_id", String(64), nullable=True),
    # {"kind/name": hash or null}: what production held of each object when it was planned.
    Column("basis", Text, nullable=True),
    # A released package rolled back (jobferry's own state: deploy_status stays 2, released).
    *at_and_by("rolled_back", nullable=True),
)

release_items = Table(
    "release_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    workspace_id(),
    Column("kind", String(32), nullable=False),
    Column("uid", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("update_type", Integer, nullable=False),
    Column("pending_version", Integer, nullable=False),
    Column("deployed_version", Integer, nullable=False),
    Column("package_id", Integer, nullable=True, index=True),
    Column("deploy_status", Integer, nullable=True),
    Column("start_job_status", Integer, nullable=True),
    *user_and_time("submit"),
    Index("ix_release_items_workspace_id", "workspace_id", "kind", "uid"),
)

_pkg = release_packages
_item = release_items


@dataclass(frozen=True)
class ItemRecord:
    """A pending item: one object's submitted (or deleted) state waiting for a release."""

    id: int
    workspace_id: str
    kind: str
    uid: str
    name: str
    object_id: str
    update_type: int
    pending_version: int
    deployed_version: int
    package_id: int | None
    deploy_status: int | None
    start_job_status: int | None
    submit_user_id: str
    submit_user_name: str
    submit_timestamp: int


@dataclass(frozen=True)
class PackageRecord:
    """A release package as stored."""

    id: int
    workspace_id: str
    name: str
    status: int
    apply_user_id: str
    apply_user_name: str
    apply_timestamp: int
    approvers: str
    deploy_user_id: str | None
    deploy_user_name: str | None
    deploy_timestamp: int | None
    startup_mode: int | None
    task_id: str | None
    delete_flag: int
    path: str | None
    sha256: str | None
    plan_id: str | None
    basis: str | None
    rolled_back_at: int | None = None
    rolled_back_by: str | None = None

    def approver_list(self) -> list[dict[str, str]]:
        """``[{"user_id", "user_name"}]``."""
        found: list[dict[str, str]] = json.loads(self.approvers)
        return found


@dataclass(frozen=True)
class ItemFilter:
    """What ``list_factory_pending_items`` filters on (``None``: any)."""

    item_name: str | None = None
    submit_user_name: str | None = None
    update_type: int | None = None
    task_type_kind: str | None = None
    start_time: int | None = None
    end_time: int | None = None


# -- pending items -----------------------------------------------------------------------------


def open_item(tx: Tx, workspace_id: str, kind: str, uid: str) -> ItemRecord | None:
    """The object's pending item not yet in a package, if any."""
    return first_record(
        tx, ItemRecord, _item, workspace_id=workspace_id, kind=kind, uid=uid, package_id=None
    )


def object_id_of(tx: Tx, workspace_id: str, kind: str, uid: str) -> str | None:
    """The object's id as its newest item recorded it (``None``: it never had an item)."""
    found = tx.conn.execute(
        select(_item.c.object_id)
        .where(_item.c.workspace_id == workspace_id, _item.c.kind == kind, _item.c.uid == uid)
        .order_by(_item.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def _rolled_back() -> Select[tuple[int]]:
    """The ids of packages rolled back (their items no longer say what production holds)."""
    return select(_pkg.c.id).where(_pkg.c.rolled_back_at.is_not(None))


def deployed_version(tx: Tx, workspace_id: str, kind: str, uid: str) -> int:
    """The version of the object the last successful release put into production (0: none)."""
    found = tx.conn.execute(
        select(func.max(_item.c.pending_version)).where(
            _item.c.workspace_id == workspace_id,
            _item.c.kind == kind,
            _item.c.uid == uid,
            _item.c.deploy_status == 2,
            _item.c.update_type != 3,
            _item.c.package_id.not_in(_rolled_back()),
        )
    ).scalar()
    return int(found or 0)


def released(tx: Tx, item: ItemRecord) -> None:
    """``item`` reached production: an item of the same object still waiting says so (the
    version production holds, and a change rather than an addition; a deletion, the version
    it deletes)."""
    waiting = open_item(tx, item.workspace_id, item.kind, item.uid)
    if waiting is None or item.update_type == 3:
        return
    values: dict[str, object] = {"deployed_version": item.pending_version}
    if waiting.update_type == 1:
        values["update_type"] = 2
    elif waiting.update_type == 3:
        values["pending_version"] = item.pending_version  # a deletion names what it deletes
    update_item(tx, waiting.id, values)


def open_items(tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]) -> dict[str, ItemRecord]:
    """uid → the object's pending item not in a package, for many objects of one kind."""
    found: dict[str, ItemRecord] = {}
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(_item).where(
                _item.c.workspace_id == workspace_id,
                _item.c.kind == kind,
                _item.c.uid.in_(part),
                _item.c.package_id.is_(None),
            )
        )
        found.update((r.uid, record(ItemRecord, r)) for r in rows)
    return found


def deployed_versions(tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]) -> dict[str, int]:
    """uid → :func:`deployed_version`, for many objects of one kind (absent: 0)."""
    found: dict[str, int] = {}
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(_item.c.uid, func.max(_item.c.pending_version))
            .where(
                _item.c.workspace_id == workspace_id,
                _item.c.kind == kind,
                _item.c.uid.in_(part),
                _item.c.deploy_status == 2,
                _item.c.update_type != 3,
                _item.c.package_id.not_in(_rolled_back()),
            )
            .group_by(_item.c.uid)
        )
        found.update((str(r[0]), int(r[1] or 0)) for r in rows)
    return found


def released_versions(
    tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]
) -> dict[int, dict[str, int]]:
    """Package id → uid → the version its item of each of these objects put (deletions, and
    items in no package, left out): what every release of them said, in a query a chunk."""
    found: dict[int, dict[str, int]] = {}
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(_item.c.package_id, _item.c.uid, _item.c.pending_version)
            .where(
                _item.c.workspace_id == workspace_id,
                _item.c.kind == kind,
                _item.c.uid.in_(part),
                _item.c.package_id.is_not(None),
                _item.c.update_type != 3,
            )
            .order_by(_item.c.id)
        )
        for package_id, uid, version in rows:
            found.setdefault(int(package_id), {})[str(uid)] = int(version)
    return found


def insert_items(tx: Tx, rows: Sequence[dict[str, object]]) -> None:
    """Many new pending items (one statement a chunk)."""
    for part in chunks(list(rows), tx.chunk):
        tx.conn.execute(insert(_item), part)


def job_uids(tx: Tx, job_ids: Sequence[int]) -> dict[int, str]:
    """Job id → its stable identifier."""
    found: dict[int, str] = {}
    for part in chunks(list(job_ids), tx.chunk):
        rows = tx.conn.execute(select(jobs.c.id, jobs.c.uid).where(jobs.c.id.in_(part)))
        found.update((int(r[0]), str(r[1])) for r in rows)
    return found


def insert_item(tx: Tx, values: dict[str, object]) -> int:
    """A new pending item; its id."""
    result = tx.conn.execute(insert(_item).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_item(tx: Tx, item_id: int, values: dict[str, object]) -> None:
    """Change a pending item."""
    tx.conn.execute(update(_item).where(_item.c.id == item_id).values(**values))


def items_by_id(tx: Tx, workspace_id: str, ids: Iterable[int]) -> dict[int, ItemRecord]:
    """The workspace's pending items among ``ids`` (one past what the database stores is
    none)."""
    wanted = [i for i in ids if holds(_item.c.id, i)]
    rows = tx.conn.execute(
        select(_item).where(_item.c.workspace_id == workspace_id, _item.c.id.in_(wanted))
    )
    return {r.id: record(ItemRecord, r) for r in rows}


def list_items(
    tx: Tx, workspace_id: str, where: ItemFilter, limit: int, offset: int
) -> tuple[int, list[ItemRecord]]:
    """The workspace's unpackaged items matching ``where``, newest first: (total, a page)."""
    cond = [_item.c.workspace_id == workspace_id, _item.c.package_id.is_(None)]
    if where.item_name:
        cond.append(tx.holds(_item.c.name, where.item_name))
    if where.submit_user_name:
        cond.append(_item.c.submit_user_name == where.submit_user_name)
    if where.update_type is not None:
        cond.append(_item.c.update_type == where.update_type)
    if where.task_type_kind is not None:
        cond.append(_item.c.kind == where.task_type_kind)
    if where.start_time is not None:
        cond.append(_item.c.submit_timestamp >= where.start_time)
    if where.end_time is not None:
        cond.append(_item.c.submit_timestamp <= where.end_time)
    total = tx.conn.execute(select(func.count()).select_from(_item).where(and_(*cond)))
    rows = tx.conn.execute(
        select(_item)
        .where(and_(*cond))
        .order_by(_item.c.submit_timestamp.desc(), _item.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return int(total.scalar_one()), [record(ItemRecord, r) for r in rows]


def package_items(tx: Tx, package_id: int) -> list[ItemRecord]:
    """The items of a package, in the order they were added."""
    return all_records(tx, ItemRecord, _item, [_item.c.id], package_id=package_id)


def set_items_package(
    tx: Tx, ids: Sequence[int], package_id: int | None, status: int | None
) -> None:
    """Put items into a package (or back out of one: ``None``)."""
    tx.conn.execute(
        update(_item)
        .where(_item.c.id.in_(list(ids)))
        .values(package_id=package_id, deploy_status=status, start_job_status=None)
    )


# -- packages ----------------------------------------------------------------------------------


def insert_package(tx: Tx, values: dict[str, object]) -> int:
    """A new release package; its id."""
    result = tx.conn.execute(insert(_pkg).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_package(tx: Tx, package_id: int, values: dict[str, object]) -> None:
    """Change a release package."""
    tx.conn.execute(update(_pkg).where(_pkg.c.id == package_id).values(**values))


def get_package(
    tx: Tx, workspace_id: str, package_id: int, *, lock: bool = False
) -> PackageRecord | None:
    """A package of the workspace (``lock``: its row locked until the transaction ends); an
    id past what the database stores is none."""
    if not holds(_pkg.c.id, package_id):
        return None
    query = select(_pkg).where(_pkg.c.workspace_id == workspace_id, _pkg.c.id == package_id)
    if lock:
        query = query.with_for_update()
    row = tx.conn.execute(query).first()
    return record(PackageRecord, row) if row else None


def package_of_plan(tx: Tx, plan_id: str) -> PackageRecord | None:
    """The package whose kept plan is ``plan_id`` (a deploy's import names it)."""
    return first_record(tx, PackageRecord, _pkg, plan_id=plan_id)


def claim_package(
    tx: Tx, package_id: int, states: Sequence[int], values: dict[str, object], task_id: str | None
) -> bool:
    """Change a package not cancelled whose state is one of ``states`` and whose task is
    ``task_id`` (compare and set: a deploy racing another changes nothing); whether it did."""
    task = _pkg.c.task_id.is_(None) if task_id is None else _pkg.c.task_id == task_id
    result = tx.conn.execute(
        update(_pkg)
        .where(
            _pkg.c.id == package_id,
            _pkg.c.status.in_(list(states)),
            _pkg.c.delete_flag == 0,
            task,
        )
        .values(**values)
    )
    return bool(result.rowcount)


def submitted_by_task(tx: Tx, task_id: str) -> list[tuple[str, str, str, int]]:
    """(kind, name, object id, version) of each job and script an import submitted a
    version of (its change records)."""
    c = import_changes.c
    rows = tx.conn.execute(
        select(c.kind, c.name, c.object_id, c.after_version).where(
            c.task_id == task_id,
            c.kind.in_(("job", "script")),
            c.after_version.is_not(None),
            c.object_id.is_not(None),
        )
    )
    return [(r.kind, r.name, str(r.object_id), int(r.after_version)) for r in rows]


def created_by_task(tx: Tx, task_id: str, kind: str) -> set[str]:
    """The names of the objects of ``kind`` an import created (its change records)."""
    c = import_changes.c
    rows = tx.conn.execute(
        select(c.name).where(c.task_id == task_id, c.kind == kind, c.action == "CREATE")
    )
    return {str(r.name) for r in rows}


@dataclass(frozen=True)
class Application:
    """A job version submitted naming approvers (the simple-mode approval switch)."""

    job_id: int
    name: str
    version: int
    approvers: str
    created_at: int
    created_by: str


def applications(tx: Tx, workspace_id: str, begin: int, end: int) -> list[Application]:
    """The workspace's job versions submitted with approvers between ``begin`` and ``end``
    (epoch ms), newest first."""
    v = job_versions.c
    rows = tx.conn.execute(
        select(jobs.c.id, jobs.c.name, v.version, v.approvers, v.created_at, v.created_by)
        .join(jobs, jobs.c.id == v.job_id)
        .where(
            jobs.c.workspace_id == workspace_id,
            v.approvers.is_not(None),
            v.created_at >= begin,
            v.created_at <= end,
        )
        .order_by(v.created_at.desc(), jobs.c.id, v.version.desc())
    )
    return [Application(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
