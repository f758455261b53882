"""Repeated promotion's storage: the ledger of what a target received from each source, and the
tombstones of what a workspace deleted.

Documents in the ledger are compressed here (a ledger row holds two whole definitions, and
a 100,000-job workspace has 200,000 rows): zlib, or the package entry's own deflate stream when
the import wrote the definition exactly as the package held it; callers give and get text.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Column, ColumnElement, Row, Table, delete, func, select, tuple_

from jobferry.storage.bulk import insert_tuples
from jobferry.storage.importing.tables import (
    deletions,
    promotion_exports,
    promotion_ledger,
    promotion_ledger_deletions,
)
from jobferry.storage.tx import Tx, chunks


class LedgerRow(NamedTuple):
    """What one source object became in a target, as the last import that wrote it left it."""

    source_workspace_id: str
    kind: str
    source_uid: str
    target_uid: str
    name: str
    written_sha256: str
    written: str
    """The definition as that import wrote it (after transforms)."""
    source: str
    """The definition as that import's package held it (before transforms)."""
    task_id: str
    recorded_at: int
    package_sha256: str | None = None
    """The package that import read (``None``: a row recorded before jobferry kept it)."""
    package_created_at: int | None = None
    """That package's ``createdAt`` (epoch ms; ``None``: unknown, or a row recorded before
    jobferry kept it): a package of the same source older than this would put back what that
    one replaced."""


class LedgerDeletion(NamedTuple):
    """A source object an import deleted from the target (the source deleted it): its ledger
    row is gone, and the deleting package's ``createdAt`` judges an older package that holds
    it."""

    source_workspace_id: str
    kind: str
    source_uid: str
    package_created_at: int
    task_id: str
    deleted_at: int


class Tombstone(NamedTuple):
    """A job, script or resource deleted from a workspace."""

    kind: str
    uid: str
    name: str
    deleted_at: int


DEFLATE_MARK = b"\x00"
"""The first byte of a ledger document stored as a raw deflate stream (the package's own
entry); a zlib stream never starts with it (its first byte's low four bits are 8)."""


def pack(text: str) -> bytes:
    """A definition as the ledger stores it (compressed)."""
    return pack_encoded(text.encode())


def pack_encoded(encoded: bytes, stored: tuple[bytes, bytes] | None = None) -> bytes:
    """A definition's UTF-8 bytes as the ledger stores them: the package entry's own deflate
    stream when ``stored`` (the entry's bytes and that stream) holds exactly these bytes,
    else compressed here."""
    if stored is not None and stored[0] == encoded:
        return DEFLATE_MARK + stored[1]
    # Level 1: a third of level 6's time for a few per cent more bytes (the ledger is written
    # for every object an import writes).
    return zlib.compress(encoded, 1)


def pack_source(source: str, written: str, stored: tuple[bytes, bytes] | None = None) -> bytes:
    """The source definition as the ledger stores it (as :func:`pack_encoded`), or nothing when
    it is the written one (no transform changed it: the common case, and half the work)."""
    return b"" if source == written else pack_encoded(source.encode(), stored)


def unpack(data: bytes) -> str:
    """A definition as :func:`pack` or :func:`pack_encoded` stored it."""
    if data[:1] == DEFLATE_MARK:
        return zlib.decompress(data[1:], -zlib.MAX_WBITS).decode()
    return zlib.decompress(data).decode()


def row_of(r: object) -> LedgerRow:
    """The ledger row a result row holds (its ledger columns by their own names)."""
    m = r._mapping  # type: ignore[attr-defined]
    written = unpack(m["written"])
    return LedgerRow(
        m["source_workspace_id"],
        m["kind"],
        m["source_uid"],
        m["target_uid"],
        m["name"],
        m["written_sha256"],
        written,
        unpack(m["source"]) if m["source"] else written,
        m["task_id"],
        int(m["recorded_at"]),
        m["package_sha256"],
        m.get("package_created_at"),
    )


_COLUMNS = [c for c in promotion_ledger.c if c.name != "target_workspace_id"]


def ledger_rows(
    tx: Tx, target_ws: str, source_ws: str, kind: str, source_uids: Sequence[str]
) -> dict[str, LedgerRow]:
    """source uid → ledger row, for these objects of one source."""
    t = promotion_ledger.c
    found = _among(
        tx, target_ws, kind, t.source_uid, source_uids, t.source_workspace_id == source_ws
    )
    return {row.source_uid: row for row in found}


def ledger_tasks(
    tx: Tx, target_ws: str, source_ws: str, kind: str, source_uids: Sequence[str]
) -> dict[str, str]:
    """source uid → the import task that last wrote its row, for these objects of one source
    (no document read)."""
    t = promotion_ledger.c
    found: dict[str, str] = {}
    for part in chunks(source_uids, tx.chunk):
        rows = tx.conn.execute(
            select(t.source_uid, t.task_id).where(
                t.target_workspace_id == target_ws,
                t.source_workspace_id == source_ws,
                t.kind == kind,
                tx.among(t.source_uid, part),
            )
        )
        found.update((str(r.source_uid), str(r.task_id)) for r in rows)
    return found


def ledger_by_target(
    tx: Tx, target_ws: str, kind: str, target_uids: Sequence[str]
) -> dict[str, LedgerRow]:
    """target uid → the ledger row (of any source) that points at it."""
    found = _among(tx, target_ws, kind, promotion_ledger.c.target_uid, target_uids)
    return {row.target_uid: row for row in found}


def _among(
    tx: Tx,
    target_ws: str,
    kind: str,
    key: Column[str],
    values: Sequence[str],
    *where: ColumnElement[bool],
) -> Iterator[LedgerRow]:
    """The target workspace's ledger rows of ``kind`` whose ``key`` is among ``values``, one
    query a chunk."""
    t = promotion_ledger.c
    for part in chunks(values, tx.chunk):
        rows = tx.conn.execute(
            select(*_COLUMNS).where(
                t.target_workspace_id == target_ws, t.kind == kind, tx.among(key, part), *where
            )
        )
        yield from (row_of(r) for r in rows)


def source_ledger(
    tx: Tx, target_ws: str, source_ws: str, after: tuple[str, str] | None, limit: int
) -> list[LedgerRow]:
    """A batch of what the target received from one source, by (kind, source uid)."""
    t = promotion_ledger.c
    where = [t.target_workspace_id == target_ws, t.source_workspace_id == source_ws]
    if after is not None:
        where.append(tuple_(t.kind, t.source_uid) > tuple_(*after))
    rows = tx.conn.execute(
        select(*_COLUMNS).where(*where).order_by(t.kind, t.source_uid).limit(limit)
    )
    return [row_of(r) for r in rows]


def written_by(
    tx: Tx, target_ws: str, source_ws: str, task_id: str, kinds: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(kind, source uid, name) of the objects of ``kinds`` whose ledger row an import (the
    task ``task_id``) wrote, from one source."""
    rows = _of_task(tx, promotion_ledger, (target_ws, source_ws, task_id), kinds)
    return [(str(r.kind), str(r.source_uid), str(r.name)) for r in rows]


def deleted_by(
    tx: Tx, target_ws: str, source_ws: str, task_id: str, kinds: Sequence[str]
) -> list[tuple[str, str]]:
    """(kind, source uid) of the objects of ``kinds`` from one source that an import (the task
    ``task_id``) deleted from the target."""
    rows = _of_task(tx, promotion_ledger_deletions, (target_ws, source_ws, task_id), kinds)
    return [(str(r.kind), str(r.source_uid)) for r in rows]


def _of_task(
    tx: Tx, table: Table, where: tuple[str, str, str], kinds: Sequence[str]
) -> Sequence[Row[Any]]:
    """The rows of ``table`` (the ledger or its deletions) of ``kinds`` that one import wrote:
    ``where`` is (target workspace, source workspace, the import's task), by kind and uid."""
    t = table.c
    target_ws, source_ws, task_id = where
    stmt = (
        select(table)
        .where(
            t.target_workspace_id == target_ws,
            t.source_workspace_id == source_ws,
            t.task_id == task_id,
            t.kind.in_(kinds),
        )
        .order_by(t.kind, t.source_uid)
    )
    return tx.conn.execute(stmt).all()


def delete_ledger(tx: Tx, target_ws: str, keys: Iterable[tuple[str, str, str]]) -> None:
    """Forget ledger rows: (source workspace, kind, source uid) keys (one statement per source,
    kind and chunk of uids)."""
    t = promotion_ledger.c
    grouped: dict[tuple[str, str], list[str]] = {}
    for source_ws, kind, uid in keys:
        grouped.setdefault((source_ws, kind), []).append(uid)
    for (source_ws, kind), uids in sorted(grouped.items()):
        for part in chunks(uids, tx.chunk):
            tx.conn.execute(
                delete(promotion_ledger).where(
                    t.target_workspace_id == target_ws,
                    t.source_workspace_id == source_ws,
                    t.kind == kind,
                    tx.among(t.source_uid, part),
                )
            )


def has_ledger(tx: Tx, target_ws: str, source_ws: str) -> bool:
    """Whether the target workspace holds any ledger row of that source."""
    t = promotion_ledger.c
    query = select(t.kind).where(
        t.target_workspace_id == target_ws, t.source_workspace_id == source_ws
    )
    return tx.conn.execute(query.limit(1)).first() is not None


Packed = tuple[bytes, bytes]
"""A ledger row's ``written`` and ``source`` as stored (:func:`pack`, :func:`pack_source`)."""


def put_ledger(
    tx: Tx,
    target_ws: str,
    rows: Sequence[LedgerRow],
    *,
    replace: bool = True,
    packed: Sequence[Packed | None] = (),
) -> None:
    """Write ledger rows, replacing any of the same source objects (``replace=False``: the
    caller knows there are none). ``packed`` holds, row by row, the definitions as stored when
    the caller has them already (``None``: they are packed here)."""
    if not rows:
        return
    keys = [(r.source_workspace_id, r.kind, r.source_uid) for r in rows]
    if replace:
        delete_ledger(tx, target_ws, keys)
    forget_ledger_deletions(tx, target_ws, keys)
    stored = list(packed) or [None] * len(rows)
    insert_tuples(
        tx,
        promotion_ledger,
        [c.name for c in promotion_ledger.c],
        [
            (
                target_ws,
                r.source_workspace_id,
                r.kind,
                r.source_uid,
                r.target_uid,
                r.name,
                r.written_sha256,
                *(blobs or (pack(r.written), pack_source(r.source, r.written))),
                r.task_id,
                r.recorded_at,
                r.package_sha256,
                r.package_created_at,
            )
            for r, blobs in zip(rows, stored, strict=True)
        ],
    )


def ledger_deletions(
    tx: Tx, target_ws: str, source_ws: str, kind: str, source_uids: Sequence[str]
) -> dict[str, LedgerDeletion]:
    """source uid → what an import deleted of these objects of one source (none asked of a
    source with no such row: one look, then nothing)."""
    t = promotion_ledger_deletions.c
    mine = [t.target_workspace_id == target_ws, t.source_workspace_id == source_ws]
    if not source_uids or tx.conn.execute(select(t.kind).where(*mine).limit(1)).first() is None:
        return {}
    found: dict[str, LedgerDeletion] = {}
    columns = [c for c in promotion_ledger_deletions.c if c.name != "target_workspace_id"]
    for part in chunks(source_uids, tx.chunk):
        rows = tx.conn.execute(
            select(*columns).where(*mine, t.kind == kind, tx.among(t.source_uid, part))
        )
        found.update((str(r.source_uid), LedgerDeletion(*r)) for r in rows)
    return found


def put_ledger_deletions(tx: Tx, target_ws: str, rows: Sequence[LedgerDeletion]) -> None:
    """Remember what imports deleted of what sources sent (replacing rows of the same
    objects)."""
    if not rows:
        return
    forget_ledger_deletions(
        tx, target_ws, [(r.source_workspace_id, r.kind, r.source_uid) for r in rows]
    )
    names = [c.name for c in promotion_ledger_deletions.c]
    insert_tuples(tx, promotion_ledger_deletions, names, [(target_ws, *r) for r in rows])


def forget_ledger_deletions(tx: Tx, target_ws: str, keys: Sequence[tuple[str, str, str]]) -> None:
    """Drop the deletion rows of these (source workspace, kind, source uid) keys: the ledger
    learns them again (none sent for sources with no such row: one look each)."""
    t = promotion_ledger_deletions.c
    grouped: dict[tuple[str, str], list[str]] = {}
    for source_ws, kind, uid in keys:
        grouped.setdefault((source_ws, kind), []).append(uid)
    held: dict[str, bool] = {}
    for (source_ws, kind), uids in sorted(grouped.items()):
        mine = [t.target_workspace_id == target_ws, t.source_workspace_id == source_ws]
        if source_ws not in held:
            found = tx.conn.execute(select(t.kind).where(*mine).limit(1)).first()
            held[source_ws] = found is not None
        if not held[source_ws]:
            continue
        for part in chunks(uids, tx.chunk):
            tx.conn.execute(
                delete(promotion_ledger_deletions).where(
                    *mine, t.kind == kind, tx.among(t.source_uid, part)
                )
            )


def record_deletions(
    tx: Tx, workspace_id: str, gone: Iterable[tuple[str, str, str]], at: int, by: str
) -> None:
    """Keep tombstones of deleted objects: (kind, uid, name)."""
    rows = [(workspace_id, kind, uid, name, at, by) for kind, uid, name in gone]
    if not rows:
        return
    forget_deletions(tx, workspace_id, [(kind, uid) for _, kind, uid, *_rest in rows])
    insert_tuples(tx, deletions, [c.name for c in deletions.c], rows)


def forget_deletions(tx: Tx, workspace_id: str, keys: Iterable[tuple[str, str]]) -> None:
    """Drop tombstones (kind, uid) of objects that came back (a rollback of their deletion)."""
    d = deletions.c
    by_kind: dict[str, list[str]] = {}
    for kind, uid in keys:
        by_kind.setdefault(kind, []).append(uid)
    for kind, uids in sorted(by_kind.items()):
        for part in chunks(uids, tx.chunk):
            tx.conn.execute(
                delete(deletions).where(
                    d.workspace_id == workspace_id, d.kind == kind, tx.among(d.uid, part)
                )
            )


def deletions_since(tx: Tx, workspace_id: str, since: int) -> list[Tombstone]:
    """What the workspace deleted after ``since`` (ms), oldest first."""
    d = deletions.c
    rows = tx.conn.execute(
        select(d.kind, d.uid, d.name, d.deleted_at)
        .where(d.workspace_id == workspace_id, d.deleted_at > since)
        .order_by(d.deleted_at, d.kind, d.uid)
    )
    return [Tombstone(r.kind, r.uid, r.name, int(r.deleted_at)) for r in rows]


def newest_deletion(tx: Tx, workspace_id: str) -> int:
    """When the workspace last deleted an object (ms; 0: never)."""
    d = deletions.c
    found = tx.conn.execute(
        select(func.max(d.deleted_at)).where(d.workspace_id == workspace_id)
    ).scalar()
    return int(found or 0)


def deleted_named(tx: Tx, workspace_id: str, kind: str, names: Sequence[str]) -> dict[str, int]:
    """When the workspace last deleted an object of ``kind`` under each of ``names`` (ms)."""
    d = deletions.c
    out: dict[str, int] = {}
    for part in chunks(list(names), tx.chunk):
        rows = tx.conn.execute(
            select(d.name, d.deleted_at).where(
                d.workspace_id == workspace_id, d.kind == kind, tx.among(d.name, part)
            )
        )
        for r in rows:
            out[r.name] = max(out.get(r.name, 0), int(r.deleted_at))
    return out


def last_export_to(tx: Tx, workspace_id: str, target: str) -> int | None:
    """When the workspace last exported to ``target`` (ms), if ever."""
    p = promotion_exports.c
    value = tx.conn.execute(
        select(p.exported_at).where(p.workspace_id == workspace_id, p.target == target)
    ).scalar_one_or_none()
    return None if value is None else int(value)


def set_export_to(tx: Tx, workspace_id: str, target: str, at: int) -> None:
    """Remember an export to ``target`` at ``at`` (ms)."""
    p = promotion_exports.c
    tx.conn.execute(
        delete(promotion_exports).where(p.workspace_id == workspace_id, p.target == target)
    )
    insert_tuples(
        tx,
        promotion_exports,
        ("workspace_id", "target", "exported_at"),
        [(workspace_id, target, at)],
    )
