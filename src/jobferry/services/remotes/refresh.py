"""Refresh: read a remote workspace in bulk and bring its shadow to exactly that state.

**Read** (no transaction open): ``list_jobs`` page by page (names and scheduling status),
``export_job_list`` 100 names a call for the jobs' definitions (never one ``show_job`` per
job), ``list_scripts`` and ``list_resources`` page by page (their lists carry whole
definitions). Each object's definition is made canonical (the keys the server owns and the
request-steering keys left out, as every write path of this server does) and hashed; only
what differs from the hash the last refresh recorded is kept in memory.

**Write** (one transaction, the remote's row locked so refreshes of one remote take turns):
create what is new, overwrite what changed, delete what the remote no longer has, nothing for
unchanged objects, through the definitions' own single-object writers (reference index, tags
and audit lines as for any write). The shadow's promotion ledger and tombstones are not
touched: a change made in the remote since the last promotion then shows as drift in the next
plan, and a job deleted there as gone. What was read is recorded per object
(``remote_objects``: its hash and the time of reading) with the refresh's counts.
"""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS
from jobferry.domain.enums import JobStatus, ObjectKind, RefreshAction, TargetStatus
from jobferry.errors import ConflictError, RemoteUnreachableError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.jobs import save_job
from jobferry.services.definitions.resources import save_resource
from jobferry.services.definitions.scripts import save_script
from jobferry.services.remotes.client import EXPORT_BATCH, DataArtsClient
from jobferry.services.remotes.records import Refresh
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import remotes as repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import resources as resource_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage import tags as tag_repo

MAX_EXPORT_BYTES = 256 * 1024 * 1024
"""The most a batch export's entries may hold uncompressed (100 jobs)."""
_DROPPED = {
    ObjectKind.JOB: frozenset((*SERVER_FIELDS, *CONTROL_FIELDS)),
    # A listed script's ``version`` is the remote's count of submitted versions, not the text.
    ObjectKind.SCRIPT: frozenset((*SERVER_FIELDS, *CONTROL_FIELDS, "version")),
    ObjectKind.RESOURCE: frozenset((*SERVER_FIELDS, *CONTROL_FIELDS)),
}


def canonical(kind: ObjectKind, doc: dict[str, Any]) -> dict[str, Any]:
    """A definition as the shadow stores it: without the keys the remote's server owns."""
    dropped = _DROPPED[kind]
    return {key: value for key, value in doc.items() if key not in dropped}


def digest(value: object) -> str:
    """SHA-256 of a value's canonical JSON (keys sorted), what a refresh compares."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def scheduling(status: object) -> JobStatus:
    """A listed job's scheduling status as this server stores it."""
    if status == JobStatus.STOPPED.value or not isinstance(status, str):
        return JobStatus.STOPPED
    return JobStatus(status) if status in set(JobStatus) else JobStatus.SCHEDULING


@dataclass
class KindRead:
    """What a refresh read of one kind: every name's hash, and the changed definitions."""

    kind: ObjectKind
    known: dict[str, str]
    """name → hash the last refresh recorded."""
    hashes: dict[str, str] = field(default_factory=dict)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: dict[str, JobStatus] = field(default_factory=dict)

    def add(self, name: str, doc: dict[str, Any], status: JobStatus | None = None) -> None:
        """One object read from the remote."""
        hashed: object = doc if status is None else {"document": doc, "status": status.value}
        sha = digest(hashed)
        self.hashes[name] = sha
        if self.known.get(name) != sha:
            self.changed[name] = doc
            if status is not None:
                self.status[name] = status

    @property
    def gone(self) -> list[str]:
        """Names the last refresh recorded that the remote no longer has."""
        return sorted(set(self.known) - set(self.hashes))


def job_documents(client: DataArtsClient, data: bytes) -> Iterator[dict[str, Any]]:
    """The ``.job`` definitions of a batch export's zip (any layout)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if info.filename.endswith(".job")]
        if sum(info.file_size for info in entries) > MAX_EXPORT_BYTES:
            raise ValueError(f"the entries hold more than {MAX_EXPORT_BYTES} bytes")
        for info in entries:
            doc = orjson.loads(archive.read(info))
            if isinstance(doc, dict) and isinstance(doc.get("name"), str):
                yield doc
    except (zipfile.BadZipFile, orjson.JSONDecodeError, ValueError) as exc:
        raise RemoteUnreachableError(
            f"Remote '{client.remote}' answered export_job_list with a package that cannot be "
            f"read ({exc}).",
            remote=client.remote,
            call="export_job_list",
        ) from exc


def read_batches(names: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(names), EXPORT_BATCH):
        yield names[start : start + EXPORT_BATCH]


def read_jobs(client: DataArtsClient, known: dict[str, str]) -> KindRead:
    """Every job of the remote: listed for names and status, exported 100 names a call."""
    read = KindRead(ObjectKind.JOB, known)
    status = {str(item["name"]): scheduling(item.get("status")) for item in client.jobs()}
    for batch in read_batches(sorted(status)):
        for doc in job_documents(client, client.export_jobs(batch)):
            name = str(doc["name"])
            if name in status:
                read.add(name, canonical(ObjectKind.JOB, doc), status[name])
    missing = sorted(set(status) - set(read.hashes))
    if missing:
        raise RemoteUnreachableError(
            f"Remote '{client.remote}' listed jobs its export_job_list did not return: "
            f"{', '.join(missing[:10])}; refresh again (they may have been deleted meanwhile).",
            remote=client.remote,
            call="export_job_list",
        )
    return read


def read_listed(
    kind: ObjectKind, items: Iterable[dict[str, Any]], known: dict[str, str]
) -> KindRead:
    """Every script or resource of the remote, from its list call's whole definitions."""
    read = KindRead(kind, known)
    for item in items:
        if isinstance(item.get("name"), str):
            read.add(str(item["name"]), canonical(kind, item))
    return read


@dataclass
class ShadowWriter:
    """The writes of one refresh into a shadow workspace, in the caller's transaction."""

    tx: Tx
    scope: Scope
    counts: dict[str, dict[str, int]]

    def _count(self, kind: ObjectKind, action: RefreshAction, n: int = 1) -> None:
        self.counts[kind.value][action.value] += n

    def apply(self, read: KindRead) -> None:
        """Create or overwrite what changed of one kind; count what is unchanged."""
        writer = {
            ObjectKind.JOB: self._job,
            ObjectKind.SCRIPT: self._script,
            ObjectKind.RESOURCE: self._resource,
        }[read.kind]
        for name, doc in read.changed.items():
            created = writer(name, doc, read.status.get(name))
            self._count(read.kind, RefreshAction.CREATED if created else RefreshAction.UPDATED)
        self._count(read.kind, RefreshAction.UNCHANGED, len(read.hashes) - len(read.changed))

    def _job(self, name: str, doc: dict[str, Any], status: JobStatus | None) -> bool:
        existing = job_repo.get_job(self.tx, self.scope.workspace.id, name)
        if existing is None or existing.document != _text(doc):
            job_id = save_job(self.tx, self.scope, doc, TargetStatus.SAVED, [], existing)
        else:
            job_id = existing.id
        if status is not None and (existing is None or existing.status != status.value):
            job_repo.set_status(self.tx, job_id, status)
        return existing is None

    def _script(self, name: str, doc: dict[str, Any], _status: JobStatus | None) -> bool:
        existing = script_repo.get_script(self.tx, self.scope.workspace.id, name)
        save_script(self.tx, self.scope, doc, TargetStatus.SAVED, existing)
        return existing is None

    def _resource(self, name: str, doc: dict[str, Any], _status: JobStatus | None) -> bool:
        existing = resource_repo.find_resource(self.tx, self.scope.workspace.id, name)
        save_resource(self.tx, self.scope, doc, existing)
        return existing is None

    def delete(self, read: KindRead) -> None:
        """Delete what the remote no longer has of one kind."""
        ws = self.scope.workspace.id
        for name in read.gone:
            if read.kind is ObjectKind.JOB:
                job = job_repo.get_job(self.tx, ws, name)
                if job is not None:
                    job_repo.delete_job(self.tx, job.id)
                    tag_repo.delete_lock(self.tx, ws, ObjectKind.JOB, name)
            elif read.kind is ObjectKind.SCRIPT:
                script = script_repo.get_script(self.tx, ws, name)
                if script is not None:
                    script_repo.delete_script(self.tx, script.id)
            else:
                resource = resource_repo.find_resource(self.tx, ws, name)
                if resource is not None:
                    resource_repo.delete_resource(self.tx, resource.id)
            audit_in_scope(self.tx, self.scope, f"{read.kind.value}.delete", read.kind, name)
        self._count(read.kind, RefreshAction.DELETED, len(read.gone))

    def remember(self, read: KindRead, at: int) -> None:
        """Record what was read of the objects written or deleted."""
        ws = self.scope.workspace.id
        repo.forget_read(self.tx, ws, read.kind.value, [*read.changed, *read.gone])
        fresh = [(name, read.hashes[name]) for name in read.changed]
        repo.record_read(self.tx, ws, read.kind.value, fresh, at)


def _text(doc: dict[str, Any]) -> str:
    return orjson.dumps(doc).decode()


def refresh(db: Database, scope: Scope, remote: str, client: DataArtsClient) -> Refresh:
    """Bring the shadow workspace of ``scope`` to the state of ``remote`` (read by
    ``client``); what was done."""
    started, ws = time.monotonic(), scope.workspace.id
    with db.transaction(readonly=True) as tx:
        known = {kind: repo.read_hashes(tx, ws, kind.value) for kind in _DROPPED}
    at = now_ms()
    reads = [
        read_listed(ObjectKind.SCRIPT, client.scripts(), known[ObjectKind.SCRIPT]),
        read_listed(ObjectKind.RESOURCE, client.resources(), known[ObjectKind.RESOURCE]),
        read_jobs(client, known[ObjectKind.JOB]),
    ]
    done = Refresh.empty(at)
    with db.transaction() as tx:
        repo.lock_remote(tx, scope.actor.project_id, remote)
        pushing = journal_repo.open_in_workspace(tx, ws)
        if pushing:
            raise ConflictError(
                f"Remote '{remote}' is being pushed to by task {pushing[0].task_id}; nothing "
                "was written. Refresh once it is over.",
                remote=remote,
                task_id=pushing[0].task_id,
            )
        if any(repo.read_hashes(tx, ws, kind.value) != known[kind] for kind in _DROPPED):
            raise ConflictError(
                f"Another refresh of remote '{remote}' finished while this one read the "
                f"remote; nothing was written: refresh again (jobferry remotes refresh {remote}).",
                remote=remote,
            )
        writer = ShadowWriter(tx, scope, done.counts)
        for read in reads:
            writer.apply(read)
        for read in reversed(reads):  # jobs first: they name the scripts and resources
            writer.delete(read)
        for read in reads:
            writer.remember(read, at)
        summary = Refresh(at, done.counts, client.calls, round(time.monotonic() - started, 3))
        repo.set_refresh(tx, scope.actor.project_id, remote, at, summary.dump())
        audit_in_scope(tx, scope, "remote.refresh", "remote", remote, summary.counts)
    return summary
