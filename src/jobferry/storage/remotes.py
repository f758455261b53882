"""Remotes: DataArts workspaces reached through their public API, each with its shadow workspace
on this server, and what the last refresh read of every object.

The tables share the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports this
module so Alembic sees them. A shadow workspace is marked on its own row
(``workspaces.shadow_of``) so that the scope every call carries knows it without a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)

from jobferry.storage.bulk import insert_tuples
from jobferry.storage.columns import at_and_by, project_id, workspace_id
from jobferry.storage.records import all_records, first_record, insert_record, record
from jobferry.storage.tables import (
    audit_log,
    job_refs,
    job_versions,
    jobs,
    metadata,
    resources,
    scripts,
    workspaces,
)
from jobferry.storage.tx import Tx, chunks

remotes = Table(
    "remotes",
    metadata,
    project_id(primary_key=True),
    Column("name", String(128), primary_key=True),
    workspace_id(),
    Column("endpoint", Text, nullable=False),
    Column("remote_project_id", String(64), nullable=False),
    Column("remote_workspace", String(64), nullable=False),
    Column("access_key", String(128), nullable=False),
    Column("secret_encrypted", Text, nullable=False),
    *at_and_by("created"),
    Column("refreshed_at", BigInteger, nullable=True),
    Column("refresh", Text, nullable=True),
    # The DataArts Studio endpoint (connections, environment variables); NULL: the endpoint.
    Column("studio_endpoint", Text, nullable=True),
    # Counts the changes to what was read of the shadow's objects (remote_objects): a refresh
    # writes what it read only if no one changed that since it began (refreshes, pushes).
    Column("reads_version", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("workspace_id"),
)

# What the last refresh read of each object of a shadow workspace: the SHA-256 of its
# canonical definition as the remote gave it, and when it was read.
remote_objects = Table(
    "remote_objects",
    metadata,
    workspace_id(primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("read_at", BigInteger, nullable=False),
)

GROWN_BY_REFRESH = tuple(
    t.name for t in (jobs, job_refs, job_versions, scripts, resources, audit_log, remote_objects)
)
"""The tables a first refresh of a large remote grows (their statistics are refreshed after
it, as after a large import)."""


@dataclass(frozen=True)
class RemoteRecord:
    """A remote as stored (its secret key encrypted)."""

    project_id: str
    name: str
    workspace_id: str
    endpoint: str
    remote_project_id: str
    remote_workspace: str
    access_key: str
    secret_encrypted: str
    created_at: int
    created_by: str
    refreshed_at: int | None = None
    refresh: str | None = None
    """The last refresh's summary, as JSON text."""
    studio_endpoint: str | None = None
    """Where the DataArts Studio calls go (``None``: to ``endpoint``)."""
    reads_version: int = 0
    """How many times what was read of its shadow's objects changed (:func:`reads_version`)."""


def insert_remote(tx: Tx, item: RemoteRecord) -> None:
    """Remember a remote."""
    insert_record(tx, remotes, item)


def get_remote(tx: Tx, project_id: str, name: str) -> RemoteRecord | None:
    """A remote of the project by name."""
    return first_record(tx, RemoteRecord, remotes, project_id=project_id, name=name)


def list_remotes(tx: Tx, project_id: str) -> list[RemoteRecord]:
    """Every remote of the project, by name."""
    return all_records(
        tx, RemoteRecord, remotes, [tx.by_name(remotes.c.name)], project_id=project_id
    )


def change_remote(tx: Tx, item: RemoteRecord) -> None:
    """Store a remote's new endpoints and credentials, in place: its name, shadow workspace,
    what its refreshes read and when stay."""
    tx.conn.execute(
        update(remotes)
        .where(remotes.c.project_id == item.project_id, remotes.c.name == item.name)
        .values(
            endpoint=item.endpoint,
            studio_endpoint=item.studio_endpoint,
            access_key=item.access_key,
            secret_encrypted=item.secret_encrypted,
        )
    )


def delete_remote(tx: Tx, item: RemoteRecord) -> None:
    """Forget a remote and what its refreshes read; its shadow becomes an ordinary workspace."""
    tx.conn.execute(
        delete(remote_objects).where(remote_objects.c.workspace_id == item.workspace_id)
    )
    tx.conn.execute(
        delete(remotes).where(remotes.c.project_id == item.project_id, remotes.c.name == item.name)
    )
    mark_shadow(tx, item.workspace_id, None)


def mark_shadow(tx: Tx, workspace_id: str, remote: str | None) -> None:
    """Mark a workspace as the shadow of ``remote`` (``None``: an ordinary workspace again)."""
    tx.conn.execute(
        update(workspaces).where(workspaces.c.id == workspace_id).values(shadow_of=remote)
    )


def set_refresh(tx: Tx, project_id: str, name: str, at: int, summary: str) -> None:
    """Record a refresh: when (the remote's time of reading) and its summary."""
    tx.conn.execute(
        update(remotes)
        .where(remotes.c.project_id == project_id, remotes.c.name == name)
        .values(refreshed_at=at, refresh=summary)
    )


def lock_remote(tx: Tx, project_id: str, name: str) -> RemoteRecord | None:
    """The remote's row, locked for the transaction (one refresh of a remote at a time)."""
    stmt = select(remotes).where(remotes.c.project_id == project_id, remotes.c.name == name)
    row = tx.conn.execute(stmt.with_for_update()).first()
    return record(RemoteRecord, row) if row else None


def read_all_hashes(tx: Tx, workspace_id: str, kinds: Iterable[str]) -> dict[str, dict[str, str]]:
    """kind → (name → SHA-256 of what the last refresh read), for these kinds of a shadow, in
    one query."""
    found: dict[str, dict[str, str]] = {kind: {} for kind in kinds}
    stmt = select(remote_objects.c.kind, remote_objects.c.name, remote_objects.c.sha256).where(
        remote_objects.c.workspace_id == workspace_id, tx.among(remote_objects.c.kind, list(found))
    )
    for kind, name, sha in tx.conn.execute(stmt):
        found[kind][name] = sha
    return found


def count_read(tx: Tx, workspace_id: str, kinds: Iterable[str]) -> dict[str, int]:
    """kind → how many objects of it the last refresh of a shadow (and the pushes since) read
    in its remote, for these kinds, in one query (a kind it found none of: absent)."""
    stmt = (
        select(remote_objects.c.kind, func.count())
        .where(
            remote_objects.c.workspace_id == workspace_id,
            tx.among(remote_objects.c.kind, sorted(set(kinds))),
        )
        .group_by(remote_objects.c.kind)
    )
    return {str(kind): int(count) for kind, count in tx.conn.execute(stmt)}


def reads_version(tx: Tx, workspace_id: str) -> int | None:
    """How many times what was read of a shadow's objects changed (``None``: the workspace is
    no remote's shadow). Read it before the hashes it stands for: a change committed between
    the two then shows as a change."""
    stmt = select(remotes.c.reads_version).where(remotes.c.workspace_id == workspace_id)
    version = tx.conn.execute(stmt).scalar()
    return None if version is None else int(version)


def _reads_changed(tx: Tx, workspace_id: str) -> None:
    tx.conn.execute(
        update(remotes)
        .where(remotes.c.workspace_id == workspace_id)
        .values(reads_version=remotes.c.reads_version + 1)
    )


def read_hashes_of(tx: Tx, workspace_id: str, kind: str, names: Iterable[str]) -> dict[str, str]:
    """name → SHA-256 of what the last refresh read, for these objects of one kind (those the
    refresh did not find are absent)."""
    found: dict[str, str] = {}
    for part in chunks(sorted(set(names)), tx.chunk):
        stmt = select(remote_objects.c.name, remote_objects.c.sha256).where(
            remote_objects.c.workspace_id == workspace_id,
            remote_objects.c.kind == kind,
            tx.among(remote_objects.c.name, part),
        )
        found.update({name: sha for name, sha in tx.conn.execute(stmt)})
    return found


def forget_read(tx: Tx, workspace_id: str, kind: str, names: Iterable[str]) -> None:
    """Forget what was read of objects (gone from the remote, or about to be read again)."""
    names = list(names)
    if names:
        _reads_changed(tx, workspace_id)
    for part in chunks(names, tx.chunk):
        tx.conn.execute(
            delete(remote_objects).where(
                remote_objects.c.workspace_id == workspace_id,
                remote_objects.c.kind == kind,
                tx.among(remote_objects.c.name, part),
            )
        )


def record_read(
    tx: Tx, workspace_id: str, kind: str, read: Iterable[tuple[str, str]], at: int
) -> None:
    """Remember what was read of objects: (name, SHA-256) pairs (forget their old rows first)."""
    rows = [(workspace_id, kind, name, sha, at) for name, sha in read]
    if rows:
        _reads_changed(tx, workspace_id)
    insert_tuples(tx, remote_objects, ("workspace_id", "kind", "name", "sha256", "read_at"), rows)


def job_statuses(tx: Tx, workspace_id: str) -> dict[str, str]:
    """Job name → scheduling status of every job of a workspace (a shadow: a snapshot does not
    say a job's status, so a snapshot refresh keeps the one the shadow has)."""
    stmt = select(jobs.c.name, jobs.c.status).where(jobs.c.workspace_id == workspace_id)
    return {name: status for name, status in tx.conn.execute(stmt)}


def remote_of_workspace(tx: Tx, workspace_id: str) -> RemoteRecord | None:
    """The remote whose shadow a workspace is (``None``: an ordinary workspace)."""
    return first_record(tx, RemoteRecord, remotes, workspace_id=workspace_id)
