"""Which versions a job is scheduled on: a schedule that could never run (a CRON one without
its cron expression, which DataArts saves, as its own exports hold such jobs) is not started,
nor submitted to a job that is scheduled, which runs its latest submitted version."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import JobStatus, TargetStatus
from jobferry.domain.remedies import Remedy
from jobferry.domain.schedule_rules import UNSCHEDULABLE_FIELD, never_runs
from jobferry.errors import ScheduleInvalidError
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.publishing import submitted_version
from jobferry.storage.records import JobRecord, VersionRecord


def refuse_start(name: str, version: VersionRecord) -> None:
    """Refuse to start job ``name`` on its latest submitted ``version`` when that could never
    run."""
    if never_runs(load(version.document).get("schedule")):
        raise ScheduleInvalidError(
            f"Job '{name}' has a CRON schedule without {UNSCHEDULABLE_FIELD} in version "
            f"{version.version}, so it could never run; nothing was started.",
            fix="Add the expression (e.g. '0 30 2 * * ?') and submit the job again.",
            remedy=Remedy.SUBMIT_JOB,
            job_name=name,
            field=UNSCHEDULABLE_FIELD,
        )


def refuse_submit(job: JobRecord, doc: dict[str, Any], target: TargetStatus) -> None:
    """Refuse to give a scheduled ``job`` a submitted version (``doc``, saved with ``target``)
    that could never run: the job would claim to run a schedule that never fires. Its
    development state alone may be saved: the version it runs stays."""
    if job.status == JobStatus.STOPPED.value or not never_runs(doc.get("schedule")):
        return
    if submitted_version(target, job.latest_version) is None:
        return
    name = job.name
    raise ScheduleInvalidError(
        f"Job '{name}' is scheduled ({job.status}), and the version this save would submit has "
        f"a CRON schedule without {UNSCHEDULABLE_FIELD}, so it could never run; nothing was "
        "saved.",
        fix="Add the expression (e.g. '0 30 2 * * ?'), save with targetStatus SAVED, or stop "
        f"the job first (POST /v1/{{project_id}}/jobs/{name}/stop).",
        remedy=Remedy.SCHEDULABLE_VERSION,
        job_name=name,
        field=UNSCHEDULABLE_FIELD,
    )
