"""Plain records the repositories return: services never see SQLAlchemy rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, insert, select

from jobferry.storage.tx import Tx

R = TypeVar("R")


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def field_names(cls: type[Any]) -> tuple[str, ...]:
    """A dataclass's field names, read once per class (``fields`` builds its answer anew on
    each call, which a record built per row, or a plan's witness per value, pays each time)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def record(cls: type[R], row: Any) -> R:
    """Build a record from a row mapping, taking only the record's own fields."""
    mapping = row._mapping
    names = field_names(cls)
    return cls(**{name: mapping[name] for name in names})


def insert_record(tx: Tx, table: Table, item: object) -> None:
    """Insert the record ``item`` as a row of ``table``, each field in the column of its name
    (what :func:`record` reads back)."""
    tx.conn.execute(insert(table).values(**item.__dict__))


@cache
def _keyed(table: Table, names: tuple[str, ...]) -> Select[Any]:
    """``SELECT`` of ``table``'s rows whose ``names`` columns equal the parameters of those
    names, built once: building a statement anew (its expressions, then its cache key) costs
    more CPU than the look-up it makes on a single-row read."""
    return select(table).where(*(table.c[name] == bindparam(name) for name in names))


def first_record(tx: Tx, cls: type[R], table: Table, **key: object) -> R | None:
    """The row of ``table`` whose columns equal ``key`` (``name=value``...), as a ``cls``
    record; None when there is none."""
    if None in key.values():  # ``IS NULL``, not ``= NULL``
        row = tx.conn.execute(select(table).filter_by(**key)).first()
    else:
        row = tx.conn.execute(_keyed(table, tuple(key)), key).first()
    return record(cls, row) if row else None


class RowLock(Enum):
    """How :func:`locked_record` locks the row it reads, on PostgreSQL (SQLite's write
    transaction holds the whole database already)."""

    WHOLE = "FOR UPDATE"
    """A delete of the row, or a change of a column of its unique keys: it waits for the
    transactions holding the row ``FOR KEY SHARE`` (an import writing jobs that depend on a
    job, or use a script or resource)."""
    KEY_KEPT = "FOR NO KEY UPDATE"
    """A write that keeps the row's keys (a save): it does not wait for those holding the row
    ``FOR KEY SHARE``, who only need it to stay there under its name."""


def locked_record(
    tx: Tx, cls: type[R], table: Table, *, lock: RowLock = RowLock.WHOLE, **key: object
) -> R | None:
    """:func:`first_record`, its row locked until the transaction ends (``lock``; SQLite's
    write transaction holds the whole database already): a read that decides a write of the
    same row, which another transaction must not slip between."""
    stmt = select(table).filter_by(**key)
    row = tx.conn.execute(stmt.with_for_update(key_share=lock is RowLock.KEY_KEPT)).first()
    return record(cls, row) if row else None


def keyed_record(
    tx: Tx, cls: type[R], table: Table, locked: RowLock | None, **key: object
) -> R | None:
    """:func:`first_record`, or with ``locked`` :func:`locked_record` (that lock): the read
    of one row by its key that a write may go on to decide on."""
    if locked is None:
        return first_record(tx, cls, table, **key)
    return locked_record(tx, cls, table, lock=locked, **key)


def all_records(
    tx: Tx, cls: type[R], table: Table, order_by: Sequence[ColumnElement[Any]], **key: object
) -> list[R]:
    """Every row of ``table`` whose columns equal ``key``, in ``order_by`` order, as ``cls``
    records."""
    rows = tx.conn.execute(select(table).filter_by(**key).order_by(*order_by))
    return [record(cls, r) for r in rows]


def workspace_page(
    tx: Tx,
    cls: type[R],
    table: Table,
    workspace_id: str,
    name_contains: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[R]]:
    """One page of the workspace's rows of ``table`` by name (those whose name contains
    ``name_contains``, when given; names unique in a workspace) as ``cls`` records, and how
    many match in all."""
    conditions = [table.c.workspace_id == workspace_id]
    if name_contains:
        conditions.append(tx.holds(table.c.name, name_contains))
    order = [tx.by_name(table.c.name)]  # a name is unique in its workspace: pages may seek
    total, rows = tx.page(table, and_(*conditions), order, limit, offset, seek=[table.c.name])
    return total, [record(cls, r) for r in rows]


@dataclass(frozen=True)
class StoredPackageRecord:
    """A package kept in a blob store until it expires (an upload, a generated download)."""

    id: str
    project_id: str
    workspace_id: str
    file_name: str
    size: int
    sha256: str
    store: str
    location: str
    created_by: str
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class ProjectRecord:
    """A project: the tenant every path names."""

    id: str
    name: str
    created_at: int


@dataclass(frozen=True)
class WorkspaceRecord:
    """A workspace of a project, with its policies."""

    id: str
    project_id: str
    name: str
    is_default: bool
    lock_policy: str
    approval_enabled: bool
    created_at: int
    require_signed: bool = False
    shadow_of: str | None = None
    """The remote this workspace is the shadow of (it changes only with the remote)."""
    production_id: str | None = None
    """Enterprise mode: the workspace holding this workspace's production side."""
    production_of: str | None = None
    """A production side: the development workspace it belongs to (written by releases)."""

    @property
    def enterprise(self) -> bool:
        """Whether the workspace is in enterprise mode (it has a production side)."""
        return self.production_id is not None

    @property
    def roles_held_in(self) -> str:
        """The workspace whose roles reach this one: a production side's development
        workspace (roles are given and taken there), else this one."""
        return self.production_of or self.id


@dataclass(frozen=True)
class UserRecord:
    """A user of a project."""

    id: int
    project_id: str
    name: str
    is_project_admin: bool
    created_at: int


@dataclass(frozen=True)
class CredentialRecord:
    """An AK/SK pair; the secret stays encrypted here."""

    access_key: str
    user_id: int
    secret_encrypted: str
    created_at: int


@dataclass(frozen=True)
class JobRecord:
    """A job's development state and scheduling status."""

    id: int
    workspace_id: str
    name: str
    directory: str
    process_type: str
    status: str
    document: str
    latest_version: int | None
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    uid: str = ""
    """The job's stable identifier (kept across edits, renames and versions)."""


@dataclass(frozen=True)
class JobListing:
    """A job as a listing shows it: its row without its definition, and the ``summary`` of
    the definition (``rows.job_summary``)."""

    name: str
    directory: str
    process_type: str
    status: str
    latest_version: int | None
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    summary: str


@dataclass(frozen=True)
class VersionRecord:
    """One immutable submitted version of a job or script."""

    version: int
    status: str
    document: str
    created_at: int
    created_by: str


@dataclass(frozen=True)
class ScriptRecord:
    """A script's development state."""

    id: str
    workspace_id: str
    name: str
    type: str
    directory: str
    document: str
    latest_version: int | None
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str


@dataclass(frozen=True)
class ResourceRecord:
    """A resource definition (the binary itself stays in object storage)."""

    id: str
    workspace_id: str
    name: str
    type: str
    directory: str
    document: str
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str


@dataclass(frozen=True)
class EnvironmentObjectRecord:
    """An environment object; ``secret_keys`` names its secrets, never their values."""

    workspace_id: str
    kind: str
    name: str
    type: str
    config: str
    created_at: int
    updated_at: int
    updated_by: str
    secret_keys: tuple[str, ...]
    env: str = "development"
    object_id: str = ""
    description: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class VariableRecord:
    """A workspace environment variable (``${name}`` in jobs and scripts)."""

    workspace_id: str
    name: str
    type: str
    value: str
    description: str
    updated_at: int
    updated_by: str


@dataclass(frozen=True)
class TagRecord:
    """A tag of a workspace."""

    workspace_id: str
    name: str
    locked: bool
    created_at: int


@dataclass(frozen=True)
class LockRecord:
    """A lock on a job or script, held by one user."""

    workspace_id: str
    object_kind: str
    object_name: str
    holder_user_id: int
    holder_name: str
    acquired_at: int
