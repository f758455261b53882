"""The fields of job, script and resource definitions, for checking the field paths a user names.

An environment profile's ``targetOwned`` paths (``schedule.cron.expression``,
``nodes[*].retryTimes``) keep the target's values of those fields on every overwrite; a path
that names no field keeps nothing, silently. :func:`field_path_problem` checks a parsed path
against the definitions' fields: DataArts' models (JobInfo, Node, Schedule, Cron, Event,
DependJob, JobParam, BasicConfig, ScriptInfo, ResourceInfo) and the fields real console exports
carry beyond them (contract §7.3), named once here.

What is checked, step by step: a key must be a field of the object it is in (a typo is refused
with the closest field and the fields there); ``[*]``/``[NAME]`` only follow a list of named
items (nodes, properties, params, sameWorkSpaceJobs…), and a list of named items is only
entered through one; a plain value (text, number, list of values) has no fields below it; a free
map (``basicConfig.customFields``, a script's ``configuration``) takes any key. Item names are
the user's (node and parameter names), not checked, except a node's property names: one that is
a field of the node itself (``properties[retryTimes]``: ``retryTimes`` is a node field) or that
is one letter away from a documented property (``properties[conectionName]``) is refused;
other names pass, because node types carry properties DataArts does not document. Fields the
server owns (``id``, ``lastUpdateUser``…) and those that steer a request (``targetStatus``,
``approvers``) are never stored in a definition, so a path naming them is refused too.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS
from jobferry.domain.fieldpaths import FieldPath

VALUE = None
"""A plain value (text, number, boolean, list of values): nothing below it."""


@dataclass(frozen=True)
class Fields:
    """An object's fields: each a plain value (:data:`VALUE`), an object, or a list of named
    items (:class:`Named`); ``free``: a map that takes any key."""

    name: str
    fields: dict[str, Fields | Named | None] = field(default_factory=dict)
    free: bool = False


@dataclass(frozen=True)
class Named:
    """A list of named items (matched by identity, as the plan's diff matches them)."""

    item: Fields


def _values(*names: str) -> dict[str, Fields | Named | None]:
    return dict.fromkeys(names, VALUE)


_LOCATION = Fields("location", _values("x", "y"))
_DEPEND_JOB = Fields(
    "dependJobs item",
    _values(
        "dependOnLastPeriod",
        "jobName",
        "workSpaceId",
        "workSpace",
        "dependType",
        "dependOnLastNPeriodValue",
    ),
)
_DEPEND = Fields(
    "dependJobs",
    {
        **_values("jobs", "dependPeriod", "dependFailPolicy"),
        "sameWorkSpaceJobs": Named(_DEPEND_JOB),
        "otherWorkSpaceJobs": Named(_DEPEND_JOB),
    },
)
_CRON = Fields(
    "cron",
    {
        **_values(
            "startTime",
            "endTime",
            "expression",
            "expressionTimeZone",
            "dependPrePeriod",
            "intervalType",
            "calendarScheduling",
            "concurrent",
            "isSkipSelfDepJob",
            "monitorObsPath",
            "scanDuration",
            "scanInterval",
        ),
        "dependJobs": _DEPEND,
    },
)
_CRON_TRIGGER = Fields(
    "cronTrigger",
    {
        **_values(
            "startTime",
            "endTime",
            "expression",
            "expressionTimeZone",
            "period",
            "dependPrePeriod",
            "concurrent",
        ),
        "dependJobs": _DEPEND,
    },
)
_EVENT = Fields("event", _values("eventType", "channel", "failPolicy", "concurrent", "readPolicy"))
_PROPERTY = Fields("property", _values("name", "value", "value_is_sensitive"))
NODE = Fields(
    "node",
    {
        **_values(
            "name",
            "type",
            "preNodeName",
            "conditions",
            "pollingInterval",
            "execTimeOutRetry",
            "maxExecutionTime",
            "retryTimes",
            "retryInterval",
            "failPolicy",
            "lineageInfo",
            "resouces",
            "emptyRunningJob",
            "taskWorkGroupId",
            "connectionId",
            "statementOrScript",
            "pythonVersion",
        ),
        "location": _LOCATION,
        "properties": Named(_PROPERTY),
        "eventTrigger": _EVENT,
        "cronTrigger": _CRON_TRIGGER,
    },
)
_BASIC_CONFIG = Fields(
    "basicConfig",
    {
        **_values(
            "owner",
            "agency",
            "isIgnoreWaiting",
            "priority",
            "taskPriority",
            "executeUser",
            "instanceTimeout",
            "tags",
            "encrypt",
            "jobDescription",
        ),
        "customFields": Fields("customFields", free=True),
    },
)
JOB = Fields(
    "job",
    {
        **_values(
            "name",
            "directory",
            "cleanOverdueDays",
            "cleanWaitingJob",
            "emptyRunningJob",
            "processType",
            "singleNodeJobFlag",
            "singleNodeJobType",
            "logPath",
            "description",
            "maskedParams",
            "resouces",
            "runAtOnceAfterIncubate",
            "taskWorkGroupId",
            "useCdmCache",
        ),
        "nodes": Named(NODE),
        "params": Named(Fields("param", _values("name", "value", "type"))),
        "schedule": Fields(
            "schedule",
            {
                **_values("type", "requireManualConfirmBeforeExecute", "scheduleOffset"),
                "cron": _CRON,
                "event": _EVENT,
            },
        ),
        "basicConfig": _BASIC_CONFIG,
        "location": _LOCATION,
    },
)
SCRIPT = Fields(
    "script",
    {
        **_values(
            "name",
            "type",
            "directory",
            "content",
            "connectionName",
            "database",
            "currentDatabase",
            "queueName",
            "description",
            "owner",
        ),
        "configuration": Fields("configuration", free=True),
    },
)
RESOURCE = Fields(
    "resource",
    _values("name", "type", "location", "dependFiles", "desc", "directory", "dependPackages"),
)
DEFINITIONS = (JOB, SCRIPT, RESOURCE)

DOCUMENTED_PROPERTIES = frozenset(
    (
        "scriptName",
        "database",
        "connectionName",
        "scriptArgs",
        "queueName",
        "arguments",
        "clusterName",
        "jobName",
        "clusterId",
        "jobType",
        "namespace",
        "action",
        "table",
        "columnFamily",
        "path",
        "url",
        "method",
        "headers",
        "body",
        "topic",
        "subject",
        "messageType",
        "message",
        "resourcePath",
        "parameters",
        "input",
        "output",
        "programParameter",
        "resourceType",
        "jobClass",
        "jarArgs",
        "sparkConfig",
        "flinkJobType",
        "flinkJobProcessType",
        "statementOrScript",
        "statement",
        "Data Warehouse",
        "Schema",
        "Database",
        "Queue",
        "spuNumber",
        "parallelNumber",
        "streamName",
        "emptyRunningJob",
        "taskWorkGroupId",
        "connectionId",
        "pythonVersion",
        "resourceName",
    )
)
"""Node property names DataArts documents per node type (contract §6.1) and that real exports
carry (§7.3), for telling a typo from an undocumented property."""
_NOT_STORED = frozenset(SERVER_FIELDS + CONTROL_FIELDS)


def field_path_problem(path: FieldPath) -> str | None:
    """Why ``path`` names no field of a job, script or resource definition, with the fix
    (``None``: it names one)."""
    problems = [_walk(path, definition) for definition in DEFINITIONS]
    if any(problem is None for problem in problems):
        return None
    first = path.steps[0][0]
    if first in _NOT_STORED:
        return (
            f"'{path.text}' is not part of a stored definition ({first} is kept by the server "
            "or decided by the import request): an import never writes it, so there is nothing "
            "to keep; remove it"
        )
    known = [p for p in problems if p is not None and not p.startswith(_TOP)]
    if known:
        return f"'{path.text}' names no field: {known[0]}"
    fields = sorted(set().union(*(d.fields for d in DEFINITIONS)) - _NOT_STORED)
    return (
        f"'{path.text}' names no field: no job, script or resource has a field '{first}'"
        f"{_close(first, fields)}; a path starts with one of {', '.join(fields)}"
    )


_TOP = "\x00top"


def _walk(path: FieldPath, definition: Fields) -> str | None:
    here: Fields = definition
    walked = ""
    for index, (key, item) in enumerate(path.steps):
        if here.free:
            return None
        if key not in here.fields:
            if index == 0:
                return _TOP
            return (
                f"{walked} has no field '{key}'{_close(key, sorted(here.fields))}; its fields "
                f"are {', '.join(sorted(here.fields))}"
            )
        shape = here.fields[key]
        walked = f"{walked}.{key}" if walked else key
        last = index == len(path.steps) - 1
        if isinstance(shape, Named):
            if item is None:
                if last:
                    return None  # the whole list
                return (
                    f"{walked} is a list of named items: write {walked}[*] (every item) or "
                    f"{walked}[NAME] (one) before the field"
                )
            problem = _item_problem(walked, key, item)
            if problem is not None:
                return problem
            here, walked = shape.item, f"{walked}[{item}]"
            continue
        if item is not None:
            return f"{walked} is not a list of named items; drop [{item}]"
        if shape is None:
            return None if last else f"{walked} is a value: it has no fields below it"
        here = shape
    return None


def _item_problem(walked: str, key: str, item: str) -> str | None:
    """A node's property named by a field of the node itself, or one letter away from a
    documented property name (see the module docstring)."""
    if key != "properties" or item == "*" or item in DOCUMENTED_PROPERTIES:
        return None
    parent = walked.rsplit(".", 1)[0] if "." in walked else ""
    if item in NODE.fields:
        return f"{item} is a field of the node, not one of its properties; write {parent}.{item}"
    near = difflib.get_close_matches(item, sorted(DOCUMENTED_PROPERTIES), n=1, cutoff=0.85)
    if near:
        return f"{walked} has no property '{item}' (did you mean {near[0]}?)"
    return None


def _close(word: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f" (did you mean {near[0]}?)" if near else ""
