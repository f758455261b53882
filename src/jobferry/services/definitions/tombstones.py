"""Tombstones: every job, script and resource a workspace deletes is remembered (its stable
identifier, name and when), so an export can carry the deletions since a moment and a target
that received those objects can delete them too (issue #16, ``propagateDeletes``)."""

from __future__ import annotations

from jobferry.domain.enums import ObjectKind
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.pending import note_delete
from jobferry.storage import Tx
from jobferry.storage.importing import ledger as repo


def remember_deletion(tx: Tx, scope: Scope, kind: str, uid: str, name: str) -> None:
    """Record, in the deleting transaction, that ``kind`` ``name`` (``uid``) was deleted."""
    repo.record_deletions(tx, scope.workspace.id, [(kind, uid, name)], now_ms(), scope.actor.name)
    note_delete(tx, scope, kind, uid, name)


def after_deleting(tx: Tx, scope: Scope, kind: ObjectKind, uid: str, name: str) -> None:
    """What a job's or a script's own delete call leaves behind, in its transaction: the
    tombstone and the audit line (its lock went with its row: ``storage.tags``)."""
    remember_deletion(tx, scope, kind, uid, name)
    audit_in_scope(tx, scope, f"{kind.value}.delete", kind, name)
