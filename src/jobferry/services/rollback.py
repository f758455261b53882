"""Rolling an import back: undo exactly what one import task did, in one transaction.

Every object the import created is removed; every object it overwrote gets its previous
development state and version back (versions the import submitted are deleted). The import
recorded, per object, the state before it and a hash of what it wrote (``import_changes``), so
the rollback can prove nothing changed since: an object edited, re-submitted, started or deleted
after the import, or a job outside the import that now uses an object the import created,
refuses the whole rollback with the list of those objects. It holds the workspace's import lock
while it runs, so no import can interleave.
"""

from __future__ import annotations

import hashlib
from typing import Any

from jobferry.domain.enums import JobStatus, ProcessType, RefKind
from jobferry.domain.references import distinct_references, job_references
from jobferry.errors import ConflictError, ImportRunningError, RollbackRefusedError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.documents import directory_of, load
from jobferry.storage import Database, Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import imports as import_repo
from jobferry.storage import rollbacks as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.imports import TargetObject
from jobferry.storage.rollbacks import ChangeRecord

CREATE, OVERWRITE = "CREATE", "OVERWRITE"
FINISHED = ("SUCCESSFUL", "WARNING")
SHOWN = 20


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
                changes = self._changes(tx, scope, task_id)
                current = self._current(tx, ws.id, changes)
                conflicts = self._conflicts(tx, scope, changes, current)
                if conflicts:
                    shown = "; ".join(conflicts[:SHOWN])
                    more = f" (and {len(conflicts) - SHOWN} more)" if len(conflicts) > SHOWN else ""
                    raise RollbackRefusedError(
                        f"Import {task_id} cannot be rolled back: {len(conflicts)} object(s) "
                        f"changed since it ran: {shown}{more}. Nothing was changed; undo those "
                        "changes (or import the previous package again) instead.",
                        task_id=task_id,
                        conflicts=conflicts,
                    )
                objects = self._undo(tx, scope, changes, current)
                now = now_ms()
                repo.mark_rolled_back(tx, ws.id, task_id, now, scope.actor.name)
                audit_in_scope(
                    tx,
                    scope,
                    "import.rollback",
                    "task",
                    task_id,
                    {"objects": len(objects)},
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
        return {"taskId": task_id, "rolledBack": len(objects), "objects": objects}

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
    def _changes(tx: Tx, scope: Scope, task_id: str) -> list[ChangeRecord]:
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
        changes = repo.changes_of(tx, ws.id, task_id)
        if not changes:
            raise RollbackRefusedError(
                f"Import {task_id} created or overwrote nothing (a dry run, or everything was "
                "unchanged or skipped); there is nothing to roll back.",
                task_id=task_id,
            )
        return changes

    @staticmethod
    def _current(
        tx: Tx, workspace_id: str, changes: list[ChangeRecord]
    ) -> dict[tuple[str, str], TargetObject]:
        names: dict[str, set[str]] = {"job": set(), "script": set(), "resource": set()}
        for change in changes:
            if change.kind in names:
                names[change.kind].add(change.name)
        out: dict[tuple[str, str], TargetObject] = {}
        readers = (
            ("job", import_repo.target_jobs),
            ("script", import_repo.target_scripts),
            ("resource", import_repo.target_resources),
        )
        for kind, read in readers:
            for name, item in read(tx, workspace_id, names[kind], for_update=True).items():
                out[(kind, name)] = item
        return out

    @staticmethod
    def _conflicts(
        tx: Tx,
        scope: Scope,
        changes: list[ChangeRecord],
        current: dict[tuple[str, str], TargetObject],
    ) -> list[str]:
        ws = scope.workspace
        conflicts: list[str] = []
        for change in changes:
            label = f"{change.kind} '{change.name}'"
            if change.kind == "cdm_job":
                obj = env_repo.get_object(tx, ws.id, RefKind.CDM_JOB.value, change.name)
                if obj is None:
                    conflicts.append(f"{label} was deleted")
                continue
            now = current.get((change.kind, change.name))
            if now is None or now.id != change.object_id:
                conflicts.append(f"{label} was deleted or replaced")
                continue
            if _sha(now.document) != change.after_sha256:
                conflicts.append(f"{label} was edited")
            elif change.kind in ("job", "script") and now.latest_version != change.after_version:
                conflicts.append(f"{label} has a newer version ({now.latest_version})")
            if change.kind == "job" and now.status != JobStatus.STOPPED.value:
                conflicts.append(f"{label} is scheduled ({now.status}); stop it first")
        created: dict[str, list[str]] = {}
        for change in changes:
            if change.action == CREATE:
                created.setdefault(change.kind, []).append(change.name)
        imported_jobs = {c.object_id for c in changes if c.kind == "job"}
        for kind, names in created.items():
            for job_id, job, name in repo.jobs_using(tx, ws.id, kind, names):
                if str(job_id) not in imported_jobs:
                    conflicts.append(
                        f"job '{job}' (not part of the import) now uses {kind} '{name}', which "
                        "the import created"
                    )
        for other_ws, job, name in repo.jobs_depending_from(
            tx, scope.actor.project_id, ws.name, created.get("job", [])
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
        changes: list[ChangeRecord],
        current: dict[tuple[str, str], TargetObject],
    ) -> list[dict[str, Any]]:
        ws, actor, now = scope.workspace.id, scope.actor.name, now_ms()
        delete: dict[str, list[str]] = {"job": [], "script": [], "resource": []}
        jobs_back, scripts_back, resources_back = [], [], []
        job_trim: list[tuple[int, int]] = []
        script_trim: list[tuple[str, int]] = []
        refs: list[dict[str, Any]] = []
        objects: list[dict[str, Any]] = []
        for change in changes:
            if change.action == CREATE:
                if change.kind == "cdm_job":
                    env_repo.delete_object(tx, ws, RefKind.CDM_JOB.value, change.name)
                else:
                    delete[change.kind].append(current[(change.kind, change.name)].id)
                objects.append({"kind": change.kind, "name": change.name, "action": "DELETED"})
                continue
            before = change.before_document or "{}"
            doc = load(before)
            target_id = current[(change.kind, change.name)].id
            cols: dict[str, Any] = {
                "_id": target_id,
                "directory": directory_of(doc),
                "document": before,
                "updated_at": now,
                "updated_by": actor,
            }
            if change.kind == "job":
                job_id = int(target_id)
                cols["_id"] = job_id
                process = doc.get("processType") or ProcessType.BATCH.value
                jobs_back.append(
                    {**cols, "process_type": str(process), "latest_version": change.before_version}
                )
                job_trim.append((job_id, change.before_version or 0))
                for kind, name, other in distinct_references(job_references(doc)):
                    refs.append(
                        {
                            "job_id": job_id,
                            "kind": kind.value,
                            "name": name,
                            "ref_workspace": other or "",
                        }
                    )
            elif change.kind == "script":
                scripts_back.append(
                    {**cols, "type": str(doc.get("type")), "latest_version": change.before_version}
                )
                script_trim.append((target_id, change.before_version or 0))
            else:
                resources_back.append({**cols, "type": str(doc.get("type"))})
            objects.append(
                {
                    "kind": change.kind,
                    "name": change.name,
                    "action": "RESTORED",
                    "version": change.before_version,
                }
            )
        repo.delete_jobs(tx, [int(i) for i in delete["job"]])
        repo.delete_scripts(tx, delete["script"])
        repo.delete_resources(tx, delete["resource"])
        import_repo.update_jobs(tx, jobs_back)
        import_repo.update_scripts(tx, scripts_back)
        import_repo.update_resources(tx, resources_back)
        repo.trim_job_versions(tx, job_trim)
        repo.trim_script_versions(tx, script_trim)
        import_repo.replace_job_refs(tx, [t for t, _ in job_trim], refs)
        return objects
