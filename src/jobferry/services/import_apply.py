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

from jobferry.domain.enums import JobStatus, ProcessType, RefKind, TargetStatus
from jobferry.domain.references import distinct_references
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.documents import directory_of, dump
from jobferry.services.import_plan import CREATE, OVERWRITE, SKIP, UNCHANGED, Plan, PlannedObject
from jobferry.services.import_request import ImportRequest
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import imports as repo
from jobferry.storage import tags as tag_repo

SUCCESSFUL, FAILED = "SUCCESSFUL", "FAILED"
_TAG = RefKind.TAG
NOUNS = {"job": "job", "script": "script", "resource": "resource", "cdm_job": "CDM job"}


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
    jobs = [o for o in plan.objects if o.kind == "job" and o.action in (CREATE, OVERWRITE)]
    changed = True
    while changed:
        changed = False
        for job in jobs:
            if ("job", job.name) in failing:
                continue
            for ref in job.refs:
                key = (str(ref.kind), ref.name)
                if not ref.workspace and key in failing:
                    failing[("job", job.name)] = (
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
    now = now_ms()
    actor = scope.actor.name
    ws = scope.workspace.id
    failing = failing_objects(plan)
    submit = request.target_status is not TargetStatus.SAVED
    approvers = dump({"approvers": request.approvers}) if request.approvers else None
    outcome = Outcome()
    lines: dict[tuple[str, str], dict[str, Any]] = {}  # one subtask per object of the plan
    changes: list[dict[str, Any]] = []
    by_kind: dict[str, list[PlannedObject]] = {
        "script": [],
        "resource": [],
        "cdm_job": [],
        "job": [],
    }

    for item in plan.objects:
        reason = failing.get((item.kind, item.name))
        if reason:
            outcome.failed += 1
            lines[(item.kind, item.name)] = subtask(item, FAILED, reason, now)
        elif item.action == SKIP:
            message = (
                f"Skipped: {NOUNS[item.kind]} '{item.name}' already exists and sameNamePolicy "
                "is SKIP."
            )
            lines[(item.kind, item.name)] = subtask(item, SUCCESSFUL, message, now)
        elif item.action == UNCHANGED:
            message = "Unchanged: identical to the target after transforms; no new version."
            lines[(item.kind, item.name)] = subtask(item, SUCCESSFUL, message, now)
        else:
            by_kind[item.kind].append(item)

    versions: dict[tuple[str, str], int | None] = {}

    def version_of(item: PlannedObject) -> int | None:
        if not submit or item.kind not in ("job", "script"):
            return item.target.latest_version if item.target else None
        return (item.target.latest_version or 0) + 1 if item.target else 1

    # Scripts.
    script_new, script_upd, script_versions = [], [], []
    for item in by_kind["script"]:
        text = dump(item.document)
        version = version_of(item)
        versions[("script", item.name)] = version
        cols = {
            "type": str(item.document.get("type")),
            "directory": directory_of(item.document),
            "document": text,
            "latest_version": version,
            "updated_at": now,
            "updated_by": actor,
        }
        if item.action == CREATE:
            script_id = str(uuid.uuid4())
            script_new.append(
                {
                    "id": script_id,
                    "workspace_id": ws,
                    "name": item.name,
                    "created_at": now,
                    "created_by": actor,
                    **cols,
                }
            )
        else:
            assert item.target is not None
            script_id = item.target.id
            script_upd.append({"_id": script_id, **cols})
        if submit:
            script_versions.append(
                {
                    "script_id": script_id,
                    "version": version,
                    "status": request.target_status.value,
                    "document": text,
                    "created_at": now,
                    "created_by": actor,
                }
            )
        changes.append(_change(task_id, ws, item, script_id, text, version))
    repo.insert_scripts(tx, script_new)
    repo.update_scripts(tx, script_upd)
    repo.insert_script_versions(tx, script_versions)

    # Resources.
    res_new, res_upd = [], []
    for item in by_kind["resource"]:
        text = dump(item.document)
        cols = {
            "type": str(item.document.get("type")),
            "directory": directory_of(item.document),
            "document": text,
            "updated_at": now,
            "updated_by": actor,
        }
        if item.action == CREATE:
            res_id = str(uuid.uuid4())
            res_new.append(
                {
                    "id": res_id,
                    "workspace_id": ws,
                    "name": item.name,
                    "created_at": now,
                    "created_by": actor,
                    **cols,
                }
            )
        else:
            assert item.target is not None
            res_id = item.target.id
            res_upd.append({"_id": res_id, **cols})
        changes.append(_change(task_id, ws, item, res_id, text, None))
    repo.insert_resources(tx, res_new)
    repo.update_resources(tx, res_upd)

    # CDM job definitions become environment objects (never with secrets: packages have none).
    for item in by_kind["cdm_job"]:
        config = item.document.get("config")
        env_repo.upsert_object(
            tx,
            ws,
            RefKind.CDM_JOB.value,
            item.name,
            type_=str(item.document.get("type") or "CDM"),
            config=dump(config if isinstance(config, dict) else {}),
            now=now,
            actor=actor,
        )
        changes.append(
            _change(task_id, ws, item, f"cdm_job:{item.name}", dump(item.document), None)
        )

    # Jobs.
    job_new, job_upd, texts = [], [], {}
    for item in by_kind["job"]:
        text = dump(item.document)
        texts[item.name] = text
        version = version_of(item)
        versions[("job", item.name)] = version
        cols = {
            "directory": directory_of(item.document),
            "process_type": str(item.document.get("processType") or ProcessType.BATCH.value),
            "document": text,
            "latest_version": version,
            "updated_at": now,
            "updated_by": actor,
        }
        if item.action == CREATE:
            job_new.append(
                {
                    "workspace_id": ws,
                    "name": item.name,
                    "status": JobStatus.STOPPED.value,
                    "created_at": now,
                    "created_by": actor,
                    **cols,
                }
            )
        else:
            assert item.target is not None
            job_upd.append({"_id": int(item.target.id), **cols})
    ids = repo.insert_jobs(tx, ws, job_new)
    repo.update_jobs(tx, job_upd)
    ids.update({i.name: int(i.target.id) for i in by_kind["job"] if i.target is not None})
    job_versions, ref_rows, tag_names = [], [], set()
    for item in by_kind["job"]:
        job_id = ids[item.name]
        if submit:
            job_versions.append(
                {
                    "job_id": job_id,
                    "version": versions[("job", item.name)],
                    "status": request.target_status.value,
                    "document": texts[item.name],
                    "approvers": approvers,
                    "created_at": now,
                    "created_by": actor,
                }
            )
        for kind, name, other_ws in distinct_references(item.refs):
            ref_rows.append(
                {
                    "job_id": job_id,
                    "kind": str(kind),
                    "name": name,
                    "ref_workspace": other_ws or "",
                }
            )
            if kind is _TAG:
                tag_names.add(name)
        changes.append(
            _change(task_id, ws, item, str(job_id), texts[item.name], versions[("job", item.name)])
        )
    repo.insert_job_versions(tx, job_versions)
    # New jobs have no reference rows yet: only overwritten ones need theirs cleared.
    overwritten = [int(i.target.id) for i in by_kind["job"] if i.target is not None]
    repo.replace_job_refs(tx, overwritten, ref_rows)
    tag_repo.ensure_tags(tx, ws, tag_names, now)
    repo.insert_changes(tx, changes)

    for object_kind, items in by_kind.items():
        for item in items:
            version = versions.get((object_kind, item.name))
            verb = "Created" if item.action == CREATE else "Overwrote"
            message = f"{verb} {NOUNS[object_kind]} '{item.name}'"
            if item.action == OVERWRITE:
                message += f" ({len(item.changes)} change(s))"
            if submit and object_kind in ("job", "script"):
                message += f"; submitted version {version}"
                outcome.versions += 1
            lines[(item.kind, item.name)] = subtask(item, SUCCESSFUL, message + ".", now)
            outcome.written += 1
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


def _change(
    task_id: str, ws: str, item: PlannedObject, object_id: str, text: str, version: int | None
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "workspace_id": ws,
        "kind": item.kind,
        "name": item.name,
        "action": item.action,
        "object_id": object_id,
        "before_document": item.target.document if item.target else None,
        "before_version": item.target.latest_version if item.target else None,
        "after_version": version,
        "after_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
