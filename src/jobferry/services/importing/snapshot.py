"""Import step 4 (resolve): what the target holds, asked a batch at a time.

Everything is read inside the plan's one transaction, so the plan, its fingerprint and the
apply that follows see the same state; an apply locks the target rows it reads. The
fingerprint hashes every piece of target state the plan read, in the order it was read (the
same package read against the same target reads the same things in the same order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from jobferry.domain.enums import ObjectKind
from jobferry.services.context import Scope
from jobferry.storage import Tx
from jobferry.storage.importing import target as repo
from jobferry.storage.importing.target import TargetObject

_READERS = {
    ObjectKind.JOB: repo.target_jobs,
    ObjectKind.SCRIPT: repo.target_scripts,
    ObjectKind.RESOURCE: repo.target_resources,
}
MEMO_LIMIT = 10_000
"""Existence answers remembered across batches (environment objects are asked again and again;
a package naming more distinct ones than this is asked per batch)."""


class TargetState:
    """What the target holds, asked per batch (and locked for an apply)."""

    def __init__(self, tx: Tx, scope: Scope, lock_rows: bool) -> None:
        ws = scope.workspace.id
        self._tx, self._ws, self._lock = tx, ws, lock_rows
        self.locked_tags = repo.locked_tags(tx, ws)
        self.locks = repo.lock_holders(tx, ws)
        self.workspaces = repo.workspace_names(tx, scope.actor.project_id)
        self._memo: dict[tuple[str, str, str], bool] = {}
        self._digest = hashlib.sha256()

    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """The target's jobs, scripts and resources of these names, by (kind, name)."""
        out: dict[tuple[str, str], TargetObject] = {}
        for kind, read in _READERS.items():
            names = wanted.get(kind)
            if not names:
                continue
            found = read(self._tx, self._ws, names, for_update=self._lock)
            for name in sorted(found):
                out[(kind, name)] = self._seen(kind, found[name])
        return out

    def stored_by_uid(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """The target's jobs, scripts and resources with these stable identifiers, by
        (kind, uid)."""
        out: dict[tuple[str, str], TargetObject] = {}
        for kind in _READERS:
            uids = wanted.get(kind)
            if not uids:
                continue
            found = repo.objects_by_uid(self._tx, self._ws, kind, uids, for_update=self._lock)
            for uid in sorted(found):
                out[(kind, uid)] = self._seen(kind, found[uid])
        return out

    def _seen(self, kind: str, t: TargetObject) -> TargetObject:
        doc = hashlib.sha256(t.document.encode()).hexdigest()
        self._digest.update(
            f"{kind}|{t.name}|{t.id}|{doc}|{t.status}|{t.latest_version}\n".encode()
        )
        return t

    def workspace_id(self, name_or_id: str) -> str | None:
        """The id of a workspace of the project named (or identified) by ``name_or_id``."""
        if name_or_id in self.workspaces:
            return self.workspaces[name_or_id]
        return name_or_id if name_or_id in self.workspaces.values() else None

    def existing(self, wanted: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
        """Which of the names asked per (kind, workspace id) exist: (kind, workspace id, name),
        one query per (kind, workspace) for what is not remembered."""
        found: set[tuple[str, str, str]] = set()
        for (kind, ws), names in sorted(wanted.items()):
            todo = sorted(n for n in names if (kind, ws, n) not in self._memo)
            present = repo.names_in(self._tx, ws, kind, todo) if todo else set()
            for name in todo:
                answer = name in present
                self._digest.update(f"{kind}|{ws}|{name}|{answer}\n".encode())
                if len(self._memo) < MEMO_LIMIT:
                    self._memo[(kind, ws, name)] = answer
            found.update(
                (kind, ws, n) for n in names if self._memo.get((kind, ws, n), n in present)
            )
        return found

    def fingerprint(self, extra: Iterable[str]) -> str:
        """A hash of every piece of target state the plan depends on."""
        digest = self._digest.copy()
        digest.update(f"tags|{sorted(self.locked_tags)}\n".encode())
        digest.update(f"locks|{sorted(self.locks.items())}\n".encode())
        for item in sorted(extra):
            digest.update(item.encode() + b"\n")
        return digest.hexdigest()
