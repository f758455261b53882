"""A scheduled job the import pauses (``scheduling`` PAUSE_AND_RESTORE) is started again on the
version the import submits: not on one whose schedule could never run (a CRON one without its
cron expression, which DataArts saves and a stopped job may hold), which a start of it is
refused for. The plan says so as a problem of the job, and nothing is imported."""

from __future__ import annotations

from jobferry.domain.enums import ObjectKind, ProblemReason, TargetStatus
from jobferry.domain.schedule_rules import UNSCHEDULABLE_FIELD, never_runs
from jobferry.services.importing.model import PlannedObject, Problem
from jobferry.services.importing.request import ImportRequest


def restart_problems(item: PlannedObject, request: ImportRequest, workspace: str) -> list[Problem]:
    """The problem of a job the import pauses (``item``, into ``workspace``) whose submitted
    version could never run, started again (none when the import saves without submitting:
    the job runs on the version it ran)."""
    if request.target_status is TargetStatus.SAVED:
        return []
    if not never_runs(item.document.get("schedule")):
        return []
    name = item.target.name if item.target is not None else item.name
    return [
        Problem(
            ProblemReason.INVALID_DEFINITION,
            ObjectKind.JOB,
            item.name,
            f"{UNSCHEDULABLE_FIELD}: job '{name}' is scheduled in workspace '{workspace}', and "
            "the version the import would submit has a CRON schedule without a cron "
            "expression: started again after the import, it could never run",
            "give the job's schedule its cron expression in the source workspace and export it "
            "again, or stop the job before importing it",
        )
    ]
