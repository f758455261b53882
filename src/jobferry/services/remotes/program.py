"""What a push must do to a remote, noted from the lines of the import into its shadow.

A push runs the import pipeline unchanged, once, into the shadow workspace, with
:class:`NotingChanges` as the executor of the change port (``importing/changes.py``): the
local executor, which also notes from every line what the apply wrote, renamed, deleted,
paused or restored. What the shadow holds at the import's end (read in its transaction, before
it commits) is the state the remote must reach: :meth:`NotingChanges.program` gives it as a
:class:`Program`. The pipeline keeps every rule it has (plan, identity, renames, deletions,
pause and restore); the remote is reached through this one executor of the change port."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, assert_never

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.services.context import Scope
from jobferry.services.importing import changes
from jobferry.services.importing.local import LocalChanges
from jobferry.services.remotes.refresh import canonical
from jobferry.storage import Tx
from jobferry.storage import exports as export_repo
from jobferry.storage.importing import snapshots
from jobferry.storage.importing import target as target_repo

KINDS = (ObjectKind.JOB.value, ObjectKind.SCRIPT.value, ObjectKind.RESOURCE.value)
_READERS = {
    ObjectKind.JOB: target_repo.target_jobs,
    ObjectKind.SCRIPT: target_repo.target_scripts,
    ObjectKind.RESOURCE: target_repo.target_resources,
}


@dataclass
class Program:
    """The changes a push makes to a remote, as the shadow holds them after the import."""

    puts: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    """kind → name → the definition the remote must hold (canonical)."""
    status: dict[str, str] = field(default_factory=dict)
    """Job name → its scheduling status at the import's end (jobs written or renamed)."""
    renames: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, old name, new name)."""
    deletes: list[tuple[str, str]] = field(default_factory=list)
    """(kind, name), in the order the apply deleted them."""
    paused: list[str] = field(default_factory=list)
    """Jobs the apply paused (by their name then)."""
    edges: list[tuple[str, str]] = field(default_factory=list)
    """(job, upstream job) among the jobs written."""
    deleted_edges: list[tuple[str, str]] = field(default_factory=list)
    """(job, upstream job) among the jobs deleted, before they were."""
    unsupported: list[str] = field(default_factory=list)
    """What the remote cannot be given through its public API, said plainly."""

    def touched(self) -> dict[str, set[str]]:
        """kind → every name the push reads before it writes (old and new names)."""
        names: dict[str, set[str]] = {kind: set(self.puts[kind]) for kind in KINDS}
        for kind, old, new in self.renames:
            names[kind].update((old, new))
        for kind, name in self.deletes:
            names[kind].add(name)
        names[ObjectKind.JOB.value].update(self.paused)
        return names

    def empty(self) -> bool:
        """Whether the push has nothing to write."""
        return not (any(self.puts.values()) or self.renames or self.deletes)


class NotingChanges(LocalChanges):
    """The shadow's change port during a push: the local executor, which also notes from each
    line what the remote must be told (its one :meth:`write` sees every line; a line kind it
    does not handle fails the type check, :func:`typing.assert_never`)."""

    def __init__(self, tx: Tx, scope: Scope) -> None:
        super().__init__(tx, scope)
        self.written: dict[str, set[str]] = {kind: set() for kind in KINDS}
        self.renamed: dict[tuple[str, str], tuple[str, str]] = {}
        """(kind, object id) → (its name before the import, its name now)."""
        self.deleted: list[tuple[str, str]] = []
        self.paused: list[str] = []
        self.cdm_jobs: list[str] = []
        self.unsupported: list[str] = []

    def write(self, line: changes.Change) -> changes.Written:
        """Write the line locally, and note it."""
        if isinstance(line, changes.Rename):
            self._renaming(line)  # the names before, read before the rename
        written = super().write(line)
        self.note(line, written)
        return written

    def _renaming(self, line: changes.Rename) -> None:
        for object_id, new in line.names:
            first = self.renamed.get((line.kind, object_id))
            if first is None:
                first = (str(snapshots.take(self.tx, line.kind, object_id)["row"]["name"]), new)
            self.renamed[(line.kind, object_id)] = (first[0], new)

    def note(self, line: changes.Change, written: changes.Written) -> None:
        """What the remote must be told of one line."""
        match line:
            case (
                changes.PutScripts()
                | changes.PutResources()
                | changes.PutJobs()
                | changes.RewriteJob()
            ):
                kind, names = _put_names(line)
                self.written[kind].update(names)
            case changes.PutCdmJob(name, _, _, _):
                self.cdm_jobs.append(name)  # an environment object: refused by the push
            case changes.Delete(kind, _):
                self.deleted.append((kind, str(written.state["row"]["name"])))
            case changes.SetScheduling(_, name, status) if status == JobStatus.STOPPED.value:
                self.paused.append(name)
            case changes.SetScheduling() | changes.PutJobDetails() | changes.Rename():
                pass  # restores and details are read with the jobs; renames noted before
            case changes.Remove() | changes.TrimVersions() | changes.PutBack():
                # a rollback's lines: a push's rollback pushes the journal's inverse instead
                self.unsupported.append(f"a rollback's {type(line).__name__} line")
            case _:
                assert_never(line)

    def program(self) -> Program:
        """What the remote must be told: the shadow's state of every object written, read now
        (in the import's transaction)."""
        renames = [(k, old, new) for (k, _), (old, new) in self.renamed.items() if old != new]
        out = Program(renames=renames, deletes=list(self.deleted))
        out.paused = list(dict.fromkeys(self.paused))
        out.unsupported = list(self.unsupported)
        out.unsupported += [
            f"CDM job '{name}' (an environment object: DataArts' public API has no call "
            "that writes one; create it in the remote's CDM first and leave it out of the "
            "package)"
            for name in self.cdm_jobs
        ]
        olds = {(kind, old) for kind, old, _ in renames}
        out.unsupported += [
            f"the rename of {kind} '{old}' to '{new}', a name another object gives up in the "
            "same import (push the renames one import at a time)"
            for kind, old, new in renames
            if (kind, new) in olds
        ]
        renamed_to = {new for kind, _, new in renames if kind == ObjectKind.JOB}
        self._read(out, self.written[ObjectKind.JOB] | renamed_to)
        jobs = sorted(out.puts[ObjectKind.JOB])
        out.edges = export_repo.upstream_edges(self.tx, self.ws, jobs) if jobs else []
        out.deleted_edges = _deleted_edges(out.deletes)
        return out

    def _read(self, out: Program, jobs: set[str]) -> None:
        """The shadow's definitions of the objects written, into ``out`` (a query a chunk of
        names and kind)."""
        for kind, names in (
            (ObjectKind.JOB, jobs),
            (ObjectKind.SCRIPT, self.written[ObjectKind.SCRIPT]),
            (ObjectKind.RESOURCE, self.written[ObjectKind.RESOURCE]),
        ):
            found = _READERS[kind](self.tx, self.ws, names)
            for name in sorted(found):
                out.puts[kind][name] = canonical(kind, _doc(found[name].document))
                if kind is ObjectKind.JOB:
                    out.status[name] = found[name].status


def _put_names(
    line: changes.PutScripts | changes.PutResources | changes.PutJobs | changes.RewriteJob,
) -> tuple[ObjectKind, list[str]]:
    """The kind and names of the objects a put line writes."""
    match line:
        case changes.PutScripts(new, updated, _, _):
            return ObjectKind.SCRIPT, [row.name for _, row in (*new, *updated)]
        case changes.PutResources(new, updated, _):
            return ObjectKind.RESOURCE, [row.name for _, row in (*new, *updated)]
        case changes.PutJobs(new, updated, _):
            return ObjectKind.JOB, [row.name for row in new] + [row.name for _, row in updated]
        case changes.RewriteJob(_, row, _, _):
            return ObjectKind.JOB, [row.name]


def _doc(text: str) -> dict[str, Any]:
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {}


def _deleted_edges(deletes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The apply deletes jobs downstream-first already: keep its order as edges (each deleted
    job before the next one)."""
    jobs = [name for kind, name in deletes if kind == ObjectKind.JOB]
    return [(jobs[i + 1], jobs[i]) for i in range(len(jobs) - 1)]
