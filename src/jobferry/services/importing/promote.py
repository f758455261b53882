"""Import, apply: what repeated promotion adds to an apply, in the same transaction.

- **Renames** clear the way first: every object the plan renames takes a temporary name before
  anything is written (so ``a → b`` and ``b → a`` both work), then its new name with its new
  definition; afterwards every other job of the target that referred to an old name is
  rewritten to the new one (the jobs the import writes already are).
- **Deletes** keep the whole object (row and versions) in their change record, leave a
  tombstone (a target may be a source in turn) and forget the ledger row, remembering the
  package whose import deleted the source's object (an older package that holds it would
  make it again: ``older_package``).
- **Scheduled jobs** the plan pauses are stopped before they are written and started again
  after, and the audit log says so.
- **The ledger** learns, for each object with a stable identifier, which target object it
  became, exactly what was written, and which import of which package wrote it (a job's
  provenance reads it); the row it replaces goes into the change record's
  ``undo`` so a rollback can put it back. An object the import leaves as it is but whose row
  it rewrites (new, or out of date) gets a change record of its own (``LINK``) for that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from jobferry.domain.enums import (
    AnyRefKind,
    ChangeAction,
    JobStatus,
    ObjectKind,
    PlanAction,
    RefKind,
    running_status,
)
from jobferry.domain.references import distinct_references, job_references, rename_references
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.changes import (
    ChangePort,
    Delete,
    Rename,
    RewriteJob,
    SetScheduling,
)
from jobferry.services.importing.model import Record
from jobferry.services.importing.ports import ImportRecord
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow, Packed
from jobferry.storage.importing.workset import Workset
from jobferry.storage.rows import ChangeRow, JobRow, Stamp

TEMPORARY = "~jobferry-renaming~"
"""Prefix of the names renamed objects hold for an instant inside the import's transaction."""
BATCH = 500
_REF_KINDS: dict[str, RefKind] = {
    ObjectKind.JOB: RefKind.JOB,
    ObjectKind.SCRIPT: RefKind.SCRIPT,
    ObjectKind.RESOURCE: RefKind.RESOURCE,
}


def clear_names(changes: ChangePort, workset: Workset, failing: Container[int]) -> None:
    """Give every object the plan renames a temporary name (its uid makes it unique), but for
    those that fail (PER_OBJECT mode), which keep their names."""
    seqs = [seq for seq in workset.renames() if seq not in failing]
    for start in range(0, len(seqs), BATCH):
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for data, _ in workset.records(seqs[start : start + BATCH]).values():
            record = Record.unpacked(data)
            assert record.target is not None
            assert record.target_uid is not None
            by_kind.setdefault(record.kind, []).append(
                (record.target[0], TEMPORARY + record.target_uid)
            )
        for kind, names in by_kind.items():
            changes.write(Rename(kind, names))


class Promotion:
    """The promotion side of one apply: ledger rows, deletes, renames, pauses."""

    def __init__(
        self,
        changes: ChangePort,
        record: ImportRecord,
        scope: Scope,
        source: str | None,
        task_id: str,
        stamp: Stamp,
        package: tuple[str, int | None],
    ) -> None:
        self.changes, self.record = changes, record
        self.scope, self.source, self.task_id, self.stamp = scope, source, task_id, stamp
        self.package_sha256, self.package_created_at = package
        """The package's sha256 and ``createdAt`` (epoch ms), kept in each ledger row."""
        self.ws = scope.workspace.id
        self.ledger: list[LedgerRow] = []
        self.packed: list[Packed | None] = []
        self.forgotten: list[tuple[str, str, str]] = []
        self.renamed: list[tuple[str, str, str]] = []  # (kind, old name, new name)
        self.replacing: bool | None = None  # whether this source had ledger rows here

    # -- the ledger -----------------------------------------------------------------------------

    def learn(self, record: Record, target_uid: str, written: str) -> None:
        """Remember what ``record``'s object became (when it has a stable identifier)."""
        if self.source is None or record.uid is None or record.raw is None:
            return
        prepacked = record.prepacked_for(written)
        self.packed.append(prepacked[1:] if prepacked is not None else None)
        sha = record.sha256_of(written)
        self.ledger.append(
            LedgerRow(
                self.source,
                record.kind,
                record.uid,
                target_uid,
                record.name,
                sha,
                written,
                record.raw,
                self.task_id,
                self.stamp.at,
                self.package_sha256,
                self.package_created_at,
            )
        )
        if record.adopted is not None:
            adopted = LedgerRow(*record.adopted)
            self.forgotten.append((adopted.source_workspace_id, adopted.kind, adopted.source_uid))

    def link(self, record: Record) -> ChangeRow | None:
        """Rewrite the ledger row of an object the import leaves as it is (``record.relink``:
        new, or out of date), to the object and definition the target holds; its change record
        (``LINK``, naming no object: none was written), whose ``undo`` forgets the row and
        puts back the rows it replaced (this source object's, the one it takes over).
        ``None``: no row to write (no stable identifier)."""
        assert record.target is not None
        assert record.target_uid is not None
        assert record.target[3] is not None
        if self.source is None or record.uid is None or record.raw is None:
            return None
        self.learn(record, record.target_uid, record.target[3])
        return self.unwritten(record, ChangeAction.LINK, None, (None, None), self.undo(record))

    def flush(self) -> None:
        """Write the ledger rows of the batch."""
        self.record.forget(self.forgotten)
        if self.ledger and self.replacing is None:
            assert self.source is not None
            # A first promotion from this source has no row to replace, and the package holds
            # each source object once: its rows go in without a look for old ones.
            self.replacing = self.record.has_ledger(self.source)
        self.record.learn(self.ledger, bool(self.replacing), self.packed)
        self.ledger, self.packed, self.forgotten = [], [], []

    def unwritten(
        self,
        record: Record,
        action: ChangeAction | PlanAction,
        object_id: str | None,
        before: tuple[str | None, int | None],
        undo: str | None,
    ) -> ChangeRow:
        """The change record of ``record`` when the import writes no definition of it (a
        ledger row rewritten, an object deleted): ``before``, its document and version."""
        before_document, before_version = before
        return ChangeRow(
            task_id=self.task_id,
            workspace_id=self.ws,
            kind=record.kind,
            name=record.name,
            action=str(action),
            object_id=object_id,
            before_document=before_document,
            before_version=before_version,
            after_version=None,
            after_sha256=None,
            undo=undo,
        )

    def undo(self, record: Record, **extra: Any) -> str | None:
        """The change record's ``undo``: the ledger row the import learns (to forget it), the
        rows it replaced (to put them back), the old name of a rename, and ``extra``."""
        out: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
        if self.source is not None and record.uid is not None and record.raw is not None:
            out["learned"] = [self.source, record.kind, record.uid]
        if record.ledger is not None:
            out["ledger"] = _ledger_json(LedgerRow(*record.ledger))
        if record.adopted is not None:
            out["adopted"] = _ledger_json(LedgerRow(*record.adopted))
        if record.deleted is not None:
            out["deletion"] = list(record.deleted)
        if record.previous_name is not None and record.action == PlanAction.RENAME:
            out["name"] = record.previous_name
        return dump(out) if out else None

    # -- deletes --------------------------------------------------------------------------------

    def delete(self, record: Record) -> ChangeRow:
        """Delete the target object of a DELETE record, keeping it whole for rollback."""
        assert record.target is not None
        assert record.target_uid is not None
        object_id, version, status, _ = record.target
        state = self.changes.write(Delete(record.kind, object_id)).state
        self.record.tombstones([(record.kind, record.target_uid, record.name)], self.stamp)
        if record.ledger is not None:
            row = LedgerRow(*record.ledger)
            self.record.forget([(row.source_workspace_id, row.kind, row.source_uid)])
            if self.package_created_at is not None:
                key = (row.source_workspace_id, row.kind, row.source_uid)
                at = (self.package_created_at, self.task_id, self.stamp.at)
                self.record.deleted([LedgerDeletion(*key, *at)])
        before = (state["row"]["document"], version)
        undo = self.undo(record, deleted=state, status=status)
        return self.unwritten(record, PlanAction.DELETE, object_id, before, undo)

    # -- renames --------------------------------------------------------------------------------

    def rename(self, records: Iterable[Record]) -> None:
        """Give renamed objects of one batch their new names (they hold temporary ones)."""
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for record in records:
            if record.action == PlanAction.RENAME and record.target is not None:
                assert record.previous_name is not None
                by_kind.setdefault(record.kind, []).append((record.target[0], record.name))
                self.renamed.append((record.kind, record.previous_name, record.name))
        for kind, names in by_kind.items():
            self.changes.write(Rename(kind, names))

    def rewrite_dependents(self, users: Iterable[tuple[int, str]]) -> list[ChangeRow]:
        """The jobs the plan rewrites for its renames (``users``: (job id, name), decided at
        plan time: :mod:`.rewrites`), each referring to a renamed object by its old name,
        rewritten to the new one; their change records (to restore them)."""
        renames: dict[tuple[AnyRefKind, str], str] = {}
        for kind, old, new in self.renamed:
            renames[(_REF_KINDS[kind], old)] = new
        changes = []
        for job_id, name in users:
            job = self.changes.job(name)
            assert job is not None
            doc = rename_references(load(job.document), renames)
            text = dump(doc)
            refs = distinct_references(job_references(doc))
            self.changes.write(
                RewriteJob(
                    job_id,
                    JobRow.of(doc, text, job.latest_version),
                    [(k.value, n, w or "") for k, n, w in refs],
                    self.stamp,
                )
            )
            changes.append(
                ChangeRow(
                    task_id=self.task_id,
                    workspace_id=self.ws,
                    kind=str(ObjectKind.JOB),
                    name=name,
                    action=str(ChangeAction.REFERENCES),
                    object_id=str(job_id),
                    before_document=job.document,
                    before_version=job.latest_version,
                    after_version=job.latest_version,
                    after_sha256=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
        return changes

    # -- scheduled jobs -------------------------------------------------------------------------

    @contextmanager
    def paused(self, jobs: list[tuple[int, Record]]) -> Iterator[None]:
        """Around writing ``jobs`` ((id, record) pairs): the scheduled ones the plan pauses are
        stopped before and started again after."""
        paused = [(job_id, r) for job_id, r in jobs if r.pause and r.target is not None]
        for job_id, record in paused:
            self.pause(job_id, record.target_name())
        yield
        for job_id, record in paused:
            assert record.target is not None
            self.restore(job_id, record.name, _restored(record))

    def pause(self, job_id: int, name: str) -> None:
        """Stop a scheduled job before the import writes it (audited)."""
        self._schedule(job_id, name, JobStatus.STOPPED.value, "job.stop")

    def restore(self, job_id: int, name: str, status: str) -> None:
        """Start a paused job again as it was (audited)."""
        self._schedule(job_id, name, status, "job.start")

    def _schedule(self, job_id: int, name: str, status: str, action: str) -> None:
        self.changes.write(SetScheduling(job_id, name, status))
        self.record.audit(action, ObjectKind.JOB, name, {"by": "import"})


def _restored(record: Record) -> str:
    """The status a paused job is started again with: as it ran, in its written type's
    status (a batch job made real-time runs ``NORMAL``; a deletion has none to take)."""
    assert record.target is not None
    if record.columns is None:
        return record.target[2]
    return running_status(record.columns[2]).value


def _ledger_json(row: LedgerRow) -> dict[str, Any]:
    return dict(row._asdict())
