"""The reference table: which field of a job (or script) names which kind of object.

This module is the ONE place that says so. Checks, export closure, environment mapping and
import renames all go through ``job_references`` / ``rename_references``; nothing else in
jobferry may know that ``clusterName`` on a ``CDMJob`` names a CDM cluster.

Two tables, both plain data:

* ``NODE_PROPERTY_RULES`` — a node property (``{"name": ..., "value": ...}`` in
  ``nodes[].properties``) on some node types names an object.
* ``JOB_PATH_RULES`` / ``SCRIPT_PATH_RULES`` — a path in the document (``*`` = every element of
  a list, ``*?`` = every element when it is a list, the value itself otherwise) names an object.

Each row says whether DataArts documents it (``documented=True``: the API reference's node
property table, its examples, or the ``JobResourceInfo`` mapping of the import API) or whether it
is jobferry's reading of node types and fields the reference does not describe
(``documented=False``). Values that cannot name an object are skipped: empty values, the ``-1``
"no cluster" placeholder, values holding EL expressions (``#{...}``, ``${...}``), and — for
``name_only`` rows — paths and URLs (``obs://...``, ``/dir/file``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from jobferry.domain.enums import RefKind

_ANY = None
_PLACEHOLDERS = frozenset({"-1"})


@dataclass(frozen=True)
class ReferenceRule:
    """Property ``property`` of nodes of ``node_types`` (``None`` = any type) names a ``kind``."""

    node_types: frozenset[str] | None
    property: str
    kind: RefKind
    name_only: bool = True
    documented: bool = True


@dataclass(frozen=True)
class PathRule:
    """The value at ``path`` names a ``kind``.

    ``workspace_key``: a sibling key holding the workspace the name lives in (other-workspace
    dependencies), falling back to ``<workspace_key>Id`` when only the id is given.
    ``when``: (sibling key, value) pairs of which at least one must hold.
    """

    path: tuple[str, ...]
    kind: RefKind
    workspace_key: str | None = None
    when: tuple[tuple[str, str], ...] = ()
    name_only: bool = True
    documented: bool = True


class Reference(NamedTuple):
    """One occurrence of a name in a document (a named tuple: built by the thousand)."""

    kind: RefKind
    name: str
    field: str
    node: str | None = None
    workspace: str | None = None


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


_MRS_TYPES = _types("MRSSpark", "MapReduce", "MRSFlink", "MRSHetuEngine")

NODE_PROPERTY_RULES: tuple[ReferenceRule, ...] = (
    # Documented on SQL, Shell, CSJob, MRSFlink, MRSHetuEngine; read as "any node that has it".
    ReferenceRule(_ANY, "scriptName", RefKind.SCRIPT),
    ReferenceRule(_ANY, "connectionName", RefKind.CONNECTION),
    ReferenceRule(_ANY, "queueName", RefKind.DLI_QUEUE),  # DLISQL examples
    ReferenceRule(_types("CDMJob"), "clusterName", RefKind.CDM_CLUSTER),
    ReferenceRule(_types("CDMJob"), "jobName", RefKind.CDM_JOB),
    ReferenceRule(_MRS_TYPES, "clusterName", RefKind.MRS_CLUSTER),
    ReferenceRule(
        _types("MRSFlinkJob", "MRSSparkPython"),
        "clusterName",
        RefKind.MRS_CLUSTER,
        documented=False,
    ),
    ReferenceRule(_types("DLISpark"), "clusterName", RefKind.DLI_QUEUE),  # "= DLI queue"
    ReferenceRule(_types("DISStream"), "streamName", RefKind.DIS_STREAM),
    ReferenceRule(_types("DISTransferTask"), "streamName", RefKind.DIS_STREAM, documented=False),
    ReferenceRule(_types("ImportGES", "GES"), "graphName", RefKind.GES_GRAPH, documented=False),
    ReferenceRule(_ANY, "resourceName", RefKind.RESOURCE, documented=False),
    # resourcePath is documented; that a bare (non-path) value names a resource is our reading.
    ReferenceRule(
        _types("MRSSpark", "MapReduce", "DLISpark", "MRSFlink"),
        "resourcePath",
        RefKind.RESOURCE,
        documented=False,
    ),
    ReferenceRule(_types("SubJob"), "subJobName", RefKind.JOB, documented=False),
    ReferenceRule(_types("SubJob"), "jobName", RefKind.JOB, documented=False),
    ReferenceRule(
        _types("DataQualityMonitor", "DQMJob"),
        "qualityRuleName",
        RefKind.QUALITY_RULE,
        documented=False,
    ),
    ReferenceRule(_ANY, "resourceGroup", RefKind.RESOURCE_GROUP, documented=False),
    ReferenceRule(_ANY, "resourceGroupName", RefKind.RESOURCE_GROUP, documented=False),
)


def _depend_job_rules(anchor: tuple[str, ...]) -> tuple[PathRule, ...]:
    """Rows for a ``dependJobs`` block (an object, or the legacy list) under ``anchor``."""
    depend = (*anchor, "dependJobs")
    return (
        PathRule((*depend, "*?", "jobs", "*"), RefKind.JOB),
        PathRule((*depend, "*"), RefKind.JOB, documented=False),  # legacy list of names
        PathRule((*depend, "*?", "sameWorkSpaceJobs", "*", "jobName"), RefKind.JOB),
        PathRule(
            (*depend, "*?", "otherWorkSpaceJobs", "*", "jobName"),
            RefKind.JOB,
            workspace_key="workSpace",
        ),
    )


_DIS_EVENT = (("eventType", "DIS"), ("engineType", "DIS"))

JOB_PATH_RULES: tuple[PathRule, ...] = (
    *_depend_job_rules(("schedule", "cron")),
    PathRule(("schedule", "event", "channel"), RefKind.DIS_STREAM, when=_DIS_EVENT),
    *_depend_job_rules(("nodes", "*", "cronTrigger")),
    PathRule(("nodes", "*", "eventTrigger", "channel"), RefKind.DIS_STREAM, when=_DIS_EVENT),
    PathRule(("basicConfig", "tags", "*"), RefKind.TAG),
    PathRule(("basicConfig", "agency"), RefKind.AGENCY),
)

SCRIPT_PATH_RULES: tuple[PathRule, ...] = (
    PathRule(("connectionName",), RefKind.CONNECTION),
    PathRule(("queueName",), RefKind.DLI_QUEUE),
)

# Import ``resources[].type`` → kind. Left out on purpose: ROMA_INSTANCE, TICS_INSTANCE and
# DRS_TASK name objects no job field of the table refers to, so a replacement cannot apply.
JOB_RESOURCE_TYPE_KINDS: Mapping[str, RefKind] = {
    "DWS_CONNECTION": RefKind.CONNECTION,
    "MRS_HIVE_CONNECTION": RefKind.CONNECTION,
    "MRS_SPARK_CONNECTION": RefKind.CONNECTION,
    "CDM_CLUSTER": RefKind.CDM_CLUSTER,
    "MRS_CLUSTER": RefKind.MRS_CLUSTER,
    "DIS_STREAM": RefKind.DIS_STREAM,
    "GES_GRAPH": RefKind.GES_GRAPH,
}


def _rules_by_property() -> dict[str, tuple[ReferenceRule, ...]]:
    grouped: dict[str, list[ReferenceRule]] = {}
    for rule in NODE_PROPERTY_RULES:
        grouped.setdefault(rule.property, []).append(rule)
    return {name: tuple(rules) for name, rules in grouped.items()}


# Documents are parsed JSON (dicts and lists), so the walkers test for ``dict``: the abstract
# ``Mapping`` check costs ten times more and this runs for every node of every job.
_RULES_BY_PROPERTY = _rules_by_property()


class _Hit(NamedTuple):
    """Where a value sits: its container and key, so it can be read or rewritten."""

    container: Any
    key: Any
    field: str
    order: tuple[int, ...]
    node: str | None
    workspace: str | None


def _names_object(value: object, name_only: bool) -> bool:
    if not isinstance(value, str) or not value.strip() or value in _PLACEHOLDERS:
        return False
    if "#{" in value or "${" in value:
        return False
    return not (name_only and ("://" in value or value.startswith("/")))


def _walk(
    value: Any, steps: tuple[str, ...], hit: _Hit, parent: Any, rule: PathRule
) -> Iterator[_Hit]:
    """Follow ``steps`` from ``value``; yield a hit for each value the path reaches."""
    if not steps:
        if not rule.when or (
            isinstance(parent, dict) and any(parent.get(k) == v for k, v in rule.when)
        ):
            yield hit
        return
    step, rest = steps[0], steps[1:]
    if step in ("*", "*?"):
        if isinstance(value, list):
            # Most items lack the next key (most nodes have no cronTrigger): skip them before
            # building anything for them.
            probe = rest[0] if rest and rest[0] not in ("*", "*?") else None
            for i, item in enumerate(value):
                if probe is not None and not (isinstance(item, dict) and probe in item):
                    continue
                node = hit.node
                if hit.field == "nodes" and isinstance(item, dict):
                    name = item.get("name")
                    node = name if isinstance(name, str) else None
                sub = _Hit(value, i, f"{hit.field}[{i}]", (*hit.order, i), node, hit.workspace)
                yield from _walk(item, rest, sub, value, rule)
        elif step == "*?":
            yield from _walk(value, rest, hit, parent, rule)
        return
    if not isinstance(value, dict) or step not in value:
        return
    workspace = hit.workspace
    if rule.workspace_key and not rest:
        ws = value.get(rule.workspace_key) or value.get(rule.workspace_key + "Id")
        workspace = ws if isinstance(ws, str) and ws else None
    position = list(value).index(step)
    field = f"{hit.field}.{step}" if hit.field else step
    sub = _Hit(value, step, field, (*hit.order, position), hit.node, workspace)
    yield from _walk(value[step], rest, sub, value, rule)


def _path_hits(doc: Mapping[str, Any], rules: Iterable[PathRule]) -> Iterator[tuple[_Hit, RefKind]]:
    root = _Hit(None, None, "", (), None, None)
    for rule in rules:
        for hit in _walk(doc, rule.path, root, None, rule):
            if _names_object(hit.container[hit.key], rule.name_only):
                yield hit, rule.kind


def _property_hits(doc: Mapping[str, Any]) -> Iterator[tuple[_Hit, RefKind]]:
    nodes = doc.get("nodes")
    if not isinstance(nodes, list):
        return
    top = list(doc).index("nodes")
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("properties"), list):
            continue
        node_type, name = node.get("type"), node.get("name")
        at = (top, i, list(node).index("properties"))
        for j, prop in enumerate(node["properties"]):
            if not isinstance(prop, dict) or "value" not in prop:
                continue
            for rule in _RULES_BY_PROPERTY.get(prop.get("name"), ()):  # type: ignore[arg-type]
                if rule.node_types is not None and node_type not in rule.node_types:
                    continue
                if not _names_object(prop["value"], rule.name_only):
                    continue
                field = f"nodes[{i}].properties[{j}].value"
                order = (*at, j, list(prop).index("value"))
                node_name = name if isinstance(name, str) else None
                yield _Hit(prop, "value", field, order, node_name, None), rule.kind


def _job_hits(doc: Mapping[str, Any]) -> list[tuple[_Hit, RefKind]]:
    hits = [*_property_hits(doc), *_path_hits(doc, JOB_PATH_RULES)]
    hits.sort(key=lambda pair: pair[0].order)
    return hits


def _as_reference(hit: _Hit, kind: RefKind) -> Reference:
    return Reference(kind, hit.container[hit.key], hit.field, hit.node, hit.workspace)


def job_references(doc: Mapping[str, Any]) -> list[Reference]:
    """Every name the job document refers to, one entry per occurrence, in document order."""
    return [_as_reference(hit, kind) for hit, kind in _job_hits(doc)]


def script_references(doc: Mapping[str, Any]) -> list[Reference]:
    """The connection and DLI queue a script document names."""
    return [_as_reference(hit, kind) for hit, kind in _path_hits(doc, SCRIPT_PATH_RULES)]


def distinct_references(refs: Iterable[Reference]) -> list[tuple[RefKind, str, str | None]]:
    """Each (kind, name, workspace) once, in the order of first occurrence."""
    return list(dict.fromkeys((ref.kind, ref.name, ref.workspace) for ref in refs))


def _thaw(value: Any) -> Any:
    """A deep copy made of plain dicts and lists, key order kept."""
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(item) for item in value]
    return value


def rename_references(
    doc: Mapping[str, Any], renames: Mapping[tuple[RefKind, str], str]
) -> dict[str, Any]:
    """A deep copy of the job ``doc`` with every reference in ``renames`` rewritten.

    ``renames`` maps (kind, old name) to the new name. Only values the reference table finds are
    touched; key order and every other value stay as they were. Jobs in other workspaces are
    different objects and are never renamed.
    """
    copy: dict[str, Any] = _thaw(doc)
    for hit, kind in _job_hits(copy):
        if hit.workspace is not None:
            continue
        new = renames.get((kind, hit.container[hit.key]))
        if new is not None:
            hit.container[hit.key] = new
    return copy


_WORKSPACE_RULES = tuple(r for r in JOB_PATH_RULES if r.workspace_key)


def rename_workspaces(doc: dict[str, Any], renames: Mapping[str, str]) -> int:
    """Rewrite, IN PLACE, the workspace names of cross-workspace dependencies; returns how many.

    Only the name key (``workSpace``) is rewritten: a ``workSpaceId`` is an id of the source
    environment and is dropped when the name is renamed, since it cannot be right in the target.
    """
    count = 0
    root = _Hit(None, None, "", (), None, None)
    for rule in _WORKSPACE_RULES:
        key = rule.workspace_key
        assert key is not None
        for hit in _walk(doc, rule.path, root, None, rule):
            item = hit.container
            old = item.get(key) if isinstance(item, dict) else None
            if isinstance(old, str) and old in renames:
                item[key] = renames[old]
                item.pop(key + "Id", None)
                count += 1
    return count
