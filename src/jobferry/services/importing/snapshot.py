"""Import step 4 (resolve): what the target holds, read once for the whole plan."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from jobferry.domain.enums import KIND_ORDER, ObjectKind
from jobferry.package.reader import PackageObject
from jobferry.services.context import Scope
from jobferry.storage import Tx
from jobferry.storage import exports as export_repo
from jobferry.storage import imports as repo
from jobferry.storage.imports import TargetObject


class TargetSnapshot:
    """What the target holds, read once for the whole plan (and locked for an apply)."""

    def __init__(self, tx: Tx, scope: Scope, objects: list[PackageObject], lock_rows: bool):
        ws = scope.workspace.id
        names: dict[str, set[str]] = {k: set() for k in KIND_ORDER}
        for obj in objects:
            names[obj.kind].add(obj.name)
        self.jobs = repo.target_jobs(tx, ws, names[ObjectKind.JOB], for_update=lock_rows)
        self.scripts = repo.target_scripts(tx, ws, names[ObjectKind.SCRIPT], for_update=lock_rows)
        self.resources = repo.target_resources(
            tx, ws, names[ObjectKind.RESOURCE], for_update=lock_rows
        )
        self.cdm_jobs = repo.names_in(tx, ws, ObjectKind.CDM_JOB, names[ObjectKind.CDM_JOB])
        self._stored: dict[str, dict[str, TargetObject]] = {
            ObjectKind.JOB: self.jobs,
            ObjectKind.SCRIPT: self.scripts,
            ObjectKind.RESOURCE: self.resources,
        }
        self.locked_tags = repo.locked_tags(tx, ws)
        self.locks = repo.lock_holders(tx, ws)
        self.workspaces = repo.workspace_names(tx, scope.actor.project_id)
        self.edges = export_repo.dependency_edges(tx, ws)
        self._tx, self._ws = tx, ws
        self._known: dict[tuple[str, str], dict[str, bool]] = {}

    def stored(self, kind: str, name: str) -> TargetObject | None:
        """The target's job, script or resource of that name (CDM jobs are not versioned)."""
        table = self._stored.get(kind)
        return None if table is None else table.get(name)

    def workspace_id(self, name_or_id: str) -> str | None:
        """The id of a workspace of the project named (or identified) by ``name_or_id``."""
        if name_or_id in self.workspaces:
            return self.workspaces[name_or_id]
        return name_or_id if name_or_id in self.workspaces.values() else None

    def prefetch(self, wanted: dict[tuple[str, str], set[str]]) -> None:
        """Look up, in one query per (kind, workspace), which referenced names exist."""
        for (kind, ws), names in wanted.items():
            memo = self._known.setdefault((kind, ws), {})
            todo = names - set(memo)
            if todo:
                found = repo.names_in(self._tx, ws, kind, todo)
                memo.update({n: n in found for n in todo})

    def exists(self, kind: str, name: str, workspace_id: str | None = None) -> bool:
        """Whether the target holds ``name`` as ``kind`` (prefetched, else looked up)."""
        ws = workspace_id or self._ws
        memo = self._known.setdefault((kind, ws), {})
        if name not in memo:
            memo[name] = bool(repo.names_in(self._tx, ws, kind, [name]))
        return memo[name]

    def fingerprint(self, extra: Iterable[str]) -> str:
        """A hash of every piece of target state the plan depends on."""
        digest = hashlib.sha256()
        for kind, table in self._stored.items():
            for name in sorted(table):
                t = table[name]
                doc = hashlib.sha256(t.document.encode()).hexdigest()
                digest.update(
                    f"{kind}|{name}|{t.id}|{doc}|{t.status}|{t.latest_version}\n".encode()
                )
        for key in sorted(self._known):
            digest.update(f"{key}|{sorted(self._known[key].items())}\n".encode())
        digest.update(f"tags|{sorted(self.locked_tags)}\n".encode())
        digest.update(f"locks|{sorted(self.locks.items())}\n".encode())
        for item in sorted(extra):
            digest.update(item.encode() + b"\n")
        return digest.hexdigest()
