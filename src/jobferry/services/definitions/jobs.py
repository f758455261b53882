"""Jobs: create, update, show, list, delete, versions and scheduling state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from jobferry.domain.enums import (
    JobStatus,
    ObjectKind,
    ProcessType,
    RefKind,
    TargetStatus,
    running_status,
)
from jobferry.domain.mandatory import missing_job_fields
from jobferry.domain.names import storable
from jobferry.domain.references import Reference, job_references
from jobferry.domain.remedies import Remedy
from jobferry.domain.validation import validate_job
from jobferry.errors import (
    InUseError,
    InvalidRequestError,
    JobScheduledError,
    VersionNotFoundError,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import OPERATORS, WRITERS, Scope, now_ms
from jobferry.services.definitions.cautions import Cautions, require_cautioned
from jobferry.services.definitions.documents import (
    dump,
    load,
    raise_violations,
    reference_index,
    split_body,
)
from jobferry.services.definitions.lookup import (
    get_job_or_raise,
    missing_job,
    never_submitted_fix,
    no_version,
)
from jobferry.services.definitions.presence import PAGED_KINDS, absent
from jobferry.services.definitions.provenance import provenance_of
from jobferry.services.definitions.publishing import (
    check_lock,
    check_tags,
    resolve_target_status,
    saved_detail,
    submitted_version,
)
from jobferry.services.definitions.records import (
    Dependent,
    JobDetail,
    JobState,
    JobSummary,
    Lock,
    Provenance,
    ShownJob,
    SubmittedVersion,
    job_owner,
)
from jobferry.services.definitions.renames import Renamed, rename_job, require_free_job_name
from jobferry.services.definitions.schedulable import refuse_start, refuse_submit
from jobferry.services.definitions.since import require_unchanged
from jobferry.services.definitions.starts import StartRequest
from jobferry.services.definitions.tombstones import after_deleting
from jobferry.services.definitions.usage import refuse_version_dependents
from jobferry.services.releases.pending import note_submit
from jobferry.services.support.paging import Given, name_filter, page, read_page
from jobferry.settings import OffsetMode
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as repo
from jobferry.storage import tags as tag_repo
from jobferry.storage.importing.origins import job_origin
from jobferry.storage.records import JobRecord, RowLock, VersionRecord
from jobferry.storage.rows import JobRow, Stamp

NO_VERSION = -1
"""``show_job``'s ``version=-1``: DataArts' default for "no submitted version" (the
development state, or with ``getJobSubmitVersion`` the latest). Any other number names a
submitted version, counted from 1; one that does not exist (0, a negative one) is refused."""


def _provenance(tx: Tx, scope: Scope, name: str) -> Provenance | None:
    origin = job_origin(tx, scope.workspace.id, name) if storable(name) else None
    if origin is None:
        raise missing_job(tx, scope, name)
    return provenance_of(tx, scope, origin)


def _dependent(dependent: Dependent, here: str) -> str:
    """A job depending on another, as a refusal names it (its workspace when not ``here``)."""
    if dependent.workspace == here:
        return f"job '{dependent.job_name}'"
    return f"job '{dependent.job_name}' of workspace '{dependent.workspace}'"


def save_job(
    tx: Tx,
    scope: Scope,
    doc: dict[str, Any],
    target: TargetStatus,
    approvers: Any,
    existing: JobRecord | None,
    *,
    restored: int | None = None,
) -> int:
    """Write a validated definition as the job's development state (and a version if asked;
    ``restored``: the submitted version the definition is, when a restore gives it back).

    The single-object path of the API calls. Import writes in bulk (services.importing.apply)
    through the same row shapes (storage.rows), with the same bookkeeping: reference index,
    tags, versions.
    """
    stamp = Stamp(now_ms(), scope.actor.name)
    text = dump(doc)
    name = str(doc["name"])
    latest = existing.latest_version if existing else None
    version = submitted_version(target, latest)
    row = JobRow.of(doc, text, version or latest)
    if existing is None:
        job_id = repo.insert_job(tx, scope.workspace.id, row, stamp)
    else:
        job_id = existing.id
        repo.update_job(tx, job_id, row, stamp)
        if existing.status != JobStatus.STOPPED and existing.process_type != row.process_type:
            repo.set_status(tx, job_id, running_status(row.process_type))
    refs = reference_index(doc)
    repo.replace_refs(tx, job_id, refs)
    tags = [n for k, n, _ in refs if k == RefKind.TAG]
    tag_repo.ensure_tags(tx, scope.workspace.id, tags, stamp.at)
    detail = saved_detail(target, restored)
    if version is not None:
        repo.insert_version(
            tx,
            job_id,
            VersionRecord(version, target.value, text, stamp.at, stamp.by),
            dump({"approvers": approvers}) if approvers else None,
        )
        detail["version"] = version
        uid = existing.uid if existing is not None else repo.job_uid(tx, job_id)
        note_submit(tx, scope, ObjectKind.JOB, uid, str(job_id), name, version)
    audit_in_scope(
        tx, scope, "job.create" if existing is None else "job.update", ObjectKind.JOB, name, detail
    )
    return job_id


class JobService:
    """The DataArts job calls."""

    def __init__(
        self,
        db: Database,
        *,
        max_nodes: int,
        offset_mode: OffsetMode,
    ) -> None:
        self.db = db
        self.max_nodes = max_nodes
        self.offset_mode = offset_mode

    def _validated(self, scope: Scope, body: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
        doc, target, approvers = split_body(ObjectKind.JOB, body)
        here = scope.workspace
        found = validate_job(doc, max_nodes=self.max_nodes, workspace=(here.name, here.id))
        raise_violations(ObjectKind.JOB, doc.get("name"), [*missing_job_fields(doc), *found])
        return doc, target, approvers

    def create(
        self, scope: Scope, body: dict[str, Any], *, cautions: Cautions | None = None
    ) -> None:
        """Create a job (DLF.0102 when the name is taken; with ``cautions``, those its review
        showed, refused when the workspace now gives others: ``cautions.py``)."""
        scope.require_change(WRITERS, "create jobs")
        doc, requested, approvers = self._validated(scope, body)
        target = resolve_target_status(scope, requested, approvers, "a job")
        name = str(doc["name"])
        with self.db.transaction() as tx:
            require_free_job_name(tx, scope, name, "update it with PUT, or choose another name")
            check_tags(tx, scope, name, None, doc)
            require_cautioned(tx, scope, ObjectKind.JOB, doc, cautions)
            save_job(tx, scope, doc, target, approvers, None)

    def update(
        self,
        scope: Scope,
        name: str,
        body: dict[str, Any],
        base: dict[str, Any] | None = None,
        *,
        restored: int | None = None,
        cautions: Cautions | None = None,
    ) -> str | None:
        """Replace a job's definition (full replacement, same rules as create); with ``base``,
        the definition the save was made from, refused when the job changed since, as with
        ``cautions`` as create is (``restored``: the version a restore gives back, for the
        audit). The user whose lock the save passed over (the soft lock policy), if one."""
        scope.require_change(WRITERS, "change jobs")
        body = dict(body)
        body_name = body.setdefault("name", name)
        if body_name != name:
            raise InvalidRequestError(
                f"The body names job '{body_name}' but the path names '{name}'; jobs cannot be "
                "renamed by update.",
                fix="Use PUT /v2/{project_id}/factory/jobs/{job_name}/rename.",
                remedy=Remedy.RENAME_JOB,
                job_name=name,
            )
        doc, requested, approvers = self._validated(scope, body)
        target = resolve_target_status(scope, requested, approvers, "a job")
        with self.db.transaction() as tx:
            # Its keys kept: a save does not wait for an import holding the job (see delete).
            job = get_job_or_raise(tx, scope, name, locked=RowLock.KEY_KEPT)
            locked_by = check_lock(tx, scope, ObjectKind.JOB, name)
            check_tags(tx, scope, name, job.id, doc)
            require_unchanged(ObjectKind.JOB, job, base, doc)
            require_cautioned(tx, scope, ObjectKind.JOB, doc, cautions)
            refuse_submit(job, doc, target)
            save_job(tx, scope, doc, target, approvers, job, restored=restored)
        return locked_by

    def rename(self, scope: Scope, name: str, new_name: str) -> Renamed:
        """Rename a stopped job; the dependents in its workspace follow (job_rename)."""
        return rename_job(self.db, scope, name, new_name)

    def show(
        self,
        scope: Scope,
        name: str,
        *,
        version: int | None = None,
        dependencies: bool = False,
        submitted: bool = False,
        provenance: bool = False,
    ) -> ShownJob:
        """A job's definition: development state, a submitted version, or the latest one (with
        where it came from, when ``provenance``)."""
        with self.db.transaction(readonly=True) as tx:
            job = get_job_or_raise(tx, scope, name)
            shown_version = job.latest_version
            text = job.document
            if version is not None and version != NO_VERSION:
                found = repo.get_version(tx, job.id, version) if 0 < version < 2**31 else None
                if found is None:
                    raise no_version(name, version, job.latest_version)
                text, shown_version = found.document, found.version
            elif submitted:
                if job.latest_version is None:
                    raise VersionNotFoundError(
                        f"Job '{name}' has never been submitted: it has no version to show.",
                        fix=never_submitted_fix(),
                        remedy=Remedy.SHOW_DEVELOPMENT_STATE,
                        job_name=name,
                    )
                found = repo.get_version(tx, job.id, job.latest_version)
                assert found is not None
                text = found.document
            downstream = self._downstream(tx, scope, name) if dependencies else None
            came_from = _provenance(tx, scope, name) if provenance else None
        shown = ShownJob.of(job, text, shown_version, downstream)
        return replace(shown, traced=True, provenance=came_from) if provenance else shown

    def provenance(self, scope: Scope, name: str) -> Provenance | None:
        """Where a job came from (``None``: it was not imported from another workspace)."""
        with self.db.transaction(readonly=True) as tx:
            return _provenance(tx, scope, name)

    def show_answer(self, scope: Scope, name: str, render: Callable[[ShownJob], bytes]) -> bytes:
        """``show(scope, name)`` as the JSON bytes ``render`` makes of it (the API's wire form):
        one statement, no transaction."""
        job = self.db.job_reads.read(scope.workspace.id, name) if storable(name) else None
        if job is None:
            with self.db.transaction(readonly=True) as tx:  # a miss only: the nearest name
                raise missing_job(tx, scope, name)
        return render(ShownJob.of(job, job.document, job.latest_version))

    def detail(self, scope: Scope, name: str) -> JobDetail:
        """Everything a job's page shows, read in one transaction: its development state,
        scheduling state, submitted versions, references and lock."""
        with self.db.transaction(readonly=True) as tx:
            job = get_job_or_raise(tx, scope, name)
            versions = repo.list_versions(tx, job.id)
            came_from = _provenance(tx, scope, name)
            shown = ShownJob.of(job, job.document, job.latest_version)
            references = job_references(shown.document)
            missing = absent(tx, scope, references, PAGED_KINDS)
            lock = tag_repo.get_lock(tx, scope.workspace.id, ObjectKind.JOB.value, job.name)
        return JobDetail(
            job=shown,
            state=JobState.of(job),
            versions=[SubmittedVersion.of(v) for v in versions],
            references=references,
            provenance=came_from,
            owner=job_owner(shown.document, job.created_by),
            missing=missing,
            lock=Lock.of(lock) if lock is not None else None,
        )

    def _refuse_depended_on(self, tx: Tx, scope: Scope, job_id: int, name: str) -> None:
        """Refuse (DLF.9013) to delete a job other jobs of any workspace of the project depend
        on, by their saved definition or by their latest submitted version."""
        downstream = self._downstream(tx, scope, name)
        others = [d for d in downstream if d.job_id != job_id]
        if others:
            said = [_dependent(d, scope.workspace.name) for d in others[:10]]
            more = f" and {len(others) - 10} more" if len(others) > 10 else ""
            raise InUseError(
                f"Job '{name}' is an upstream dependency of {', '.join(said)}{more}; "
                "nothing was deleted.",
                fix=f"Take '{name}' out of each one's upstream jobs (its schedule's "
                "dependencies, or a sub job node running it), then delete it.",
                job_name=name,
                dependents=[d.job_name for d in others],
                dependent_jobs=[{"workspace": d.workspace, "job_name": d.job_name} for d in others],
                workspace=scope.workspace.name,
            )
        refuse_version_dependents(tx, scope, name, {(d.workspace, d.job_name) for d in downstream})

    def _downstream(self, tx: Tx, scope: Scope, name: str) -> tuple[Dependent, ...]:
        same = repo.jobs_referencing_with_ids(tx, scope.workspace.id, RefKind.JOB.value, name)
        here = scope.workspace
        other = repo.dependents_in_other_workspaces(
            tx, scope.actor.project_id, here.name, name, here.id
        )
        out = [Dependent(here.name, n, i) for i, n in same]
        listed = {i for i, _ in same}  # one naming its own workspace as another's too: once
        out += [Dependent(w, n, i) for w, i, n in other if i not in listed]
        return tuple(out)

    def list_jobs(
        self,
        scope: Scope,
        *,
        job_type: str | None,
        job_name: str | None,
        tags: str | None,
        limit: Given,
        offset: Given,
    ) -> tuple[int, list[JobSummary]]:
        """One page of jobs (jobType defaults to BATCH, as DataArts), and how many match."""
        process_type = job_type or ProcessType.BATCH.value
        if process_type not in {p.value for p in ProcessType}:
            raise InvalidRequestError(
                f"jobType '{job_type}' is not valid; use BATCH or REAL_TIME.", parameter="jobType"
            )
        p = page(limit, offset, self.offset_mode)
        tag_list = [t.strip() for t in (tags or "").split(",") if t.strip()]
        names = name_filter(job_name, "jobName")
        total, rows = read_page(
            self.db,
            repo.list_jobs,
            scope.workspace.id,
            names,
            p,
            process_type=process_type,
            tags=tag_list,
        )
        return total, [JobSummary.of(job) for job in rows]

    def delete(self, scope: Scope, name: str) -> str | None:
        """Delete a stopped job no other job depends on (a job calling itself may go); the user
        whose lock the delete passed over (the soft lock policy), if one. The job's row is
        locked whole before its dependents are counted, so that an import that found it there
        (holding it ``FOR KEY SHARE``) is counted among them or, waiting, finds it gone: never
        a job imported depending on a job deleted beside it."""
        scope.require_change(WRITERS, "delete jobs")
        with self.db.transaction() as tx:
            job = get_job_or_raise(tx, scope, name, locked=RowLock.WHOLE)
            if job.status != JobStatus.STOPPED.value:
                raise JobScheduledError(
                    f"Job '{name}' is scheduled ({job.status}); a scheduled job is not deleted.",
                    fix=f"First stop it (POST /v1/{{project_id}}/jobs/{name}/stop), then "
                    "delete it.",
                    remedy=Remedy.STOP_JOB,
                    job_name=name,
                )
            locked_by = check_lock(tx, scope, ObjectKind.JOB, name)
            check_tags(tx, scope, name, job.id, None)
            self._refuse_depended_on(tx, scope, job.id, name)
            repo.delete_job(tx, job.id)
            after_deleting(tx, scope, ObjectKind.JOB, job.uid, name)
        return locked_by

    def start(self, scope: Scope, name: str, request: StartRequest | None = None) -> None:
        """Start scheduling the job's latest submitted version (``request``: the start call's
        parameters and options, kept in the audit entry)."""
        scope.require_change(OPERATORS, "start jobs", scheduling=True)
        with self.db.transaction() as tx:
            job = get_job_or_raise(tx, scope, name)
            scope.require_scheduled_here(name)
            if job.latest_version is None:
                raise InvalidRequestError(
                    f"Job '{name}' has never been submitted, so there is nothing to schedule.",
                    fix="Update it with targetStatus SUBMITTED first.",
                    remedy=Remedy.SUBMIT_JOB,
                    job_name=name,
                )
            version = repo.get_version(tx, job.id, job.latest_version)
            assert version is not None
            refuse_start(name, version)
            repo.set_status(tx, job.id, running_status(job.process_type))
            audit_in_scope(
                tx,
                scope,
                "job.start",
                ObjectKind.JOB,
                name,
                {"version": job.latest_version, **(request or StartRequest()).detail()},
            )

    def stop(self, scope: Scope, name: str) -> None:
        """Stop scheduling the job (idempotent)."""
        scope.require_change(OPERATORS, "stop jobs", scheduling=True)
        with self.db.transaction() as tx:
            job = get_job_or_raise(tx, scope, name)
            repo.set_status(tx, job.id, JobStatus.STOPPED)
            audit_in_scope(tx, scope, "job.stop", ObjectKind.JOB, name)

    def status(self, scope: Scope, name: str) -> JobState:
        """The job's and its nodes' scheduling state (ShowJobStatusResponse)."""
        with self.db.transaction(readonly=True) as tx:
            job = get_job_or_raise(tx, scope, name)
        return JobState.of(job)

    def references(self, scope: Scope, name: str) -> list[Reference]:
        """Everything the job's development state references (extension)."""
        with self.db.transaction(readonly=True) as tx:
            job = get_job_or_raise(tx, scope, name)
        return job_references(load(job.document))
