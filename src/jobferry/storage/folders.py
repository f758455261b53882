"""Objects by folder: a workspace's stored directories with how many jobs, scripts or
resources each holds, and one page of the objects in given directories.

A listing reads only narrow columns until it knows which page of objects to show, so a folder
of a workspace with 100,000 jobs costs one grouped scan of ``(workspace_id, directory)`` and
one page of rows (``ix_jobs_folder`` and its siblings cover both; migration 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select

from jobferry.domain.enums import JobStatus, ListedStatus, ObjectKind
from jobferry.storage.records import JobRecord, ResourceRecord, ScriptRecord, record
from jobferry.storage.tables import job_refs, jobs, resources, scripts
from jobferry.storage.tx import Tx

TABLES: dict[ObjectKind, Table] = {
    ObjectKind.JOB: jobs,
    ObjectKind.SCRIPT: scripts,
    ObjectKind.RESOURCE: resources,
}
RECORDS: dict[ObjectKind, type[Any]] = {
    ObjectKind.JOB: JobRecord,
    ObjectKind.SCRIPT: ScriptRecord,
    ObjectKind.RESOURCE: ResourceRecord,
}

Listed = JobRecord | ScriptRecord | ResourceRecord


@dataclass(frozen=True)
class Listing:
    """Which objects of a workspace a listing shows: a name part, and for jobs one tag and a
    scheduling state (``tags``/``status`` are ignored for scripts and resources)."""

    kind: ObjectKind
    workspace_id: str
    name_contains: str | None = None
    tags: tuple[str, ...] = field(default=())
    status: ListedStatus | None = None


def _where(tx: Tx, listing: Listing) -> ColumnElement[bool]:
    table = TABLES[listing.kind]
    conditions: list[ColumnElement[bool]] = [table.c.workspace_id == listing.workspace_id]
    if listing.name_contains:
        conditions.append(tx.holds(table.c.name, listing.name_contains))
    if listing.kind is ObjectKind.JOB:
        if listing.tags:
            tagged = select(job_refs.c.job_id).where(
                job_refs.c.kind == "tag", job_refs.c.name.in_(listing.tags)
            )
            conditions.append(jobs.c.id.in_(tagged))
        if listing.status is ListedStatus.SCHEDULED:
            conditions.append(jobs.c.status != JobStatus.STOPPED.value)
        elif listing.status is ListedStatus.STOPPED:
            conditions.append(jobs.c.status == JobStatus.STOPPED.value)
        elif listing.status is ListedStatus.UNSUBMITTED:
            conditions.append(jobs.c.latest_version.is_(None))
    return and_(*conditions)


def directory_counts(tx: Tx, listing: Listing) -> list[tuple[str, int]]:
    """(stored directory, how many listed objects it holds) for every directory in use."""
    table = TABLES[listing.kind]
    stmt = (
        select(table.c.directory, func.count())
        .where(_where(tx, listing))
        .group_by(table.c.directory)
    )
    return [(str(directory), int(count)) for directory, count in tx.conn.execute(stmt)]


def in_directories(
    tx: Tx, listing: Listing, directories: Sequence[str], limit: int, offset: int
) -> list[Any]:
    """One page (by name) of the listed objects stored under any of ``directories``, as
    records of the listing's kind."""
    if not directories or limit <= 0:
        return []
    table = TABLES[listing.kind]
    stmt = (
        select(table)
        .where(_where(tx, listing), tx.among(table.c.directory, list(directories)))
        .order_by(tx.by_name(table.c.name))
        .limit(limit)
        .offset(offset)
    )
    kind = RECORDS[listing.kind]
    return [record(kind, row) for row in tx.conn.execute(stmt)]


def names_and_directories(tx: Tx, listing: Listing) -> list[tuple[str, str]]:
    """(name, stored directory) of every listed object, in no order (what a folder-level
    selection is resolved against; unordered, it is read from the folder index alone)."""
    table = TABLES[listing.kind]
    stmt = select(table.c.name, table.c.directory).where(_where(tx, listing))
    return [(name, directory) for name, directory in tx.conn.execute(stmt).all()]
