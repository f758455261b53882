"""``MemoryWorkspace``: a second implementation of the import pipeline's target port
(``jobferry.services.importing.ports``) and of the change port (``.changes``), a workspace held
in dictionaries.

Built from the protocols alone: no database, no transaction, no ``services`` fixture. A planner
plans a package against it and an applier writes the plan into it; were the pipeline to reach
past the port into storage, there would be nothing there to reach. Every write is logged
(``log``: (verb, kind, name)), the change records, subtasks and tombstones are kept, so a test
says what an import wrote without reading a database. ``tests/unit/services/importing/
test_ports.py`` runs the pipeline against it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, assert_never

from jobferry.domain.connections import secret_role
from jobferry.domain.enums import Role
from jobferry.services.context import Actor, Scope
from jobferry.services.definitions.documents import dump
from jobferry.services.importing import changes
from jobferry.services.importing.ports import ImportRecord, TargetReader
from jobferry.services.policies.governing import HeldPolicy
from jobferry.services.workspaces.profiles import ResolvedProfile
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow, Packed
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.keys import TrustedKeyRecord
from jobferry.storage.records import JobRecord, WorkspaceRecord
from jobferry.storage.rows import ChangeRow, JobRow, Stamp

WORKSPACE = WorkspaceRecord("ws-memory", "project-1", "memory", False, "soft", False, 0)
SCOPE = Scope(Actor(1, "admin", "project-1", True), WORKSPACE, Role.ADMIN)
_KINDS = ("job", "script", "resource")


class MemoryWorkspace:
    """A workspace in memory: objects by kind and name, environment names, a ledger; what an
    import writes lands in the same dictionaries, and every write is logged."""

    def __init__(self, environment: Iterable[tuple[str, str]] = ()) -> None:
        self.scope = SCOPE
        self.objects: dict[tuple[str, str], TargetObject] = {}
        self.environment = set(environment)
        self.locked_tags: set[str] = set()
        self.locks: dict[tuple[str, str], tuple[int, str]] = {}
        self.ledger: dict[tuple[str, str, str], LedgerRow] = {}
        self.deletions: dict[tuple[str, str, str], LedgerDeletion] = {}
        """What imports deleted of what sources sent, by (source, kind, source uid)."""
        self.log: list[tuple[str, ...]] = []
        self.subtasks: list[tuple[int, str, str]] = []
        self.change_rows: list[ChangeRow] = []
        self.gone: list[tuple[str, str, str]] = []
        """Tombstones kept: (kind, uid, name)."""
        self._read: list[str] = []
        self._next = 100
        self.held_policies: list[HeldPolicy] = []
        """The policies plans into it keep (none unless a test gives some)."""

    def hold(self, kind: str, name: str, document: dict[str, Any], status: str = "") -> None:
        """Put an object into the workspace as if made there."""
        self._next += 1
        number = str(self._next)
        self.objects[(kind, name)] = TargetObject(
            number, name, dump(document), status, 1 if kind != "resource" else None, 0, number
        )

    # -- ImportTarget ------------------------------------------------------------------------

    def reader(self, lock_rows: bool) -> TargetReader:
        return self

    def changes(self) -> changes.ChangePort:
        return self

    def record(self) -> ImportRecord:
        return self

    # -- TargetReader ------------------------------------------------------------------------

    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        objects = self.objects
        found = {
            (k, n): objects[(k, n)]
            for k, names in wanted.items()
            for n in names
            if (k, n) in objects
        }
        self._read += sorted(f"{k}|{n}" for k, n in found)
        return found

    def stored_by_uid(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        out = {}
        for (kind, _), held in self.objects.items():
            if held.uid in wanted.get(kind, ()):
                out[(kind, held.uid)] = held
        return out

    def existing(self, wanted: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
        held = self.environment | set(self.objects)
        return {(k, ws, n) for (k, ws), names in wanted.items() for n in names if (k, n) in held}

    def workspace_id(self, name_or_id: str) -> str | None:
        return WORKSPACE.id if name_or_id in (WORKSPACE.id, WORKSPACE.name) else None

    def fingerprint(self, extra: Iterable[str]) -> str:
        return hashlib.sha256("\n".join([*self._read, *sorted(extra)]).encode()).hexdigest()

    def ledger_rows(self, source: str, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        return {u: self.ledger[(source, kind, u)] for u in uids if (source, kind, u) in self.ledger}

    def ledger_by_target(self, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        rows = self.ledger.values()
        return {r.target_uid: r for r in rows if r.kind == kind and r.target_uid in uids}

    def ledger_deletions(
        self, source: str, kind: str, uids: Sequence[str]
    ) -> dict[str, LedgerDeletion]:
        return {
            u: self.deletions[(source, kind, u)]
            for u in uids
            if (source, kind, u) in self.deletions
        }

    def source_ledger(
        self, source: str, after: tuple[str, str] | None, limit: int
    ) -> list[LedgerRow]:
        rows = sorted((k[1], k[2]) for k in self.ledger if k[0] == source)
        return [self.ledger[(source, *key)] for key in rows if after is None or key > after][:limit]

    def jobs_using(self, kind: str, names: Sequence[str]) -> list[tuple[int, str, str]]:
        return []

    def dependents_elsewhere(self, job_name: str) -> list[tuple[str, int, str]]:
        return []

    def version_users(self, freed: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
        return []

    def upstream_edges(self, names: Sequence[str]) -> list[tuple[str, str]]:
        return []

    def connection_secrets(self) -> dict[str, set[str]]:
        return {n: {secret_role("password")} for k, n in self.environment if k == "connection"}

    def trusted_keys(self) -> list[str]:
        return []

    def distrusted_keys(self) -> list[TrustedKeyRecord]:
        return []

    def profile(self, ref: str | dict[str, Any] | None) -> ResolvedProfile | None:
        return None

    def policies(self, package_path: str) -> list[HeldPolicy]:
        return list(self.held_policies)

    # -- ChangePort --------------------------------------------------------------------------

    def _put(self, kind: str, object_id: str, name: str, document: str, status: str) -> None:
        self.objects[(kind, name)] = TargetObject(
            object_id, name, document, status, 1, 0, object_id
        )

    def write(self, line: changes.Change) -> changes.Written:
        """Write one line of the change port into the dictionaries, logged."""
        match line:
            case changes.PutScripts(new, updated, _, _) | changes.PutResources(new, updated, _):
                kind = "script" if isinstance(line, changes.PutScripts) else "resource"
                for verb, rows in (("create", new), ("overwrite", updated)):
                    for object_id, row in rows:
                        self.log.append((verb, kind, row.name))
                        self._put(kind, object_id, row.name, row.document, "")
            case changes.PutCdmJob(name, _, _, _):
                self.log.append(("create", "cdm_job", name))
            case changes.PutJobs(new, updated, _):
                return (
                    changes.Written(ids=self._create_jobs(new))
                    if new
                    else self._update_jobs(updated)
                )
            case changes.PutJobDetails(_, _, _, tags, _):
                self.log += [("tag", "tag", tag) for tag in sorted(tags)]
            case changes.RewriteJob(job_id, row, _, _):
                status = self.objects[("job", row.name)].status
                self.log.append(("rewrite", "job", row.name))
                self._put("job", str(job_id), row.name, row.document, status)
            case changes.Rename(kind, names):
                self._rename(kind, names)
            case changes.Delete(kind, object_id):
                return changes.Written(state=self._delete(kind, object_id))
            case changes.SetScheduling(_, name, status):
                self.log.append(("schedule", "job", f"{name}->{status}"))
                held = self.objects[("job", name)]
                self.objects[("job", name)] = replace(held, status=status)
            case changes.Remove(kind, ids):
                for object_id in ids:
                    self._delete(kind, object_id)
            case changes.TrimVersions(kind, keep):
                self.log += [("trim", kind, f"{object_id}@{v}") for object_id, v in keep]
            case changes.PutBack(kind, state):
                row = state["row"]
                self._put(kind, str(row["id"]), row["name"], row["document"], "")
                return changes.Written(restored=str(row["id"]))
            case _:
                assert_never(line)
        return changes.Written()

    def _create_jobs(self, rows: Sequence[JobRow]) -> dict[str, tuple[int, str]]:
        out = {}
        for row in rows:
            self._next += 1
            self.log.append(("create", "job", row.name))
            self._put("job", str(self._next), row.name, row.document, "STOPPED")
            out[row.name] = (self._next, str(self._next))
        return out

    def _update_jobs(self, rows: Sequence[tuple[int, JobRow]]) -> changes.Written:
        for job_id, row in rows:
            held = self._by_id("job", str(job_id))  # by id: the row may carry a new name
            del self.objects[("job", held.name)]
            verb = "overwrite" if held.name == row.name else f"overwrite {held.name}->"
            self.log.append((verb, "job", row.name))
            self._put("job", str(job_id), row.name, row.document, held.status)
        return changes.Written()

    def _by_id(self, kind: str, object_id: str) -> TargetObject:
        for (held_kind, _), held in self.objects.items():
            if held_kind == kind and held.id == object_id:
                return held
        raise KeyError(f"no {kind} with id {object_id} in the memory workspace")

    def _rename(self, kind: str, names: Sequence[tuple[str, str]]) -> None:
        for object_id, new in names:
            held = self._by_id(kind, object_id)
            self.log.append(("rename", kind, f"{held.name}->{new}"))
            del self.objects[(kind, held.name)]
            self.objects[(kind, new)] = replace(held, name=new)

    def _delete(self, kind: str, object_id: str) -> dict[str, Any]:
        held = self._by_id(kind, object_id)
        self.log.append(("delete", kind, held.name))
        del self.objects[(kind, held.name)]
        return {
            "row": {"id": held.id, "name": held.name, "document": held.document},
            "versions": [],
        }

    def jobs_referring(self, kind: str, name: str) -> dict[int, str]:
        return {}

    def written_by(self, task_id: str, job_ids: Sequence[str]) -> set[str]:
        return set()

    def job(self, name: str) -> JobRecord | None:
        return None

    def commit(self, end: changes.TaskEnd) -> changes.Committed:
        self.log.append(("commit", "", ""))
        return changes.Committed()

    def abort(self) -> None:
        self.log.append(("abort", "", ""))

    # -- ImportRecord ------------------------------------------------------------------------

    def has_ledger(self, source: str) -> bool:
        return any(key[0] == source for key in self.ledger)

    def learn(
        self, rows: Sequence[LedgerRow], replace: bool, packed: Sequence[Packed | None]
    ) -> None:
        for row in rows:
            key = (row.source_workspace_id, row.kind, row.source_uid)
            self.ledger[key] = row
            self.deletions.pop(key, None)

    def forget(self, keys: Iterable[tuple[str, str, str]]) -> None:
        for key in keys:
            self.ledger.pop(key, None)

    def tombstones(self, gone: Iterable[tuple[str, str, str]], stamp: Stamp) -> None:
        self.gone += list(gone)

    def deleted(self, rows: Sequence[LedgerDeletion]) -> None:
        for row in rows:
            self.deletions[(row.source_workspace_id, row.kind, row.source_uid)] = row

    def add_changes(self, rows: Sequence[ChangeRow]) -> None:
        self.change_rows += rows

    def add_subtasks(self, task_id: str, rows: Sequence[tuple[int, str, str]]) -> None:
        self.subtasks += rows

    def audit(self, action: str, kind: str, name: str, detail: dict[str, Any]) -> None:
        self.log.append((action, kind, name[:8] if kind == "package" else name))
