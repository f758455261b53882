"""Refresh: read a remote workspace in bulk and bring its shadow to exactly that state.

**Read** (no transaction open): ``list_jobs`` page by page, batch and real-time jobs (names,
scheduling status, ``lastUpdateTime``), ``export_job_list`` 100 names a call for the
definitions of the jobs whose list entry changed since the last refresh (a job whose entry is
as recorded keeps the hashes recorded then, unread; never one ``show_job`` per job) and again
with ``exportStatus: SUBMIT`` for their latest submitted versions
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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import RemoteUnreachableError
from jobferry.package.layout import job_folder, path_parts
from jobferry.services.context import Scope, now_ms
from jobferry.services.remotes.client import EXPORT_BATCH, DataArtsClient
from jobferry.services.remotes.environment import (
    EnvironmentWriter,
    bounded_map,
    read_environment,
)
from jobferry.services.remotes.records import (
    CREATED,
    DEFINITION_KINDS,
    ENVIRONMENT_KINDS,
    LISTED,
    SUBMITTED,
    Refresh,
)
from jobferry.services.remotes.refresh_said import Said, reading_progress
from jobferry.services.remotes.shadow import (
    KindRead,
    ShadowWriter,
    Written,
    canonical,
    digest,
    job_value,
    known_hashes,
    last_change,
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
    "creation",
    "digest",
    "identity",
    "job_documents",
    "listing",
    "read_batches",
    "read_jobs",
    "read_listed",
    "refresh",
    "scheduling",
]
"""What the refresh's readers and the other parts of the feature (the push's re-read) use; the
comparison itself (``canonical``, ``digest``, ``KindRead``) lives in :mod:`.shadow`."""

JOB, SCRIPT, RESOURCE = (kind.value for kind in DEFINITION_KINDS)
Statuses = dict[str, JobStatus]
"""Each listed job's scheduling status, by name."""
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


def job_entries(
    client: DataArtsClient, data: bytes
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(the names the entry may be of, surest first; the definition) of each job of a batch
    export's zip (any layout).

    A batch export puts each job in a folder of its name, and names the file for the
    definition: a submitted version made before the job was renamed holds its old name
    (``new/old.job``), which a new job may have taken since. So the folder comes first (when it
    holds that one job and is not a kind's folder such as ``jobs``), then the file's name, then
    the definition's."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if info.filename.endswith(".job")]
        if sum(info.file_size for info in entries) > MAX_EXPORT_BYTES:
            raise ValueError(f"the entries hold more than {MAX_EXPORT_BYTES} bytes")
        paths = [path_parts(info.filename) for info in entries]
        folders = Counter(job_folder(path) for path in paths)
        for info, path in zip(entries, paths, strict=True):
            doc = orjson.loads(archive.read(info))
            if isinstance(doc, dict) and isinstance(doc.get("name"), str):
                yield _whose(path, folders, doc["name"]), doc
    except (zipfile.BadZipFile, orjson.JSONDecodeError, ValueError) as exc:
        raise RemoteUnreachableError(
            f"Remote '{client.remote}' answered export_job_list with a package that cannot be "
            f"read ({exc}).",
            remote=client.remote,
            call="export_job_list",
        ) from exc


def _whose(path: list[str], folders: Counter[str | None], name: str) -> tuple[str, ...]:
    """Whose a ``.job`` entry at ``path`` may be, surest first: its folder's job (when the
    folder holds that one job), its file's name, its definition's ``name``."""
    folder = job_folder(path)
    own = (folder,) if folder is not None and folders[folder] == 1 else ()
    return (*own, path[-1][: -len(".job")], name)


def read_batches(names: list[str]) -> Iterator[list[str]]:
    """``names`` in batches of :data:`EXPORT_BATCH`, what one ``export_job_list`` takes."""
    for start in range(0, len(names), EXPORT_BATCH):
        yield names[start : start + EXPORT_BATCH]


LISTING_FIELDS = ("jobType", "status", "lastUpdateTime", "lastUpdateUser", "version")
"""What of a ``list_jobs`` entry (``JobResult``) says whether its job changed: a save or an
import sets ``lastUpdateTime``, a start or stop the ``status`` (``version``: a server that
lists it, as jobferry does, counts submissions there). Not the last run's fields, which change
with every run."""


def listing(item: dict[str, Any]) -> dict[str, Any] | None:
    """What is compared of a job's list entry (``None``: it has no ``lastUpdateTime``, so the
    job is always exported)."""
    if not isinstance(item.get("lastUpdateTime"), int | str):
        return None
    return {key: item.get(key) for key in LISTING_FIELDS}


def creation(item: dict[str, Any]) -> dict[str, Any] | None:
    """A job's creation stamp in its list entry, which a rename keeps (``None``: none)."""
    if not isinstance(item.get("createTime"), int | str):
        return None
    return {key: item.get(key) for key in ("jobType", "createTime", "createUser")}


def identity(stamp: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """What identifies a job across a rename (its hash is recorded under :data:`CREATED`): its
    creation stamp (:func:`creation`) and its canonical definition but its name."""
    return {**stamp, "definition": digest({**value, "name": ""})}


def renames(stamps: dict[str, str], recorded: dict[str, str], gone: set[str]) -> dict[str, str]:
    """Old name → new name of the jobs renamed on the remote: a job gone whose recorded
    identity (its creation stamp and its definition but its name, hashed) is that of a job new
    (``stamps``), the only one with it on either side."""
    olds: dict[str, list[str]] = {}
    for name in sorted(gone & set(recorded)):
        olds.setdefault(recorded[name], []).append(name)
    news: dict[str, list[str]] = {}
    for name, stamp in sorted(stamps.items()):
        news.setdefault(stamp, []).append(name)
    return {
        olds[stamp][0]: names[0]
        for stamp, names in news.items()
        if len(names) == 1 and len(olds.get(stamp, [])) == 1
    }


@dataclass
class JobReads:
    """What a refresh reads of the remote's jobs: development states, submitted versions, and
    the list entries and identities of the jobs exported (recorded under :data:`LISTED` and
    :data:`CREATED`)."""

    jobs: KindRead
    submitted: KindRead
    listed: KindRead
    created: KindRead
    creations: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Each exported job's creation stamp in its list entry."""
    changes: dict[str, tuple[int, str] | None] = field(default_factory=dict)
    """Each exported job's last change (who, when) in its list entry (:func:`last_change`)."""

    def take(
        self, submitted: bool, names: tuple[str, ...], doc: dict[str, Any], status: Statuses
    ) -> None:
        """One ``.job`` of a batch export of the listed jobs (``names``: whose it may be, surest
        first, as :func:`job_entries` reads them)."""
        name = next((n for n in names if n in status), None)
        if name is None:
            return
        if submitted:
            self.submitted.add(name, submitted_value(doc))
            return
        value = canonical(ObjectKind.JOB, doc)
        changed = self.changes.get(name)
        self.jobs.add(name, job_value(value, status[name], changed), job_value(value, status[name]))
        stamp = self.creations.get(name)
        if stamp is not None:  # a rename keeps both: the stamp, the definition but its name
            self.created.add(name, identity(stamp, value))

    def close(self) -> None:
        """Remove what was spooled."""
        for read in (self.jobs, self.submitted, self.listed, self.created):
            read.spool.close()


def read_jobs(
    client: DataArtsClient,
    known: dict[str, dict[str, str]],
    said: Callable[[int], None] | None = None,
) -> JobReads:
    """Every job of the remote, and its submitted version: listed for names and status, the
    names of each listed page whose entry changed since the last refresh exported (100 a call,
    development states and submitted versions) while the next pages are listed, a few exports
    in flight. A job whose entry is as the last refresh recorded keeps the hashes recorded then,
    unread (one a push touched since, whose entry the push's re-read recorded, has only its
    submitted version exported); the rest are compared by hash as ever. ``said``: told how many
    jobs are read so far (kept, or both states exported), as the exports come back."""
    reads = JobReads(
        KindRead(JOB, known[JOB]),
        KindRead(SUBMITTED, known[SUBMITTED]),
        KindRead(LISTED, {}),
        KindRead(CREATED, {}),
    )
    read, submitted = reads.jobs, reads.submitted
    status: dict[str, JobStatus] = {}
    batches = Batches(known[SUBMITTED])
    halves = [0]  # a job read is two: its development state and its submitted version

    def as_recorded(name: str, entry: dict[str, Any] | None) -> bool:
        return entry is not None and known[LISTED].get(name) == digest(entry)

    def exports() -> Iterator[Export]:
        for item in client.jobs():
            name, entry = str(item["name"]), listing(item)
            status[name] = scheduling(item.get("status"))
            if as_recorded(name, entry) and name in read.known:
                read.keep(name)
                halves[0] += 1
                if name in submitted.known:
                    submitted.keep(name)
                    halves[0] += 1
                else:  # a push's re-read recorded the entry, not the submitted version
                    yield from batches.add(name, develop=False)
                continue
            if entry is not None:
                reads.listed.add(name, entry)
            reads.creations[name] = creation(item)
            reads.changes[name] = last_change(item)
            yield from batches.add(name)
        yield from batches.rest()

    try:
        for export, zips, never in bounded_map(partial(exported, client), exports()):
            for names, doc in (entry for data in zips for entry in job_entries(client, data)):
                reads.take(export.submitted, names, doc, status)
            for name in never:
                submitted.add(name, NEVER)
            halves[0] += len(export.names)
            if said is not None:
                said(halves[0] // 2)
        _check_read(client, status, read, submitted)
        created = reads.created.hashes
        new = {n: created[n] for n in read.changed if n not in read.known and n in created}
        read.renamed = renames(new, known[CREATED], set(read.known) - set(status))
    except BaseException:
        reads.close()
        raise
    return reads


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
    """What a refresh reads beside the jobs (while the jobs are read): scripts, resources, and
    the remote's environment, each on a thread of its own (each is pages one after another:
    side by side, the three cost the longest, not their sum)."""

    client: DataArtsClient
    known: dict[str, dict[str, str]]
    reads: list[KindRead] = field(default_factory=list)
    environment: list[KindRead] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __call__(self) -> None:
        client, known = self.client, self.known
        with ThreadPoolExecutor(max_workers=3) as pool:
            scripts = pool.submit(read_listed, ObjectKind.SCRIPT, client.scripts(), known[SCRIPT])
            resources = pool.submit(
                read_listed, ObjectKind.RESOURCE, client.resources(), known[RESOURCE]
            )
            environment = pool.submit(read_environment, client, known)
        # every read is over here (the pool's exit waits): keep what succeeded, so that it is
        # closed with the rest when one failed
        for read in (scripts, resources):
            if read.exception() is None:
                self.reads.append(read.result())
        if environment.exception() is None:
            self.environment, self.notes = environment.result()
        futures = (scripts, resources, environment)
        failed = [exc for f in futures if (exc := f.exception()) is not None]
        if failed:
            self.close()
            raise failed[0]

    def close(self) -> None:
        """Remove what was spooled (the refresh failed)."""
        for read in (*self.reads, *self.environment):
            read.spool.close()


@dataclass
class EntriesWriter:
    """Records the list entries and creation stamps of the jobs a refresh exported (in its
    transaction, after the jobs: :meth:`ShadowWriter.remember` forgot the entries of every job
    written, gone or renamed, :meth:`ShadowWriter.delete` their stamps)."""

    reads: Sequence[KindRead]

    def __call__(self, writer: ShadowWriter) -> None:
        for read in self.reads:
            writer.remember(read, now_ms())
            read.spool.close()


def refresh(
    db: Database,
    scope: Scope,
    remote: str,
    client: DataArtsClient,
    box: SecretBox,
    said: Said | None = None,
) -> Refresh:
    """Bring the shadow workspace of ``scope`` to the state of ``remote`` (read by
    ``client``); what was done. ``said``: told how far it got: the jobs read so far (towards
    as many as the remote's lists say, else the last refresh found; often), then the write."""
    started = time.monotonic()
    kinds = (*(k.value for k in DEFINITION_KINDS), *ENVIRONMENT_KINDS, SUBMITTED, LISTED, CREATED)
    recorded = known_hashes(db, scope.workspace.id, kinds)
    known = recorded.hashes
    at = now_ms()
    others = OtherReads(client, known)
    reading_said = (
        None if said is None else reading_progress(said, remote, client, len(known[LISTED]))
    )

    with ThreadPoolExecutor(max_workers=1) as beside:
        reading = beside.submit(others)
        try:
            jobs = read_jobs(client, known, reading_said)
        except BaseException:
            reading.cancel()
            wait([reading])
            others.close()
            raise
        try:
            reading.result()
        except BaseException:
            others.close()
            jobs.close()
            raise
    summary = Refresh(at, Refresh.empty(at).counts, client.calls, 0.0, notes=tuple(others.notes))
    extras = (
        SubmittedWriter(jobs.submitted),
        EnvironmentWriter(box, others.environment),
        EntriesWriter((jobs.listed, jobs.created)),
    )
    reads = [*others.reads, jobs.jobs]
    if said is not None:
        said(85, f"Writing what changed into shadow workspace '{scope.workspace.name}'.", False)
    try:
        return write_reads(
            db, scope, reads, Written(remote, recorded.version, summary, started), extras
        )
    finally:  # a write refused (a push open) never reaches the extras, which close their own
        for read in (jobs.submitted, jobs.listed, jobs.created, *others.environment):
            read.spool.close()
