"""Jobs: development state, submitted versions and the reference index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    insert,
    select,
    tuple_,
    update,
)

from jobferry.domain.enums import JobStatus, ObjectKind, ProcessType, RefKind
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.ids import new_uid
from jobferry.storage.records import (
    JobListing,
    JobRecord,
    RowLock,
    VersionRecord,
    all_records,
    field_names,
    first_record,
    keyed_record,
    record,
)
from jobferry.storage.rows import JobRow, Stamp, created, job_summary, written
from jobferry.storage.tables import job_refs, job_versions, jobs, workspaces
from jobferry.storage.tags import release_locks_of
from jobferry.storage.tx import Tx, chunks
from jobferry.storage.versions import drop_past_kept

# The statements of a single job's save, built once (the values are their parameters): built
# anew, a statement's expressions and cache key cost more CPU than SQLite spends running it.
_INSERT_JOB = insert(jobs)
_UPDATE_JOB = update(jobs).where(jobs.c.id == bindparam("_job_id"))
_INSERT_VERSION = insert(job_versions)
_DELETE_REFS = delete(job_refs).where(job_refs.c.job_id == bindparam("_job_id"))
_INSERT_REFS = insert(job_refs)


def insert_job(tx: Tx, workspace_id: str, row: JobRow, stamp: Stamp) -> int:
    """Create a (stopped) job; returns its id."""
    values = {
        "workspace_id": workspace_id,
        "uid": new_uid(),
        "name": row.name,
        "status": JobStatus.STOPPED.value,
        **created(stamp),
        **written(row, stamp),
    }
    result = tx.conn.execute(_INSERT_JOB, values)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def job_uid(tx: Tx, job_id: int) -> str:
    """The stable identifier of a job."""
    return str(tx.conn.execute(select(jobs.c.uid).where(jobs.c.id == job_id)).scalar_one())


def get_job(
    tx: Tx, workspace_id: str, name: str, *, locked: RowLock | None = None
) -> JobRecord | None:
    """A job of the workspace by name (``locked``: its row, until the transaction ends, as a
    save or as a delete locks it)."""
    return keyed_record(tx, JobRecord, jobs, locked, workspace_id=workspace_id, name=name)


def lock_jobs(tx: Tx, job_ids: Iterable[int], *, wait: bool) -> dict[int, JobRecord]:
    """Id → job of these ids, each row locked as a save locks it (``FOR NO KEY UPDATE``) until
    the transaction ends, in id order; ``wait=False``: one another transaction holds is left
    out (``SKIP LOCKED``), never waited for."""
    found: dict[int, JobRecord] = {}
    for part in chunks(sorted(set(job_ids)), tx.chunk):
        stmt = select(jobs).where(jobs.c.id.in_(part)).order_by(jobs.c.id)
        rows = tx.conn.execute(stmt.with_for_update(key_share=True, skip_locked=not wait))
        found.update((int(r.id), record(JobRecord, r)) for r in rows)
    return found


def update_job(tx: Tx, job_id: int, row: JobRow, stamp: Stamp) -> None:
    """Write a job's development state."""
    tx.conn.execute(_UPDATE_JOB, {"_job_id": job_id, **written(row, stamp)})


def rename_job(tx: Tx, job_id: int, name: str) -> None:
    """Give a job a new name (its versions and references stay with its id)."""
    tx.conn.execute(update(jobs).where(jobs.c.id == job_id).values(name=name))


def set_latest_version(tx: Tx, job_id: int, version: int | None) -> None:
    """Record the job's newest submitted version."""
    tx.conn.execute(update(jobs).where(jobs.c.id == job_id).values(latest_version=version))


def set_status(tx: Tx, job_id: int, status: JobStatus) -> None:
    """Record the job's scheduling status."""
    tx.conn.execute(update(jobs).where(jobs.c.id == job_id).values(status=status.value))


def set_statuses(tx: Tx, job_ids: Sequence[int], status: JobStatus) -> None:
    """Record one scheduling status for many jobs (one statement a chunk)."""
    for part in chunks(list(job_ids), tx.chunk):
        tx.conn.execute(update(jobs).where(jobs.c.id.in_(part)).values(status=status.value))


def set_stamps(tx: Tx, stamps: Sequence[tuple[int, Stamp]]) -> None:
    """Record when and by whom jobs last changed ((job id, stamp) pairs; one executemany):
    a refresh's jobs carry the remote's last author and time."""
    if stamps:
        stmt = (
            update(jobs)
            .where(jobs.c.id == bindparam("_id"))
            .values(updated_at=bindparam("_at"), updated_by=bindparam("_by"))
        )
        tx.conn.execute(stmt, [{"_id": i, "_at": s.at, "_by": s.by} for i, s in stamps])


def startable(tx: Tx, job_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, name) of the jobs among ``job_ids`` that a release may start: stopped batch jobs
    with a submitted version (one query a chunk)."""
    found: list[tuple[int, str]] = []
    for part in chunks(list(job_ids), tx.chunk):
        rows = tx.conn.execute(
            select(jobs.c.id, jobs.c.name).where(
                jobs.c.id.in_(part),
                jobs.c.status == JobStatus.STOPPED.value,
                jobs.c.process_type == ProcessType.BATCH.value,
                jobs.c.latest_version.is_not(None),
            )
        )
        found.extend((int(r.id), str(r.name)) for r in rows)
    return sorted(found, key=lambda job: job[1])


@dataclass(frozen=True)
class StartState:
    """What decides whether a release may start a job: its id and name, scheduling status,
    type and newest submitted version (its definition left out)."""

    id: int
    name: str
    status: str
    process_type: str
    latest_version: int | None


def start_states(tx: Tx, workspace_id: str, names: Sequence[str]) -> dict[str, StartState]:
    """The start states of the workspace's jobs of these names, by name (one query a
    chunk)."""
    found: dict[str, StartState] = {}
    c = jobs.c
    for part in chunks(list(names), tx.chunk):
        rows = tx.conn.execute(
            select(c.name, c.id, c.status, c.process_type, c.latest_version).where(
                c.workspace_id == workspace_id, c.name.in_(part)
            )
        )
        for r in rows:
            found[str(r.name)] = StartState(
                int(r.id), str(r.name), str(r.status), str(r.process_type), r.latest_version
            )
    return found


def delete_job(tx: Tx, job_id: int) -> None:
    """Remove a job with its versions, references and lock."""
    release_locks_of(tx, ObjectKind.JOB, [job_id])
    tx.conn.execute(delete(job_refs).where(job_refs.c.job_id == job_id))
    tx.conn.execute(delete(job_versions).where(job_versions.c.job_id == job_id))
    tx.conn.execute(delete(jobs).where(jobs.c.id == job_id))


def list_jobs(
    tx: Tx,
    workspace_id: str,
    *,
    process_type: str | None,
    name_contains: str | None,
    tags: list[str],
    limit: int,
    offset: int,
) -> tuple[int, list[JobListing]]:
    """One page of the workspace's jobs by name, and how many match in all, without their
    definitions (a row written before ``summary`` was has it made from its definition)."""
    conditions = [jobs.c.workspace_id == workspace_id]
    if process_type:
        conditions.append(jobs.c.process_type == process_type)
    if name_contains:
        conditions.append(tx.holds(jobs.c.name, name_contains))
    if tags:
        tagged = select(job_refs.c.job_id).where(
            job_refs.c.kind == "tag", job_refs.c.name.in_(tags)
        )
        conditions.append(jobs.c.id.in_(tagged))
    order = [tx.by_name(jobs.c.name)]  # a name is unique in its workspace: pages may seek
    total, rows = tx.page(jobs, and_(*conditions), order, limit, offset, _LISTED, [jobs.c.name])
    unsummed = [r.id for r in rows if r.summary is None]
    made = _summaries(tx, unsummed) if unsummed else {}
    return total, [
        JobListing(
            **{name: r._mapping[name] for name in _LISTING_FIELDS},
            summary=r.summary if r.summary is not None else made[r.id],
        )
        for r in rows
    ]


_LISTING_FIELDS = tuple(name for name in field_names(JobListing) if name != "summary")
_LISTED = [jobs.c.id, jobs.c.summary, *(jobs.c[name] for name in _LISTING_FIELDS)]


def _summaries(tx: Tx, job_ids: Sequence[int]) -> dict[int, str]:
    """Job id → the summary of its definition, made from the definition."""
    rows = tx.conn.execute(select(jobs.c.id, jobs.c.document).where(jobs.c.id.in_(job_ids)))
    docs = {int(r.id): orjson.loads(r.document) for r in rows}
    return {i: job_summary(doc if isinstance(doc, dict) else {}) for i, doc in docs.items()}


def insert_version(tx: Tx, job_id: int, version: VersionRecord, approvers: str | None) -> None:
    """Store a new immutable submitted version (dropping one past ``VERSIONS_KEPT``)."""
    tx.conn.execute(_INSERT_VERSION, {"job_id": job_id, "approvers": approvers, **version.__dict__})
    drop_past_kept(tx, job_versions, job_versions.c.job_id, [(job_id, version.version)])


@dataclass(frozen=True)
class SubmittedHead:
    """A job and its latest submitted version's definition (``None``: never submitted)."""

    job_id: int
    latest_version: int | None
    document: str | None


def submitted_heads(tx: Tx, workspace_id: str, names: Sequence[str]) -> dict[str, SubmittedHead]:
    """Job name → its id and latest submitted version, for the named jobs of a workspace."""
    out: dict[str, SubmittedHead] = {}
    joined = jobs.outerjoin(
        job_versions,
        and_(job_versions.c.job_id == jobs.c.id, job_versions.c.version == jobs.c.latest_version),
    )
    for part in chunks(list(names), tx.chunk):
        stmt = (
            select(jobs.c.name, jobs.c.id, jobs.c.latest_version, job_versions.c.document)
            .select_from(joined)
            .where(jobs.c.workspace_id == workspace_id, tx.among(jobs.c.name, part))
        )
        for row in tx.conn.execute(stmt):
            out[row.name] = SubmittedHead(int(row.id), row.latest_version, row.document)
    return out


def add_versions(tx: Tx, job_ids: Sequence[int], versions: Sequence[VersionRecord]) -> None:
    """Store one new submitted version for each job (pairwise) and make it the job's latest."""
    rows = [
        (job_id, v.version, v.status, v.document, v.created_at, v.created_by)
        for job_id, v in zip(job_ids, versions, strict=True)
    ]
    columns = ("job_id", "version", "status", "document", "created_at", "created_by")
    insert_tuples(tx, job_versions, columns, rows)
    latest = [(job_id, v.version) for job_id, v in zip(job_ids, versions, strict=True)]
    drop_past_kept(tx, job_versions, job_versions.c.job_id, latest)
    _set_latest(tx, latest)


def drop_versions(tx: Tx, job_ids: Sequence[int]) -> None:
    """Remove every submitted version of the jobs: they were never submitted."""
    for part in chunks(list(job_ids)):
        tx.conn.execute(delete(job_versions).where(job_versions.c.job_id.in_(part)))
    _set_latest(tx, [(job_id, None) for job_id in job_ids])


def _set_latest(tx: Tx, pairs: Sequence[tuple[int, int | None]]) -> None:
    if pairs:
        stmt = (
            update(jobs)
            .where(jobs.c.id == bindparam("job_id"))
            .values(latest_version=bindparam("latest"))
        )
        tx.conn.execute(stmt, [{"job_id": j, "latest": v} for j, v in pairs])


def get_version(tx: Tx, job_id: int, version: int) -> VersionRecord | None:
    """One submitted version of a job."""
    return first_record(tx, VersionRecord, job_versions, job_id=job_id, version=version)


def versions_of(tx: Tx, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], VersionRecord]:
    """The submitted versions named by ``(job id, version)``, by that key (one query a
    chunk); a key naming no version is left out."""
    found: dict[tuple[int, int], VersionRecord] = {}
    key = tuple_(job_versions.c.job_id, job_versions.c.version)
    for part in chunks(list(keys), tx.chunk):
        for row in tx.conn.execute(select(job_versions).where(key.in_(part))):
            found[(int(row.job_id), int(row.version))] = record(VersionRecord, row)
    return found


def set_version_documents(tx: Tx, documents: Sequence[tuple[int, int, str]]) -> None:
    """Hold each ``(job id, version, document)``'s document as that submitted version of the
    job (a shadow's, as the remote holds it)."""
    if not documents:
        return
    v = job_versions.c
    tx.conn.execute(
        update(job_versions)
        .where(v.job_id == bindparam("_job"), v.version == bindparam("_version"))
        .values(document=bindparam("_document")),
        [{"_job": j, "_version": n, "_document": d} for j, n, d in documents],
    )


def take_back_versions(tx: Tx, versions: Sequence[tuple[int, int, int | None]]) -> None:
    """Remove each ``(job id, version, version before)``'s version, the one before the job's
    latest again (``None``: none)."""
    if not versions:
        return
    v = job_versions.c
    tx.conn.execute(
        delete(job_versions).where(
            v.job_id == bindparam("_job"), v.version == bindparam("_version")
        ),
        [{"_job": j, "_version": n} for j, n, _ in versions],
    )
    _set_latest(tx, [(j, before) for j, _, before in versions])


def list_versions(tx: Tx, job_id: int) -> list[VersionRecord]:
    """Every submitted version of a job, newest first."""
    order = [job_versions.c.version.desc()]
    return all_records(tx, VersionRecord, job_versions, order, job_id=job_id)


def replace_refs(tx: Tx, job_id: int, refs: Iterable[tuple[str, str, str]]) -> None:
    """Replace the reference index of a job with (kind, name, other-workspace-or-'') rows."""
    tx.conn.execute(_DELETE_REFS, {"_job_id": job_id})
    rows = [{"job_id": job_id, "kind": k, "name": n, "ref_workspace": w} for k, n, w in refs]
    if rows:
        tx.conn.execute(_INSERT_REFS, rows)


def jobs_referencing_with_ids(
    tx: Tx, workspace_id: str, kind: str, name: str, *, limit: int | None = None
) -> list[tuple[int, str]]:
    """(id, name) of the workspace's jobs that reference (kind, name), by name."""
    found = (
        select(jobs.c.id, jobs.c.name)
        .join(job_refs, job_refs.c.job_id == jobs.c.id)
        .where(
            jobs.c.workspace_id == workspace_id,
            job_refs.c.kind == kind,
            job_refs.c.name == name,
            job_refs.c.ref_workspace == "",
        )
        .distinct()
        .subquery()
    )
    # Ordered outside the DISTINCT, which orders only by what it selects (Tx.by_name).
    stmt = select(found).order_by(tx.by_name(found.c.name))
    rows = tx.conn.execute(stmt.limit(limit) if limit else stmt)
    return [(int(r.id), r.name) for r in rows]


def jobs_referencing(
    tx: Tx, workspace_id: str, kind: str, name: str, *, limit: int = 20
) -> list[str]:
    """Names of the workspace's jobs that reference (kind, name) (at most ``limit``)."""
    return [n for _, n in jobs_referencing_with_ids(tx, workspace_id, kind, name, limit=limit)]


def submitted_apart(
    tx: Tx,
    *,
    workspace_id: str | None = None,
    project_id: str | None = None,
    holding: str | None = None,
) -> list[tuple[str, str, str, str]]:
    """(workspace id, workspace name, job name, document) of the latest submitted version of
    each job whose development state is another text (saved since it was last submitted), of
    one workspace or of every workspace of a project, by workspace and job name; with
    ``holding``, only versions whose text holds it (a plain-text filter, found by ``LIKE``)."""
    v = job_versions.c
    stmt = (
        select(workspaces.c.id, workspaces.c.name.label("workspace"), jobs.c.name, v.document)
        .join(job_versions, and_(v.job_id == jobs.c.id, v.version == jobs.c.latest_version))
        .join(workspaces, workspaces.c.id == jobs.c.workspace_id)
        .where(v.document != jobs.c.document)
    )
    if workspace_id is not None:
        stmt = stmt.where(jobs.c.workspace_id == workspace_id)
    if project_id is not None:
        stmt = stmt.where(workspaces.c.project_id == project_id)
    if holding is not None:
        stmt = stmt.where(v.document.contains(holding, autoescape=True))
    ordered = stmt.order_by(tx.by_name(workspaces.c.name), tx.by_name(jobs.c.name))
    return [(r.id, r.workspace, r.name, r.document) for r in tx.conn.execute(ordered)]


def depending_from(
    project_id: str,
    workspace_name: str,
    *columns: ColumnElement[Any],
    workspace_id: str | None = None,
) -> Select[Any]:
    """``columns`` of the jobs of the project (in other workspaces) whose dependencies name a
    job of workspace ``workspace_name`` (or, given, by its id ``workspace_id``, as a
    dependency's ``workSpaceId`` alone names it), one row per dependency (``workspace`` the
    depending job's workspace name, ``ref`` the job it depends on)."""
    named = [workspace_name] if workspace_id is None else [workspace_name, workspace_id]
    return (
        select(workspaces.c.name.label("workspace"), job_refs.c.name.label("ref"), *columns)
        .join(job_refs, job_refs.c.job_id == jobs.c.id)
        .join(workspaces, workspaces.c.id == jobs.c.workspace_id)
        .where(
            workspaces.c.project_id == project_id,
            job_refs.c.kind == RefKind.JOB,
            job_refs.c.ref_workspace.in_(named),
        )
    )


def dependents_in_other_workspaces(
    tx: Tx, project_id: str, workspace_name: str, job_name: str, workspace_id: str | None = None
) -> list[tuple[str, int, str]]:
    """(workspace name, job id, job name) of jobs elsewhere in the project that depend on a job
    (naming its workspace by name, or by ``workspace_id`` when given)."""
    found = (
        depending_from(
            project_id, workspace_name, jobs.c.id, jobs.c.name, workspace_id=workspace_id
        )
        .where(job_refs.c.name == job_name)
        .distinct()
        .subquery()
    )
    rows = tx.conn.execute(
        select(found).order_by(tx.by_name(found.c.workspace), tx.by_name(found.c.name))
    )
    return [(r.workspace, int(r.id), r.name) for r in rows]
