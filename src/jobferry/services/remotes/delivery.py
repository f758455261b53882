"""A remote's shadow as an import's end: its changes are pushed (the importing pipeline's
delivery port, :mod:`jobferry.services.importing.delivery`, for remotes).

An import into the shadow is pushed to the remote (:mod:`.push`), its rollback pushes the
inverse (:mod:`.rollback`), and a plan against the shadow records which refresh it was made on:
of the remote itself, or of a carried snapshot (name, SHA-256, when it was made).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.services.context import WRITERS, Scope
from jobferry.services.importing.delivery import (
    Attempt,
    PreparedImport,
    RollbackAttempt,
    RolledBack,
)
from jobferry.services.remotes.push import PushService
from jobferry.services.remotes.records import Refresh
from jobferry.services.remotes.rollback import PushRollback
from jobferry.storage import remotes as remote_repo


@dataclass
class RemoteDelivery:
    """Imports and rollbacks of a remote's shadow, pushed to the remote."""

    pushes: PushService
    rollbacks: PushRollback

    def allow(self, scope: Scope, action: str) -> None:
        """Writers may: the change is the remote's, which the shadow then takes (the shadow's
        own refusal of local changes does not apply)."""
        scope.require(WRITERS, action)

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        """Push the import to the remote, then commit the shadow."""
        return self.pushes.push(job, attempt)

    def run_rollback(self, scope: Scope, task_id: str, undo: RollbackAttempt) -> RolledBack:
        """Push the inverse of the push ``task_id``, then roll the shadow back."""
        return self.rollbacks.rollback(scope, task_id, undo)

    def basis(self, scope: Scope) -> dict[str, Any] | None:
        """What a plan against the shadow was made against (``remoteState``, an extension
        field DataArts clients ignore): the remote, its last refresh, and whether that read the
        remote or a carried snapshot (which one: name, SHA-256, when it was made)."""
        with self.pushes.db.transaction(readonly=True) as tx:
            remote = remote_repo.remote_of_workspace(tx, scope.workspace.id)
        last = Refresh.load(remote.refresh) if remote is not None and remote.refresh else None
        snapshot = last.snapshot if last is not None else None
        return {
            "remote": scope.workspace.shadow_of,
            "refreshedAt": last.at if last is not None else None,
            "from": last.source.value if last is not None else None,
            "snapshot": None
            if snapshot is None
            else {
                "fileName": snapshot.file_name,
                "sha256": snapshot.sha256,
                "madeAt": snapshot.made_at,
                "producer": snapshot.producer,
            },
        }
