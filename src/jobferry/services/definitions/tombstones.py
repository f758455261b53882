"""Tombstones: every job, script and resource a workspace deletes is remembered (its stable
identifier, name and when), so an export can carry the deletions since a moment and a target
that received those objects can delete them too (issue #16, ``propagateDeletes``)."""

from __future__ import annotations

from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.pending import note_delete
from jobferry.storage import Tx
from jobferry.storage.importing import ledger as repo


def remember_deletion(tx: Tx, scope: Scope, kind: str, uid: str, name: str) -> None:
    """Record, in the deleting transaction, that ``kind`` ``name`` (``uid``) was deleted."""
    repo.record_deletions(tx, scope.workspace.id, [(kind, uid, name)], now_ms(), scope.actor.name)
    note_delete(tx, scope, kind, uid, name)
