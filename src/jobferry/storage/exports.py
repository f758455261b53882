"""Read-side queries export needs: selections of jobs, their definitions and dependencies.

Everything works on whole selections with few queries (chunked ``IN`` lists), never one query
per job, so a 10,000-job workspace exports in a handful of round trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from jobferry.domain.enums import EnvType, ObjectKind, RefKind
from jobferry.storage.importing.tables import promotion_ledger
from jobferry.storage.tables import (
    environment_objects,
    job_refs,
    job_versions,
    jobs,
    resources,
    script_versions,
    scripts,
)
from jobferry.storage.tx import Tx, chunks, unindexed


class JobHead(NamedTuple):
    """A selected job before it is read: what choosing and ordering a selection needs (a named
    tuple of three: exports hold 100,000 of them while they order the selection)."""

    id: int
    name: str
    latest_version: int | None


class JobEntry(NamedTuple):
    """A job as it goes into a package, read a batch at a time."""

    name: str
    uid: str
    updated_at: int
    text: str
    written_at: int | None = None
    """When ``text`` was written: its version's submission for a submitted version (saves
    since do not date it); ``None``: at ``updated_at``."""


@dataclass(frozen=True)
class Definition:
    """A definition to export: its id, name, stored text and last change."""

    id: str
    name: str
    text: str
    updated_at: int


def job_heads(tx: Tx, workspace_id: str, names: Iterable[str] | None = None) -> list[JobHead]:
    """The workspace's jobs (all, or those named), without definitions."""
    cols = select(jobs.c.id, jobs.c.name, jobs.c.latest_version).where(
        jobs.c.workspace_id == workspace_id
    )
    # Rows become heads as they come: a list of result rows first held every row twice over
    # (6 MB of a 30,000-job export's traced memory, all at once).
    if names is None:
        return [_head(r) for r in tx.conn.execute(cols)]
    heads: list[JobHead] = []
    for chunk in chunks(sorted(set(names))):
        heads += (_head(r) for r in tx.conn.execute(cols.where(jobs.c.name.in_(chunk))))
    return heads


def _head(r: Any) -> JobHead:
    return JobHead(int(r.id), r.name, r.latest_version)


def names_of_kind(tx: Tx, workspace_id: str, kind: str, since: int | None = None) -> list[str]:
    """Every script or resource name of the workspace (``since``: those changed or made after
    that moment, ms)."""
    table = scripts if kind == ObjectKind.SCRIPT else resources
    stmt = select(table.c.name).where(table.c.workspace_id == workspace_id)
    if since is not None:
        stmt = stmt.where(table.c.updated_at > since)
    return [r.name for r in tx.conn.execute(stmt)]


def unlanded(tx: Tx, source_ws: str, target_ws: str, kind: str) -> list[tuple[str, str, bool]]:
    """(name, uid, never) of the source's objects of ``kind`` changed after the version of
    them that last landed in the target (by the target's promotion ledger of that source: the
    ``createdAt`` of the package that wrote it, else when the row was recorded), or of which
    no version landed (``never``), in one query: the sieve of a route's left-behind objects,
    which reads no definition."""
    table = {ObjectKind.JOB: jobs, ObjectKind.SCRIPT: scripts}.get(ObjectKind(kind), resources)
    uid = jobs.c.uid if table is jobs else table.c.id
    led = promotion_ledger.c
    landed = func.coalesce(led.package_created_at, led.recorded_at)
    joined = table.outerjoin(
        promotion_ledger,
        and_(
            led.target_workspace_id == target_ws,
            led.source_workspace_id == source_ws,
            led.kind == kind,
            led.source_uid == uid,
        ),
    )
    stmt = (
        select(table.c.name, uid.label("uid"), led.source_uid.is_(None).label("never"))
        .select_from(joined)
        .where(
            table.c.workspace_id == source_ws,
            or_(led.source_uid.is_(None), table.c.updated_at > landed),
        )
    )
    return [(str(r.name), str(r.uid), bool(r.never)) for r in tx.conn.execute(stmt)]


def job_entries(tx: Tx, job_ids: Sequence[int], *, submitted: bool) -> dict[int, JobEntry]:
    """Job id → the job as it is exported: its development state, or its latest submitted
    version (``submitted``)."""
    out: dict[int, JobEntry] = {}
    head = (jobs.c.id, jobs.c.name, jobs.c.uid, jobs.c.updated_at)
    for chunk in chunks(job_ids):
        if submitted:
            stmt = (
                select(
                    *head, job_versions.c.document, job_versions.c.created_at.label("written_at")
                )
                .join(job_versions, job_versions.c.job_id == jobs.c.id)
                .where(jobs.c.id.in_(chunk), job_versions.c.version == jobs.c.latest_version)
            )
        else:
            stmt = select(*head, jobs.c.document, jobs.c.updated_at.label("written_at")).where(
                jobs.c.id.in_(chunk)
            )
        for row in tx.conn.execute(stmt):
            at = int(row.updated_at)
            out[int(row.id)] = JobEntry(row.name, row.uid, at, row.document, int(row.written_at))
    return out


def references_of(tx: Tx, job_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Job id → its indexed (kind, name, other workspace) references (development state)."""
    out: dict[int, list[tuple[str, str, str]]] = {i: [] for i in job_ids}
    for chunk in chunks(job_ids):
        stmt = select(job_refs.c.job_id, job_refs.c.kind, job_refs.c.name, job_refs.c.ref_workspace)
        for row in tx.conn.execute(stmt.where(job_refs.c.job_id.in_(chunk))):
            out[int(row.job_id)].append((row.kind, row.name, row.ref_workspace))
    return out


def distinct_references_of(
    tx: Tx, job_ids: Sequence[int], kinds: Iterable[str]
) -> Iterator[tuple[str, str, str]]:
    """The (kind, name, other workspace) of ``kinds`` the jobs reference, distinct within each
    chunk of jobs (a reference used across chunks comes once per chunk): nothing is gathered
    whole."""
    # The kind only filters the rows the job index finds (an index on the kind would walk
    # every job's references of the kind).
    of_kinds = unindexed(job_refs.c.kind).in_(sorted(kinds))
    for chunk in chunks(job_ids):
        stmt = (
            select(job_refs.c.kind, job_refs.c.name, job_refs.c.ref_workspace)
            .where(job_refs.c.job_id.in_(chunk), of_kinds)
            .distinct()
        )
        for r in tx.conn.execute(stmt):
            yield r.kind, r.name, r.ref_workspace


def jobs_using(tx: Tx, job_ids: Sequence[int], kind: str, names: Iterable[str]) -> dict[str, str]:
    """For each (kind, name), the first (by name) of the given jobs that references it."""
    wanted = sorted(set(names))
    out: dict[str, str] = {}
    if not wanted:
        return out
    for chunk in chunks(job_ids):
        stmt = (
            select(job_refs.c.name, jobs.c.name.label("job"))
            .join(jobs, jobs.c.id == job_refs.c.job_id)
            .where(
                job_refs.c.job_id.in_(chunk),
                job_refs.c.kind == kind,
                job_refs.c.name.in_(wanted),
                job_refs.c.ref_workspace == "",
            )
        )
        for r in tx.conn.execute(stmt):
            if r.name not in out or r.job < out[r.name]:
                out[r.name] = r.job
    return out


def _kind_is(kind: str) -> ColumnElement[bool]:
    """``job_refs.kind == kind`` for a scan of a whole workspace, hidden from index choice.

    A kind matches a large share of the references of EVERY workspace, yet without statistics
    SQLite prefers the ``(kind, name)`` index for it and walks all of them, joining each to its
    job only to drop the other workspaces' (0.4 s for an empty workspace in a 50,000-job
    database). ``kind || ''`` is the same test with no index to use, so the workspace's jobs
    drive the join through ``ix_job_refs_job``, whatever else the database holds.
    """
    return unindexed(job_refs.c.kind) == kind


def _upstreams(workspace_id: str) -> Select[tuple[str, str]]:
    """(job name, ``upstream``) of each dependJobs reference from a job of the workspace to a
    job of the same workspace."""
    return (
        select(jobs.c.name, job_refs.c.name.label("upstream"))
        .join(job_refs, job_refs.c.job_id == jobs.c.id)
        .where(
            jobs.c.workspace_id == workspace_id,
            _kind_is(RefKind.JOB),
            job_refs.c.ref_workspace == "",
        )
    )


def dependency_edges(tx: Tx, workspace_id: str) -> dict[str, list[str]]:
    """Job name → names of the same-workspace jobs it depends on (dependJobs), whole workspace."""
    edges: dict[str, list[str]] = {}
    for row in tx.conn.execute(_upstreams(workspace_id)):
        edges.setdefault(row.name, []).append(row.upstream)
    return edges


def upstream_edges(tx: Tx, workspace_id: str, names: Sequence[str]) -> list[tuple[str, str]]:
    """(job, upstream) dependJobs edges within the workspace of the jobs named (the jobs found
    by name drive the join: the kind test is hidden from index choice, as in
    :func:`dependency_edges`)."""
    out: list[tuple[str, str]] = []
    for chunk in chunks(names):
        stmt = _upstreams(workspace_id).where(jobs.c.name.in_(chunk))
        out += [(r.name, r.upstream) for r in tx.conn.execute(stmt)]
    return out


def changed_job_names(tx: Tx, workspace_id: str, since: int) -> set[str]:
    """Jobs changed after ``since`` (ms), or whose scripts or resources changed after it."""
    own = select(jobs.c.name).where(jobs.c.workspace_id == workspace_id, jobs.c.updated_at > since)
    names = {r.name for r in tx.conn.execute(own)}
    for table, kind in ((scripts, RefKind.SCRIPT), (resources, RefKind.RESOURCE)):
        stmt = (
            select(jobs.c.name)
            .join(job_refs, job_refs.c.job_id == jobs.c.id)
            .join(
                table,
                and_(table.c.workspace_id == workspace_id, table.c.name == job_refs.c.name),
            )
            .where(
                jobs.c.workspace_id == workspace_id,
                _kind_is(kind),
                table.c.updated_at > since,
            )
        )
        names |= {r.name for r in tx.conn.execute(stmt)}
    return names


def script_definitions(
    tx: Tx, workspace_id: str, names: Iterable[str], *, submitted: bool
) -> dict[str, Definition]:
    """Script name → definition (latest submitted version when asked and there is one)."""
    out: dict[str, Definition] = {}
    for chunk in chunks(sorted(set(names))):
        stmt = select(
            scripts.c.id,
            scripts.c.name,
            scripts.c.document,
            scripts.c.updated_at,
            scripts.c.latest_version,
        ).where(scripts.c.workspace_id == workspace_id, scripts.c.name.in_(chunk))
        rows = list(tx.conn.execute(stmt))
        versions: dict[str, tuple[str, int]] = {}
        if submitted:
            wanted = [(r.id, r.latest_version) for r in rows if r.latest_version is not None]
            if wanted:
                vstmt = select(
                    script_versions.c.script_id,
                    script_versions.c.document,
                    script_versions.c.created_at,
                ).where(
                    or_(
                        *[
                            and_(script_versions.c.script_id == sid, script_versions.c.version == v)
                            for sid, v in wanted
                        ]
                    )
                )
                versions = {
                    r.script_id: (r.document, int(r.created_at)) for r in tx.conn.execute(vstmt)
                }
        for r in rows:
            # A submitted version is dated by its submission: saves since do not change it.
            text, at = versions.get(r.id, (r.document, int(r.updated_at)))
            out[r.name] = Definition(r.id, r.name, text, at)
    return out


def resource_definitions(tx: Tx, workspace_id: str, names: Iterable[str]) -> dict[str, Definition]:
    """Resource name → definition."""
    out: dict[str, Definition] = {}
    for chunk in chunks(sorted(set(names))):
        stmt = select(
            resources.c.id, resources.c.name, resources.c.document, resources.c.updated_at
        ).where(resources.c.workspace_id == workspace_id, resources.c.name.in_(chunk))
        for r in tx.conn.execute(stmt):
            out[r.name] = Definition(r.id, r.name, r.document, int(r.updated_at))
    return out


def environment_definitions(
    tx: Tx, workspace_id: str, kind: str, names: Iterable[str]
) -> dict[str, tuple[str, str, int]]:
    """Name → (type, config JSON, updated_at) of environment objects; secrets are not read."""
    out: dict[str, tuple[str, str, int]] = {}
    obj = environment_objects
    for chunk in chunks(sorted(set(names))):
        stmt = select(obj.c.name, obj.c.type, obj.c.config, obj.c.updated_at).where(
            obj.c.workspace_id == workspace_id,
            obj.c.kind == kind,
            obj.c.env == str(EnvType.DEVELOPMENT),
            obj.c.name.in_(chunk),
        )
        for r in tx.conn.execute(stmt):
            out[r.name] = (r.type, r.config, int(r.updated_at))
    return out
