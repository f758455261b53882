"""A remote's shadow as an import's end: its changes are pushed (the importing pipeline's
delivery port, :mod:`jobferry.services.importing.delivery`, for remotes).

An import into the shadow is pushed to the remote (:mod:`.push`), its rollback pushes the
inverse (:mod:`.rollback`), and a plan against the shadow records which refresh it was made on:
of the remote itself, or of a carried snapshot (name, SHA-256, when it was made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import RefreshSource
from jobferry.domain.fieldpaths import FieldPath
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.importing.delivery import (
    Attempt,
    Found,
    Pacing,
    PreparedImport,
    Rollback,
    RolledBack,
    Told,
)
from jobferry.services.importing.model import Record
from jobferry.services.importing.request import ImportRequest
from jobferry.services.remotes.push import PushService
from jobferry.services.remotes.pushable import plan_problems
from jobferry.services.remotes.records import Refresh
from jobferry.services.remotes.rollback import PushRollback
from jobferry.services.remotes.unsent import KEPT_JOB_FIELDS, descriptions_lost
from jobferry.storage import remotes as remote_repo
from jobferry.storage.importing.workset import Workset
from jobferry.storage.remotes import RemoteRecord


@dataclass
class RemoteDelivery:
    """Imports and rollbacks of a remote's shadow, pushed to the remote."""

    pushes: PushService
    rollbacks: PushRollback
    refresh_seconds: int = 0
    """A plan refreshes the shadow first unless its last refresh is younger than this
    (``JOBFERRY_REMOTE_REFRESH_SECONDS``)."""
    pacing = Pacing((40, 50), "Prepared", (90, 99))
    """An import prepares its calls in its transaction, and the push makes them after it
    (50–90 %); a rollback makes its calls first and undoes the shadow last."""

    def allow(self, scope: Scope, action: str) -> None:
        """Writers may: the change is the remote's, which the shadow then takes (the shadow's
        own refusal of local changes does not apply)."""
        scope.require(WRITERS, action)

    def stale(self, scope: Scope) -> bool:
        """The shadow was never refreshed, or last read the remote longer ago than
        :attr:`refresh_seconds`. A shadow last refreshed from a carried snapshot is never
        stale: its remote may be out of reach, and a plan says which snapshot it used."""
        _, last = self._last(scope)
        if last is None:
            return True
        if last.source is RefreshSource.SNAPSHOT:
            return False
        return now_ms() - last.at >= self.refresh_seconds * 1000

    def catch_up(self, scope: Scope, said: Told | None = None) -> None:
        """Refresh the shadow from the remote (in bulk, as ``remotes refresh``)."""
        remote, _ = self._last(scope)
        if remote is not None:
            self.pushes.remotes.refresh(scope.actor, remote.name, said)

    def plan_problems(
        self, scope: Scope, request: ImportRequest, workset: Workset, package: str
    ) -> Found:
        """What the push of the plan would refuse (:mod:`.pushable`)."""
        return plan_problems(scope.workspace.shadow_of or "", request, workset, package)

    def kept_job_fields(self, scope: Scope) -> tuple[FieldPath, ...]:
        """A job's description: no call of a push carries one, so the remote keeps its own
        (:data:`.unsent.KEPT_JOB_FIELDS`). None for a shadow last refreshed from a carried
        snapshot: its plans are cut into packages carried to the other side, whose import
        (jobferry's, or DataArts' own import of a job file) takes a description."""
        _, last = self._last(scope)
        if last is not None and last.source is RefreshSource.SNAPSHOT:
            return ()
        return KEPT_JOB_FIELDS

    def unsent(self, records: Sequence[Record]) -> list[str]:
        """The jobs whose description the remote may not hold
        (:func:`.unsent.descriptions_lost`)."""
        return descriptions_lost(records)

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        """Import into the shadow through the remote executor, then push to the remote."""
        return self.pushes.push(job, attempt)

    def run_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """Push the inverse of the push rolled back, then roll the shadow back."""
        return self.rollbacks.rollback(scope, rollback)

    def preview_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """The refusals of :meth:`run_rollback` that this server's rows tell (a push into the
        remote not over included), else what it would undo; the remote is not called."""
        return self.rollbacks.preview(scope, rollback)

    def basis(self, scope: Scope) -> dict[str, Any] | None:
        """What a plan against the shadow was made against (``remoteState``, an extension
        field DataArts clients ignore): the remote, its last refresh, and whether that read the
        remote or a carried snapshot (which one: name, SHA-256, when it was made)."""
        _, last = self._last(scope)
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

    def read_of(
        self, scope: Scope, objects: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The hash of what the last refresh read of each object (those it found)."""
        names: dict[str, list[str]] = {}
        for kind, name in objects:
            names.setdefault(kind, []).append(name)
        with self.pushes.db.transaction(readonly=True) as tx:
            return {
                (kind, name): sha
                for kind, listed in names.items()
                for name, sha in remote_repo.read_hashes_of(
                    tx, scope.workspace.id, kind, listed
                ).items()
            }

    def _last(self, scope: Scope) -> tuple[RemoteRecord | None, Refresh | None]:
        """The remote of the shadow ``scope`` and its last refresh (``None``: never)."""
        with self.pushes.db.transaction(readonly=True) as tx:
            remote = remote_repo.remote_of_workspace(tx, scope.workspace.id)
        last = Refresh.load(remote.refresh) if remote is not None and remote.refresh else None
        return remote, last
