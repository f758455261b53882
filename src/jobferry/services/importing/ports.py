"""The import pipeline's two ports: where it reads from, and the workspace it imports into.

The pipeline (plan: :mod:`.planner` with :mod:`.matching`, :mod:`.checks`, :mod:`.deletes`,
:mod:`.ordering`; apply: :mod:`.apply` with :mod:`.promote`) runs against these protocols only:

- :class:`ImportSource` opens to an :class:`OpenedPackage`, a stream of package objects with
  the package's manifest, sha256 and signature. Implementation: :class:`~.sources.PackageFile`,
  the package file an import path names (an upload, a download-center package, or an object
  in object storage). A workspace of this server (a route's cut) and a folder of definitions
  (``jobferry apply -f``) reach the pipeline as package files too, packed by their one writer.
- :class:`ImportTarget` gives a :class:`TargetReader` (every read the plan makes of the target,
  and the fingerprint of what it read), a :class:`~.changes.ChangePort` (every object write an
  apply makes, as typed lines) and an :class:`ImportRecord` (the import's own record: ledger,
  change records, subtasks, audit). Implementation: :class:`~.local.LocalWorkspace`, a
  workspace of this server, read and written in the caller's transaction.

A remote DataArts workspace is reached through its shadow: the shadow's delivery chooses the
executor of the change port (``services/remotes``), never a branch in the pipeline.
Reads are asked a batch at a time (a list of names, uids or keys per call): an implementation
answers a batch with one query (or one call), so the pipeline costs no extra query per object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from jobferry.package.model import PackageObject
from jobferry.package.reading import Prepare, Wants
from jobferry.services.context import Scope
from jobferry.services.importing.changes import ChangePort
from jobferry.services.policies.governing import HeldPolicy
from jobferry.services.workspaces.profiles import ResolvedProfile
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow, Packed
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.keys import TrustedKeyRecord
from jobferry.storage.rows import ChangeRow, Stamp

# -- the source ------------------------------------------------------------------------------------


class OpenedPackage(Protocol):
    """One streaming read of a package (what :class:`~jobferry.package.reader.PackageReader`
    offers the pipeline)."""

    manifest: dict[str, Any] | None
    """The parsed manifest (``None``: a DataArts package without one)."""
    manifest_bytes: bytes | None
    signature: bytes | None
    sha256: str
    size: int

    def objects(
        self, prepare: Prepare | None = None, helper: bool = False, wanted: Wants = None
    ) -> Iterator[PackageObject]:
        """Every object once, in the order an import writes them (kind, name, uid, document,
        entry bytes); raises at its end what only the whole package shows. ``wanted``: whether
        the next batches are worth preparing ahead (asked before each; ``None``: always)."""
        ...

    def definitions(self) -> int:
        """How many definitions the package holds at most (known before reading them)."""
        ...

    def present(self, kind: str, names: Sequence[str]) -> set[str]:
        """Which of ``names`` the package holds as ``kind`` (among the objects read so far)."""
        ...

    def listed_uids(self, uids: Sequence[str]) -> set[str]:
        """Which of these stable identifiers the manifest's inventory lists."""
        ...

    @property
    def layout(self) -> str:
        """``single``, ``batch`` or ``mixed`` (once the objects were read)."""
        ...


class ImportSource(Protocol):
    """Where an import's objects come from."""

    def title(self) -> str:
        """What to call the source in task titles."""
        ...

    def open(self, helper_from: int | None = None) -> AbstractContextManager[OpenedPackage]:
        """The source opened for one streaming read (its scratch files removed on exit);
        ``helper_from``: a package of at least that many entries starts its helper process
        at once (see :class:`~jobferry.package.reader.PackageReader`)."""
        ...


# -- the target ------------------------------------------------------------------------------------


class TargetReader(Protocol):
    """Every read the plan makes of the workspace it imports into, a batch at a time.

    What the plan's decisions depend on goes into :meth:`fingerprint`, in the order it was
    read, so a kept plan can tell whether the target changed since."""

    locked_tags: set[str]
    """Tags no import may add a job to."""
    locks: dict[tuple[str, str], tuple[int, str]]
    """(kind, name) → (user id, user name) of the objects someone holds a lock on."""

    # objects
    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """The jobs, scripts and resources of these names (per kind), by (kind, name)."""
        ...

    def stored_by_uid(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """The jobs, scripts and resources with these stable identifiers, by (kind, uid)."""
        ...

    def existing(self, wanted: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
        """Which of the names asked per (kind, workspace id) exist: (kind, workspace id, name)
        (environment objects, and jobs of other workspaces of the project)."""
        ...

    def workspace_id(self, name_or_id: str) -> str | None:
        """The id of a workspace of the project named (or identified) by ``name_or_id``."""
        ...

    def fingerprint(self, extra: Iterable[str]) -> str:
        """A hash of everything read so far, and of ``extra``."""
        ...

    # the promotion ledger
    def ledger_rows(self, source: str, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        """source uid → what the target received as these objects of ``source``."""
        ...

    def ledger_by_target(self, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        """target uid → the ledger row (of any source) that points at it."""
        ...

    def ledger_deletions(
        self, source: str, kind: str, uids: Sequence[str]
    ) -> dict[str, LedgerDeletion]:
        """source uid → what an import deleted of these objects of ``source`` (their ledger
        rows gone)."""
        ...

    def source_ledger(
        self, source: str, after: tuple[str, str] | None, limit: int
    ) -> list[LedgerRow]:
        """A batch of everything the target received from ``source``, by (kind, source uid),
        after ``after``."""
        ...

    # who uses what
    def objects_after(self, kind: str, after: str, limit: int) -> list[TargetObject]:
        """Every object of ``kind`` the target holds, by stable identifier: the first
        ``limit`` after ``after``."""
        ...

    def jobs_using(self, kind: str, names: Sequence[str]) -> list[tuple[int, str, str]]:
        """(job id, job name, object name) of the target's jobs using these objects."""
        ...

    def dependents_elsewhere(self, job_name: str) -> list[tuple[str, int, str]]:
        """(workspace, job id, job) of jobs of other workspaces of the project that depend on
        this job of the target."""
        ...

    def version_users(self, freed: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
        """(kind, name, workspace, job) for each of the target's objects ``freed`` (kind, name)
        that the latest submitted version of a job uses though the job was saved since as
        another text: a job of the target, or for a job, of any workspace of the project."""
        ...

    def upstream_edges(self, names: Sequence[str]) -> list[tuple[str, str]]:
        """(job, upstream job) dependJobs edges of these jobs of the target."""
        ...

    # the workspace's settings
    def connection_secrets(self) -> dict[str, set[str]]:
        """Connection name → the secret roles set on it, for every connection of the target."""
        ...

    def trusted_keys(self) -> list[str]:
        """The public keys the target trusts for package signatures (its own included)."""
        ...

    def distrusted_keys(self) -> list[TrustedKeyRecord]:
        """The keys the target distrusts: a package one of them signed is refused."""
        ...

    def profile(self, ref: str | dict[str, Any] | None) -> ResolvedProfile | None:
        """The import profile a request names (kept by the target) or carries inline."""
        ...

    def policies(self, package_path: str) -> list[HeldPolicy]:
        """The policies a plan of that package into the target keeps (``services/policies``)."""
        ...


class ImportRecord(Protocol):
    """The import's own record, written by the service apart from the target's objects (those
    go through the change port, :mod:`.changes`): the promotion ledger, the change records a
    rollback undoes, the task's subtasks and the audit log (nothing commits)."""

    # the promotion ledger
    def has_ledger(self, source: str) -> bool:
        """Whether the target holds any ledger row of ``source``."""
        ...

    def learn(
        self, rows: Sequence[LedgerRow], replace: bool, packed: Sequence[Packed | None]
    ) -> None:
        """Write ledger rows (``replace``: rows of the same objects may exist)."""
        ...

    def forget(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """Forget ledger rows: (source workspace, kind, source uid) keys."""
        ...

    def tombstones(self, gone: Iterable[tuple[str, str, str]], stamp: Stamp) -> None:
        """Keep tombstones of deleted objects: (kind, uid, name)."""
        ...

    def deleted(self, rows: Sequence[LedgerDeletion]) -> None:
        """Remember which package's import deleted objects a source sent (their ledger rows
        forgotten)."""
        ...

    # what the import did
    def add_changes(self, rows: Sequence[ChangeRow]) -> None:
        """The per-object change records (what a rollback undoes)."""
        ...

    def add_subtasks(self, task_id: str, rows: Sequence[tuple[int, str, str]]) -> None:
        """The task's subtasks: (position, status, the subtask as JSON) rows."""
        ...

    def audit(self, action: str, kind: str, name: str, detail: dict[str, Any]) -> None:
        """One line of the target's audit log, by the import's actor."""
        ...


class ImportTarget(Protocol):
    """The workspace an import goes into: read by the plan, written by the apply."""

    scope: Scope

    def reader(self, lock_rows: bool) -> TargetReader:
        """A reader of the target (``lock_rows``: lock what it reads until the import ends)."""
        ...

    def changes(self) -> ChangePort:
        """The target's change port (its local executor)."""
        ...

    def record(self) -> ImportRecord:
        """Where the import's own record goes."""
        ...
