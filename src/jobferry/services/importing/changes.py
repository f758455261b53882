"""The change port: every object write an apply (or a rollback) makes, as typed lines.

The pipeline never writes an object of its target any other way than by handing a line to
:meth:`ChangePort.write`: put scripts, resources, a CDM job, jobs and their details (by name),
rename, delete, set a job's scheduling; and what a rollback adds: remove, trim versions, put
back (a rollback is its import's changes undone through the same port). A batch stays one
line (one query per kind and batch).
Once every line is written the caller says :meth:`ChangePort.commit` with how the task would
end (what the executor adds to the task's message and result comes back, or that the change
is still pending), or :meth:`ChangePort.abort` when it gives up.

The import's own record — ledger, change records, subtasks, audit, the task's end — is not a
change of the target's objects: the service writes it apart (:class:`~.ports.ImportRecord`).

Executors: :class:`~.local.LocalChanges` writes the lines in the import's transaction; a
remote's shadow wraps it with one that also notes each line for the remote
(``services/remotes/program.py``) and, at the commit, leaves the change pending until the
remote took it (``services/remotes/push.py``). Since there is one write method and
:data:`Change` is a closed union, a wrapper that notes what it is given sees every kind of
line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobferry.services.context import Scope
from jobferry.storage import Tx
from jobferry.storage.records import JobRecord, VersionRecord
from jobferry.storage.rows import JobRow, ResourceRow, ScriptRow, Stamp


@dataclass(frozen=True)
class PutScripts:
    """Create and overwrite scripts ((id, row) pairs), and add their new versions."""

    new: Sequence[tuple[str, ScriptRow]]
    updated: Sequence[tuple[str, ScriptRow]]
    versions: Sequence[tuple[str, VersionRecord]]
    stamp: Stamp


@dataclass(frozen=True)
class PutResources:
    """Create and overwrite resources ((id, row) pairs)."""

    new: Sequence[tuple[str, ResourceRow]]
    updated: Sequence[tuple[str, ResourceRow]]
    stamp: Stamp


@dataclass(frozen=True)
class PutCdmJob:
    """Create or overwrite a CDM job (an environment object, never with secrets)."""

    name: str
    type_: str
    config: str
    stamp: Stamp


@dataclass(frozen=True)
class PutJobs:
    """Create jobs (``new``) and overwrite others ((id, row) pairs); :attr:`Written.ids`
    answers name → (id, stable uid) of those created."""

    new: Sequence[JobRow]
    updated: Sequence[tuple[int, JobRow]]
    stamp: Stamp


@dataclass(frozen=True)
class PutJobDetails:
    """The written jobs' new versions ((job id, version, approvers)), their reference index
    ((job id, kind, name, other workspace) rows, replacing those of ``overwritten`` jobs) and
    the tags they carry (created when missing)."""

    versions: Sequence[tuple[int, VersionRecord, str | None]]
    refs: Sequence[tuple[int, str, str, str]]
    overwritten: Sequence[int]
    tags: Iterable[str]
    now: int


@dataclass(frozen=True)
class RewriteJob:
    """Overwrite one job's definition and its reference index ((kind, name, other ws)): a job
    referring to an object the import renamed."""

    job_id: int
    row: JobRow
    refs: Sequence[tuple[str, str, str]]
    stamp: Stamp


@dataclass(frozen=True)
class Rename:
    """Give objects of one kind new names: (id, new name) pairs."""

    kind: str
    names: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Delete:
    """Delete one object with its versions; :attr:`Written.state` is the object as it was
    (row and versions, plain values), for its change record."""

    kind: str
    object_id: str


@dataclass(frozen=True)
class SetScheduling:
    """Set a job's scheduling status (a pause before a write, or its restore)."""

    job_id: int
    name: str
    status: str


@dataclass(frozen=True)
class Remove:
    """Delete objects of one kind whole, a batch at a time, keeping nothing: what a rollback
    takes away (ids; a CDM job by its name)."""

    kind: str
    ids: Sequence[str]


@dataclass(frozen=True)
class TrimVersions:
    """Delete the versions newer than the one given per object: (object id, version) pairs
    of one kind (a rollback of the versions an import submitted)."""

    kind: str
    keep: Sequence[tuple[str, int]]


@dataclass(frozen=True)
class PutBack:
    """Insert an object a delete took whole (row and versions) again, as it was;
    :attr:`Written.restored` is its id (a rollback of a deletion)."""

    kind: str
    state: dict[str, Any]


Change = (
    PutScripts
    | PutResources
    | PutCdmJob
    | PutJobs
    | PutJobDetails
    | RewriteJob
    | Rename
    | Delete
    | SetScheduling
    | Remove
    | TrimVersions
    | PutBack
)
"""A line of the change port (every kind of object write there is)."""
LINES: tuple[type, ...] = (
    PutScripts,
    PutResources,
    PutCdmJob,
    PutJobs,
    PutJobDetails,
    RewriteJob,
    Rename,
    Delete,
    SetScheduling,
    Remove,
    TrimVersions,
    PutBack,
)
"""Every kind of :data:`Change`, for whoever must show it handles them all."""


@dataclass(frozen=True)
class Written:
    """What writing a line answers: the new jobs' (id, uid) by name (:class:`PutJobs`), the
    object as it was (:class:`Delete`), the id of one put back (:class:`PutBack`); empty for
    the other lines."""

    ids: dict[str, tuple[int, str]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    restored: str = ""
    """The id of an object put back (:class:`PutBack`)."""


@dataclass(frozen=True)
class TaskEnd:
    """How the import's task ends once its lines are the target's change."""

    task_id: str
    status: str
    message: str
    result: dict[str, Any]


@dataclass(frozen=True)
class Committed:
    """What an executor answers at the commit: words for the task's message, keys for its
    result; ``pending``: the change is not over when the import's transaction commits (a push:
    its calls come after), so the task stays running with the workspace's import lock held,
    saying :attr:`said`, and the executor ends it (:class:`TaskEnd`) once the change is over."""

    said: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    pending: bool = False


class ChangePort(Protocol):
    """Where the object writes of one import (or rollback) go."""

    def write(self, line: Change) -> Written:
        """Write one line."""
        ...

    def job(self, name: str) -> JobRecord | None:
        """A job of the target as the lines written so far left it (a rewrite reads it)."""
        ...

    def commit(self, end: TaskEnd) -> Committed:
        """Every line is written and the task would end as ``end``: make the lines the
        target's change (raising undoes them all)."""
        ...

    def abort(self) -> None:
        """The import gives up: none of its lines stand."""
        ...


Executor = Callable[[Tx, Scope], ChangePort]
"""Makes the change port of one import in its transaction (chosen by the workspace's
delivery: ``importing/delivery.py``)."""
