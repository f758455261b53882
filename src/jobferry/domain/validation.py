"""Rules a job, script or resource document must follow, reported all at once.

Documents are the JSON bodies exactly as received (camelCase, unknown keys allowed). The checks
are as lenient about shape as DataArts is: canvas coordinates and numbers may be numeric
strings, booleans may be ``"true"``/``"false"``, ``nodes`` and ``schedule`` may be absent, a
``CRON`` schedule may come without its ``cron`` block, ``null`` means "not given". Every
violation carries its JSON path, a stable rule id, a message naming the value and the fix, and
the DataArts error code that fits it best.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeGuard

from jobferry.domain.enums import FAIL_POLICIES, RESOURCE_TYPES, SCHEDULE_TYPES, SCRIPT_TYPES
from jobferry.domain.graph import find_cycle, is_acyclic
from jobferry.domain.names import object_name_problem, param_name_problem
from jobferry.domain.schedule import parse_quartz, parse_schedule_time, parse_time_zone

GENERIC = "DLF.3051"
JOB_NAME_MISSING = "DLF.3004"
JOB_NAME_INVALID = "DLF.3018"
SCHEDULE_INVALID = "DLF.3025"
SCRIPT_TYPE_MISSING = "DLF.6247"
RESOURCE_TYPE_INVALID = "DLF.6263"
RESOURCE_LOCATION_INVALID = "DLF.6264"
RESOURCE_DESC_INVALID = "DLF.6265"

PROCESS_TYPES = ("BATCH", "REAL_TIME")
PARAM_VALUE_MAX = 1024
OWNER_MAX = 128
DESCRIPTION_MAX = 255
SCRIPT_CONTENT_MAX = 4 * 1024 * 1024
# Node fields DataArts bounds: key → (low, high, unit).
NODE_RANGES = {
    "pollingInterval": (1, 60, "seconds"),
    "maxExecutionTime": (5, 1440, "minutes"),
    "retryTimes": (0, 5, "retries"),
    "retryInterval": (5, 120, "seconds"),
}
_OBS_PATH = re.compile(r"obs://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S.*")
_SCALARS = (str, int, float)  # bool is an int
_SCALAR_TYPES = frozenset({str, int, float, bool})  # the same, as exact types for fast paths
_ABSENT = object()
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # a number to float(), told without trying


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (JSON path), which rule, what to do, and the DataArts code."""

    field: str
    rule: str
    message: str
    code: str = GENERIC


def _missing(value: object) -> bool:
    return value is None or value == ""


def _as_int(value: object) -> int | None:
    """An integer from an int, an integral float or a numeric string; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def _is_number(value: object) -> bool:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Report:
    """Collects violations; ``code`` is the DataArts code used when a call gives none."""

    def __init__(self, items: list[Violation] | None = None, code: str = GENERIC) -> None:
        self.items: list[Violation] = [] if items is None else items
        self.code = code

    def coded(self, code: str) -> _Report:
        """A view adding to the same list with another default code."""
        return _Report(self.items, code)

    def add(self, field: str, rule: str, message: str, code: str | None = None) -> None:
        self.items.append(Violation(field, rule, message, code or self.code))

    def is_object(self, value: object, field: str, what: str) -> TypeGuard[Mapping[str, Any]]:
        if type(value) is dict or isinstance(value, Mapping):
            return True
        self.add(field, "type", f"{what} must be a JSON object, not {value!r}")
        return False

    def array(self, obj: Mapping[str, Any], key: str, base: str) -> list[Any]:
        """The list at ``key`` (empty when absent); a violation when it is something else."""
        value = obj.get(key)
        if value is None or isinstance(value, list):
            return value or []
        self.add(_at(base, key), "type", f"{key} must be a JSON array, not {value!r}")
        return []

    def text(self, obj: Mapping[str, Any], key: str, base: str, limit: int = 0) -> None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            self.add(_at(base, key), "type", f"{key} {value!r} is not text; send a string")
        elif limit and value is not None and len(value) > limit:
            message = f"{key} has {len(value)} characters; shorten it to at most {limit}"
            self.add(_at(base, key), "length", message)

    def one_of(self, obj: Mapping[str, Any], key: str, base: str, allowed: tuple[str, ...]) -> None:
        value = obj.get(key)
        if value is not None and value not in allowed:
            message = f"{key} {value!r} is not allowed; use one of {', '.join(allowed)}"
            self.add(_at(base, key), "enum", message)

    def whole(
        self, obj: Mapping[str, Any], key: str, base: str, low: int, high: int, unit: str
    ) -> None:
        value = obj.get(key)
        if value is None or (type(value) is int and low <= value <= high):
            return  # the common case, decided without parsing
        number = _as_int(value)
        if value is not None and number is None:
            message = f"{key} {value!r} is not a whole number; give {unit} from {low} to {high}"
            self.add(_at(base, key), "type", message)
        elif number is not None and not low <= number <= high:
            message = f"{key} is {number}; set it to {unit} from {low} to {high}"
            self.add(_at(base, key), "range", message)


def _at(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


# --- jobs -------------------------------------------------------------------------------------


def validate_job(doc: Mapping[str, Any], *, max_nodes: int = 200) -> list[Violation]:
    """Every rule the job document breaks (empty when it is valid)."""
    r = _Report()
    if not r.is_object(doc, "", "a job definition"):
        return r.items
    problem = object_name_problem(doc.get("name"), "job")
    if problem:
        code = JOB_NAME_MISSING if problem.rule == "required" else JOB_NAME_INVALID
        r.add("name", problem.rule, problem.message, code)
    job = doc["name"] if isinstance(doc.get("name"), str) else None
    r.one_of(doc, "processType", "", PROCESS_TYPES)
    directory = doc.get("directory")
    if directory is not None and not isinstance(directory, str):
        r.add("directory", "type", f"directory {directory!r} must be a folder path such as '/etl'")
    _check_nodes(r, doc, max_nodes, job)
    _check_params(r, doc)
    config = doc.get("basicConfig")
    if config is not None and r.is_object(config, "basicConfig", "basicConfig"):
        _check_basic_config(r, config)
    if doc.get("schedule") is not None:
        _check_schedule(r.coded(SCHEDULE_INVALID), doc["schedule"], job)
    return r.items


def _check_nodes(r: _Report, doc: Mapping[str, Any], max_nodes: int, job: str | None) -> None:
    nodes = r.array(doc, "nodes", "")
    if len(nodes) > max_nodes:
        message = f"the job has {len(nodes)} nodes, more than {max_nodes}; split it into jobs"
        r.add("nodes", "limit", message + " linked by dependJobs")
    first: dict[str, int] = {}
    for i, node in enumerate(nodes):
        base = f"nodes[{i}]"
        if type(node) is not dict and not r.is_object(node, base, "a node"):
            continue
        name: Any = node.get("name")  # a str once object_name_problem passes it
        problem = object_name_problem(name, "node")
        if problem:
            r.add(f"{base}.name", problem.rule, problem.message)
        elif name in first:
            message = f"node name {name!r} is already used by nodes[{first[name]}]; node names"
            r.add(f"{base}.name", "node.unique", message + " must be unique, rename one")
        else:
            first[name] = i
        _check_node(r, node, base, job)
    edges: dict[str, list[str]] = {}
    forward = True  # every link names an earlier node: no cycle, nothing to search
    for i, node in enumerate(nodes):
        if type(node) is dict or isinstance(node, Mapping):
            upstreams = _check_upstreams(r, node, f"nodes[{i}]", first)
            name = node.get("name")
            if isinstance(name, str) and first.get(name) == i:
                edges[name] = upstreams
                for up in upstreams if forward else ():
                    if first[up] >= i:
                        forward = False
    cycle = None if forward or is_acyclic(edges) else find_cycle(edges)
    if cycle:
        loop = " → ".join([*cycle, cycle[0]])
        message = f"nodes form a cycle ({loop}); remove one of these preNodeName links"
        r.add(f"nodes[{first[cycle[0]]}].preNodeName", "dag.cycle", message)


def _check_node(r: _Report, node: Mapping[str, Any], base: str, job: str | None) -> None:
    # Every rule first takes the common valid case at a glance; only a node that may break one
    # pays for the full check, which says what is wrong.
    node_type = node.get("type")
    if type(node_type) is not str or not node_type:
        if _missing(node_type):
            r.add(f"{base}.type", "required", "node type is missing; set it, e.g. 'HiveSQL'")
        elif not isinstance(node_type, str):
            r.add(f"{base}.type", "type", f"node type {node_type!r} is not text; send a string")
    location = node.get("location")
    if location is not None and not (
        type(location) is dict
        and _plain_number(location.get("x", 0))
        and _plain_number(location.get("y", 0))
    ):
        _check_location(r, location, base)
    properties = node.get("properties")
    if type(properties) is list:
        for j, prop in enumerate(properties):
            # The common valid property: {"name": <text>, "value": <scalar>}; anything else goes
            # through _check_property, which says what is wrong.
            if type(prop) is dict:
                name = prop.get("name")
                if type(name) is str and name and type(prop.get("value", _ABSENT)) in _SCALAR_TYPES:
                    continue
            _check_property(r, prop, f"{base}.properties[{j}]")
    elif properties is not None:
        r.array(node, "properties", base)
    for key, (low, high, unit) in NODE_RANGES.items():
        value = node.get(key)
        if value is not None and not (type(value) is int and low <= value <= high):
            r.whole(node, key, base, low, high, unit)
    policy = node.get("failPolicy")
    if policy is not None and policy not in FAIL_POLICIES:
        r.one_of(node, "failPolicy", base, FAIL_POLICIES)
    flag = node.get("execTimeOutRetry")
    if (
        flag is not None
        and not isinstance(flag, bool)
        and str(flag).lower() not in ("true", "false")
    ):
        message = f"execTimeOutRetry {flag!r} is not a boolean; use true or false"
        r.add(f"{base}.execTimeOutRetry", "type", message)
    if node.get("eventTrigger") is not None:
        _check_event(r, node["eventTrigger"], f"{base}.eventTrigger")
    if node.get("cronTrigger") is not None:
        _check_cron(r.coded(SCHEDULE_INVALID), node["cronTrigger"], f"{base}.cronTrigger", job)


def _plain_number(value: object) -> bool:
    """A canvas coordinate that is certainly a number (``False``: look closer)."""
    if isinstance(value, str):
        return bool(_DECIMAL.fullmatch(value))
    kind = type(value)
    return kind is int or kind is float


def _check_location(r: _Report, location: object, base: str) -> None:
    if r.is_object(location, f"{base}.location", "location"):
        for axis in ("x", "y"):
            if axis in location and not _is_number(location[axis]):
                message = f"location {axis} {location[axis]!r} is not a number; use e.g. '100.0'"
                r.add(f"{base}.location.{axis}", "type", message)


def _check_property(r: _Report, prop: object, base: str) -> None:
    if not r.is_object(prop, base, "a node property ({name, value})"):
        return
    name = prop.get("name")
    if _missing(name):
        r.add(f"{base}.name", "required", "property name is missing; give the property's name")
    elif not isinstance(name, str):
        r.add(f"{base}.name", "type", f"property name {name!r} is not text; send a string")
    label = name if isinstance(name, str) else "?"
    if "value" not in prop:
        r.add(f"{base}.value", "required", f"property {label!r} has no value; add one")
    elif not isinstance(prop["value"], _SCALARS):
        message = f"property {label!r} has value {prop['value']!r}; send text, not objects/lists"
        r.add(f"{base}.value", "type", message)


def _check_upstreams(
    r: _Report, node: Mapping[str, Any], base: str, known: Mapping[str, int]
) -> list[str]:
    """Check preNodeName and conditions; return the valid upstream names."""
    own = node.get("name")
    ups: list[str] = []
    pre = node.get("preNodeName")
    if type(pre) is list and all(type(up) is str and up in known and up != own for up in pre):
        ups = list(pre)  # the common case: every upstream is another node of the job, by name
    else:
        for k, up in enumerate(r.array(node, "preNodeName", base)):
            field = f"{base}.preNodeName[{k}]"
            if not isinstance(up, str):
                r.add(field, "type", f"upstream {up!r} is not a node name; list names as text")
            elif up == own:
                r.add(field, "node.self", f"node {own!r} lists itself as upstream; remove it")
            elif up not in known:
                names = ", ".join(sorted(known)[:10]) or "none"
                message = f"upstream node {up!r} is not a node of this job (nodes: {names});"
                r.add(field, "node.upstream", message + " fix the name or remove it")
            else:
                ups.append(up)
    for k, cond in enumerate(r.array(node, "conditions", base)):
        field = f"{base}.conditions[{k}]"
        if not r.is_object(cond, field, "a condition ({preNodeName, expression})"):
            continue
        pre_name = cond.get("preNodeName")
        if _missing(pre_name) or not isinstance(pre_name, str):
            message = "condition has no preNodeName; name the upstream node it tests"
            r.add(f"{field}.preNodeName", "required", message)
        elif pre_name not in ups:
            message = f"condition tests {pre_name!r}, which is not in preNodeName; add it or fix it"
            r.add(f"{field}.preNodeName", "node.condition", message)
        if _missing(cond.get("expression")) or not isinstance(cond["expression"], str):
            message = 'condition has no expression; write e.g. #{Job.getNodeStatus("a")=="success"}'
            r.add(f"{field}.expression", "required", message)
    return ups


def _check_params(r: _Report, doc: Mapping[str, Any]) -> None:
    seen: dict[str, int] = {}
    for k, param in enumerate(r.array(doc, "params", "")):
        base = f"params[{k}]"
        if not r.is_object(param, base, "a job parameter ({name, value})"):
            continue
        name: Any = param.get("name")  # a str once param_name_problem passes it
        problem = param_name_problem(name)
        if problem:
            r.add(f"{base}.name", problem.rule, problem.message)
        elif name in seen:
            message = f"parameter {name!r} is already defined at params[{seen[name]}]; keep one"
            r.add(f"{base}.name", "param.unique", message)
        else:
            seen[name] = k
        value = param.get("value")
        if "value" not in param:
            r.add(f"{base}.value", "required", f"parameter {name!r} has no value; add one")
        elif not isinstance(value, _SCALARS):
            r.add(f"{base}.value", "type", f"parameter {name!r} value {value!r} is not text")
        elif len(str(value)) > PARAM_VALUE_MAX:
            message = f"parameter {name!r} value has {len(str(value))} characters; shorten it"
            r.add(f"{base}.value", "length", f"{message} to at most {PARAM_VALUE_MAX}")
        r.text(param, "type", base)


def _check_basic_config(r: _Report, config: Mapping[str, Any]) -> None:
    base = "basicConfig"
    priority = config.get("priority")
    if priority is not None and _as_int(priority) not in (0, 1, 2):
        message = f"priority {priority!r} is not allowed; use 0 (high), 1 (medium) or 2 (low)"
        r.add(f"{base}.priority", "enum", message)
    if _as_int(config.get("instanceTimeout")) != 0:
        r.whole(config, "instanceTimeout", base, 5, 1440, "minutes (or 0 for none)")
    r.text(config, "owner", base, OWNER_MAX)
    r.text(config, "agency", base)
    for k, tag in enumerate(r.array(config, "tags", base)):
        if not isinstance(tag, str) or not tag.strip():
            r.add(f"{base}.tags[{k}]", "type", f"tag {tag!r} is not a tag name; use text")


# --- schedules (every violation here carries DLF.3025) ----------------------------------------


def _check_schedule(r: _Report, schedule: object, job: str | None) -> None:
    if not r.is_object(schedule, "schedule", "schedule"):
        return
    if _missing(schedule.get("type")):
        message = "schedule type is missing; use EXECUTE_ONCE, CRON or EVENT"
        r.add("schedule.type", "required", message)
    r.one_of(schedule, "type", "schedule", SCHEDULE_TYPES)
    if schedule.get("event") is not None:
        _check_event(r, schedule["event"], "schedule.event")
    elif schedule.get("type") == "EVENT":
        message = 'an EVENT schedule needs "event" with eventType (DIS, KAFKA or OBS) and channel'
        r.add("schedule.event", "required", message)
    if schedule.get("cron") is not None:
        _check_cron(r, schedule["cron"], "schedule.cron", job)


def _check_event(r: _Report, event: object, base: str) -> None:
    if not r.is_object(event, base, "event"):
        return
    if all(_missing(event.get(key)) for key in ("eventType", "engineType")):
        r.add(f"{base}.eventType", "required", "event has no eventType; set DIS, KAFKA or OBS")
    channel = event.get("channel")
    if _missing(channel) or not isinstance(channel, str):
        message = f"event channel {channel!r} is missing; name the stream, topic or OBS path"
        r.add(f"{base}.channel", "required", message)
    r.whole(event, "concurrent", base, 1, 128, "concurrent instances")


def _check_cron(r: _Report, cron: object, base: str, job: str | None) -> None:
    if not r.is_object(cron, base, "cron"):
        return
    expression = cron.get("expression")
    if _missing(expression):
        message = "cron schedule has no expression; write e.g. '0 30 2 * * ?' (02:30 daily)"
        r.add(f"{base}.expression", "required", message)
    elif not isinstance(expression, str):
        r.add(f"{base}.expression", "type", f"cron expression {expression!r} is not text")
    else:
        try:
            parse_quartz(expression)
        except ValueError as exc:
            r.add(f"{base}.expression", "cron.invalid", str(exc))
    zone: tzinfo = UTC
    if not _missing(cron.get("expressionTimeZone")):
        try:
            zone = parse_time_zone(cron["expressionTimeZone"])
        except ValueError as exc:
            r.add(f"{base}.expressionTimeZone", "timezone.invalid", str(exc))
    if _missing(cron.get("startTime")):
        message = "cron schedule has no startTime; set it, e.g. '2024-01-01T00:00:00+08'"
        r.add(f"{base}.startTime", "required", message)
    start = _time(r, cron, "startTime", base, zone)
    end = _time(r, cron, "endTime", base, zone)
    if start and end and end <= start:
        message = f"endTime {cron['endTime']!r} is not after startTime {cron['startTime']!r}"
        r.add(f"{base}.endTime", "time.order", message + "; move it later or remove it")
    depend = cron.get("dependJobs")
    if isinstance(depend, list):  # legacy: a list of names or of dependJobs objects
        for k, item in enumerate(depend):
            if isinstance(item, Mapping):
                _check_depend_object(r, item, f"{base}.dependJobs[{k}]", job)
            else:
                _check_depend_name(r, item, f"{base}.dependJobs[{k}]", job)
    elif depend is not None and r.is_object(depend, f"{base}.dependJobs", "dependJobs"):
        _check_depend_object(r, depend, f"{base}.dependJobs", job)


def _time(
    r: _Report, cron: Mapping[str, Any], key: str, base: str, zone: tzinfo
) -> datetime | None:
    """The parsed time at ``key`` (naive times read in ``zone``); ``None`` if absent or bad."""
    if _missing(cron.get(key)):
        return None
    try:
        moment = parse_schedule_time(cron[key])
    except ValueError as exc:
        r.add(f"{base}.{key}", "time.invalid", f"{key}: {exc}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _check_depend_name(r: _Report, name: object, field: str, job: str | None) -> None:
    if _missing(name) or not isinstance(name, str):
        r.add(field, "type", f"dependency {name!r} is not a job name; list job names as text")
    elif name == job:
        r.add(field, "depend.self", f"job {job!r} depends on itself; remove it from dependJobs")


def _check_depend_object(r: _Report, depend: Mapping[str, Any], base: str, job: str | None) -> None:
    for k, name in enumerate(r.array(depend, "jobs", base)):
        if type(name) is not str or not name or name == job:
            _check_depend_name(r, name, f"{base}.jobs[{k}]", job)
    for k, item in enumerate(r.array(depend, "sameWorkSpaceJobs", base)):
        field = f"{base}.sameWorkSpaceJobs[{k}]"
        if r.is_object(item, field, "a workspace dependency"):
            _check_depend_name(r, item.get("jobName"), f"{field}.jobName", job)
    for k, item in enumerate(r.array(depend, "otherWorkSpaceJobs", base)):
        field = f"{base}.otherWorkSpaceJobs[{k}]"
        if not r.is_object(item, field, "a workspace dependency"):
            continue
        _check_depend_name(r, item.get("jobName"), f"{field}.jobName", None)
        if _missing(item.get("workSpace")) and _missing(item.get("workSpaceId")):
            message = f"dependency on job {item.get('jobName')!r} in another workspace does not"
            r.add(f"{field}.workSpace", "required", message + " say which; set workSpace")


# --- scripts and resources --------------------------------------------------------------------


def validate_script(doc: Mapping[str, Any]) -> list[Violation]:
    """Every rule the script document breaks (empty when it is valid)."""
    r = _Report()
    if not r.is_object(doc, "", "a script definition"):
        return r.items
    problem = object_name_problem(doc.get("name"), "script")
    if problem:
        r.add("name", problem.rule, problem.message)
    if _missing(doc.get("type")):
        message = f"script type is missing; use one of {', '.join(SCRIPT_TYPES)}"
        r.add("type", "required", message, SCRIPT_TYPE_MISSING)
    r.one_of(doc, "type", "", SCRIPT_TYPES)
    content = doc.get("content")
    if content is None:
        r.add("content", "required", "script content is missing; send the script text")
    elif not isinstance(content, str):
        r.add("content", "type", "script content is not text; send the script as a string")
    elif (size := len(content.encode("utf-8"))) > SCRIPT_CONTENT_MAX:
        message = f"script content is {size} bytes; the limit is 4 MiB (4194304 bytes)"
        r.add("content", "length", message + ": move data out of the script")
    r.text(doc, "description", "", DESCRIPTION_MAX)
    for key in ("connectionName", "database", "currentDatabase", "queueName", "directory"):
        r.text(doc, key, "")
    if doc.get("configuration") is not None:
        r.is_object(doc["configuration"], "configuration", "configuration")
    return r.items


def validate_resource(doc: Mapping[str, Any]) -> list[Violation]:
    """Every rule the resource document breaks (empty when it is valid)."""
    r = _Report()
    if not r.is_object(doc, "", "a resource definition"):
        return r.items
    problem = object_name_problem(doc.get("name"), "resource")
    if problem:
        r.add("name", problem.rule, problem.message)
    types = ", ".join(RESOURCE_TYPES)
    if _missing(doc.get("type")):
        message = f"resource type is missing; use one of {types}"
        r.add("type", "required", message, RESOURCE_TYPE_INVALID)
    r.coded(RESOURCE_TYPE_INVALID).one_of(doc, "type", "", RESOURCE_TYPES)
    if _missing(doc.get("location")):
        message = "resource location is missing; give its OBS path, e.g. 'obs://bucket/app.jar'"
        r.add("location", "required", message, RESOURCE_LOCATION_INVALID)
    else:
        _check_obs_path(r, doc["location"], "location")
    r.coded(RESOURCE_DESC_INVALID).text(doc, "desc", "", DESCRIPTION_MAX)
    for k, path in enumerate(r.coded(RESOURCE_LOCATION_INVALID).array(doc, "dependFiles", "")):
        _check_obs_path(r, path, f"dependFiles[{k}]")
    directory = doc.get("directory")
    if directory is not None and (not isinstance(directory, str) or not directory.startswith("/")):
        message = f"directory {directory!r} must be a path starting with '/', e.g. '/resources'"
        r.add("directory", "directory", message)
    return r.items


def _check_obs_path(r: _Report, value: object, field: str) -> None:
    if not isinstance(value, str) or not _OBS_PATH.fullmatch(value):
        message = f"{field} {value!r} is not an OBS path; write obs://bucket/path/to/file"
        message += " (bucket: 3–63 lower-case letters, digits, '-' and '.')"
        r.add(field, "obs.path", message, RESOURCE_LOCATION_INVALID)
