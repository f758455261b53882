"""The write half of a refresh: what was read of one kind, and the writes that bring a shadow
workspace to it, whatever was read (the remote through its API, or a carried snapshot).

A :class:`KindRead` keeps every name's hash (a few dozen bytes a name) and spools only the
definitions that differ from what the last refresh recorded to a temporary file, one JSON line
each, so a refresh's memory does not grow with the remote: a first refresh of 5,000 jobs holds
their names and hashes, not their definitions. :func:`write_reads` then opens the one write
transaction (the remote's row locked; refused when another refresh recorded meanwhile), creates
and overwrites what changed in bulk, a batch at a time, with the bookkeeping of the
definitions' own writers (:mod:`.batchwrites`), deletes what the remote no longer has, writes
nothing for the rest, and records the hashes and the refresh's summary.

The comparison itself (``canonical``, ``digest``) lives in :mod:`jobferry.domain.definitions`,
since a package's basis (:mod:`jobferry.package.basisblock`) hashes the same way on the
remote's side.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any

import orjson

from jobferry.domain.definitions import canonical as canonical
from jobferry.domain.definitions import digest as digest
from jobferry.domain.enums import JobStatus, ObjectKind, RefreshAction
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConflictError, RemoteNotFoundError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope
from jobferry.services.remotes.batchwrites import BatchWriter, batches
from jobferry.services.remotes.records import CREATED, LISTED, SUBMITTED, Refresh
from jobferry.storage import Database, Tx
from jobferry.storage import remotes as repo
from jobferry.storage import remotes_journal as journal_repo


class Spool:
    """Changed definitions kept for the write phase in a temporary file, one JSON line each."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def add(self, name: str, value: object) -> None:
        """Keep one object's value."""
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives until close())
        self._file.write(orjson.dumps([name, value]) + b"\n")

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        if self._file is None:
            return
        self._file.seek(0)
        for line in self._file:
            name, value = orjson.loads(line)
            yield str(name), value

    def close(self) -> None:
        """Remove the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class KindRead:
    """What a refresh read of one kind: every name's hash, and the changed objects spooled.

    ``whole``: the read holds everything the remote has of the kind, so what the last refresh
    recorded and this one did not see is gone (a DataArts batch export holds only the scripts
    and resources its jobs use: those kinds are not whole, and nothing of them is deleted)."""

    kind: str
    known: dict[str, str]
    """name → hash the last refresh recorded."""
    whole: bool = True
    hashes: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    spool: Spool = field(default_factory=Spool)
    renamed: dict[str, str] = field(default_factory=dict)
    """Old name → new name of the objects renamed on the remote (jobs: :data:`CREATED`)."""

    def add(self, name: str, value: object, hashed: object | None = None) -> None:
        """One object read: its value (what the writer takes) and what is hashed of it (the
        value itself unless given)."""
        sha = digest(value if hashed is None else hashed)
        self.hashes[name] = sha
        if self.known.get(name) != sha:
            self.changed.append(name)
            self.spool.add(name, value)

    def keep(self, name: str) -> None:
        """One object known unchanged without reading it (what the remote lists of it is as
        it was at the last refresh): the hash recorded then stands."""
        self.hashes[name] = self.known[name]

    @property
    def gone(self) -> list[str]:
        """Names the last refresh recorded that the remote no longer has."""
        if not self.whole:
            return []
        return sorted(set(self.known) - set(self.hashes) - set(self.renamed))


def job_value(
    doc: dict[str, Any], status: JobStatus, changed: tuple[int, str] | None = None
) -> dict[str, Any]:
    """What a refresh keeps (and hashes) of a job: its definition and scheduling status (and,
    kept but not hashed, ``changed``: when and by whom the remote says it last changed,
    :func:`last_change`)."""
    value = {"document": doc, "status": status.value}
    return value if changed is None else {**value, "changed": list(changed)}


def last_change(item: dict[str, Any]) -> tuple[int, str] | None:
    """When and by whom a job last changed on the remote, as its ``list_jobs`` entry
    (``JobResult``) answers: ``lastUpdateTime`` (ms) and ``lastUpdateUser`` (none when it
    lacks either): what the shadow's job is stamped with when a refresh writes it."""
    at, by = item.get("lastUpdateTime"), item.get("lastUpdateUser")
    if isinstance(at, str) and at.isdigit():
        at = int(at)
    if not isinstance(at, int) or isinstance(at, bool) or not isinstance(by, str) or not by:
        return None
    return at, by


@dataclass
class ShadowWriter:
    """The writes of one refresh into a shadow workspace, in the caller's transaction."""

    tx: Tx
    scope: Scope
    counts: dict[str, dict[str, int]]
    batches: BatchWriter = field(init=False)

    def __post_init__(self) -> None:
        self.batches = BatchWriter(self.tx, self.scope)

    def count(self, kind: str, action: RefreshAction, n: int = 1) -> None:
        """Count ``n`` objects of ``kind`` the refresh did ``action`` to."""
        by_action = self.counts.setdefault(kind, {a.value: 0 for a in RefreshAction})
        by_action[action.value] += n

    def apply(self, read: KindRead) -> None:
        """Rename what the remote renamed, then create or overwrite what changed of one kind,
        a batch at a time; count what is unchanged."""
        if read.renamed:
            self.batches.rename(read.kind, read.renamed)
        for batch in batches(read.spool):
            created = self.batches.put(read.kind, batch)
            self.count(read.kind, RefreshAction.CREATED, created)
            self.count(read.kind, RefreshAction.UPDATED, len(batch) - created)
        self.count(read.kind, RefreshAction.UNCHANGED, len(read.hashes) - len(read.changed))

    def delete(self, read: KindRead) -> None:
        """Delete what the remote no longer has of one kind."""
        gone = read.gone
        self.batches.delete(read.kind, gone)
        if read.kind == ObjectKind.JOB:  # a job of that name again is versioned afresh
            old = [*gone, *read.renamed]
            for kind in (SUBMITTED, CREATED):
                repo.forget_read(self.tx, self.scope.workspace.id, kind, old)
        self.count(read.kind, RefreshAction.DELETED, len(gone))

    def remember(self, read: KindRead, at: int) -> None:
        """Record what was read of the objects written or deleted."""
        ws = self.scope.workspace.id
        names = [*read.changed, *read.gone, *read.renamed]
        repo.forget_read(self.tx, ws, read.kind, names)
        if read.kind == ObjectKind.JOB:  # their list entries are recorded again, if listed
            repo.forget_read(self.tx, ws, LISTED, names)
        fresh = [(name, read.hashes[name]) for name in read.changed]
        repo.record_read(self.tx, ws, read.kind, fresh, at)


@dataclass(frozen=True)
class Recorded:
    """What the refreshes recorded of a shadow's objects: each kind's hashes, and the version
    of those records they were read at (``remotes.reads_version``)."""

    hashes: dict[str, dict[str, str]]
    """kind → (name → hash)."""
    version: int


def known_hashes(db: Database, workspace_id: str, kinds: Sequence[str]) -> Recorded:
    """What the last refresh recorded of each of ``kinds``, in one query, and the version of
    those records (read first: a change committed between the two reads shows as one)."""
    with db.transaction(readonly=True) as tx:
        version = repo.reads_version(tx, workspace_id) or 0
        return Recorded(repo.read_all_hashes(tx, workspace_id, kinds), version)


def _refuse_pushing(tx: Tx, workspace_id: str, remote: str) -> None:
    """A refresh waits for a push (or a rollback) into its remote to be over."""
    pushing = journal_repo.open_in_workspace(tx, workspace_id)
    if pushing:
        raise ConflictError(
            f"Remote '{remote}' is being pushed to ({pushing[0].task_id}); nothing was "
            "written. Refresh once it is over.",
            remote=remote,
            task_id=pushing[0].task_id,
        )


@dataclass(frozen=True)
class Written:
    """What the write phase needs besides the reads: how the refresh is recorded."""

    remote: str
    version: int
    """The version of the records the reads were compared with (:class:`Recorded`): the
    write is refused when they changed meanwhile."""
    summary: Refresh
    """The refresh's record: its counts are filled in by the writes, its seconds at the end."""
    started: float
    """``time.monotonic()`` when the refresh started."""


def write_reads(
    db: Database,
    scope: Scope,
    reads: Sequence[KindRead],
    done: Written,
    extras: Sequence[Callable[[ShadowWriter], None]] = (),
) -> Refresh:
    """Bring the shadow of ``scope`` to what ``reads`` hold, in one transaction; ``extras``
    (each called with the writer, in the transaction, in turn) write what is not a definition
    (submitted versions, the environment)."""
    ws, remote = scope.workspace.id, done.remote
    try:
        with db.transaction() as tx:
            locked = repo.lock_remote(tx, scope.actor.project_id, remote)
            if locked is None or locked.workspace_id != ws:
                raise RemoteNotFoundError(
                    f"Remote '{remote}' was removed while this refresh read it; nothing was "
                    f"written: its workspace '{scope.workspace.name}' is an ordinary one now.",
                    fix="List the remotes with GET /v1/{project_id}/remotes.",
                    remedy=Remedy.LIST_REMOTES,
                    remote=remote,
                )
            _refuse_pushing(tx, ws, remote)
            if locked.reads_version != done.version:
                raise ConflictError(
                    f"Another refresh of remote '{remote}' finished while this one read; "
                    f"nothing was written: refresh again (jobferry remotes refresh {remote}).",
                    remote=remote,
                )
            writer = ShadowWriter(tx, scope, done.summary.counts)
            summary = done.summary
            for read in reads:
                writer.apply(read)
            for read in reversed(reads):  # jobs first: they name the scripts and resources
                writer.delete(read)
            for read in reads:
                writer.remember(read, done.summary.at)
            for extra in extras:
                extra(writer)
            summary = replace(summary, seconds=round(time.monotonic() - done.started, 3))
            repo.set_refresh(tx, scope.actor.project_id, remote, summary.at, summary.dump())
            audit_in_scope(tx, scope, "remote.refresh", "remote", remote, summary.counts)
    finally:
        for read in reads:
            read.spool.close()
    db.grown(summary.written(), repo.GROWN_BY_REFRESH)  # in bulk: the planner must know it
    return summary
