"""Submitted versions in a refresh: the remote's latest submitted version of every job, read in
bulk and kept in the shadow as the job's latest submitted version.

**Read**: ``export_job_list`` with ``exportStatus: SUBMIT``, 100 names a call, in flight beside
the development export (:func:`~jobferry.services.remotes.refresh.read_jobs`). A remote refuses
such a batch when a job in it was never submitted (DataArts' export dialog says the same;
jobferry answers 400 naming the jobs), and its refusal's wording is no contract: a refused batch
is split in halves, and each half exported again, down to one job, whose refusal means "no
submitted version". Jobs that had none at the last refresh are batched apart from the others,
and such a batch, refused, is split into single jobs at once (it is expected to be refused down
to the last job): a job never submitted costs one call a refresh, and never makes the other
jobs' batches fail. Nothing is asked job by job when nothing is refused.

**Compare**: what is hashed (and recorded in ``remote_objects`` under the kind
:data:`~jobferry.services.remotes.records.SUBMITTED`) is the canonical submitted definition,
or ``None`` for a job never submitted: an unchanged submitted version costs no write and no
read of the shadow.

**Write** (in the refresh's transaction, after the jobs' development states): a changed one is
compared with the shadow's latest submitted version and, when it differs, stored as the next
version of the shadow's job (its development state untouched: a job saved and not submitted on
the remote is saved and not submitted in the shadow); a job the remote never submitted loses the
shadow's versions. The shadow's versions are written in bulk (one insert per 500 jobs); the
refresh's audit line counts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import ObjectKind, RefreshAction, TargetStatus
from jobferry.errors import RemoteAuthError, RemoteError, RemoteUnreachableError
from jobferry.services.context import now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.remotes.client import EXPORT_BATCH, DataArtsClient
from jobferry.services.remotes.records import SUBMITTED
from jobferry.services.remotes.shadow import KindRead, ShadowWriter, canonical, digest
from jobferry.storage import jobs as job_repo
from jobferry.storage.records import VersionRecord

WRITE_BATCH = 500
"""Changed submitted versions compared with the shadow's and written together."""
NEVER: dict[str, Any] = {"document": None}
"""What is kept (and hashed) of a job the remote never submitted."""
NEVER_HASH = digest(NEVER)


def submitted_value(doc: dict[str, Any]) -> dict[str, Any]:
    """What a refresh keeps (and hashes) of a job's submitted version."""
    return {"document": canonical(ObjectKind.JOB, doc)}


@dataclass(frozen=True)
class Export:
    """One batch export a refresh makes: development states, or submitted versions
    (``alone``: of jobs without one at the last refresh)."""

    names: list[str]
    submitted: bool = False
    alone: bool = False


def _refused(exc: RemoteError) -> bool:
    """Whether the remote refused the request as invalid (HTTP 400; not the credentials, not
    the network, not a throttle, not an unpublished call): what a batch holding a
    never-submitted job gets."""
    if isinstance(exc, RemoteAuthError | RemoteUnreachableError):
        return False
    return exc.context.get("remote_status") == 400


def export_submitted(
    client: DataArtsClient, names: list[str], alone: bool = False
) -> tuple[list[bytes], list[str]]:
    """(the zips of ``names``' submitted versions, the names with none): one call when none
    is refused; a refused batch split in halves (``alone``: into single jobs) and asked again."""
    try:
        return [client.export_jobs(names, submitted=True)], []
    except RemoteError as exc:
        if not _refused(exc):
            raise
        if len(names) == 1:
            return [], names
    parts = [[name] for name in names] if alone else [names[: len(names) // 2]]
    if not alone:
        parts.append(names[len(names) // 2 :])
    zips: list[bytes] = []
    never: list[str] = []
    for part in parts:
        got, none = export_submitted(client, part)
        zips.extend(got)
        never.extend(none)
    return zips, never


@dataclass
class Batches:
    """The batch exports of the listed jobs, formed as the pages of ``list_jobs`` come: each
    100 names exported as development states, and as submitted versions (those without one at
    the last refresh apart)."""

    known: dict[str, str]
    """name → submitted hash the last refresh recorded."""
    develop: list[str] = field(default_factory=list)
    submit: list[str] = field(default_factory=list)
    alone: list[str] = field(default_factory=list)

    def add(self, name: str, develop: bool = True) -> Iterator[Export]:
        """One listed job (``develop``: its development state is exported too, not only its
        submitted version); the exports it completes."""
        if develop:
            self.develop.append(name)
        lonely = self.known.get(name) == NEVER_HASH
        (self.alone if lonely else self.submit).append(name)
        if len(self.develop) == EXPORT_BATCH:
            yield Export(self.develop)
            self.develop = []
        if len(self.submit) == EXPORT_BATCH:
            yield Export(self.submit, submitted=True)
            self.submit = []
        if len(self.alone) == EXPORT_BATCH:
            yield Export(self.alone, submitted=True, alone=True)
            self.alone = []

    def rest(self) -> Iterator[Export]:
        """The exports of the names left once every page is listed."""
        if self.develop:
            yield Export(self.develop)
        if self.submit:
            yield Export(self.submit, submitted=True)
        if self.alone:
            yield Export(self.alone, submitted=True, alone=True)


def exported(client: DataArtsClient, export: Export) -> tuple[Export, list[bytes], list[str]]:
    """Make one batch export: (it, the zips answered, the names without a submitted version)."""
    if not export.submitted:
        return export, [client.export_jobs(export.names)], []
    zips, never = export_submitted(client, export.names, export.alone)
    return export, zips, never


def _unnamed(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """A submitted version but its name: one made before the job was renamed holds its old
    name (DataArts' export: ``new/old.job``), and a rename submits nothing, so the name says
    nothing of whether the definition changed."""
    return None if doc is None else {k: v for k, v in doc.items() if k != "name"}


@dataclass
class SubmittedWriter:
    """Writes the submitted versions a refresh read, inside its transaction (after the jobs'
    development states, so every job is there)."""

    read: KindRead

    def __call__(self, writer: ShadowWriter) -> None:
        batch: list[tuple[str, Any]] = []
        for item in self.read.spool:
            batch.append(item)
            if len(batch) == WRITE_BATCH:
                self._write(writer, batch)
                batch = []
        self._write(writer, batch)
        unchanged = len(self.read.hashes) - len(self.read.changed)
        writer.count(SUBMITTED, RefreshAction.UNCHANGED, unchanged)
        writer.remember(self.read, now_ms())
        self.read.spool.close()

    @staticmethod
    def _write(writer: ShadowWriter, batch: list[tuple[str, Any]]) -> None:
        if not batch:
            return
        tx, scope = writer.tx, writer.scope
        heads = job_repo.submitted_heads(tx, scope.workspace.id, [name for name, _ in batch])
        ids: list[int] = []
        versions: list[VersionRecord] = []
        dropped: list[int] = []
        at = now_ms()
        for name, value in batch:
            head, doc = heads.get(name), value["document"]
            if head is None:
                continue  # listed, then gone from the jobs read: nothing to version
            held = canonical(ObjectKind.JOB, load(head.document)) if head.document else None
            if _unnamed(doc) == _unnamed(held):
                writer.count(SUBMITTED, RefreshAction.UNCHANGED)
            elif doc is None:
                dropped.append(head.job_id)
                writer.count(SUBMITTED, RefreshAction.DELETED)
            else:
                number = (head.latest_version or 0) + 1
                status = TargetStatus.SUBMITTED.value
                ids.append(head.job_id)
                versions.append(VersionRecord(number, status, dump(doc), at, scope.actor.name))
                action = RefreshAction.UPDATED if held is not None else RefreshAction.CREATED
                writer.count(SUBMITTED, action)
        job_repo.drop_versions(tx, dropped)
        job_repo.add_versions(tx, ids, versions)
