"""Tags (with their locked flag) and locks on jobs and scripts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Subquery, Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jobferry.domain.enums import ObjectKind, RefKind
from jobferry.storage.records import (
    LockRecord,
    RowLock,
    TagRecord,
    all_records,
    keyed_record,
    record,
)
from jobferry.storage.tables import job_refs, jobs, locks, scripts, tags, users
from jobferry.storage.tx import Tx, chunks

# Built once, as a save adds its job's tags and reads its lock with them (storage/jobs.py).
_ADD_TAGS = tuple(
    insert(tags).on_conflict_do_nothing(index_elements=[tags.c.workspace_id, tags.c.name])
    for insert in (sqlite_insert, pg_insert)
)


def list_tags(tx: Tx, workspace_id: str) -> list[TagRecord]:
    """The workspace's tags by name."""
    return all_records(tx, TagRecord, tags, [tx.by_name(tags.c.name)], workspace_id=workspace_id)


_HOLD_TAGS = (
    select(tags.c.name)
    .where(
        tags.c.workspace_id == bindparam("_workspace"),
        tags.c.name.in_(bindparam("_names", expanding=True)),
    )
    .with_for_update(read=True, key_share=True)
)
"""The named tags' rows, held ``FOR KEY SHARE`` until the transaction ends (PostgreSQL)."""


def ensure_tags(tx: Tx, workspace_id: str, names: Iterable[str], now: int) -> None:
    """Create the tags that do not exist yet (unlocked): one ``INSERT … ON CONFLICT DO
    NOTHING`` on the tag's key, so a tag already there (locked or not) is left as it is.

    The job's references to them are written in the same transaction, and a tag's delete
    counts its carriers before it goes (:func:`get_tag` ``locked``): on PostgreSQL the tags
    already there are first held ``FOR KEY SHARE`` until the transaction ends, so that a delete
    counting their carriers meanwhile waits for this one's references (and is refused), and a
    delete that counted before is waited for here, its tag then made again by the insert —
    never a job naming a tag no longer listed. Holds do not wait for each other (saves of jobs
    carrying the same tag go on side by side), nor for a tag's lock or unlock. SQLite has one
    writer: nothing to hold."""
    wanted = sorted(set(names))
    if not wanted:
        return
    postgres = tx.dialect == "postgresql"
    for part in chunks(wanted, tx.chunk) if postgres else ():
        # before the insert, which would not wait for a delete that has not deleted yet
        tx.conn.execute(_HOLD_TAGS, {"_workspace": workspace_id, "_names": part})
    rows = [
        {"workspace_id": workspace_id, "name": n, "locked": False, "created_at": now}
        for n in wanted
    ]
    tx.conn.execute(_ADD_TAGS[postgres], rows)


_LOCKED_AMONG = (
    select(tags.c.name)
    .where(
        tags.c.workspace_id == bindparam("_workspace"),
        tags.c.locked.is_(True),
        or_(
            tags.c.name.in_(bindparam("_names", expanding=True)),
            tags.c.name.in_(
                select(job_refs.c.name).where(
                    job_refs.c.job_id == bindparam("_job"), job_refs.c.kind == "tag"
                )
            ),
        ),
    )
    .distinct()
)
"""The locked tags among some names and those a stored job carries (its reference index)."""


def locked_tags_of(
    tx: Tx, workspace_id: str, job_id: int | None, names: Iterable[str]
) -> list[str]:
    """The tags locked in the workspace among ``names`` and those job ``job_id`` carries as
    stored (``None``: none stored), sorted."""
    key = {"_workspace": workspace_id, "_names": sorted(set(names)), "_job": job_id}
    return sorted(name for (name,) in tx.conn.execute(_LOCKED_AMONG, key))


def set_tag_locked(tx: Tx, workspace_id: str, name: str, locked: bool, now: int) -> None:
    """Create or update a tag with the given locked flag."""
    result = tx.conn.execute(
        update(tags)
        .where(tags.c.workspace_id == workspace_id, tags.c.name == name)
        .values(locked=locked)
    )
    if not result.rowcount:
        tx.conn.execute(
            insert(tags).values(workspace_id=workspace_id, name=name, locked=locked, created_at=now)
        )


def get_tag(tx: Tx, workspace_id: str, name: str, *, locked: bool = False) -> TagRecord | None:
    """One tag of the workspace, if it exists (``locked``: its row, until the transaction ends,
    for a delete that counts its carriers first: a save giving a job the tag waits for it, or
    it for the save, :func:`ensure_tags`)."""
    lock = RowLock.WHOLE if locked else None
    return keyed_record(tx, TagRecord, tags, lock, workspace_id=workspace_id, name=name)


def delete_tag(tx: Tx, workspace_id: str, name: str) -> None:
    """Remove a tag (the caller checked no job carries it)."""
    tx.conn.execute(delete(tags).where(tags.c.workspace_id == workspace_id, tags.c.name == name))


def _carrying(workspace_id: str, name: str | None = None) -> Subquery:
    """(tag, job id, job name) of each job of the workspace carrying a tag (``name``: that
    one), by its reference index: the jobs ``list_jobs`` finds by that tag."""
    conditions = [jobs.c.workspace_id == workspace_id, job_refs.c.kind == RefKind.TAG]
    if name is not None:
        conditions.append(job_refs.c.name == name)
    return (
        select(job_refs.c.name, jobs.c.id, jobs.c.name.label("job_name"))
        .join(jobs, jobs.c.id == job_refs.c.job_id)
        .where(*conditions)
        .distinct()
        .subquery()
    )


def jobs_per_tag(tx: Tx, workspace_id: str) -> dict[str, int]:
    """How many jobs of the workspace carry each tag some job carries: one grouped count."""
    found = _carrying(workspace_id)
    rows = tx.conn.execute(select(found.c.name, func.count()).group_by(found.c.name))
    return {name: int(count) for name, count in rows}


def jobs_carrying(tx: Tx, workspace_id: str, name: str, limit: int) -> tuple[list[str], int]:
    """The first ``limit`` jobs of the workspace carrying tag ``name``, by name, and how many
    carry it in all."""
    found = _carrying(workspace_id, name)
    total = tx.conn.execute(select(func.count()).select_from(found)).scalar_one()
    first = select(found.c.job_name).order_by(tx.by_name(found.c.job_name)).limit(limit)
    return [n for (n,) in tx.conn.execute(first)], int(total)


_LOCKS = select(locks, users.c.name.label("holder_name")).join(
    users, users.c.id == locks.c.holder_user_id
)
"""Locks with their holder's name."""
_LOCK_ON = _LOCKS.where(
    locks.c.workspace_id == bindparam("_workspace"),
    locks.c.object_kind == bindparam("_kind"),
    locks.c.object_name == bindparam("_name"),
)


def get_lock(tx: Tx, workspace_id: str, kind: str, name: str) -> LockRecord | None:
    """The lock on one job or script, if any."""
    key = {"_workspace": workspace_id, "_kind": kind, "_name": name}
    row = tx.conn.execute(_LOCK_ON, key).first()
    return record(LockRecord, row) if row else None


def list_locks(tx: Tx, workspace_id: str) -> list[LockRecord]:
    """Every lock of the workspace."""
    rows = tx.conn.execute(
        _LOCKS.where(locks.c.workspace_id == workspace_id).order_by(
            locks.c.object_kind, locks.c.object_name
        )
    )
    return [record(LockRecord, r) for r in rows]


def insert_lock(tx: Tx, workspace_id: str, kind: str, name: str, user_id: int, now: int) -> None:
    """Take a lock (the caller checked nobody else holds it)."""
    tx.conn.execute(
        insert(locks).values(
            workspace_id=workspace_id,
            object_kind=kind,
            object_name=name,
            holder_user_id=user_id,
            acquired_at=now,
        )
    )


def delete_lock(tx: Tx, workspace_id: str, kind: str, name: str) -> bool:
    """Release a lock; True if there was one."""
    result = tx.conn.execute(
        delete(locks).where(
            locks.c.workspace_id == workspace_id,
            locks.c.object_kind == kind,
            locks.c.object_name == name,
        )
    )
    return bool(result.rowcount)


_HOLDERS: dict[str, Table] = {ObjectKind.JOB: jobs, ObjectKind.SCRIPT: scripts}
"""The table of each lockable kind (a lock names its object by name, not by id)."""


def release_locks_of(tx: Tx, kind: str, ids: Sequence[Any]) -> None:
    """Release the locks on the jobs or scripts (``kind``) with these ids, before their rows go:
    every path that deletes one (its delete call, an import, a rollback, a remote's refresh)
    takes its lock with it, so a later object of the same name is nobody's."""
    table = _HOLDERS[kind]
    held = (
        select(table.c.id)
        .where(
            table.c.id.in_(bindparam("_ids", expanding=True)),
            table.c.workspace_id == locks.c.workspace_id,
            table.c.name == locks.c.object_name,
        )
        .exists()
    )
    stmt = delete(locks).where(locks.c.object_kind == kind, held)
    for part in chunks(list(ids), tx.chunk):
        tx.conn.execute(stmt, {"_ids": part})


def carry_locks_of(tx: Tx, kind: str, renamed: Sequence[tuple[Any, str]]) -> None:
    """Carry the locks on the jobs or scripts (``kind``) renamed by id to their new names:
    (id, new name) pairs, read before the rows are renamed (names may be swapped among
    them)."""
    moves = dict(renamed)
    ids = _named_ids(tx, _HOLDERS[kind], sorted(moves))
    held = [
        lock
        for ws in sorted({ws for ws, _ in ids})
        for part in chunks(sorted(name for w, name in ids if w == ws), tx.chunk)
        for lock in list_locks_named(tx, ws, kind, part)
    ]
    moved = [(lk, moves[ids[(lk.workspace_id, lk.object_name)]]) for lk in held]
    moved = [(lk, new) for lk, new in moved if new != lk.object_name]
    for lock, _ in moved:
        delete_lock(tx, lock.workspace_id, kind, lock.object_name)
    for lock, new in moved:
        insert_lock(tx, lock.workspace_id, kind, new, lock.holder_user_id, lock.acquired_at)


def _named_ids(tx: Tx, table: Table, ids: Sequence[Any]) -> dict[tuple[str, str], Any]:
    """The ids of these rows of ``table`` by (workspace id, name)."""
    found: dict[tuple[str, str], Any] = {}
    for part in chunks(list(ids), tx.chunk):
        rows = select(table.c.id, table.c.workspace_id, table.c.name).where(table.c.id.in_(part))
        found.update({(ws, name): i for i, ws, name in tx.conn.execute(rows)})
    return found


def list_locks_named(tx: Tx, workspace_id: str, kind: str, names: list[str]) -> list[LockRecord]:
    """The locks on these objects of one kind (those that have one)."""
    rows = tx.conn.execute(
        _LOCKS.where(
            locks.c.workspace_id == workspace_id,
            locks.c.object_kind == kind,
            locks.c.object_name.in_(names),
        )
    )
    return [record(LockRecord, r) for r in rows]


def move_lock(tx: Tx, workspace_id: str, kind: str, name: str, new_name: str) -> None:
    """Carry a lock over to an object's new name."""
    tx.conn.execute(
        update(locks)
        .where(
            locks.c.workspace_id == workspace_id,
            locks.c.object_kind == kind,
            locks.c.object_name == name,
        )
        .values(object_name=new_name)
    )
