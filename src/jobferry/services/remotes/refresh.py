"""Refresh: read a remote workspace in bulk and bring its shadow to exactly that state.

**Read** (no transaction open): ``list_jobs`` page by page (names and scheduling status),
``export_job_list`` 100 names a call for the jobs' definitions (never one ``show_job`` per
job), :data:`~jobferry.services.remotes.environment.IN_FLIGHT` exports in flight at once,
``list_scripts`` and ``list_resources`` page by page (their lists carry whole definitions),
then the remote's connections and environment variables
(:mod:`~jobferry.services.remotes.environment`). Each object's definition is made canonical
(the keys the server owns and the request-steering keys left out, as every write path of this
server does) and hashed; only what differs from the hash the last refresh recorded is kept, in
a spool file (:mod:`~jobferry.services.remotes.shadow`), so memory does not grow with the
remote.

**Write** (:func:`~jobferry.services.remotes.shadow.write_reads`, one transaction, the
remote's row locked so refreshes of one remote take turns): create what is new, overwrite what
changed, delete what the remote no longer has, nothing for unchanged objects, through the
definitions' own single-object writers (reference index, tags and audit lines as for any
write). The shadow's promotion ledger and tombstones are not touched: a change made in the
remote since the last promotion then shows as drift in the next plan, and a job deleted there
as gone. What was read is recorded per object (``remote_objects``: its hash and the time of
reading) with the refresh's counts.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import RemoteUnreachableError
from jobferry.services.context import Scope, now_ms
from jobferry.services.remotes.client import EXPORT_BATCH, DataArtsClient
from jobferry.services.remotes.environment import (
    EnvironmentWriter,
    bounded_map,
    read_environment,
)
from jobferry.services.remotes.records import (
    DEFINITION_KINDS,
    ENVIRONMENT_KINDS,
    Refresh,
)
from jobferry.services.remotes.shadow import (
    KindRead,
    Written,
    canonical,
    digest,
    job_value,
    known_hashes,
    write_reads,
)
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import Database

__all__ = [
    "KindRead",
    "canonical",
    "digest",
    "job_documents",
    "read_batches",
    "read_jobs",
    "read_listed",
    "refresh",
    "scheduling",
]
"""What the refresh's readers and the other parts of the feature (the push's re-read) use; the
comparison itself (``canonical``, ``digest``, ``KindRead``) lives in :mod:`.shadow`."""

JOB, SCRIPT, RESOURCE = (kind.value for kind in DEFINITION_KINDS)
MAX_EXPORT_BYTES = 256 * 1024 * 1024
"""The most a batch export's entries may hold uncompressed (100 jobs)."""


def scheduling(status: object) -> JobStatus:
    """A listed job's scheduling status as this server stores it."""
    if status == JobStatus.STOPPED.value or not isinstance(status, str):
        return JobStatus.STOPPED
    return JobStatus(status) if status in set(JobStatus) else JobStatus.SCHEDULING


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
    """``names`` in batches of :data:`EXPORT_BATCH`, what one ``export_job_list`` takes."""
    for start in range(0, len(names), EXPORT_BATCH):
        yield names[start : start + EXPORT_BATCH]


def read_jobs(client: DataArtsClient, known: dict[str, str]) -> KindRead:
    """Every job of the remote: listed for names and status, each listed page's names exported
    (100 a call) while the next pages are listed, a few exports in flight."""
    read = KindRead(ObjectKind.JOB.value, known)
    status: dict[str, JobStatus] = {}

    def batches() -> Iterator[list[str]]:
        batch: list[str] = []
        for item in client.jobs():
            name = str(item["name"])
            status[name] = scheduling(item.get("status"))
            batch.append(name)
            if len(batch) == EXPORT_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    try:
        for data in bounded_map(client.export_jobs, batches()):
            for doc in job_documents(client, data):
                name = str(doc["name"])
                if name in status:
                    read.add(name, job_value(canonical(ObjectKind.JOB, doc), status[name]))
    except BaseException:
        read.spool.close()
        raise
    missing = sorted(set(status) - set(read.hashes))
    if missing:
        read.spool.close()
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
    read = KindRead(kind.value, known)
    for item in items:
        if isinstance(item.get("name"), str):
            read.add(str(item["name"]), canonical(kind, item))
    return read


@dataclass
class OtherReads:
    """What a refresh reads beside the jobs (on a thread of its own, while the jobs are read):
    scripts, resources, and the remote's environment."""

    client: DataArtsClient
    known: dict[str, dict[str, str]]
    reads: list[KindRead] = field(default_factory=list)
    environment: list[KindRead] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __call__(self) -> None:
        client, known = self.client, self.known
        self.reads.append(read_listed(ObjectKind.SCRIPT, client.scripts(), known[SCRIPT]))
        self.reads.append(read_listed(ObjectKind.RESOURCE, client.resources(), known[RESOURCE]))
        self.environment, self.notes = read_environment(client, known)

    def close(self) -> None:
        """Remove what was spooled (the refresh failed)."""
        for read in (*self.reads, *self.environment):
            read.spool.close()


def refresh(
    db: Database, scope: Scope, remote: str, client: DataArtsClient, box: SecretBox
) -> Refresh:
    """Bring the shadow workspace of ``scope`` to the state of ``remote`` (read by
    ``client``); what was done."""
    started = time.monotonic()
    kinds = (*(k.value for k in DEFINITION_KINDS), *ENVIRONMENT_KINDS)
    known = known_hashes(db, scope.workspace.id, kinds)
    at = now_ms()
    others = OtherReads(client, known)
    with ThreadPoolExecutor(max_workers=1) as beside:
        reading = beside.submit(others)
        try:
            jobs = read_jobs(client, known[JOB])
        except BaseException:
            reading.cancel()
            wait([reading])
            others.close()
            raise
        try:
            reading.result()
        except BaseException:
            others.close()
            jobs.spool.close()
            raise
    summary = Refresh(at, Refresh.empty(at).counts, client.calls, 0.0, notes=tuple(others.notes))
    extra = EnvironmentWriter(box, others.environment)
    reads = [*others.reads, jobs]
    return write_reads(db, scope, reads, Written(remote, known, summary, started), extra)
