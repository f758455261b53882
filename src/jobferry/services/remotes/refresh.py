"""Refresh: read a remote workspace in bulk and bring its shadow to exactly that state.

**Read** (no transaction open): ``list_jobs`` page by page (names and scheduling status),
``export_job_list`` 100 names a call for the jobs' definitions (never one ``show_job`` per
job) and again with ``exportStatus: SUBMIT`` for their latest submitted versions
(:mod:`~jobferry.services.remotes.submitted`: a refused batch split),
:data:`~jobferry.services.remotes.environment.IN_FLIGHT` exports in flight at once,
``list_scripts`` and ``list_resources`` page by page (their lists carry whole definitions),
then the remote's connections and environment variables
(:mod:`~jobferry.services.remotes.environment`). Each object's definition is made canonical
(the keys the server owns and the request-steering keys left out, as every write path of this
server does) and hashed; only what differs from the hash the last refresh recorded is kept, in
a spool file (:mod:`~jobferry.services.remotes.shadow`), so memory does not grow with the
remote.

**Write** (:func:`~jobferry.services.remotes.shadow.write_reads`, one transaction, the
remote's row locked so refreshes of one remote take turns): create what is new, overwrite what
changed, delete what the remote no longer has, nothing for unchanged objects, in bulk a batch
at a time (:mod:`~jobferry.services.remotes.batchwrites`: reference index, tags and audit
lines as the definitions' single-object writers write them). The shadow's promotion ledger
and tombstones are not touched: a change made in the remote since the last promotion then
shows as drift in the next plan, and a job deleted there as gone. What was read is recorded per
object (``remote_objects``: its hash and the time of reading) with the refresh's counts.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
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
    SUBMITTED,
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
from jobferry.services.remotes.submitted import (
    NEVER,
    Batches,
    Export,
    SubmittedWriter,
    exported,
    submitted_value,
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
    for _, doc in job_entries(client, data):
        yield doc


def job_entries(client: DataArtsClient, data: bytes) -> Iterator[tuple[str, dict[str, Any]]]:
    """(the entry's file name without ``.job``, the definition) of each job of a batch
    export's zip (any layout). The file is named for the job: a submitted version made before
    the job was renamed holds its old name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if info.filename.endswith(".job")]
        if sum(info.file_size for info in entries) > MAX_EXPORT_BYTES:
            raise ValueError(f"the entries hold more than {MAX_EXPORT_BYTES} bytes")
        for info in entries:
            doc = orjson.loads(archive.read(info))
            if isinstance(doc, dict) and isinstance(doc.get("name"), str):
                stem = info.filename.replace("\\", "/").rsplit("/", 1)[-1][: -len(".job")]
                yield stem, doc
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


def read_jobs(
    client: DataArtsClient, known: dict[str, str], known_submitted: dict[str, str]
) -> tuple[KindRead, KindRead]:
    """Every job of the remote, and its submitted version: listed for names and status, each
    listed page's names exported (100 a call, development states and submitted versions) while
    the next pages are listed, a few exports in flight."""
    read = KindRead(ObjectKind.JOB.value, known)
    submitted = KindRead(SUBMITTED, known_submitted)
    status: dict[str, JobStatus] = {}
    batches = Batches(known_submitted)

    def exports() -> Iterator[Export]:
        for item in client.jobs():
            name = str(item["name"])
            status[name] = scheduling(item.get("status"))
            yield from batches.add(name)
        yield from batches.rest()

    try:
        for export, zips, never in bounded_map(partial(exported, client), exports()):
            for stem, doc in (entry for data in zips for entry in job_entries(client, data)):
                name = str(doc["name"])
                if export.submitted:
                    name = stem if stem in status else name
                    if name in status:
                        submitted.add(name, submitted_value(doc))
                elif name in status:
                    read.add(name, job_value(canonical(ObjectKind.JOB, doc), status[name]))
            for name in never:
                submitted.add(name, NEVER)
        _check_read(client, status, read, submitted)
    except BaseException:
        read.spool.close()
        submitted.spool.close()
        raise
    return read, submitted


def _check_read(client: DataArtsClient, status: dict[str, JobStatus], *reads: KindRead) -> None:
    """Refused when a listed job's export did not return it (deleted meanwhile?)."""
    missing = sorted({name for read in reads for name in set(status) - set(read.hashes)})
    if missing:
        raise RemoteUnreachableError(
            f"Remote '{client.remote}' listed jobs its export_job_list did not return: "
            f"{', '.join(missing[:10])}; refresh again (they may have been deleted meanwhile).",
            remote=client.remote,
            call="export_job_list",
        )


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
    kinds = (*(k.value for k in DEFINITION_KINDS), *ENVIRONMENT_KINDS, SUBMITTED)
    known = known_hashes(db, scope.workspace.id, kinds)
    at = now_ms()
    others = OtherReads(client, known)
    with ThreadPoolExecutor(max_workers=1) as beside:
        reading = beside.submit(others)
        try:
            jobs, submitted = read_jobs(client, known[JOB], known[SUBMITTED])
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
            submitted.spool.close()
            raise
    summary = Refresh(at, Refresh.empty(at).counts, client.calls, 0.0, notes=tuple(others.notes))
    extras = (SubmittedWriter(submitted), EnvironmentWriter(box, others.environment))
    reads = [*others.reads, jobs]
    try:
        return write_reads(db, scope, reads, Written(remote, known, summary, started), extras)
    finally:  # a write refused (a push open) never reaches the extras, which close their own
        for read in (submitted, *others.environment):
            read.spool.close()
