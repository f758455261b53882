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
from collections.abc import Collection, Mapping
from typing import Any

from jobferry.domain.enums import FAIL_POLICIES, RESOURCE_TYPES, SCRIPT_TYPES
from jobferry.domain.graph import find_cycle, is_acyclic
from jobferry.domain.names import object_name_problem, param_name_problem
from jobferry.domain.report import Report, Violation, as_int, is_number, missing
from jobferry.domain.schedule_rules import (
    SCHEDULE_INVALID,
    check_cron,
    check_event,
    check_schedule,
    check_sub_job,
)

JOB_NAME_MISSING = "DLF.3004"
JOB_NAME_INVALID = "DLF.3018"
SCRIPT_TYPE_MISSING = "DLF.6247"
RESOURCE_TYPE_INVALID = "DLF.6263"
RESOURCE_LOCATION_INVALID = "DLF.6264"
RESOURCE_DESC_INVALID = "DLF.6265"

PROCESS_TYPES = ("BATCH", "REAL_TIME")
PARAM_VALUE_MAX = 1024
OWNER_MAX = 128
DESCRIPTION_MAX = 255
SCRIPT_CONTENT_MAX = 4 * 1024 * 1024
DIRECTORY_MAX_BYTES = 1024
"""A folder path is stored in 1,024 characters and indexed by workspace and folder (console
listings); PostgreSQL refuses index entries over 2,704 bytes, so the path is held to 1,024
bytes of UTF-8."""
# Node fields DataArts bounds: key → (low, high, unit).
NODE_RANGES = {
    "pollingInterval": (1, 60, "seconds"),
    "maxExecutionTime": (5, 1440, "minutes"),
    "retryTimes": (0, 5, "retries"),
    "retryInterval": (5, 120, "seconds"),
}
_OBS_PATH = re.compile(r"obs://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S.*")
# hdfs://namenode[:port]/path, or hdfs:///path on the cluster's default file system.
_HDFS_PATH = re.compile(r"hdfs://([A-Za-z0-9._-]+(:[0-9]{1,5})?)?/\S.*")
DEPEND_PACKAGE_TYPES = ("file", "jar", "pyFile")
_SCALARS = (str, int, float)  # bool is an int
_SCALAR_TYPES = frozenset({str, int, float, bool})  # the same, as exact types for fast paths
_ABSENT = object()
_Own = tuple[str | None, Collection[str]]
"""A job's own name (``None``: not known) and its workspace's name and id."""
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # a number to float(), told without trying


# --- jobs -------------------------------------------------------------------------------------


def validate_job(
    doc: Mapping[str, Any], *, max_nodes: int = 200, workspace: Collection[str] = ()
) -> list[Violation]:
    """Every rule the job document breaks (empty when it is valid); ``workspace``: the name
    and id of the workspace it is saved in, so that a dependency naming it as another's is
    read as one of the job's own workspace."""
    r = Report()
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
    _check_directory_size(r, doc)
    _check_nodes(r, doc, max_nodes, (job, workspace))
    _check_params(r, doc)
    config = doc.get("basicConfig")
    if config is not None and r.is_object(config, "basicConfig", "basicConfig"):
        _check_basic_config(r, config)
    if doc.get("schedule") is not None:
        check_schedule(r.coded(SCHEDULE_INVALID), doc["schedule"], job, workspace)
    return r.items


def _check_nodes(r: Report, doc: Mapping[str, Any], max_nodes: int, own: _Own) -> None:
    nodes = r.array(doc, "nodes", "")
    if len(nodes) > max_nodes:
        message = f"the job has {len(nodes)} nodes, more than {max_nodes}; split it into jobs"
        r.add("nodes", "limit", message + " linked by dependJobs")
    first = _check_node_names(r, nodes, own)
    edges, forward = _node_edges(r, nodes, first)
    cycle = None if forward or is_acyclic(edges) else find_cycle(edges)
    if cycle:
        loop = " → ".join([*cycle, cycle[0]])
        message = f"nodes form a cycle ({loop}); remove one of these preNodeName links"
        r.add(f"nodes[{first[cycle[0]]}].preNodeName", "dag.cycle", message)


def _check_node_names(r: Report, nodes: list[Any], own: _Own) -> dict[str, int]:
    """Check every node; answers each unique node name → its index."""
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
        _check_node(r, node, base, own)
    return first


def _node_edges(
    r: Report, nodes: list[Any], first: dict[str, int]
) -> tuple[dict[str, list[str]], bool]:
    """Each node's valid upstreams, and whether every link names an earlier node (then there
    is no cycle and nothing to search)."""
    edges: dict[str, list[str]] = {}
    forward = True
    for i, node in enumerate(nodes):
        if type(node) is dict or isinstance(node, Mapping):
            upstreams = _check_upstreams(r, node, f"nodes[{i}]", first)
            name = node.get("name")
            if isinstance(name, str) and first.get(name) == i:
                edges[name] = upstreams
                forward = forward and all(first[up] < i for up in upstreams)
    return edges, forward


def _check_node(r: Report, node: Mapping[str, Any], base: str, own: _Own) -> None:
    # Every rule first takes the common valid case at a glance; only a node that may break one
    # pays for the full check, which says what is wrong.
    node_type = node.get("type")
    if type(node_type) is not str or not node_type:
        if missing(node_type):
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
        _check_properties(r, properties, base)
    elif properties is not None:
        r.array(node, "properties", base)
    _check_node_settings(r, node, base)
    check_sub_job(r, node, base, own[0])
    if node.get("eventTrigger") is not None:
        check_event(r.coded(SCHEDULE_INVALID), node["eventTrigger"], f"{base}.eventTrigger")
    if node.get("cronTrigger") is not None:
        trigger = f"{base}.cronTrigger"
        check_cron(r.coded(SCHEDULE_INVALID), node["cronTrigger"], trigger, *own)


def _check_properties(r: Report, properties: list[Any], base: str) -> None:
    for j, prop in enumerate(properties):
        # The common valid property: {"name": <text>, "value": <scalar>}; anything else goes
        # through _check_property, which says what is wrong.
        if type(prop) is dict:
            name = prop.get("name")
            if type(name) is str and name and type(prop.get("value", _ABSENT)) in _SCALAR_TYPES:
                continue
        _check_property(r, prop, f"{base}.properties[{j}]")


def _check_node_settings(r: Report, node: Mapping[str, Any], base: str) -> None:
    """Retry and timeout ranges, the fail policy and execTimeOutRetry."""
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


def _plain_number(value: object) -> bool:
    """A canvas coordinate that is certainly a number (``False``: look closer)."""
    if isinstance(value, str):
        return bool(_DECIMAL.fullmatch(value))
    kind = type(value)
    return kind is int or kind is float


def _check_location(r: Report, location: object, base: str) -> None:
    if r.is_object(location, f"{base}.location", "location"):
        for axis in ("x", "y"):
            if axis in location and not is_number(location[axis]):
                message = f"location {axis} {location[axis]!r} is not a number; use e.g. '100.0'"
                r.add(f"{base}.location.{axis}", "type", message)


def _check_property(r: Report, prop: object, base: str) -> None:
    if not r.is_object(prop, base, "a node property ({name, value})"):
        return
    name = prop.get("name")
    if missing(name):
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
    r: Report, node: Mapping[str, Any], base: str, known: Mapping[str, int]
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
    _check_conditions(r, node, base, ups)
    return ups


def _check_conditions(r: Report, node: Mapping[str, Any], base: str, ups: list[str]) -> None:
    for k, cond in enumerate(r.array(node, "conditions", base)):
        field = f"{base}.conditions[{k}]"
        if not r.is_object(cond, field, "a condition ({preNodeName, expression})"):
            continue
        pre_name = cond.get("preNodeName")
        if missing(pre_name) or not isinstance(pre_name, str):
            message = "condition has no preNodeName; name the upstream node it tests"
            r.add(f"{field}.preNodeName", "required", message)
        elif pre_name not in ups:
            message = f"condition tests {pre_name!r}, which is not in preNodeName; add it or fix it"
            r.add(f"{field}.preNodeName", "node.condition", message)
        if missing(cond.get("expression")) or not isinstance(cond["expression"], str):
            message = 'condition has no expression; write e.g. #{Job.getNodeStatus("a")=="success"}'
            r.add(f"{field}.expression", "required", message)


def _check_params(r: Report, doc: Mapping[str, Any]) -> None:
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


def _check_basic_config(r: Report, config: Mapping[str, Any]) -> None:
    base = "basicConfig"
    priority = config.get("priority")
    if priority is not None and as_int(priority) not in (0, 1, 2):
        message = f"priority {priority!r} is not allowed; use 0 (high), 1 (medium) or 2 (low)"
        r.add(f"{base}.priority", "enum", message)
    if as_int(config.get("instanceTimeout")) != 0:
        r.whole(config, "instanceTimeout", base, 5, 1440, "minutes (or 0 for none)")
    r.text(config, "owner", base, OWNER_MAX)
    r.text(config, "agency", base)
    tags = config.get("tags")
    if isinstance(tags, Mapping) and not tags:
        return  # DataArts' own GET answers "no tags" as {}, so a GET -> PUT round trip sends it
    if isinstance(tags, Mapping):
        message = f"tags {tags!r} is not a list; send tag names as a list, or {{}} for none"
        r.add(f"{base}.tags", "type", message)
        return
    for k, tag in enumerate(r.array(config, "tags", base)):
        if not isinstance(tag, str) or not tag.strip():
            r.add(f"{base}.tags[{k}]", "type", f"tag {tag!r} is not a tag name; use text")
            continue
        problem = object_name_problem(tag, "tag")  # the rule PUT /tags/{name} keeps
        if problem:
            r.add(f"{base}.tags[{k}]", problem.rule, problem.message)


# --- scripts and resources --------------------------------------------------------------------


def _named_definition(r: Report, doc: object, kind: str) -> bool:
    """Whether ``doc`` is an object, so that its fields can be checked; the rule its ``name``
    breaks as a ``kind`` name is reported."""
    if not r.is_object(doc, "", f"a {kind} definition"):
        return False
    problem = object_name_problem(doc.get("name"), kind)
    if problem:
        r.add("name", problem.rule, problem.message)
    return True


def validate_script(doc: Mapping[str, Any]) -> list[Violation]:
    """Every rule the script document breaks (empty when it is valid)."""
    r = Report()
    if not _named_definition(r, doc, "script"):
        return r.items
    if missing(doc.get("type")):
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
    _check_directory_size(r, doc)
    if doc.get("configuration") is not None:
        r.is_object(doc["configuration"], "configuration", "configuration")
    return r.items


def validate_resource(doc: Mapping[str, Any]) -> list[Violation]:
    """Every rule the resource document breaks (empty when it is valid)."""
    r = Report()
    if not _named_definition(r, doc, "resource"):
        return r.items
    types = ", ".join(RESOURCE_TYPES)
    if missing(doc.get("type")):
        message = f"resource type is missing; use one of {types}"
        r.add("type", "required", message, RESOURCE_TYPE_INVALID)
    r.coded(RESOURCE_TYPE_INVALID).one_of(doc, "type", "", RESOURCE_TYPES)
    location = doc.get("location")
    if missing(location):
        message = (
            "resource location is missing; give its OBS or HDFS path, e.g. "
            "'obs://bucket/app.jar' or 'hdfs://namenode/app.jar'"
        )
        r.add("location", "required", message, RESOURCE_LOCATION_INVALID)
    elif not (isinstance(location, str) and _HDFS_PATH.fullmatch(location)):
        _check_obs_path(r, location, "location", " or hdfs://namenode/path/to/file")
    r.coded(RESOURCE_DESC_INVALID).text(doc, "desc", "", DESCRIPTION_MAX)
    for k, path in enumerate(r.coded(RESOURCE_LOCATION_INVALID).array(doc, "dependFiles", "")):
        _check_obs_path(r, path, f"dependFiles[{k}]")
    _check_depend_packages(r, doc)
    directory = doc.get("directory")
    if directory is not None and (not isinstance(directory, str) or not directory.startswith("/")):
        message = f"directory {directory!r} must be a path starting with '/', e.g. '/resources'"
        r.add("directory", "directory", message)
    _check_directory_size(r, doc)
    return r.items


def _check_directory_size(r: Report, doc: Mapping[str, Any]) -> None:
    directory = doc.get("directory")
    if isinstance(directory, str) and len(directory.encode("utf-8")) > DIRECTORY_MAX_BYTES:
        size = len(directory.encode("utf-8"))
        r.add(
            "directory",
            "length",
            f"directory is {size} bytes long (UTF-8); the limit is {DIRECTORY_MAX_BYTES} bytes: "
            "use shorter or fewer folder names",
        )


def _check_depend_packages(r: Report, doc: Mapping[str, Any]) -> None:
    """``dependPackages``: objects naming a dependent file's ``type`` and OBS ``location``."""
    for k, item in enumerate(r.array(doc, "dependPackages", "")):
        base = f"dependPackages[{k}]"
        if not r.is_object(item, base, "a dependent package ({type, location})"):
            continue
        if missing(item.get("type")):
            message = f"type is missing; use one of {', '.join(DEPEND_PACKAGE_TYPES)}"
            r.add(f"{base}.type", "required", message, RESOURCE_TYPE_INVALID)
        r.coded(RESOURCE_TYPE_INVALID).one_of(item, "type", base, DEPEND_PACKAGE_TYPES)
        _check_obs_path(r, item.get("location"), f"{base}.location")


def _check_obs_path(r: Report, value: object, field: str, alternative: str = "") -> None:
    if not isinstance(value, str) or not _OBS_PATH.fullmatch(value):
        message = f"{field} {value!r} is not an OBS path; write obs://bucket/path/to/file"
        message += f"{alternative} (bucket: 3–63 lower-case letters, digits, '-' and '.')"
        r.add(field, "obs.path", message, RESOURCE_LOCATION_INVALID)
