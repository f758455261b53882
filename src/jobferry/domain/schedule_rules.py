"""Rules of a job's schedule (and of a node's cron or event trigger); every violation here
carries DLF.3025, the DataArts code for a bad schedule."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from jobferry.domain.enums import SCHEDULE_TYPES
from jobferry.domain.report import Report, missing
from jobferry.domain.schedule import parse_quartz, parse_schedule_time, parse_time_zone

SCHEDULE_INVALID = "DLF.3025"
EVENT_TYPES = ("DIS", "KAFKA", "OBS")
"""What an event schedule or trigger waits for: new records in a DIS stream, a Kafka message,
new files in OBS (DataArts' ``Event.eventType``)."""
DEPEND_PERIODS = ("SAME_PERIOD", "PRE_PERIOD")
"""Which run of an upstream job a dependency waits for: the same period's or the previous one's
(DataArts' ``DependJob.dependPeriod``)."""
DEPEND_FAIL_POLICIES = ("FAIL", "IGNORE", "SUSPEND")
"""What a run does when an upstream run it depends on failed (``DependJob.dependFailPolicy``)."""
SELF_DEPENDENCY = "depend.self"
"""The rule a job's dependency on itself breaks."""


def check_schedule(
    r: Report, schedule: object, job: str | None, workspace: Collection[str] = ()
) -> None:
    if not r.is_object(schedule, "schedule", "schedule"):
        return
    if missing(schedule.get("type")):
        message = "schedule type is missing; use EXECUTE_ONCE, CRON or EVENT"
        r.add("schedule.type", "required", message)
    r.one_of(schedule, "type", "schedule", SCHEDULE_TYPES)
    if schedule.get("event") is not None:
        check_event(r, schedule["event"], "schedule.event")
    elif schedule.get("type") == "EVENT":
        message = 'an EVENT schedule needs "event" with eventType (DIS, KAFKA or OBS) and channel'
        r.add("schedule.event", "required", message)
    if schedule.get("cron") is not None:
        check_cron(r, schedule["cron"], "schedule.cron", job, workspace)


UNSCHEDULABLE_FIELD = "schedule.cron.expression"
"""What a CRON schedule lacks when it has no cron block: DataArts saves such a job (its own
exports hold them), but it could never run."""


def never_runs(schedule: object) -> bool:
    """Whether a saved schedule could never run: a CRON one without its cron expression (a
    cron block without one is refused at save; none at all is saved, as DataArts saves it). A
    job is not started on such a version, nor given one while it is scheduled."""
    if not isinstance(schedule, Mapping) or schedule.get("type") != "CRON":
        return False
    cron = schedule.get("cron")
    return not isinstance(cron, Mapping) or not cron.get("expression")


def check_event(r: Report, event: object, base: str) -> None:
    if not r.is_object(event, base, "event"):
        return
    if all(missing(event.get(key)) for key in ("eventType", "engineType")):
        r.add(f"{base}.eventType", "required", "event has no eventType; set DIS, KAFKA or OBS")
    elif not missing(event.get("eventType")):
        r.one_of(event, "eventType", base, EVENT_TYPES)
    channel = event.get("channel")
    if missing(channel) or not isinstance(channel, str):
        message = f"event channel {channel!r} is missing; name the stream, topic or OBS path"
        r.add(f"{base}.channel", "required", message)
    r.whole(event, "concurrent", base, 1, 128, "concurrent instances")


def check_cron(
    r: Report, cron: object, base: str, job: str | None, workspace: Collection[str] = ()
) -> None:
    """A cron block's rules; ``workspace``: the name and id of the job's own workspace, which
    an ``otherWorkSpaceJobs`` item may name too (then a job of its own name is itself)."""
    if not r.is_object(cron, base, "cron"):
        return
    _check_expression(r, cron.get("expression"), base)
    zone: tzinfo = UTC
    if not missing(cron.get("expressionTimeZone")):
        try:
            zone = parse_time_zone(cron["expressionTimeZone"])
        except ValueError as exc:
            r.add(f"{base}.expressionTimeZone", "timezone.invalid", str(exc))
    if missing(cron.get("startTime")):
        message = "cron schedule has no startTime; set it, e.g. '2024-01-01T00:00:00+08'"
        r.add(f"{base}.startTime", "required", message)
    start = _time(r, cron, "startTime", base, zone)
    end = _time(r, cron, "endTime", base, zone)
    if start and end and end <= start:
        message = f"endTime {cron['endTime']!r} is not after startTime {cron['startTime']!r}"
        r.add(f"{base}.endTime", "time.order", message + "; move it later or remove it")
    _check_depend(r, cron.get("dependJobs"), base, (job, workspace))


def _check_expression(r: Report, expression: object, base: str) -> None:
    if missing(expression):
        message = "cron schedule has no expression; write e.g. '0 30 2 * * ?' (02:30 daily)"
        r.add(f"{base}.expression", "required", message)
    elif not isinstance(expression, str):
        r.add(f"{base}.expression", "type", f"cron expression {expression!r} is not text")
    else:
        try:
            parse_quartz(expression)
        except ValueError as exc:
            r.add(f"{base}.expression", "cron.invalid", str(exc))


_Own = tuple[str | None, Collection[str]]
"""The job's own name (``None``: not known) and its workspace's name and id."""


def _check_depend(r: Report, depend: object, base: str, own: _Own) -> None:
    if isinstance(depend, list):  # legacy: a list of names or of dependJobs objects
        for k, item in enumerate(depend):
            if isinstance(item, Mapping):
                _check_depend_object(r, item, f"{base}.dependJobs[{k}]", own)
            else:
                _check_depend_name(r, item, f"{base}.dependJobs[{k}]", own[0])
    elif depend is not None and r.is_object(depend, f"{base}.dependJobs", "dependJobs"):
        _check_depend_object(r, depend, f"{base}.dependJobs", own)


def _time(r: Report, cron: Mapping[str, Any], key: str, base: str, zone: tzinfo) -> datetime | None:
    """The parsed time at ``key`` (naive times read in ``zone``); ``None`` if absent or bad."""
    if missing(cron.get(key)):
        return None
    try:
        moment = parse_schedule_time(cron[key])
    except ValueError as exc:
        r.add(f"{base}.{key}", "time.invalid", f"{key}: {exc}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _check_depend_name(r: Report, name: object, field: str, job: str | None) -> None:
    if missing(name) or not isinstance(name, str):
        r.add(field, "type", f"dependency {name!r} is not a job name; list job names as text")
    elif name == job:
        r.add(field, SELF_DEPENDENCY, f"job {job!r} depends on itself; remove it from dependJobs")


def _check_depend_object(r: Report, depend: Mapping[str, Any], base: str, own: _Own) -> None:
    job = own[0]
    for key, allowed in (
        ("dependPeriod", DEPEND_PERIODS),
        ("dependFailPolicy", DEPEND_FAIL_POLICIES),
    ):
        if not missing(depend.get(key)):
            r.one_of(depend, key, base, allowed)
    for k, name in enumerate(r.array(depend, "jobs", base)):
        if type(name) is not str or not name or name == job:
            _check_depend_name(r, name, f"{base}.jobs[{k}]", job)
    for k, item in enumerate(r.array(depend, "sameWorkSpaceJobs", base)):
        field = f"{base}.sameWorkSpaceJobs[{k}]"
        if r.is_object(item, field, "a workspace dependency"):
            _check_depend_name(r, item.get("jobName"), f"{field}.jobName", job)
    for k, item in enumerate(r.array(depend, "otherWorkSpaceJobs", base)):
        field = f"{base}.otherWorkSpaceJobs[{k}]"
        if r.is_object(item, field, "a workspace dependency"):
            _check_other_workspace(r, item, field, own)


def _check_other_workspace(r: Report, item: Mapping[str, Any], field: str, own: _Own) -> None:
    """An ``otherWorkSpaceJobs`` item: it says which workspace, and when that is the job's
    own (by name, or by id alone), it names another job than the job itself."""
    job, workspace = own
    here = (item.get("workSpace") or item.get("workSpaceId")) in workspace
    _check_depend_name(r, item.get("jobName"), f"{field}.jobName", job if here else None)
    if missing(item.get("workSpace")) and missing(item.get("workSpaceId")):
        message = f"dependency on job {item.get('jobName')!r} in another workspace does not"
        r.add(f"{field}.workSpace", "required", message + " say which; set workSpace")


SUB_JOB_FIELDS = ("subJobName", "jobName")
"""The properties of a SubJob node that name the job it calls (domain/references.py)."""
SUB_JOB_SELF = "subjob.self"
"""The rule a SubJob node calling the job it is in breaks."""


def check_sub_job(r: Report, node: Mapping[str, Any], base: str, job: str | None) -> None:
    """A SubJob node calls another batch job, one without SubJob nodes (DataArts' node
    reference): never the job it is in (``job``), which would call itself for ever."""
    properties = node.get("properties")
    if node.get("type") != "SubJob" or job is None or type(properties) is not list:
        return
    for j, prop in enumerate(properties):
        if type(prop) is dict and prop.get("name") in SUB_JOB_FIELDS and prop.get("value") == job:
            message = (
                f"SubJob node {node.get('name')!r} calls job {job!r}, the job it is in; a job "
                "may not depend on itself: name another job (one without Subjob nodes)"
            )
            r.add(f"{base}.properties[{j}].value", SUB_JOB_SELF, message)
