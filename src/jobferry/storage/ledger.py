"""The release ledger of enterprise workspaces: one entry per release, rollback or restore of a
production side, the state it left each object it put or deleted in, the definitions those
states name (kept once per workspace and content hash), and the restores planned and waiting
for their apply.

The tables share the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports
this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
)

from jobferry.storage.columns import by_and_at, holds, workspace_id
from jobferry.storage.records import first_record, insert_record, record
from jobferry.storage.tables import import_plans, metadata
from jobferry.storage.tx import Tx, chunks

release_ledger = Table(
    "release_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The development workspace (the enterprise workspace the ledger is read through).
    workspace_id(),
    Column("production_id", String(64), nullable=False),
    # deploy, rollback or restore.
    Column("action", String(16), nullable=False),
    Column("package_id", Integer, nullable=True),
    Column("package_name", String(256), nullable=True),
    Column("plan_id", String(64), nullable=True),
    Column("plan_hash", String(64), nullable=True),
    # [{"user_id", "user_name"}] as JSON text: the approvers the package names.
    Column("approvers", Text, nullable=False),
    # The signed approvals that counted for a release (who, key, when, plan hash, statement,
    # signature), as JSON text; [] for a rollback, a restore or a release with none.
    Column("approvals", Text, nullable=False),
    Column("deployer", String(128), nullable=False),
    Column("startup_mode", Integer, nullable=True),
    Column("at", BigInteger, nullable=False),
    # The production import (or the rolled back import) the entry records.
    Column("task_id", String(64), nullable=True),
    # A rollback: the entry it undid; a restore: the entry whose state it brought back.
    Column("target_entry", Integer, nullable=True),
    # Production jobs the release started (JSON list of names): a rollback stops them again.
    Column("started", Text, nullable=False),
    # A release taken in from a signed release file (and its rollback): the workspace of the
    # other server its objects' identities come from; NULL: this workspace's development side.
    Column("source_id", String(64), nullable=True),
    Index("ix_release_ledger_workspace", "workspace_id", "at"),
)

release_ledger_objects = Table(
    "release_ledger_objects",
    metadata,
    Column("entry_id", Integer, ForeignKey("release_ledger.id"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    # The object's identity in the development workspace (as the promotion ledger knows it).
    Column("uid", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    # put (the object holds ``sha256``'s definition, at ``version``) or delete.
    Column("action", String(8), nullable=False),
    Column("version", Integer, nullable=True),
    Column("sha256", String(64), nullable=True),
)

release_contents = Table(
    "release_contents",
    metadata,
    workspace_id(primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("document", Text, nullable=False),
)

release_restores = Table(
    "release_restores",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    workspace_id(),
    Column("target_entry", Integer, nullable=False),
    Column("path", Text, nullable=False),
    *by_and_at("created"),
    # The workspace the restore's objects' identities come from (another server's, for
    # releases taken in from signed release files); NULL: the development side.
    Column("source_id", String(64), nullable=True),
)

# A signed release taken in, waiting for its import (keyed by the kept plan it applies): what
# its ledger entry says once the import commits.
release_carried = Table(
    "release_carried",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    workspace_id(),
    Column("production_id", String(64), nullable=False),
    Column("source_id", String(64), nullable=False),
    Column("package_name", String(256), nullable=False),
    Column("approvers", Text, nullable=False),
    Column("approvals", Text, nullable=False),
    # [[kind, uid, name]] as JSON text: the deletions the package carries.
    Column("deletions", Text, nullable=False),
    *by_and_at("created"),
    # 1: the new batch jobs it brings are started; 0: scheduling is left as it is.
    Column("startup_mode", Integer, nullable=False),
)

_e = release_ledger
_o = release_ledger_objects
_c = release_contents

PUT = "put"
DELETE = "delete"


@dataclass(frozen=True)
class EntryRecord:
    """One ledger entry: a release, a rollback or a restore of a production side."""

    id: int
    workspace_id: str
    production_id: str
    action: str
    package_id: int | None
    package_name: str | None
    plan_id: str | None
    plan_hash: str | None
    approvers: str
    approvals: str
    deployer: str
    startup_mode: int | None
    at: int
    task_id: str | None
    target_entry: int | None
    started: str
    source_id: str | None = None
    """A release taken in from a signed release file (or its rollback): the workspace its
    objects' identities come from; ``None``: the development side."""

    def approver_list(self) -> list[dict[str, str]]:
        """``[{"user_id", "user_name"}]``."""
        found: list[dict[str, str]] = json.loads(self.approvers)
        return found

    def started_jobs(self) -> list[str]:
        """The production jobs the release started."""
        found: list[str] = json.loads(self.started)
        return found


@dataclass(frozen=True)
class ObjectState:
    """What an entry left of one object: its definition (hash and version) or its deletion."""

    entry_id: int
    kind: str
    uid: str
    name: str
    action: str
    version: int | None
    sha256: str | None


@dataclass(frozen=True)
class RestoreRecord:
    """A restore planned: the entry whose state it brings back and its package file."""

    plan_id: str
    workspace_id: str
    target_entry: int
    path: str
    created_by: str
    created_at: int
    source_id: str | None = None
    """The workspace the restore's objects' identities come from (``None``: the development
    side)."""


@dataclass(frozen=True)
class CarriedRecord:
    """A signed release taken in, waiting for its import: what its ledger entry will say."""

    plan_id: str
    workspace_id: str
    production_id: str
    source_id: str
    package_name: str
    approvers: str
    approvals: str
    deletions: str
    created_by: str
    created_at: int
    startup_mode: int = 0
    """1: the new batch jobs it brings are started (``StartupMode``)."""

    def deleted(self) -> list[tuple[str, str, str]]:
        """(kind, uid, name) of each deletion the package carries."""
        return [(str(k), str(u), str(n)) for k, u, n in json.loads(self.deletions)]


def insert_entry(tx: Tx, values: dict[str, object]) -> int:
    """A new ledger entry; its id."""
    result = tx.conn.execute(insert(_e).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def insert_objects(tx: Tx, states: Sequence[ObjectState]) -> None:
    """The state an entry left of each object (one statement a chunk)."""
    rows = [s.__dict__ for s in states]
    for part in chunks(rows, tx.chunk):
        tx.conn.execute(insert(_o), part)


def keep_contents(tx: Tx, workspace_id: str, documents: dict[str, str]) -> None:
    """Keep each definition (sha256 → text) the workspace's ledger does not hold yet."""
    held: set[str] = set()
    for hashes in chunks(list(documents), tx.chunk):
        held.update(
            r[0]
            for r in tx.conn.execute(
                select(_c.c.sha256).where(
                    _c.c.workspace_id == workspace_id, _c.c.sha256.in_(hashes)
                )
            )
        )
    rows = [
        {"workspace_id": workspace_id, "sha256": sha, "document": text}
        for sha, text in documents.items()
        if sha not in held
    ]
    for part in chunks(rows, tx.chunk):
        tx.conn.execute(insert(_c), part)


def contents(tx: Tx, workspace_id: str, hashes: Sequence[str]) -> dict[str, str]:
    """sha256 → the definition the ledger kept."""
    found: dict[str, str] = {}
    for part in chunks(list(hashes), tx.chunk):
        rows = tx.conn.execute(
            select(_c.c.sha256, _c.c.document).where(
                _c.c.workspace_id == workspace_id, _c.c.sha256.in_(part)
            )
        )
        found.update((str(r[0]), str(r[1])) for r in rows)
    return found


def entries(
    tx: Tx, workspace_id: str, at: int | None = None, page: tuple[int, int] | None = None
) -> list[EntryRecord]:
    """The workspace's entries in the order they were made (``at``: those made by then;
    ``page``: only (limit, offset) of them counted from the newest)."""
    query = select(_e).where(_e.c.workspace_id == workspace_id)
    if at is not None:
        query = query.where(_e.c.at <= at)
    if page is None:
        return [record(EntryRecord, r) for r in tx.conn.execute(query.order_by(_e.c.id))]
    limit, offset = page
    rows = tx.conn.execute(query.order_by(_e.c.id.desc()).limit(limit).offset(offset))
    return [record(EntryRecord, r) for r in reversed(list(rows))]


def count_entries(tx: Tx, workspace_id: str, at: int | None = None) -> int:
    """How many entries the workspace's ledger holds (``at``: made by then)."""
    query = select(func.count()).select_from(_e).where(_e.c.workspace_id == workspace_id)
    if at is not None:
        query = query.where(_e.c.at <= at)
    return int(tx.conn.execute(query).scalar() or 0)


def entries_by_id(tx: Tx, workspace_id: str, ids: Iterable[int]) -> list[EntryRecord]:
    """These entries of the workspace (ids it does not hold are left out)."""
    found: list[EntryRecord] = []
    for part in chunks(sorted(set(ids)), tx.chunk):
        rows = tx.conn.execute(
            select(_e).where(_e.c.workspace_id == workspace_id, _e.c.id.in_(part))
        )
        found.extend(record(EntryRecord, r) for r in rows)
    return found


def newest_states(tx: Tx, workspace_id: str, at: int | None = None) -> list[ObjectState]:
    """The newest state the workspace's entries (``at``: made by then) left of each object
    (kind and uid) they touched, by entry: one row an object, however long the ledger."""
    newest = select(_o.c.kind, _o.c.uid, func.max(_o.c.entry_id).label("entry_id"))
    newest = newest.join(_e, _e.c.id == _o.c.entry_id).where(_e.c.workspace_id == workspace_id)
    if at is not None:
        newest = newest.where(_e.c.at <= at)
    last = newest.group_by(_o.c.kind, _o.c.uid).subquery()
    on = (_o.c.entry_id == last.c.entry_id, _o.c.kind == last.c.kind, _o.c.uid == last.c.uid)
    rows = tx.conn.execute(select(_o).join(last, and_(*on)))
    return sorted((record(ObjectState, r) for r in rows), key=lambda s: (s.entry_id, s.kind, s.uid))


def entry_of(tx: Tx, workspace_id: str, entry_id: int) -> EntryRecord | None:
    """One entry of the workspace's ledger (an id past what the database stores is none)."""
    if not holds(_e.c.id, entry_id):
        return None
    return first_record(tx, EntryRecord, _e, workspace_id=workspace_id, id=entry_id)


def last_entry(tx: Tx, workspace_id: str) -> EntryRecord | None:
    """The workspace's newest entry."""
    row = tx.conn.execute(
        select(_e).where(_e.c.workspace_id == workspace_id).order_by(_e.c.id.desc()).limit(1)
    ).first()
    return record(EntryRecord, row) if row else None


def entries_of_source(tx: Tx, workspace_id: str, source_id: str) -> list[EntryRecord]:
    """The entries of the releases taken in from ``source_id`` (another server's workspace)
    and of their rollbacks and restores, oldest first."""
    query = select(_e).where(_e.c.workspace_id == workspace_id, _e.c.source_id == source_id)
    return [record(EntryRecord, r) for r in tx.conn.execute(query.order_by(_e.c.id))]


def entry_of_package(tx: Tx, workspace_id: str, package_id: int) -> EntryRecord | None:
    """The newest deploy entry of a package (an id past what the database stores has none)."""
    if not holds(_e.c.package_id, package_id):
        return None
    row = tx.conn.execute(
        select(_e)
        .where(
            _e.c.workspace_id == workspace_id,
            _e.c.package_id == package_id,
            _e.c.action == "deploy",
        )
        .order_by(_e.c.id.desc())
        .limit(1)
    ).first()
    return record(EntryRecord, row) if row else None


def restore_since_rollback(tx: Tx, workspace_id: str, package_id: int) -> EntryRecord | None:
    """The newest restore made since the package's release was rolled back that brought back
    a state holding that release (its release's entry, or one made after it and before the
    rollback); ``None``: its release was not rolled back, or not restored since."""
    released = entry_of_package(tx, workspace_id, package_id)
    if released is None:
        return None
    undone = tx.conn.execute(
        select(_e.c.id)
        .where(
            _e.c.workspace_id == workspace_id,
            _e.c.action == "rollback",
            _e.c.target_entry == released.id,
        )
        .order_by(_e.c.id.desc())
        .limit(1)
    ).scalar()
    if undone is None:
        return None
    row = tx.conn.execute(
        select(_e)
        .where(
            _e.c.workspace_id == workspace_id,
            _e.c.action == "restore",
            _e.c.id > undone,
            _e.c.target_entry >= released.id,
            _e.c.target_entry < undone,
        )
        .order_by(_e.c.id.desc())
        .limit(1)
    ).first()
    return record(EntryRecord, row) if row else None


def objects_of(tx: Tx, entry_ids: Sequence[int]) -> list[ObjectState]:
    """The object states of these entries, oldest entry first."""
    found: list[ObjectState] = []
    for part in chunks(list(entry_ids), tx.chunk):
        rows = tx.conn.execute(select(_o).where(_o.c.entry_id.in_(part)))
        found.extend(record(ObjectState, r) for r in rows)
    found.sort(key=lambda s: (s.entry_id, s.kind, s.uid))
    return found


def states_of(tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]) -> list[ObjectState]:
    """Every state the workspace's entries left of these objects of one kind, oldest entry
    first."""
    found: list[ObjectState] = []
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(_o)
            .join(_e, _e.c.id == _o.c.entry_id)
            .where(_e.c.workspace_id == workspace_id, _o.c.kind == kind, _o.c.uid.in_(part))
        )
        found.extend(record(ObjectState, r) for r in rows)
    found.sort(key=lambda s: (s.entry_id, s.uid))
    return found


# -- restores planned ---------------------------------------------------------------------------


def insert_restore(tx: Tx, restore: RestoreRecord) -> None:
    """Keep a planned restore until its plan is applied."""
    insert_record(tx, release_restores, restore)


def restore_of_plan(tx: Tx, plan_id: str) -> RestoreRecord | None:
    """The restore whose kept plan is ``plan_id``."""
    return first_record(tx, RestoreRecord, release_restores, plan_id=plan_id)


# -- signed releases taken in -------------------------------------------------------------------


def insert_carried(tx: Tx, carried: CarriedRecord) -> None:
    """Keep a signed release taken in until its import commits."""
    insert_record(tx, release_carried, carried)


def carried_of_plan(tx: Tx, plan_id: str) -> CarriedRecord | None:
    """The signed release whose kept plan is ``plan_id``."""
    return first_record(tx, CarriedRecord, release_carried, plan_id=plan_id)


def forget_carried(tx: Tx, plan_id: str) -> None:
    """The signed release of ``plan_id`` was imported (or its import was not queued)."""
    tx.conn.execute(delete(release_carried).where(release_carried.c.plan_id == plan_id))


def forget_unplanned(tx: Tx) -> int:
    """Forget the restores and the signed releases taken in whose kept plan is gone (expired
    unapplied, or its import failed): they can no longer be applied. How many."""
    plans = select(import_plans.c.id)
    gone = 0
    for table in (release_restores, release_carried):
        result = tx.conn.execute(delete(table).where(table.c.plan_id.not_in(plans)))
        gone += int(result.rowcount)
    return gone
