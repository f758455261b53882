"""Rolling an import back: undo exactly what one import task did, in one transaction.

Every object the import created is removed; every object it overwrote gets its previous
development state and version back (versions the import submitted are deleted). The import
recorded, per object, the state before it and a hash of what it wrote (``import_changes``), so
the rollback can prove nothing changed since: an object edited, re-submitted, started or deleted
after the import, or a job outside the import that now uses an object the import created,
refuses the whole rollback with the list of those objects. It holds the workspace's import lock
while it runs, so no import can interleave.

The changes are read and undone a batch at a time (by kind and name) inside the one
transaction; once one object is found changed, the rest are only checked, so the refusal lists
every conflict, and the transaction is rolled back whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind, PlanAction, RefKind
from jobferry.domain.references import distinct_references, job_references
from jobferry.errors import ConflictError, ImportRunningError, RollbackRefusedError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.documents import load
from jobferry.storage import Database, Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import imports as import_repo
from jobferry.storage import rollbacks as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.imports import TargetObject
from jobferry.storage.rows import ChangeRow, JobRow, RefRow, ResourceRow, ScriptRow, Stamp

_STORED = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
_VERSIONED = (ObjectKind.JOB, ObjectKind.SCRIPT)
FINISHED = ("SUCCESSFUL", "WARNING")
SHOWN = 20
"""Conflicts a refusal's message names."""
KEPT_CONFLICTS = 1000
"""Conflicts a refusal lists in ``conflicts``."""
SHOWN_OBJECTS = 1000
"""Objects a rollback's answer lists (``rolledBack`` counts them all)."""
BATCH = 500


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RollbackService:
    """Undo an import task."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def rollback(self, scope: Scope, task_id: str) -> dict[str, Any]:
        """Roll back import ``task_id`` of the scope's workspace, or refuse saying why."""
        scope.require(WRITERS, "roll back imports")
        ws = scope.workspace
        lock = f"rollback-{task_id}"[:32]
        try:
            with self.db.transaction() as tx:
                self._take_lock(tx, scope, lock)
                self._check_task(tx, scope, task_id)
                undone = self._undo_all(tx, scope, task_id)
                now = now_ms()
                repo.mark_rolled_back(tx, ws.id, task_id, now, scope.actor.name)
                audit_in_scope(
                    tx, scope, "import.rollback", "task", task_id, {"objects": undone.count}
                )
                import_repo.drop_lock(tx, ws.id, lock)
        except ConflictError as exc:
            if isinstance(exc, RollbackRefusedError | ImportRunningError):
                raise
            raise RollbackRefusedError(
                f"Import {task_id} is being rolled back or imported over right now; try again "
                "when that finished.",
                task_id=task_id,
            ) from exc
        answer: dict[str, Any] = {
            "taskId": task_id,
            "rolledBack": undone.count,
            "objects": undone.objects,
        }
        if undone.count > len(undone.objects):
            answer["objectsShown"] = len(undone.objects)
        return answer

    def _undo_all(self, tx: Tx, scope: Scope, task_id: str) -> _Undone:
        """Check and undo every change a batch at a time; refuse, listing every conflict."""
        ws = scope.workspace
        undone = _Undone()
        conflicts: list[str] = []
        counted = 0
        after: tuple[str, str] | None = None
        while changes := repo.changes_of(tx, ws.id, task_id, after, BATCH):
            after = (changes[-1].kind, changes[-1].name)
            current = self._current(tx, ws.id, changes)
            found = self._conflicts(tx, scope, task_id, changes, current)
            counted += len(found)
            conflicts += found[: max(0, KEPT_CONFLICTS - len(conflicts))]
            if not counted:
                self._undo(tx, scope, changes, current, undone)
        if counted:
            shown = "; ".join(conflicts[:SHOWN])
            more = f" (and {counted - SHOWN} more)" if counted > SHOWN else ""
            raise RollbackRefusedError(
                f"Import {task_id} cannot be rolled back: {counted} object(s) changed since it "
                f"ran: {shown}{more}. Nothing was changed; undo those changes (or import the "
                "previous package again) instead.",
                task_id=task_id,
                conflicts=conflicts,
            )
        if not undone.count:
            raise RollbackRefusedError(
                f"Import {task_id} created or overwrote nothing (a dry run, or everything was "
                "unchanged or skipped); there is nothing to roll back.",
                task_id=task_id,
            )
        return undone

    def rolled_back_among(self, task_ids: list[str]) -> set[str]:
        """Which of these tasks (of the caller's workspace, as listed) were rolled back."""
        with self.db.transaction(readonly=True) as tx:
            return repo.rolled_back_among(tx, task_ids)

    def rolled_back(self, scope: Scope, task_id: str) -> dict[str, Any] | None:
        """When and by whom an import of the workspace was rolled back (None: it was not)."""
        with self.db.transaction(readonly=True) as tx:
            task = task_repo.get_task(tx, scope.workspace.id, task_id)
            done = repo.rolled_back(tx, task_id) if task is not None else None
        return None if done is None else {"rollbackTime": done[0], "rollbackUser": done[1]}

    @staticmethod
    def _take_lock(tx: Tx, scope: Scope, lock: str) -> None:
        holder = import_repo.lock_holder(tx, scope.workspace.id)
        if holder is not None and task_repo.is_running(tx, holder):
            raise ImportRunningError(
                f"Import task {holder} is running in workspace '{scope.workspace.name}'; wait "
                "for it to finish, then roll back.",
                task_id=holder,
            )
        if holder is not None:
            import_repo.drop_lock(tx, scope.workspace.id, holder)
        import_repo.take_lock(tx, scope.workspace.id, lock, now_ms())

    @staticmethod
    def _check_task(tx: Tx, scope: Scope, task_id: str) -> None:
        ws = scope.workspace
        task = task_repo.get_task(tx, ws.id, task_id)
        if task is None or task.kind != "import":
            raise RollbackRefusedError(
                f"There is no import task {task_id} in workspace '{ws.name}'; name the taskId "
                "an import answered (GET /v1/{project_id}/system-tasks lists them).",
                task_id=task_id,
            )
        if task.status not in FINISHED:
            raise RollbackRefusedError(
                f"Import {task_id} is {task.status}; only a finished import (SUCCESSFUL or "
                "WARNING) changed anything that can be rolled back.",
                task_id=task_id,
            )
        done = repo.rolled_back(tx, task_id)
        if done is not None:
            raise RollbackRefusedError(
                f"Import {task_id} was already rolled back by '{done[1]}'.", task_id=task_id
            )

    @staticmethod
    def _current(
        tx: Tx, workspace_id: str, changes: list[ChangeRow]
    ) -> dict[tuple[str, str], TargetObject]:
        names: dict[str, set[str]] = {kind: set() for kind in _STORED}
        for change in changes:
            if change.kind in names:
                names[change.kind].add(change.name)
        out: dict[tuple[str, str], TargetObject] = {}
        readers = (
            (ObjectKind.JOB, import_repo.target_jobs),
            (ObjectKind.SCRIPT, import_repo.target_scripts),
            (ObjectKind.RESOURCE, import_repo.target_resources),
        )
        for kind, read in readers:
            for name, item in read(tx, workspace_id, names[kind], for_update=True).items():
                out[(kind, name)] = item
        return out

    @staticmethod
    def _conflicts(
        tx: Tx,
        scope: Scope,
        task_id: str,
        changes: list[ChangeRow],
        current: dict[tuple[str, str], TargetObject],
    ) -> list[str]:
        ws = scope.workspace
        conflicts = [
            text for change in changes for text in _changed_since(tx, ws.id, change, current)
        ]
        created: dict[str, list[str]] = {}
        for change in changes:
            if change.action == PlanAction.CREATE:
                created.setdefault(change.kind, []).append(change.name)
        for kind, names in created.items():
            users = repo.jobs_using(tx, ws.id, kind, names)
            imported = repo.imported_jobs_among(tx, task_id, [str(u[0]) for u in users])
            for job_id, job, name in users:
                if str(job_id) not in imported:
                    conflicts.append(
                        f"job '{job}' (not part of the import) now uses {kind} '{name}', which "
                        "the import created"
                    )
        for other_ws, job, name in repo.jobs_depending_from(
            tx, scope.actor.project_id, ws.name, created.get(ObjectKind.JOB, [])
        ):
            conflicts.append(
                f"job '{job}' of workspace '{other_ws}' now depends on job '{name}', which the "
                "import created"
            )
        return conflicts

    @staticmethod
    def _undo(
        tx: Tx,
        scope: Scope,
        changes: list[ChangeRow],
        current: dict[tuple[str, str], TargetObject],
        undone: _Undone,
    ) -> None:
        undo = _Undo(tx, scope, current, undone)
        for change in changes:
            if change.action == PlanAction.CREATE:
                undo.remove(change)
            else:
                undo.restore(change)
        undo.write()


@dataclass
class _Undone:
    """What a rollback undid: how many objects, and the first of them (the answer's list)."""

    count: int = 0
    objects: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: dict[str, Any]) -> None:
        self.count += 1
        if len(self.objects) < SHOWN_OBJECTS:
            self.objects.append(line)


def _changed_since(
    tx: Tx, workspace_id: str, change: ChangeRow, current: dict[tuple[str, str], TargetObject]
) -> list[str]:
    """How the object an import wrote changed since (nothing: it can be rolled back)."""
    label = f"{change.kind} '{change.name}'"
    if change.kind == ObjectKind.CDM_JOB:
        obj = env_repo.get_object(tx, workspace_id, RefKind.CDM_JOB.value, change.name)
        return [f"{label} was deleted"] if obj is None else []
    now = current.get((change.kind, change.name))
    if now is None or now.id != change.object_id:
        return [f"{label} was deleted or replaced"]
    found: list[str] = []
    if _sha(now.document) != change.after_sha256:
        found.append(f"{label} was edited")
    elif change.kind in _VERSIONED and now.latest_version != change.after_version:
        found.append(f"{label} has a newer version ({now.latest_version})")
    if change.kind == ObjectKind.JOB and now.status != JobStatus.STOPPED.value:
        found.append(f"{label} is scheduled ({now.status}); stop it first")
    return found


class _Undo:
    """The bulk writes that take a workspace back to before an import."""

    def __init__(
        self,
        tx: Tx,
        scope: Scope,
        current: dict[tuple[str, str], TargetObject],
        undone: _Undone,
    ):
        self.tx, self.ws, self.current, self.undone = tx, scope.workspace.id, current, undone
        self.stamp = Stamp(now_ms(), scope.actor.name)
        self.delete: dict[str, list[str]] = {k: [] for k in _STORED}
        self.jobs: list[tuple[int, JobRow]] = []
        self.scripts: list[tuple[str, ScriptRow]] = []
        self.resources: list[tuple[str, ResourceRow]] = []
        self.job_trim: list[tuple[int, int]] = []
        self.script_trim: list[tuple[str, int]] = []
        self.refs: list[RefRow] = []

    def remove(self, change: ChangeRow) -> None:
        """An object the import created goes."""
        if change.kind == ObjectKind.CDM_JOB:
            env_repo.delete_object(self.tx, self.ws, RefKind.CDM_JOB.value, change.name)
        else:
            self.delete[change.kind].append(self.current[(change.kind, change.name)].id)
        self.undone.add({"kind": change.kind, "name": change.name, "action": "DELETED"})

    def restore(self, change: ChangeRow) -> None:
        """An object the import overwrote gets its definition and versions back."""
        before = change.before_document or "{}"
        doc = load(before)
        target_id = self.current[(change.kind, change.name)].id
        version = change.before_version
        if change.kind == ObjectKind.JOB:
            job_id = int(target_id)
            self.jobs.append((job_id, JobRow.of(doc, before, version)))
            self.job_trim.append((job_id, version or 0))
            for kind, name, other in distinct_references(job_references(doc)):
                self.refs.append(RefRow(job_id, kind.value, name, other or ""))
        elif change.kind == ObjectKind.SCRIPT:
            self.scripts.append((target_id, ScriptRow.of(doc, before, version)))
            self.script_trim.append((target_id, version or 0))
        else:
            self.resources.append((target_id, ResourceRow.of(doc, before)))
        self.undone.add(
            {"kind": change.kind, "name": change.name, "action": "RESTORED", "version": version}
        )

    def write(self) -> None:
        """Every delete, restore, version trim and reference index row, in bulk."""
        tx, stamp = self.tx, self.stamp
        repo.delete_jobs(tx, [int(i) for i in self.delete[ObjectKind.JOB]])
        repo.delete_scripts(tx, self.delete[ObjectKind.SCRIPT])
        repo.delete_resources(tx, self.delete[ObjectKind.RESOURCE])
        import_repo.update_jobs(tx, self.jobs, stamp)
        import_repo.update_scripts(tx, self.scripts, stamp)
        import_repo.update_resources(tx, self.resources, stamp)
        repo.trim_job_versions(tx, self.job_trim)
        repo.trim_script_versions(tx, self.script_trim)
        import_repo.replace_job_refs(tx, [t for t, _ in self.job_trim], self.refs)
