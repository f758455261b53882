"""The basis of a package carried to a remote's side: which snapshot the remote's shadow held
when the package was cut, and the hash each object the package writes or deletes had in it.

A route whose target is a remote's shadow, refreshed from a carried snapshot (the remote is not
reachable from here), cuts its package for the remote's side with ``promote ROUTE --out FILE``.
The shadow changes only with the remote (a refresh; a push needs the remote reachable), so
what it holds is what the snapshot held: the hash of each object is read from it, by the same
function the remote's side hashes its current objects with
(:func:`~jobferry.domain.definitions.definition_hash`). The import there refuses what changed
since (:mod:`jobferry.services.importing.basis`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from jobferry.domain.definitions import definition_hash
from jobferry.domain.enums import ObjectKind, RefreshSource
from jobferry.errors import InvalidRequestError
from jobferry.package.basisblock import BasisBlock, BasisObject
from jobferry.services.context import Scope
from jobferry.services.remotes.records import Refresh
from jobferry.storage import Database, Tx
from jobferry.storage import remotes as repo
from jobferry.storage.importing import target as target_repo

_BY_NAME = {
    ObjectKind.JOB.value: target_repo.target_jobs,
    ObjectKind.SCRIPT.value: target_repo.target_scripts,
    ObjectKind.RESOURCE.value: target_repo.target_resources,
}


def snapshot_refresh(tx: Tx, shadow: Scope, route: str) -> tuple[str, Refresh]:
    """(the remote's name, its last refresh) of the shadow ``shadow``, refused unless that
    refresh read a carried snapshot."""
    remote = repo.remote_of_workspace(tx, shadow.workspace.id)
    last = Refresh.load(remote.refresh) if remote is not None and remote.refresh else None
    name = remote.name if remote is not None else shadow.workspace.name
    if last is None or last.source is not RefreshSource.SNAPSHOT or last.snapshot is None:
        how = "was never refreshed" if last is None else "was last refreshed from the remote"
        raise InvalidRequestError(
            f"Route '{route}': the package for remote '{name}' is carried to the remote's side "
            f"and must say which snapshot it was planned against, but the shadow {how}, not "
            f"from a carried snapshot; export the whole workspace on the remote's side, refresh "
            f"from it (jobferry remotes refresh {name} --from FILE) and cut again, or, while "
            f"the remote is reachable, push the route here (jobferry promote {route} --apply).",
            route=route,
            remote=name,
        )
    return name, last


def _hashes(tx: Tx, workspace_id: str, kind: str, names: Iterable[str]) -> dict[str, str]:
    found = _BY_NAME[kind](tx, workspace_id, names)
    return {name: definition_hash(kind, orjson.loads(obj.document)) for name, obj in found.items()}


@dataclass(frozen=True)
class ShadowBasis:
    """Gives a package's basis block from the shadow it is cut for (called with the names the
    package writes or deletes, per kind, once the package's entries are written)."""

    db: Database
    shadow: Scope
    route: str

    def __call__(self, names: dict[str, set[str]]) -> BasisBlock:
        with self.db.transaction(readonly=True) as tx:
            remote, last = snapshot_refresh(tx, self.shadow, self.route)
            objects: list[BasisObject] = []
            for kind in sorted(names):
                wanted = sorted(names[kind])
                held = _hashes(tx, self.shadow.workspace.id, kind, wanted) if wanted else {}
                objects += [BasisObject(kind, name, held.get(name)) for name in wanted]
        snapshot = last.snapshot
        assert snapshot is not None  # snapshot_refresh refused it otherwise
        return BasisBlock(
            remote,
            snapshot.file_name,
            snapshot.sha256,
            snapshot.made_at,
            snapshot.producer,
            last.at,
            tuple(objects),
        )
