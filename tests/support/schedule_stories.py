"""Generated stories of a job's schedule for ``tests/unit/services/test_generated_schedules.py``:
an admin creates and updates two jobs with generated schedules — EXECUTE_ONCE, CRON (with a
cron block or none: expressions DataArts takes and ones it does not, start and end times with
and without an offset, in order or not, time zones as GMT offsets and IANA names, good and
not, a dependency period), EVENT (DIS, KAFKA or OBS or another type, a channel or none, a
concurrency in range or not), a type DataArts lacks, none — now and then a real-time job whose
node carries a cron or event trigger, saved or submitted; shows them back (the development
state, each submitted version, the list of versions) and starts and stops them.

The model of what the documents promise is ``support/schedule_model.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.release_stories import Step
from support.schedule_model import ENDS, EXPRESSIONS, STARTS, ZONES
from support.version_stories import job_document

JOBS = ("ja", "jb")


def _mostly(good: dict[Any, Any]) -> st.SearchStrategy[Any]:
    """A key of ``good``, those valid (true) three times as likely."""
    kept = [k for k, v in good.items() if v is True or v == "after"]
    return st.sampled_from(kept * 3 + list(good))


@st.composite
def cron_blocks(draw: st.DrawFn, trigger: bool = False) -> dict[str, Any]:
    """A cron block (a node's ``cronTrigger`` when ``trigger``), each part there or not."""
    cron: dict[str, Any] = {}
    if draw(st.integers(0, 7)):
        cron["expression"] = draw(_mostly(EXPRESSIONS))
    if draw(st.integers(0, 7)):
        cron["startTime"] = draw(_mostly(STARTS))
    if draw(st.booleans()):
        cron["endTime"] = draw(_mostly(ENDS))
    if draw(st.booleans()):
        cron["expressionTimeZone"] = draw(_mostly(ZONES))
    if trigger:
        cron["period"] = "1 days"
        cron["concurrent"] = 10
    elif draw(st.integers(0, 3)) == 0:
        period = draw(st.sampled_from(("SAME_PERIOD", "PRE_PERIOD")))
        cron["dependJobs"] = {"jobs": [], "dependPeriod": period, "dependFailPolicy": "FAIL"}
        cron["dependPrePeriod"] = draw(st.booleans())
    return cron


@st.composite
def event_blocks(draw: st.DrawFn) -> dict[str, Any]:
    """An event block, each part there or not."""
    event: dict[str, Any] = {}
    kind = draw(st.sampled_from(("DIS", "KAFKA", "OBS", "DIS", "KAFKA", "OBS", "MQTT", None)))
    if kind is not None:
        event["eventType"] = kind
    channel = draw(st.sampled_from(("clicks", "clicks", "obs://bucket/in/", "", None)))
    if channel is not None:
        event["channel"] = channel
    concurrent = draw(st.sampled_from((None, None, 1, 128, 0, 129)))
    if concurrent is not None:
        event["concurrent"] = concurrent
    return event


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    """A job's schedule."""
    kind = draw(st.sampled_from(("CRON", "CRON", "CRON", "EXECUTE_ONCE", "EVENT", "WEEKLY", None)))
    schedule: dict[str, Any] = {} if kind is None else {"type": kind}
    if kind == "CRON" and draw(st.integers(0, 5)):
        schedule["cron"] = draw(cron_blocks())
    if kind == "EVENT" and draw(st.integers(0, 5)):
        schedule["event"] = draw(event_blocks())
    return schedule


@st.composite
def documents(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """Job ``name`` with a generated schedule, now and then real-time with a node trigger."""
    doc = job_document(name, "x")
    doc["schedule"] = draw(schedules())
    if draw(st.integers(0, 3)) == 0:
        doc["processType"] = "REAL_TIME"
        trigger = draw(st.sampled_from(("cronTrigger", "eventTrigger")))
        block = draw(cron_blocks(True) if trigger == "cronTrigger" else event_blocks())
        doc["nodes"][0][trigger] = block
    return doc


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    name = draw(st.sampled_from(JOBS))
    act = draw(st.sampled_from(("save", "save", "save", "show", "start", "start", "stop")))
    if act == "save":
        submit = draw(st.sampled_from(("SUBMITTED", "SAVED", None)))
        return Step(act, (name, draw(documents(name)), submit))
    return Step(act, (name,))


@st.composite
def schedule_stories(draw: st.DrawFn, max_steps: int = 12) -> tuple[Step, ...]:
    """A whole story."""
    return tuple(draw(st.lists(steps(), min_size=4, max_size=max_steps)))


def _job(name: str, schedule: dict[str, Any]) -> dict[str, Any]:
    doc = job_document(name, "x")
    doc["schedule"] = schedule
    return doc


def a_cron_without_expression_started() -> tuple[Step, ...]:
    """Saved (DataArts' exports hold such jobs) and submitted, then started: refused as the
    schedule's rule (DLF.3025), the job left stopped."""
    return (
        Step("save", ("ja", _job("ja", {"type": "CRON"}), None)),
        Step("start", ("ja",)),
        Step("show", ("ja",)),
    )


def a_cron_without_expression_submitted_while_scheduled() -> tuple[Step, ...]:
    """A scheduled job given a version whose CRON schedule has no cron block: refused as the
    schedule's rule (DLF.3025), the job still scheduled on the version it ran; its development
    state alone saved; stopped, the version saved as DataArts saves it."""
    unschedulable = _job("ja", {"type": "CRON"})
    return (
        Step("save", ("ja", _job("ja", {"type": "EXECUTE_ONCE"}), None)),
        Step("start", ("ja",)),
        Step("save", ("ja", unschedulable, "SUBMITTED")),
        Step("save", ("ja", unschedulable, "SAVED")),
        Step("stop", ("ja",)),
        Step("save", ("ja", unschedulable, None)),
        Step("show", ("ja",)),
    )


def a_node_event_trigger_of_no_known_type() -> tuple[Step, ...]:
    """A real-time node waiting for an event DataArts has no type for, and without a channel:
    refused (DLF.3025) naming both fields."""
    doc = _job("ja", {"type": "EXECUTE_ONCE"})
    doc["processType"] = "REAL_TIME"
    doc["nodes"][0]["eventTrigger"] = {"eventType": "MQTT"}
    return (Step("save", ("ja", doc, "SUBMITTED")), Step("show", ("ja",)))


def naive_times_in_a_zone() -> tuple[Step, ...]:
    """Times without an offset, read in the expression's IANA zone, kept as sent; then an
    end before the start refused naming the end."""
    cron = {
        "expression": "0 0 2 ? * MON-FRI",
        "startTime": "2024-01-01T00:00:00",
        "endTime": "2099-12-31T23:59:59",
        "expressionTimeZone": "Europe/Berlin",
    }
    early = {**cron, "endTime": "2024-01-01T00:00:00+08"}
    return (
        Step("save", ("jb", _job("jb", {"type": "CRON", "cron": cron}), None)),
        Step("start", ("jb",)),
        Step("save", ("jb", _job("jb", {"type": "CRON", "cron": early}), "SUBMITTED")),
        Step("show", ("jb",)),
    )
