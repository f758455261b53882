"""Jobs, scripts, resources, tags and locks on the wire: the definitions services' records in
DataArts' camelCase (v1) and snake_case (factory v2).

A shown definition is its stored document with the server's own fields laid over it in a fixed
order, key positions kept: a field the document already holds keeps its place, a new one goes
at the end, and ``directory`` is only filled in when the document lacks it. A job's ``version``
is always the server's (its latest submitted version, the one shown when asked for one; none
while never submitted), whatever a definition stored before the key was the server's holds.
DataArts clients, the official SDK and the Terraform provider read these bytes, so the order
is part of the contract (``tests/api``, ``tests/e2e``). A job's fields are answered in
the types the SDKs' models read (``jobtypes``).
"""

from __future__ import annotations

from typing import Any

import orjson

from jobferry.api.presenters.jobtypes import typed_job, whole_number
from jobferry.domain.references import Reference
from jobferry.services.definitions.compare import Comparison
from jobferry.services.definitions.drift import DriftReport
from jobferry.services.definitions.governance import Tag
from jobferry.services.definitions.records import (
    Dependent,
    JobState,
    JobSummary,
    Lock,
    Provenance,
    ShownJob,
    ShownResource,
    ShownScript,
    SubmittedVersion,
)
from jobferry.services.definitions.restore import Restored
from jobferry.services.definitions.submit import Submitted


def job_document(shown: ShownJob) -> dict[str, Any]:
    """``JobInfo`` as show_job answers it (``downstreamJobs`` when dependencies were asked, the
    extension ``provenance`` when it was)."""
    doc = typed_job(shown.document)
    doc["name"] = shown.name
    doc["id"] = shown.id
    doc["createTime"] = shown.created_at
    doc.setdefault("directory", shown.directory)
    doc["lastUpdateUser"] = shown.updated_by
    if shown.version is None:
        doc.pop("version", None)  # a definition stored before the key was the server's
    else:
        doc["version"] = str(shown.version)
    if shown.downstream is not None:
        doc["downstreamJobs"] = [dependent_view(d) for d in shown.downstream]
    if shown.traced:
        doc["provenance"] = provenance_view(shown.provenance)
    return doc


def provenance_view(came_from: Provenance | None) -> dict[str, Any] | None:
    """Where a job came from (extension ``provenance``; ``null``: not imported from another
    workspace); ``route`` names the route the import promoted it along (``null``: none)."""
    if came_from is None:
        return None
    return {
        "sourceWorkspaceId": came_from.source_workspace_id,
        "sourceWorkspace": came_from.source_workspace,
        "sourceJobName": came_from.source_name,
        "sourceUid": came_from.source_uid,
        "packageSha256": came_from.package_sha256,
        "importTaskId": came_from.import_task_id,
        "route": came_from.route,
        "importedBy": came_from.imported_by,
        "importedAt": came_from.imported_at,
        "rolledBack": came_from.rolled_back,
        "drifted": came_from.drifted,
    }


def job_answer(shown: ShownJob) -> bytes:
    """``job_document`` as the JSON bytes show_job answers (what its answer cache keeps)."""
    return orjson.dumps(job_document(shown))


def dependent_view(dependent: Dependent) -> dict[str, Any]:
    """One of ``downstreamJobs``."""
    return {
        "workSpace": dependent.workspace,
        "jobName": dependent.job_name,
        "jobId": dependent.job_id,
    }


def job_result(job: JobSummary) -> dict[str, Any]:
    """``JobResult``: one job of list_jobs."""
    result: dict[str, Any] = {
        "name": job.name,
        "jobType": job.process_type.value,
        "owner": job.owner,
        "priority": whole_number(job.priority),
        "status": job.status.value,
        "createUser": job.created_by,
        "createTime": job.created_at,
        "lastUpdateTime": job.updated_at,
        "lastUpdateUser": job.updated_by,
        "path": job.directory,
        "singleNodeJobFlag": job.single_node,
    }
    if job.version is not None:
        result["version"] = job.version
    return result


def job_status(state: JobState) -> dict[str, Any]:
    """``ShowJobStatusResponse`` (its misspelt ``lastModifiyUser`` is DataArts' own)."""
    status = state.status.value
    return {
        "name": state.name,
        "status": status,
        "starttime": str(state.created_at),
        "lastUpdateTime": str(state.updated_at),
        "createUser": state.created_by,
        "lastModifiyUser": state.updated_by,
        "nodes": [{"name": n.name, "status": status, "nodeType": n.node_type} for n in state.nodes],
    }


def version_view(version: SubmittedVersion) -> dict[str, Any]:
    """One submitted version of a job (extension)."""
    return {
        "version": version.version,
        "status": version.status.value,
        "createTime": version.created_at,
        "createUser": version.created_by,
    }


def comparison_view(comparison: Comparison) -> dict[str, Any]:
    """What changed from one state of a job or script to another (extension): ``from`` a
    submitted version ``to`` another, or to the development state (``to`` null)."""
    return {
        "name": comparison.name,
        "kind": comparison.kind.value,
        "from": comparison.older,
        "to": comparison.newer,
        "changes": [change.as_json() for change in comparison.changes],
    }


def restored_view(restored: Restored) -> dict[str, Any]:
    """A job or script given back one of its submitted versions (extension): ``saved``
    false when its development state held that definition already, ``changes`` what the
    restore changed in it."""
    return {
        "name": restored.name,
        "kind": restored.kind.value,
        "version": restored.version,
        "saved": bool(restored.changes),
        "changes": [change.as_json() for change in restored.changes],
    }


def submitted_view(submitted: Submitted) -> dict[str, Any]:
    """A job's or script's development state submitted (extension): ``version`` the version
    holding it now, ``made`` false when that was its latest version already."""
    return {
        "name": submitted.name,
        "kind": submitted.kind.value,
        "version": submitted.version,
        "made": submitted.made,
    }


def reference_view(ref: Reference) -> dict[str, Any]:
    """One name a job's definition refers to (extension)."""
    return {
        "kind": ref.kind.value,
        "name": ref.name,
        "field": ref.field,
        "node": ref.node,
        "workspace": ref.workspace,
    }


def script_document(shown: ShownScript) -> dict[str, Any]:
    """``ScriptInfo`` as show_script and list_scripts answer it."""
    doc = dict(shown.document)
    doc["id"] = shown.id
    # No directory is answered when none was given: the Terraform provider's directory is
    # optional and not computed, so a "/" it never sent would show as a change in every plan.
    if shown.version is not None:
        doc["version"] = shown.version
    doc["modifyTime"] = shown.updated_at
    doc["createUser"] = shown.created_by
    return doc


FACTORY_SCRIPT_FIELDS = {
    "name": "name",
    "type": "type",
    "directory": "directory",
    "createUser": "create_user",
    "connectionName": "connection_name",
    "database": "database",
    "queueName": "queue_name",
    "configuration": "configuration",
    "description": "description",
    "owner": "owner",
    "modifyTime": "modify_time",
    "version": "version",
}
"""The v1 fields of a script the v2 ``ScriptInfo`` carries, by their v2 names."""


def factory_script(shown: ShownScript) -> dict[str, Any]:
    """The v2 factory ``ScriptInfo`` of a listing: snake_case, ``id`` a string, no content."""
    view = script_document(shown)
    out: dict[str, Any] = {"id": str(view["id"])}
    for camel, snake in FACTORY_SCRIPT_FIELDS.items():
        if view.get(camel) is not None:
            out[snake] = view[camel]
    return out


def resource_document(shown: ShownResource) -> dict[str, Any]:
    """``ResourceInfo`` as show_resource (with ``jobRelation``) and list_resources answer it;
    ``resourceId`` is what list readers (the Terraform data source) look for."""
    doc = dict(shown.document)
    doc["id"] = shown.id
    doc["resourceId"] = shown.id
    doc.setdefault("directory", shown.directory)
    if shown.users is not None:
        doc["jobRelation"] = [
            {"relationType": "JOB", "taskName": use.job_name, "taskId": use.job_id}
            for use in shown.users
        ]
    return doc


def tag_view(tag: Tag) -> dict[str, Any]:
    """A tag (``createTime`` when it was read, not in what putting one answers; ``jobCount``
    when the jobs carrying it were counted)."""
    out: dict[str, Any] = {"name": tag.name, "locked": tag.locked}
    if tag.created_at is not None:
        out["createTime"] = tag.created_at
    if tag.jobs is not None:
        out["jobCount"] = tag.jobs
    return out


def lock_view(lock: Lock) -> dict[str, Any]:
    """A lock on a job or script."""
    return {
        "kind": lock.kind.value,
        "name": lock.name,
        "holder": lock.holder,
        "acquireTime": lock.acquired_at,
    }


def drift_view(report: DriftReport) -> dict[str, Any]:
    """A workspace's drift (extension ``GET /drift``): how many imported objects were compared,
    how many changed since, and the first 1,000 of those with their field changes."""
    answer: dict[str, Any] = {
        "compared": report.compared,
        "total": report.total,
        "objects": [
            {
                "kind": str(d.kind),
                "name": d.name,
                "changes": [c.as_json() for c in d.changes],
                "updateTime": d.updated_at,
                "updateUser": d.updated_by,
                "importTaskId": d.import_task_id,
                "importedAt": d.imported_at,
                "sourceWorkspaceId": d.source_workspace_id,
                **({"deleted": True} if d.deleted else {}),
            }
            for d in report.objects
        ],
    }
    if report.total > len(report.objects):
        answer["objectsShown"] = len(report.objects)
    return answer
