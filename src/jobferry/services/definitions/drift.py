"""A workspace's drift: every job, script and resource changed in it since the import from
another workspace that last wrote it (a change by hand, by the API, or by an import from
elsewhere that wrote it without the ledger).

A promotion plan reports the drift of the objects its package holds (``onDrift``); this is the
whole workspace's, to read before a promotion or to audit a production workspace: what was
changed here, by whom and when, field by field. Each object is compared as the import itself
compares (:func:`~jobferry.services.importing.decide.drift_since`): its development state
against what the import wrote, server-kept fields and the target-owned fields of the profile
the import named aside. An object whose bytes are the ones written is not read: the database
compares the hash kept beside each definition with the one the import wrote and answers only
the others, a batch at a time, so memory holds one batch and the first :data:`SHOWN` drifted
objects.
An object an import wrote that the workspace no longer holds (deleted here since) drifted
too: it is listed as deleted, with its tombstone's time and author when there is one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from jobferry.domain.diff import Change
from jobferry.domain.enums import ObjectKind
from jobferry.domain.fieldpaths import FieldPath
from jobferry.services.context import Scope
from jobferry.services.definitions.provenance import target_owned
from jobferry.services.importing.decide import drift_since
from jobferry.storage import Database, Tx
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing.origins import (
    WrittenObject,
    drifted_objects,
    gone_objects,
    written_count,
)

BATCH = 500
SHOWN = 1000
"""Drifted objects a report lists at most (``total`` counts them all)."""
KEPT_CHARACTERS = 8_000_000
"""Characters of changed values (before and after) a report keeps at most: a thousand changed
scripts of 100 KB each would otherwise hold 200 MB. Past it, later objects are counted only."""
KINDS = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)


@dataclass(frozen=True)
class Drifted:
    """One object changed since the import that last wrote it: what changed, who changed it
    last and when, and that import."""

    kind: ObjectKind
    name: str
    changes: tuple[Change, ...]
    updated_at: int
    updated_by: str
    import_task_id: str
    imported_at: int
    source_workspace_id: str
    deleted: bool = False
    """Deleted from the workspace since (``changes`` is empty; ``updated_at``/``updated_by``
    say when and by whom, 0 and "" when no tombstone says)."""


@dataclass
class DriftReport:
    """A workspace's drift: how many imported objects were compared, how many drifted, and
    the first found of those (:meth:`add`), listed by kind and name."""

    compared: int = 0
    total: int = 0
    objects: list[Drifted] = field(default_factory=list)
    kept: int = 0
    """Characters of changed values the listed objects hold."""

    def add(self, drifted: Drifted) -> None:
        """Count ``drifted``, and list it while every earlier one is listed and the list is
        within :data:`SHOWN` objects and :data:`KEPT_CHARACTERS` (the first one always)."""
        self.total += 1
        if self.total > len(self.objects) + 1 or len(self.objects) >= SHOWN:
            return
        size = sum(_size(c.before) + _size(c.after) for c in drifted.changes)
        if not self.objects or self.kept + size <= KEPT_CHARACTERS:
            self.objects.append(drifted)
            self.kept += size


def _size(value: object) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


@dataclass
class DriftService:
    """The drift of a workspace's imported objects (any role of the workspace may read it)."""

    db: Database

    def report(self, scope: Scope) -> DriftReport:
        """Compare every object an import from another workspace wrote with what it wrote,
        in one read-only transaction (one consistent moment: its count and its batches are
        several statements)."""
        report = DriftReport()
        owned: dict[str, tuple[FieldPath, ...]] = {}
        with self.db.transaction(readonly=True, snapshot=True) as tx:
            for kind in KINDS:
                report.compared += written_count(tx, scope.workspace.id, kind)
                after = ""
                while batch := drifted_objects(tx, scope.workspace.id, kind, after, BATCH):
                    after = batch[-1].uid
                    for item in batch:
                        changes = _drift(tx, scope, item, owned)
                        if changes:
                            report.add(_drifted(kind, item, changes))
                _gone(tx, scope, kind, report)
        report.objects.sort(key=lambda d: (KINDS.index(d.kind), d.name))
        return report


def _gone(tx: Tx, scope: Scope, kind: ObjectKind, report: DriftReport) -> None:
    """List the objects of ``kind`` imports wrote that the workspace deleted since (counted
    among the compared ones already)."""
    after = ""
    while batch := gone_objects(tx, scope.workspace.id, kind, after, BATCH):
        after = batch[-1].uid
        for gone in batch:
            at, by = gone.deleted if gone.deleted is not None else (0, "")
            report.add(
                Drifted(
                    kind=kind,
                    name=gone.name,
                    changes=(),
                    updated_at=at,
                    updated_by=by,
                    import_task_id=gone.task_id,
                    imported_at=gone.recorded_at,
                    source_workspace_id=gone.source_workspace_id,
                    deleted=True,
                )
            )


def _drift(
    tx: Tx, scope: Scope, item: WrittenObject, owned: dict[str, tuple[FieldPath, ...]]
) -> list[Change]:
    """What changed in ``item`` since its import wrote it (``owned``: the target-owned fields
    of the profile of each import met so far, read once each)."""
    if hashlib.sha256(item.document.encode()).hexdigest() == item.written_sha256:
        return []  # a row whose hash was not kept, the bytes written: nothing to parse
    if item.task_id not in owned:
        task = task_repo.get_task(tx, scope.workspace.id, item.task_id)
        owned[item.task_id] = target_owned(tx, scope, task.request if task else None)
    written = item.written()
    return drift_since(written, item.written_sha256, item.document, owned[item.task_id])


def _drifted(kind: ObjectKind, item: WrittenObject, changes: list[Change]) -> Drifted:
    return Drifted(
        kind=kind,
        name=item.name,
        changes=tuple(changes),
        updated_at=item.updated_at,
        updated_by=item.updated_by,
        import_task_id=item.task_id,
        imported_at=item.recorded_at,
        source_workspace_id=item.source_workspace_id,
    )
