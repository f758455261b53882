"""Import step 7: apply a plan in the caller's transaction, with bulk writes.

Nothing here commits: the caller's single transaction makes the whole import (objects,
versions, reference index, tags, per-object change records, audit, the task's final status)
one atomic change, so a failure or a crash leaves the workspace exactly as it was.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import (
    ObjectKind,
    PlanAction,
    RefKind,
    TargetStatus,
)
from jobferry.domain.references import distinct_references
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.documents import dump
from jobferry.services.importing.model import WRITES, Plan, PlannedObject
from jobferry.services.importing.request import ImportRequest
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import imports as repo
from jobferry.storage import tags as tag_repo
from jobferry.storage.records import VersionRecord
from jobferry.storage.rows import ChangeRow, JobRow, RefRow, ResourceRow, ScriptRow, Stamp

SUCCESSFUL, FAILED = "SUCCESSFUL", "FAILED"
_TAG = RefKind.TAG
NOUNS = {
    ObjectKind.JOB: "job",
    ObjectKind.SCRIPT: "script",
    ObjectKind.RESOURCE: "resource",
    ObjectKind.CDM_JOB: "CDM job",
}


@dataclass
class Outcome:
    """What apply did: one subtask per object, and the counts."""

    subtasks: list[dict[str, Any]] = field(default_factory=list)
    versions: int = 0
    written: int = 0
    failed: int = 0


def subtask(item: PlannedObject, status: str, message: str, now: int) -> dict[str, Any]:
    """The DataArts subtask line of one object."""
    return {
        "id": f"{item.kind}:{item.name}",
        "name": f"Import the {item.name} {NOUNS[item.kind]}.",
        "status": status,
        "message": message,
        "lastUpdate": now,
        "kind": item.kind,
        "action": item.action,
    }


def failing_objects(plan: Plan) -> dict[tuple[str, str], str]:
    """Objects that cannot be imported, with why: their own problems, or something they need.

    A job that needs a script, resource, CDM job or upstream job of the package that fails
    fails too (PER_OBJECT mode imports the rest).
    """
    failing: dict[tuple[str, str], str] = {
        (o.kind, o.name): "; ".join(f"{p.detail} — fix: {p.fix}" for p in o.problems)
        for o in plan.objects
        if o.problems
    }
    if not failing:
        return failing
    jobs = [o for o in plan.objects if o.kind is ObjectKind.JOB and o.action in WRITES]
    changed = True
    while changed:
        changed = False
        for job in jobs:
            if (ObjectKind.JOB, job.name) in failing:
                continue
            for ref in job.refs:
                key = (str(ref.kind), ref.name)
                if not ref.workspace and key in failing:
                    failing[(ObjectKind.JOB, job.name)] = (
                        f"it needs {ref.kind.value} '{ref.name}' of the package, which cannot be "
                        "imported"
                    )
                    changed = True
                    break
    return failing


def apply_plan(
    tx: Tx,
    scope: Scope,
    plan: Plan,
    request: ImportRequest,
    task_id: str,
    package_sha256: str,
) -> Outcome:
    """Write every CREATE/OVERWRITE of the plan that can be imported; report every object."""
    writer = _Writer(tx, scope, request, task_id)
    failing = failing_objects(plan)
    lines: dict[tuple[str, str], dict[str, Any]] = {}  # one subtask per object of the plan
    by_kind: dict[ObjectKind, list[PlannedObject]] = {kind: [] for kind in ObjectKind}
    for item in plan.objects:
        reason = failing.get((item.kind, item.name))
        if reason:
            writer.outcome.failed += 1
            lines[(item.kind, item.name)] = subtask(item, FAILED, reason, writer.now)
        elif item.action in WRITES:
            by_kind[item.kind].append(item)
        else:
            lines[(item.kind, item.name)] = subtask(item, SUCCESSFUL, _kept(item), writer.now)
    writer.scripts(by_kind[ObjectKind.SCRIPT])
    writer.resources(by_kind[ObjectKind.RESOURCE])
    writer.cdm_jobs(by_kind[ObjectKind.CDM_JOB])
    writer.jobs(by_kind[ObjectKind.JOB])
    repo.insert_changes(tx, writer.changes)
    for items in by_kind.values():
        for item in items:
            lines[(item.kind, item.name)] = writer.written(item)
    outcome = writer.outcome
    outcome.subtasks = [lines[(o.kind, o.name)] for o in plan.objects]
    audit_in_scope(
        tx,
        scope,
        "import.apply",
        "package",
        package_sha256,
        {
            "taskId": task_id,
            "packageSha256": package_sha256,
            "written": outcome.written,
            "failed": outcome.failed,
            "versionsCreated": outcome.versions,
            "summary": plan.counts(),
        },
    )
    return outcome


def _kept(item: PlannedObject) -> str:
    """The subtask message of an object the import leaves as it is."""
    if item.action is PlanAction.SKIP:
        return (
            f"Skipped: {NOUNS[item.kind]} '{item.name}' already exists and sameNamePolicy is SKIP."
        )
    return "Unchanged: identical to the target after transforms; no new version."


_VERSIONED = (ObjectKind.JOB, ObjectKind.SCRIPT)


class _Writer:
    """The bulk writes of one apply, kind by kind, and what they did."""

    def __init__(self, tx: Tx, scope: Scope, request: ImportRequest, task_id: str) -> None:
        self.tx, self.request, self.task_id = tx, request, task_id
        self.ws = scope.workspace.id
        self.stamp = Stamp(now_ms(), scope.actor.name)
        self.now = self.stamp.at
        self.submit = request.target_status is not TargetStatus.SAVED
        self.outcome = Outcome()
        self.changes: list[ChangeRow] = []
        self.versions: dict[tuple[str, str], int | None] = {}

    def version_of(self, item: PlannedObject) -> int | None:
        """The object's latest version after the import (a new one when submitting)."""
        latest = item.target.latest_version if item.target else None
        if self.submit and item.kind in _VERSIONED:
            latest = (latest or 0) + 1
        self.versions[(item.kind, item.name)] = latest
        return latest

    def _version(self, version: int | None, text: str) -> VersionRecord:
        assert version is not None
        status = self.request.target_status.value
        return VersionRecord(version, status, text, self.stamp.at, self.stamp.by)

    def _record(self, item: PlannedObject, object_id: str, text: str, version: int | None) -> None:
        self.changes.append(_change(self.task_id, self.ws, item, object_id, text, version))

    def scripts(self, items: list[PlannedObject]) -> None:
        """Write scripts (and their versions when submitting)."""
        new: list[tuple[str, ScriptRow]] = []
        updated: list[tuple[str, ScriptRow]] = []
        versions: list[tuple[str, VersionRecord]] = []
        for item in items:
            text = dump(item.document)
            version = self.version_of(item)
            script_id = item.target.id if item.target else str(uuid.uuid4())
            row = ScriptRow.of(item.document, text, version)
            (updated if item.target else new).append((script_id, row))
            if self.submit:
                versions.append((script_id, self._version(version, text)))
            self._record(item, script_id, text, version)
        repo.insert_scripts(self.tx, self.ws, new, self.stamp)
        repo.update_scripts(self.tx, updated, self.stamp)
        repo.insert_script_versions(self.tx, versions)

    def resources(self, items: list[PlannedObject]) -> None:
        """Write resources (never versioned)."""
        new: list[tuple[str, ResourceRow]] = []
        updated: list[tuple[str, ResourceRow]] = []
        for item in items:
            text = dump(item.document)
            res_id = item.target.id if item.target else str(uuid.uuid4())
            (updated if item.target else new).append((res_id, ResourceRow.of(item.document, text)))
            self._record(item, res_id, text, None)
        repo.insert_resources(self.tx, self.ws, new, self.stamp)
        repo.update_resources(self.tx, updated, self.stamp)

    def cdm_jobs(self, items: list[PlannedObject]) -> None:
        """CDM job definitions become environment objects (never with secrets)."""
        for item in items:
            config = item.document.get("config")
            env_repo.upsert_object(
                self.tx,
                self.ws,
                RefKind.CDM_JOB.value,
                item.name,
                type_=str(item.document.get("type") or "CDM"),
                config=dump(config if isinstance(config, dict) else {}),
                now=self.now,
                actor=self.stamp.by,
            )
            self._record(item, f"cdm_job:{item.name}", dump(item.document), None)

    def jobs(self, items: list[PlannedObject]) -> None:
        """Write jobs, their versions, their reference index rows and the tags they carry."""
        rows = {
            item.name: JobRow.of(item.document, dump(item.document), self.version_of(item))
            for item in items
        }
        ids = repo.insert_jobs(
            self.tx, self.ws, [rows[i.name] for i in items if not i.target], self.stamp
        )
        overwritten = [(int(i.target.id), rows[i.name]) for i in items if i.target]
        repo.update_jobs(self.tx, overwritten, self.stamp)
        ids.update({row.name: job_id for job_id, row in overwritten})
        approvers = self.request.approvers
        approvers_text = dump({"approvers": approvers}) if approvers else None
        versions: list[tuple[int, VersionRecord, str | None]] = []
        refs: list[RefRow] = []
        tags: set[str] = set()
        for item in items:
            row, job_id = rows[item.name], ids[item.name]
            if self.submit:
                versions.append(
                    (job_id, self._version(row.latest_version, row.document), approvers_text)
                )
            for kind, name, other_ws in distinct_references(item.refs):
                refs.append(RefRow(job_id, str(kind), name, other_ws or ""))
                if kind is _TAG:
                    tags.add(name)
            self._record(item, str(job_id), row.document, row.latest_version)
        repo.insert_job_versions(self.tx, versions)
        # New jobs have no reference rows yet: only overwritten ones need theirs cleared.
        repo.replace_job_refs(self.tx, [job_id for job_id, _ in overwritten], refs)
        tag_repo.ensure_tags(self.tx, self.ws, tags, self.now)

    def written(self, item: PlannedObject) -> dict[str, Any]:
        """The subtask of an object this apply wrote, counted in the outcome."""
        version = self.versions.get((item.kind, item.name))
        verb = "Created" if item.action is PlanAction.CREATE else "Overwrote"
        message = f"{verb} {NOUNS[item.kind]} '{item.name}'"
        if item.action is PlanAction.OVERWRITE:
            message += f" ({len(item.changes)} change(s))"
        if self.submit and item.kind in _VERSIONED:
            message += f"; submitted version {version}"
            self.outcome.versions += 1
        self.outcome.written += 1
        return subtask(item, SUCCESSFUL, message + ".", self.now)


def _change(
    task_id: str, ws: str, item: PlannedObject, object_id: str, text: str, version: int | None
) -> ChangeRow:
    return ChangeRow(
        task_id=task_id,
        workspace_id=ws,
        kind=str(item.kind),
        name=item.name,
        action=str(item.action),
        object_id=object_id,
        before_document=item.target.document if item.target else None,
        before_version=item.target.latest_version if item.target else None,
        after_version=version,
        after_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
