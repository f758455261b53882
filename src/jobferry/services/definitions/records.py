"""What the definitions services answer: typed records, read by attribute in the console and
rendered in DataArts' camelCase by the API's presenters (``api/presenters/definitions.py``).

A job, script or resource *definition* stays the DataArts document it was stored as (design
section 7, "Requests and documents"): a record carries it as ``document`` beside the metadata
the server owns (ids, who and when, versions), which the presenters lay over it on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind, ProcessType, TargetStatus
from jobferry.domain.references import Reference
from jobferry.services.definitions.documents import load
from jobferry.storage.records import (
    JobListing,
    JobRecord,
    LockRecord,
    ResourceRecord,
    ScriptRecord,
    VersionRecord,
)


def job_owner(doc: dict[str, Any], created_by: str) -> str:
    """A job's owner as every listing and page shows it: ``basicConfig.owner``, else who
    created it (DataArts makes the creator the owner of a job that names none)."""
    basic = doc.get("basicConfig")
    owner = basic.get("owner") if isinstance(basic, dict) else None
    return str(owner) if owner else created_by


@dataclass(frozen=True)
class SubmittedVersion:
    """One submitted version of a job or script (its document is not read)."""

    version: int
    status: TargetStatus
    created_at: int
    created_by: str

    @classmethod
    def of(cls, row: VersionRecord) -> SubmittedVersion:
        """The version ``row`` describes."""
        return cls(row.version, TargetStatus(row.status), row.created_at, row.created_by)


@dataclass(frozen=True)
class Dependent:
    """A job that names another in its dependencies (``dependJobs``), in any workspace."""

    workspace: str
    job_name: str
    job_id: int


@dataclass(frozen=True)
class Provenance:
    """Where a job came from: the import from another workspace that last wrote it (the
    promotion ledger's row), the route it was promoted along, and whether the job drifted
    since."""

    source_workspace_id: str
    source_workspace: str | None
    """The source workspace's name, when it is a workspace of this server."""
    source_name: str
    """The job's name in the source (as the package held it; a rename may have changed it)."""
    source_uid: str
    """The job's stable identifier in the source workspace."""
    package_sha256: str | None
    """The package the import read (``None``: recorded before jobferry kept it)."""
    import_task_id: str
    route: str | None
    """The route whose promotion the import was (``None``: a plain import, or the route was
    deleted since)."""
    imported_by: str | None
    """Who started the import task (``None``: the task is not kept)."""
    imported_at: int
    """When the import wrote the job (ms)."""
    rolled_back: bool
    """The import was rolled back, and the job was one it left as it found it (a rollback puts
    back what it undid, the provenance included)."""
    drifted: bool
    """The job changed in this workspace since the import wrote it (server-kept fields and the
    import profile's target-owned fields aside)."""


@dataclass(frozen=True)
class ShownJob:
    """A job's definition as shown: its development state or one submitted version
    (``document``, as stored), with what the server keeps beside it."""

    document: dict[str, Any]
    id: int
    name: str
    """The job's name now (a version submitted before a rename carries the old one)."""
    directory: str
    created_at: int
    updated_by: str
    version: int | None
    """The version shown (a submitted one), else the latest; ``None``: never submitted."""
    downstream: tuple[Dependent, ...] | None = None
    """The jobs depending on it, when asked for."""
    traced: bool = False
    """Whether its provenance was asked for (``provenance`` is read only then)."""
    provenance: Provenance | None = None
    """Where it came from (``None``: not imported from another workspace, or not asked)."""

    @classmethod
    def of(
        cls,
        job: JobRecord,
        text: str,
        version: int | None,
        downstream: tuple[Dependent, ...] | None = None,
    ) -> ShownJob:
        """``job`` showing the definition ``text`` as ``version``."""
        return cls(
            load(text),
            job.id,
            job.name,
            job.directory,
            job.created_at,
            job.updated_by,
            version,
            downstream,
        )


@dataclass(frozen=True)
class NodeState:
    """One node of a job's development state, as its scheduling status lists it."""

    name: str | None
    node_type: str | None


@dataclass(frozen=True)
class JobState:
    """A job's scheduling state (its nodes share it: jobferry runs no node)."""

    name: str
    status: JobStatus
    """``STOPPED``, or ``NORMAL`` while it is scheduled."""
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    nodes: tuple[NodeState, ...]

    @classmethod
    def of(cls, job: JobRecord) -> JobState:
        """The state of ``job``."""
        stopped = job.status == JobStatus.STOPPED.value
        nodes = load(job.document).get("nodes") or []
        return cls(
            name=job.name,
            status=JobStatus.STOPPED if stopped else JobStatus.NORMAL,
            created_at=job.created_at,
            updated_at=job.updated_at,
            created_by=job.created_by,
            updated_by=job.updated_by,
            nodes=tuple(
                NodeState(n.get("name"), n.get("type")) for n in nodes if isinstance(n, dict)
            ),
        )


@dataclass(frozen=True)
class JobSummary:
    """One job of a job listing (``list_jobs``)."""

    name: str
    process_type: ProcessType
    owner: str
    """``basicConfig.owner``, else who created it."""
    priority: object
    """``basicConfig.priority`` as the definition gives it (0 when it does not)."""
    status: JobStatus
    created_at: int
    created_by: str
    updated_at: int
    updated_by: str
    directory: str
    single_node: bool
    """``singleNodeJobFlag``."""
    version: int | None

    @classmethod
    def of(cls, job: JobListing) -> JobSummary:
        """The summary of ``job`` (its definition's fields from its ``summary``)."""
        shown = load(job.summary)
        return cls(
            name=job.name,
            process_type=ProcessType(job.process_type),
            owner=job_owner({"basicConfig": shown}, job.created_by),
            priority=shown.get("priority", 0),
            status=JobStatus(job.status),
            created_at=job.created_at,
            created_by=job.created_by,
            updated_at=job.updated_at,
            updated_by=job.updated_by,
            directory=job.directory,
            single_node=shown.get("singleNodeJobFlag", False) in (True, "true"),
            version=job.latest_version,
        )


@dataclass(frozen=True)
class Lock:
    """A lock on a job or script, held by one user."""

    kind: ObjectKind
    name: str
    holder: str
    acquired_at: int

    @classmethod
    def of(cls, lock: LockRecord) -> Lock:
        """The lock ``lock`` holds."""
        return cls(
            ObjectKind(lock.object_kind), lock.object_name, lock.holder_name, lock.acquired_at
        )


@dataclass(frozen=True)
class JobDetail:
    """A job's page: its definition, scheduling state, versions, references and provenance."""

    job: ShownJob
    state: JobState
    versions: list[SubmittedVersion]
    references: list[Reference]
    provenance: Provenance | None
    """Where it came from (``None``: not imported from another workspace)."""
    owner: str
    """:func:`job_owner` of its development state."""
    missing: frozenset[tuple[str, str]] = frozenset()
    """The scripts, resources and jobs of this workspace it names that the workspace lacks,
    as ``(kind, name)``: its page names them without a link to a page that is not there."""
    lock: Lock | None = None
    """Who holds a lock on it (``None``: nobody)."""


@dataclass(frozen=True)
class ShownScript:
    """A script's development state (``document``, as stored) with its id, latest submitted
    version and the stamps the server keeps."""

    document: dict[str, Any]
    id: str
    name: str
    directory: str
    version: int | None
    updated_at: int
    created_by: str

    @classmethod
    def of(cls, script: ScriptRecord) -> ShownScript:
        """The script ``script`` holds."""
        return cls(
            load(script.document),
            script.id,
            script.name,
            script.directory,
            script.latest_version,
            script.updated_at,
            script.created_by,
        )


@dataclass(frozen=True)
class ScriptDetail:
    """A script's page: its definition, submitted versions and the jobs that run it."""

    script: ShownScript
    versions: list[SubmittedVersion]
    jobs: list[str]
    lock: Lock | None = None
    """Who holds a lock on it (``None``: nobody)."""


@dataclass(frozen=True)
class JobUse:
    """A job that uses a resource."""

    job_id: int
    job_name: str


@dataclass(frozen=True)
class ShownResource:
    """A resource's definition (``document``, as stored) with its id, and the jobs that use it
    when they were asked for."""

    document: dict[str, Any]
    id: str
    name: str
    directory: str
    users: tuple[JobUse, ...] | None = None

    @classmethod
    def of(cls, res: ResourceRecord, users: tuple[JobUse, ...] | None = None) -> ShownResource:
        """The resource ``res`` holds."""
        return cls(load(res.document), res.id, res.name, res.directory, users)
