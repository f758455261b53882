"""Renaming a job (DataArts Studio's v2 ``rename`` call): its id, versions and lock stay, and
the jobs of its workspace that depend on it are rewritten to the new name in one transaction.

Decisions (docs/api.md, "Job rename"): the job must be stopped (a scheduled job's name is its
schedule's identity); jobs in *other* workspaces that depend on it refuse the rename (their
owners change them); a dependent's development state is rewritten, its submitted versions are
history and keep the old name until it is submitted again.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from jobferry.domain.enums import AnyRefKind, JobStatus, ObjectKind, RefKind
from jobferry.domain.names import object_name_problem, storable
from jobferry.domain.references import rename_references
from jobferry.domain.remedies import Remedy
from jobferry.domain.schedule_rules import SELF_DEPENDENCY, SUB_JOB_SELF
from jobferry.domain.shapes import BodyShape, Extra, text
from jobferry.domain.validation import validate_job
from jobferry.errors import (
    DatabaseBusyError,
    InUseError,
    JobExistsError,
    JobNameError,
    JobNameMissingError,
    JobScheduledError,
    RenameSourceNotFoundError,
    ScheduleInvalidError,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.documents import dump, load, reference_index
from jobferry.services.definitions.publishing import check_lock, check_tags
from jobferry.services.releases.pending import note_rename
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as repo
from jobferry.storage import tags as tag_repo
from jobferry.storage.records import JobRecord, RowLock
from jobferry.storage.rows import JobRow, Stamp

RENAME = BodyShape(
    "UpdateFactoryJobNameRequestBody (DataArts)",
    (text("name", "the job's new name", required=True),),
    Extra.IGNORED,
)
"""The body :func:`parse_rename` reads; other keys are accepted and ignored."""


def parse_rename(body: dict[str, Any]) -> str:
    """The new name of an ``UpdateFactoryJobNameRequestBody`` (``{"name": …}``), checked."""
    name = body.get("name")
    problem = object_name_problem(name, "job name")
    if problem:  # the codes a job saved under that name is refused with (DLF.3004, DLF.3018)
        error = JobNameMissingError if problem.rule == "required" else JobNameError
        raise error(f"{problem.message}.", parameter="name", rule=problem.rule)
    assert isinstance(name, str)
    return name


class Renamed(NamedTuple):
    """What renaming a job did besides: the dependents of its workspace rewritten to the new
    name, and the users whose locks the rename passed over (the soft lock policy): on the job
    (``locked_by``) and on the dependents it rewrote (``dependents_locked``)."""

    dependents: list[str]
    locked_by: str | None = None
    dependents_locked: tuple[tuple[str, str], ...] = ()
    """(dependent, holder) of each dependent rewritten though another user holds a lock on
    it, by the dependent's name."""

    @property
    def holders(self) -> tuple[str, ...]:
        """Every user whose lock the rename passed over, each once: the job's own holder
        first, then those of its dependents, by the dependent's name."""
        own = () if self.locked_by is None else (self.locked_by,)
        return tuple(dict.fromkeys(own + tuple(holder for _, holder in self.dependents_locked)))


ATTEMPTS = 3
"""How many times a rename begins anew when a job it rewrites is held by another transaction
(:func:`rename_job`), before it is refused busy (503 ``DLF.9504``, to send again)."""


class _DependentsHeldError(Exception):
    """Jobs a rename rewrites (their ids) that another transaction holds: the rename lets go
    of everything, waits for them and begins anew."""

    def __init__(self, job_ids: set[int]) -> None:
        super().__init__(sorted(job_ids))
        self.job_ids = job_ids


def rename_job(db: Database, scope: Scope, name: str, new_name: str) -> Renamed:
    """Rename job ``name`` to ``new_name``.

    How it goes beside an import (PostgreSQL; SQLite's writers go one at a time). Its first
    statement locks the job's row whole (``FOR UPDATE``), before it gathers the job's
    dependents: an import that found the job there holds it ``FOR KEY SHARE`` until it ends,
    so the rename waits for it and then gathers the jobs it imported too; an import looking
    for the job once the rename holds it waits and finds it gone (a missing reference).

    The dependents it rewrites it then locks without waiting (``SKIP LOCKED``). An import that
    overwrites one of them has locked it and may be about to wait for the job (its key share),
    which the rename holds: the rename waiting for the dependent would close a deadlock, whose
    victim PostgreSQL picks (the import's task failing, if it waited first). Instead, finding
    a dependent held, the rename rolls back, waits for that dependent holding nothing else,
    and begins again, up to :data:`ATTEMPTS` times in all; then it is refused busy. So the
    rename never waits while holding a row an import may want, and it reads each dependent
    once it holds it (never rewriting one from a state an import has overwritten since)."""
    scope.require_change(WRITERS, "rename jobs")
    for _ in range(ATTEMPTS - 1):
        try:
            return _rename(db, scope, name, new_name)
        except _DependentsHeldError as held:
            with db.transaction() as tx:  # waiting for them alone, then letting them go
                repo.lock_jobs(tx, held.job_ids, wait=True)
    try:
        return _rename(db, scope, name, new_name)
    except _DependentsHeldError:
        raise DatabaseBusyError(
            f"The database is busy: job '{name}' was not renamed, as the jobs depending on it "
            f"were being written by other changes each of the {ATTEMPTS} times it tried; "
            "nothing was renamed.",
            fix="Try again in 1 s, or once the import writing them ends.",
            retry_after=1,
            job_name=name,
        ) from None


def _rename(db: Database, scope: Scope, name: str, new_name: str) -> Renamed:
    """One attempt of :func:`rename_job`, in one transaction."""
    with db.transaction() as tx:
        workspace = scope.workspace.id
        job = repo.get_job(tx, workspace, name, locked=RowLock.WHOLE) if storable(name) else None
        if job is None:
            raise RenameSourceNotFoundError(
                f"Job[{name}] does not exist in workspace '{scope.workspace.name}'; check the "
                "name (names are case-sensitive) and the workspace.",
                job_name=name,
            )
        if new_name == name:
            return Renamed([])
        locked_by = _check_renamable(tx, scope, job, new_name)
        stamp = Stamp(now_ms(), scope.actor.name)
        dependents, dependents_locked = _rewrite_dependents(tx, scope, job, new_name, stamp)
        repo.rename_job(tx, job.id, new_name)
        renames: dict[tuple[AnyRefKind, str], str] = {(RefKind.JOB, name): new_name}
        here = (scope.workspace.name, scope.workspace.id)
        _rewrite(tx, job, renames, stamp, new_name=new_name, local=here)
        tag_repo.move_lock(tx, scope.workspace.id, ObjectKind.JOB, name, new_name)
        renamed = (job.uid, str(job.id), new_name)
        note_rename(tx, scope, ObjectKind.JOB, renamed, job.latest_version)
        audit_in_scope(
            tx,
            scope,
            "job.rename",
            ObjectKind.JOB,
            new_name,
            {"from": name, "dependents": dependents},
        )
    return Renamed(dependents, locked_by, dependents_locked)


def require_free_job_name(tx: Tx, scope: Scope, name: str, fix: str) -> None:
    """Refuse (DLF.0102) a job name the scope's workspace already has; ``fix`` says what to
    do instead."""
    if repo.get_job(tx, scope.workspace.id, name):
        raise JobExistsError(
            f"The job name already exists: job '{name}' is in workspace "
            f"'{scope.workspace.name}'; {fix}.",
            job_name=name,
        )


def _check_renamable(tx: Tx, scope: Scope, job: JobRecord, new_name: str) -> str | None:
    """Refuse a rename of ``job`` no save could make; the user whose lock on it the rename
    passes over (the soft lock policy), if one."""
    require_free_job_name(tx, scope, new_name, f"choose another name for '{job.name}'")
    if job.status != JobStatus.STOPPED.value:
        raise JobScheduledError(
            f"Job '{job.name}' is scheduled ({job.status}); a scheduled job is not renamed.",
            fix=f"First stop it (POST /v1/{{project_id}}/jobs/{job.name}/stop), then rename it.",
            remedy=Remedy.STOP_JOB,
            job_name=job.name,
        )
    _require_no_self_dependency(job, new_name, (scope.workspace.name, scope.workspace.id))
    locked_by = check_lock(tx, scope, ObjectKind.JOB, job.name)
    check_tags(tx, scope, job.name, job.id, None)
    elsewhere = [
        found
        for found in repo.dependents_in_other_workspaces(
            tx, scope.actor.project_id, scope.workspace.name, job.name, scope.workspace.id
        )
        if found[0] != scope.workspace.name
    ]
    if elsewhere:
        names = [f"{ws}/{n}" for ws, _, n in elsewhere]
        raise InUseError(
            f"Job '{job.name}' is a dependency of jobs in other workspaces "
            f"({', '.join(names[:10])}); remove their dependency on it first (a schedule's "
            "dependency or a sub job node: their owners change them), then rename it.",
            job_name=job.name,
            dependents=names,
        )
    return locked_by


def _require_no_self_dependency(job: JobRecord, new_name: str, workspace: tuple[str, str]) -> None:
    """Refuse (DLF.3025) a rename that would leave the job depending on itself: its
    dependencies name a job of the new name (not there yet), and no job may depend on itself
    (the rule every save keeps)."""
    renamed = {**load(job.document), "name": new_name}
    found = validate_job(renamed, workspace=workspace)
    fields = [v.field for v in found if v.rule in (SELF_DEPENDENCY, SUB_JOB_SELF)]
    if fields:
        raise ScheduleInvalidError(
            f"Job '{job.name}' depends on job '{new_name}' ({', '.join(fields)}); renamed "
            f"'{new_name}', it would depend on itself, which no job may, so nothing was renamed.",
            fix=f"Remove its dependency on '{new_name}' first, or choose another name.",
            job_name=job.name,
        )


def _rewrite_dependents(
    tx: Tx, scope: Scope, job: JobRecord, new_name: str, stamp: Stamp
) -> tuple[list[str], tuple[tuple[str, str], ...]]:
    """Rewrite the jobs of the workspace that depend on ``job`` to its new name: their names,
    and (name, holder) of those rewritten over another user's lock (the soft policy; the
    hard one refuses the rename, :func:`check_lock`). Each is locked, never waited for, and
    read once locked; one another transaction holds refuses this attempt (:func:`rename_job`)."""
    rewritten, locked = [], []
    own = (scope.workspace.name, scope.workspace.id)
    found = _dependents_here(tx, scope, job.name)
    found.pop(job.id, None)  # a job naming itself is rewritten with the job
    records = repo.lock_jobs(tx, found, wait=False)  # read once held (rename_job)
    if held := set(found) - set(records):
        raise _DependentsHeldError(held)
    rename: dict[tuple[AnyRefKind, str], str] = {(RefKind.JOB, job.name): new_name}
    for dependent in (records[dependent_id] for dependent_id in found):
        if (holder := check_lock(tx, scope, ObjectKind.JOB, dependent.name)) is not None:
            locked.append((dependent.name, holder))
        _rewrite(tx, dependent, rename, stamp, local=own)
        rewritten.append(dependent.name)
    return rewritten, tuple(sorted(locked))


def _dependents_here(tx: Tx, scope: Scope, name: str) -> dict[int, str]:
    """Id → name of the jobs of the scope's workspace that depend on job ``name``: by its
    name alone, or naming their own workspace as another's (by its name or its id)."""
    found = dict(repo.jobs_referencing_with_ids(tx, scope.workspace.id, RefKind.JOB.value, name))
    own = scope.workspace.name
    for workspace, job_id, job_name in repo.dependents_in_other_workspaces(
        tx, scope.actor.project_id, own, name, scope.workspace.id
    ):
        if workspace == own:
            found.setdefault(job_id, job_name)
    return found


def _rewrite(
    tx: Tx,
    job: JobRecord,
    renames: dict[tuple[AnyRefKind, str], str],
    stamp: Stamp,
    *,
    new_name: str | None = None,
    local: tuple[str, str],
) -> None:
    """Write ``job``'s development state with ``renames`` applied (and its own new name;
    ``local``: the name and id of its workspace)."""
    doc = rename_references(load(job.document), renames, local=local)
    if new_name is not None:
        doc["name"] = new_name
    repo.update_job(tx, job.id, JobRow.of(doc, dump(doc), job.latest_version), stamp)
    repo.replace_refs(tx, job.id, reference_index(doc))
