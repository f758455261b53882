"""What the documents promise of a job's schedule (docs/api.md ``create_job`` …
``start_job``, docs/errors.md ``DLF.3025``, docs/design.md "schedule", and DataArts' own
``Schedule``, ``Cron``, ``CronTrigger`` and ``Event`` as the contract writes them), as a model
the generated stories of ``tests/unit/services/test_generated_schedules.py`` are checked
against.

A schedule is ``EXECUTE_ONCE``, ``CRON`` (a ``cron`` block: a Quartz expression of 6 or 7
fields, seconds 0, ``?`` in exactly one of day-of-month and day-of-week, years 1970–2099; a
``startTime``, an optional ``endTime`` after it, ISO-8601 date-times such as
``2018-10-22T23:59:59+08`` with or without an offset, the latter read in
``expressionTimeZone``: ``GMT±H[H][:MM]`` up to 14 hours, or an IANA name as written) or
``EVENT`` (an ``event``: ``eventType`` DIS, KAFKA or OBS, a ``channel``, and ``concurrent``
1–128). A real-time node's ``cronTrigger`` and ``eventTrigger`` keep the same rules. A save
breaking any of them is refused with DLF.3025 naming every field at fault, and changes
nothing; a save kept stores the schedule exactly as sent. A CRON schedule without a ``cron``
block is saved (DataArts' own exports hold such jobs), and its start is refused
(DLF.3025): it could never run; so is its submit to a job that is scheduled, which runs its
latest submitted version (its development state alone is saved).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

SCHEDULE_INVALID = "DLF.3025"
NOT_SUBMITTED = "DLF.3051"
NOT_FOUND = "DLF.0100"
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""

EXPRESSIONS: dict[object, bool] = {
    "0 30 2 * * ?": True,
    "0 0 2 ? * MON-FRI": True,
    "0 0/15 * * * ?": True,
    "0 0 2 L * ?": True,
    "0 0 2 ? * 6#3": True,
    "0 0 2 1 * ? 2030": True,
    "0 0 12 ? * 2,4,6": True,
    "0 0 2 15W * ?": True,
    "0 30 2 * *": False,  # five fields: a Unix cron, not DataArts'
    "30 30 2 * * ?": False,  # seconds other than 0
    "0 60 2 * * ?": False,
    "0 0 24 * * ?": False,
    "0 0 2 32 * ?": False,
    "0 0 2 ? * ?": False,  # '?' in both day fields
    "0 0 2 1 * MON": False,  # both day fields restricted
    "0 0 2 * * *": False,  # both day fields given: Quartz takes '?' in one
    "0 0 2 ? * 0": False,  # day-of-week is 1-7
    "0 0 2 * * ? 2101": False,
    "0 0 H * * ?": False,  # croniter's hash, not Quartz
    "   ": False,
    5: False,
}
"""Each expression the stories write, and whether DataArts takes it."""
ZONES: dict[object, bool] = {
    "GMT+8": True,
    "GMT+08:00": True,
    "GMT-03:30": True,
    "UTC": True,
    "Asia/Shanghai": True,
    "Europe/Berlin": True,
    "GMT+15": False,
    "Mars/Olympus": False,
    "asia/shanghai": False,  # IANA names as written
    8: False,
}
STARTS: dict[object, bool] = {
    "2024-01-01T00:00:00+08": True,
    "2024-01-01T00:00:00+08:00": True,
    "2024-01-01T00:00:00Z": True,
    "2024-01-01T00:00:00": True,  # read in the expression's zone
    "2024-13-01T00:00:00+08": False,
    "yesterday": False,
    "2024-01-01": False,  # a date alone: no time of day
    "2024-W01-1T00:00:00": False,  # a week date: not the form DataArts reads
    1704038400000: False,  # epoch milliseconds: not the definition's form
}
ENDS: dict[object, str] = {
    "2099-12-31T23:59:59+08": "after",
    "2099-12-31T23:59:59": "after",
    "2023-06-01T00:00:00+08": "before",
    "2024-01-01T00:00:00+08": "before",  # never after any start above, whatever the zone
    "2024-02-30T00:00:00+08": "invalid",
}
"""Each end time the stories write, and where it falls against every start time above."""
EVENT_TYPES = ("DIS", "KAFKA", "OBS")


def cron_faults(cron: Any, base: str) -> set[str]:
    """The fields of a cron block (a schedule's ``cron``, a node's ``cronTrigger``) at fault."""
    if not isinstance(cron, dict):
        return {base}
    faults: set[str] = set()
    if cron.get("expression") in (None, "") or not EXPRESSIONS[cron["expression"]]:
        faults.add(f"{base}.expression")
    if "expressionTimeZone" in cron and not ZONES[cron["expressionTimeZone"]]:
        faults.add(f"{base}.expressionTimeZone")
    start = cron.get("startTime")
    if start is None or not STARTS[start]:
        faults.add(f"{base}.startTime")
    end = cron.get("endTime")
    if end is not None and (
        ENDS[end] == "invalid" or (ENDS[end] == "before" and start and STARTS[start])
    ):
        faults.add(f"{base}.endTime")
    return faults


def event_faults(event: Any, base: str) -> set[str]:
    """The fields of an event block (a schedule's ``event``, a node's ``eventTrigger``) at
    fault."""
    faults: set[str] = set()
    if event.get("eventType") not in EVENT_TYPES:
        faults.add(f"{base}.eventType")
    if not event.get("channel"):
        faults.add(f"{base}.channel")
    concurrent = event.get("concurrent")
    if concurrent is not None and not 1 <= concurrent <= 128:
        faults.add(f"{base}.concurrent")
    return faults


def schedule_faults(schedule: dict[str, Any]) -> set[str]:
    """Every field of a job's schedule at fault (empty: the save is kept)."""
    faults: set[str] = set()
    kind = schedule.get("type")
    if kind not in ("EXECUTE_ONCE", "CRON", "EVENT"):
        faults.add("schedule.type")
    if "cron" in schedule:
        faults |= cron_faults(schedule["cron"], "schedule.cron")
    if "event" in schedule:
        faults |= event_faults(schedule["event"], "schedule.event")
    elif kind == "EVENT":
        faults.add("schedule.event")
    return faults


def node_faults(node: dict[str, Any], base: str) -> set[str]:
    """The fields of a node's triggers at fault."""
    faults: set[str] = set()
    if "cronTrigger" in node:
        faults |= cron_faults(node["cronTrigger"], f"{base}.cronTrigger")
    if "eventTrigger" in node:
        faults |= event_faults(node["eventTrigger"], f"{base}.eventTrigger")
    return faults


def runs(schedule: dict[str, Any]) -> bool:
    """Whether a submitted version's schedule can be started: a CRON one needs its expression."""
    cron = schedule.get("cron")
    return schedule.get("type") != "CRON" or (
        isinstance(cron, dict) and bool(cron.get("expression"))
    )


@dataclass
class Job:
    """A job as the model holds it: its development state and submitted versions (the
    documents as sent, ``targetStatus`` aside), and whether it is scheduled."""

    document: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)
    scheduled: bool = False


class Model:
    """The jobs of a story's workspace and the audit entries each change writes."""

    def __init__(self, actor: str) -> None:
        self.actor = actor
        self.jobs: dict[str, Job] = {}
        self.audit: list[Line] = []

    def save(self, document: dict[str, Any], submit: bool) -> str | set[str] | None:
        """Create or update a job; None when kept, else the refusal's code and the fields it
        names."""
        self.audit = []
        faults = schedule_faults(document["schedule"])
        for k, node in enumerate(document["nodes"]):
            faults |= node_faults(node, f"nodes[{k}]")
        if faults:
            return faults
        name = document["name"]
        kept = copy.deepcopy(document)
        held = self.jobs.get(name)
        if held is not None and held.scheduled and submit and not runs(document["schedule"]):
            return SCHEDULE_INVALID  # it runs its latest version: that one could never run
        action = "job.create" if held is None else "job.update"
        if held is None:
            held = self.jobs[name] = Job(kept)
        held.document = kept
        if submit:
            held.versions.append(kept)
        self.audit = [(self.actor, action, "job", name)]
        return None

    def start(self, name: str) -> str | None:
        """Start scheduling the latest submitted version; the refusal's code, or None."""
        self.audit = []
        held = self.jobs.get(name)
        if held is None:
            return NOT_FOUND
        if not held.versions:
            return NOT_SUBMITTED
        if not runs(held.versions[-1]["schedule"]):
            return SCHEDULE_INVALID
        held.scheduled = True
        self.audit = [(self.actor, "job.start", "job", name)]
        return None

    def stop(self, name: str) -> str | None:
        """Stop scheduling (taken whether scheduled or not); the refusal's code, or None."""
        self.audit = []
        held = self.jobs.get(name)
        if held is None:
            return NOT_FOUND
        held.scheduled = False
        self.audit = [(self.actor, "job.stop", "job", name)]
        return None
