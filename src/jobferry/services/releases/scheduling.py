"""Releases and the scheduling of production's jobs, started or stopped by hand: a deploy is
refused up front when a job its plan writes or deletes was started or stopped since the plan,
and a release rollback while a job the release wrote runs otherwise than the release left it.

*Decision (deploy):* a hand start or stop changes no definition, so the package's basis (the
definition hashes its approvals sign) does not see it; the release's import would, as the
fingerprint of its kept plan moved, but only once its task ran. The deploy call reads, in its
own transaction in the request's worker thread, the kept plan's lines: each job the plan
overwrites, renames or deletes says whether it was scheduled then (``pause``: the release
pauses it around its write), and a job now stopped where it was scheduled, or scheduled where
it was stopped, refuses the deploy with the words the task would say (``DLF.9042``, plan it
again), naming the jobs, before any task is created. What is signed is unchanged. The task's
own check stays: it covers what the deploy cannot read (a change between the call and the
task, an object the plan read but does not write).

*Decision:* a rollback leaves each job's scheduling as it was before the release, and never
undoes or keeps a change made by hand since without saying so. A job the release changed
(overwritten or renamed) keeps its row: a scheduled one was paused around the write and
started again, so the release left it as it found it, and the rollback writes its old
definition back the same way; a job stopped or started by hand since would silently stay so
under its old definition, so the rollback is refused naming it. A job the release created is
removed by the rollback: refused only while it runs and the release did not start it (the
rollback stops those the release started); a hand stop of one it started is moot, the job
goes. A job the release deleted is put back whole, scheduled or stopped as it was before the
release (nobody can start or stop it meanwhile: production has no such job).
"""

from __future__ import annotations

from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind, PlanAction, ProcessType, RollbackRule
from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.domain.remedies import Remedy
from jobferry.domain.schedule_rules import UNSCHEDULABLE_FIELD, never_runs
from jobferry.errors import RollbackRefusedError, ScheduleInvalidError
from jobferry.services.definitions.documents import load
from jobferry.services.policies.gate import kept_lines
from jobferry.services.releases.freezing import production_moved
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import production as sides
from jobferry.storage.importing import rollbacks as change_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.ledger import EntryRecord
from jobferry.storage.releases import ItemRecord, PackageRecord
from jobferry.storage.rows import ChangeRow

_KEPT = (str(PlanAction.OVERWRITE), str(PlanAction.RENAME))
"""The changes whose job a rollback keeps (its definition written back)."""
_WRITTEN = (str(PlanAction.CREATE), *_KEPT)
_STOPPED = JobStatus.STOPPED.value


_SCHEDULED_THEN = (PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE)
"""The plan lines that say whether their job was scheduled when the plan was made."""


def refuse_rescheduled(tx: Tx, package: PackageRecord, production: str) -> None:
    """Refuse (``DLF.9042``, plan it again) the deploy of ``package`` when a production job
    its kept plan writes or deletes was started or stopped since the plan, naming each."""
    if package.plan_id is None:
        return
    then: dict[str, bool] = {}
    for action in _SCHEDULED_THEN:
        for line in kept_lines(tx, package.plan_id, action, ObjectKind.JOB):
            then[line.target_name] = line.pause
    now = target_repo.target_jobs(tx, production, set(then))
    moved = {
        name: job.status != _STOPPED
        for name, job in now.items()
        if (job.status != _STOPPED) != then[name]
    }
    if not moved:
        return
    said = [
        f"job '{name}' there was {'started' if running else 'stopped'} by hand"
        for name, running in sorted(moved.items())
    ]
    changed = [f"{ObjectKind.JOB}/{name}" for name in sorted(moved)]
    raise production_moved(package.id, ", ".join(said[:20]), changed)


def refuse_never_running(
    tx: Tx, package: PackageRecord, items: list[ItemRecord], startup: StartupMode
) -> None:
    """Refuse (``DLF.3025``) a deploy that starts the new batch jobs (``startup`` START) when
    the version the package releases of one of them has a schedule that could never run (a
    CRON one without its cron expression, which DataArts saves): a start of such a job is
    refused, so its release to start is, before any write, naming each job and the field.
    Deployed without starting, such a job is released stopped."""
    if startup is not StartupMode.START:
        return
    # only the jobs new to production are started by a deploy; their versions read at once
    added = {
        (int(item.object_id), item.pending_version): item.name
        for item in items
        if item.kind == ObjectKind.JOB and item.update_type == UpdateType.ADD
    }
    versions = job_repo.versions_of(tx, list(added))
    never = [
        name
        for key, name in added.items()
        if key in versions and _never_started(load(versions[key].document))
    ]
    if never:
        raise _not_started(
            f"Release package '{package.id}' ({package.name}) was not deployed",
            never,
            fix="Deploy it with startup_mode 0 (new jobs stay stopped), or give each job's "
            "schedule its cron expression (e.g. '0 30 2 * * ?') in development, submit it and "
            "package it again (POST /v2/{project_id}/factory/pending-items/package).",
            remedy=Remedy.DEPLOY_WITHOUT_START,
            package_id=str(package.id),
        )


def refuse_never_running_taken(
    tx: Tx, plan_id: str, documents: dict[str, dict[str, Any]], named: str
) -> None:
    """Refuse (``DLF.3025``) a signed release taken in to start its new batch jobs when one
    its kept plan ``plan_id`` creates has a schedule that could never run, as a deploy is;
    ``documents``: the release's jobs by name; ``named``: the release, in words."""
    created = [line.name for line in kept_lines(tx, plan_id, PlanAction.CREATE, ObjectKind.JOB)]
    never = [name for name in created if _never_started(documents.get(name) or {})]
    if never:
        raise _not_started(
            f"{named} was not taken in",
            never,
            fix="Take it in with startup_mode 0 (new jobs stay stopped), or give each job's "
            "schedule its cron expression (e.g. '0 30 2 * * ?') where it was released from "
            "and export the release again.",
            remedy=Remedy.TAKE_IN_WITHOUT_START,
        )


def _never_started(document: dict[str, Any]) -> bool:
    """A batch job a release would start, whose schedule could never run."""
    batch = document.get("processType", ProcessType.BATCH.value) == ProcessType.BATCH.value
    return batch and never_runs(document.get("schedule"))


def _not_started(
    outcome: str, never: list[str], *, fix: str, remedy: Remedy, **context: str
) -> ScheduleInvalidError:
    """The refusal of a release that would start ``never``, whose schedules could never run
    (``outcome``: what was not done)."""
    named = ", ".join(f"job '{name}'" for name in never[:20])
    return ScheduleInvalidError(
        f"{outcome}: it starts the new batch jobs it adds, and {named} has a CRON schedule "
        f"without {UNSCHEDULABLE_FIELD} in the version it releases, so it could never run.",
        fix=fix,
        remedy=remedy,
        job_name=never[0],
        jobs=never,
        field=UNSCHEDULABLE_FIELD,
        **context,
    )


def refuse_hand_scheduled(tx: Tx, production: str, entry: EntryRecord, asked: int | None) -> None:
    """Refuse (``DLF.9016``) the rollback of release ``entry`` while a job it wrote runs
    otherwise than it left it, naming each job, how it runs now and how the release left it."""
    assert entry.task_id is not None, "a release's ledger entry names its import"
    changes = _job_changes(tx, production, entry.task_id)
    now = target_repo.target_jobs(tx, production, {c.name for c in changes})
    started = set(entry.started_jobs())
    conflicts: dict[str, str] = {}
    for change in changes:
        job = now.get(change.name)
        if job is None or job.id != change.object_id:
            continue  # gone or replaced: the import rollback names it
        left = _left(change, change.name in started)
        if change.action == PlanAction.CREATE:
            if job.status != _STOPPED and left == _STOPPED:
                conflicts[change.name] = (
                    f"job '{change.name}' was started by hand since the release, which "
                    "created it stopped: stop it (the rollback removes it)"
                )
        elif job.status != left:
            conflicts[change.name] = _said(change.name, job.status, left)
    if conflicts:
        raise _refused(tx, production, entry, asked, conflicts)


def _job_changes(tx: Tx, production: str, task_id: str) -> list[ChangeRow]:
    """The jobs the release's import created, overwrote or renamed (a batch at a time)."""
    found: list[ChangeRow] = []
    after: tuple[str, str, str] | None = None
    while True:
        batch = change_repo.changes_of(tx, production, task_id, after, actions=_WRITTEN)
        found += [c for c in batch if c.kind == ObjectKind.JOB]
        if len(batch) < 500:
            return found
        after = (batch[-1].kind, batch[-1].name, batch[-1].action)


def _left(change: ChangeRow, started: bool) -> str:
    """How the release left the job: started (a new batch job of a deploy that starts
    them), as it found it (a scheduled job it paused around the write), else stopped."""
    if change.action == PlanAction.CREATE:
        return JobStatus.SCHEDULING.value if started else _STOPPED
    paused = orjson.loads(change.undo).get("paused") if change.undo else None
    return str(paused) if paused else _STOPPED


def _said(name: str, now: str, left: str) -> str:
    if now == _STOPPED:
        return (
            f"job '{name}' was stopped by hand since the release, which left it running "
            f"({left}) as it was before: start it again, so that the rollback leaves it as it "
            "was before the release"
        )
    if left == _STOPPED:
        return (
            f"job '{name}' was started by hand since the release ({now}), which left it "
            "stopped as it was before: stop it, so that the rollback leaves it as it was "
            "before the release"
        )
    return f"job '{name}' is {now} since the release, which left it {left}: make it {left} again"


def _refused(
    tx: Tx, production: str, entry: EntryRecord, asked: int | None, conflicts: dict[str, str]
) -> RollbackRefusedError:
    side = sides.get_workspace_by_id(tx, production)
    released = (
        f"release package '{entry.package_id}' ({entry.package_name})"
        if entry.package_id is not None
        else f"the signed release '{entry.package_name}' taken in"
    )
    said = "; ".join(list(conflicts.values())[:20])
    return RollbackRefusedError(
        f"The release of {released} cannot be rolled back: {said}. "
        "Nothing was changed: a rollback leaves each job's scheduling as it was before "
        "the release, and would not undo or keep a change made by hand since without saying "
        "so.",
        rule=RollbackRule.SCHEDULING,
        fix="Start or stop each job named in production (POST /v1/{project_id}/jobs/"
        "{job_name}/start or /stop, the production side's id as the workspace header) as the "
        "release left it, then roll back again; change its scheduling after the rollback if "
        "you want it otherwise.",
        remedy=Remedy.SCHEDULE_AS_RELEASED,
        package_id=str(asked) if asked is not None else None,
        conflicts=list(conflicts.values()),
        jobs=list(conflicts),
        workspace=side.name if side is not None else production,
    )
