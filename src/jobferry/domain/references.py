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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple, cast

from jobferry.domain.enums import AnyRefKind, EnvironmentKind, RefKind

_ANY = None
_PLACEHOLDERS = frozenset({"-1"})


@dataclass(frozen=True)
class ReferenceRule:
    """Property ``property`` of nodes of ``node_types`` (``None`` = any type) names a ``kind``."""

    node_types: frozenset[str] | None
    property: str
    kind: AnyRefKind
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
    kind: AnyRefKind
    workspace_key: str | None = None
    when: tuple[tuple[str, str], ...] = ()
    name_only: bool = True
    documented: bool = True


class Reference(NamedTuple):
    """One occurrence of a name in a document (a named tuple: built by the thousand)."""

    kind: AnyRefKind
    name: str
    field: str
    node: str | None = None
    workspace: str | None = None


ReferenceValues = tuple[AnyRefKind, str, str, str | None, str | None]
"""A reference's plain values, how references cross to another process: pickling a named
tuple calls its Python-level ``__getnewargs__`` for each one, which made up most of the cost
of sending a batch of prepared jobs (19 of 27 ms for 500 objects; 6 ms as plain tuples)."""


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


_MRS_TYPES = _types("MRSSpark", "MapReduce", "MRSFlink", "MRSHetuEngine")

NODE_PROPERTY_RULES: tuple[ReferenceRule, ...] = (
    # Documented on SQL, Shell, CSJob, MRSFlink, MRSHetuEngine; read as "any node that has it".
    ReferenceRule(_ANY, "scriptName", RefKind.SCRIPT),
    ReferenceRule(_ANY, "connectionName", EnvironmentKind.CONNECTION),
    ReferenceRule(_ANY, "queueName", EnvironmentKind.DLI_QUEUE),  # DLISQL examples
    ReferenceRule(_types("CDMJob"), "clusterName", EnvironmentKind.CDM_CLUSTER),
    ReferenceRule(_types("CDMJob"), "jobName", EnvironmentKind.CDM_JOB),
    ReferenceRule(_MRS_TYPES, "clusterName", EnvironmentKind.MRS_CLUSTER),
    ReferenceRule(
        _types("MRSFlinkJob", "MRSSparkPython"),
        "clusterName",
        EnvironmentKind.MRS_CLUSTER,
        documented=False,
    ),
    ReferenceRule(_types("DLISpark"), "clusterName", EnvironmentKind.DLI_QUEUE),  # "= DLI queue"
    ReferenceRule(_types("DISStream"), "streamName", EnvironmentKind.DIS_STREAM),
    ReferenceRule(
        _types("DISTransferTask"), "streamName", EnvironmentKind.DIS_STREAM, documented=False
    ),
    ReferenceRule(
        _types("ImportGES", "GES"), "graphName", EnvironmentKind.GES_GRAPH, documented=False
    ),
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
        EnvironmentKind.QUALITY_RULE,
        documented=False,
    ),
    ReferenceRule(_ANY, "resourceGroup", EnvironmentKind.RESOURCE_GROUP, documented=False),
    ReferenceRule(_ANY, "resourceGroupName", EnvironmentKind.RESOURCE_GROUP, documented=False),
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
    PathRule(("schedule", "event", "channel"), EnvironmentKind.DIS_STREAM, when=_DIS_EVENT),
    *_depend_job_rules(("nodes", "*", "cronTrigger")),
    PathRule(
        ("nodes", "*", "eventTrigger", "channel"), EnvironmentKind.DIS_STREAM, when=_DIS_EVENT
    ),
    PathRule(("basicConfig", "tags", "*"), RefKind.TAG),
    PathRule(("basicConfig", "agency"), EnvironmentKind.AGENCY),
)

SCRIPT_PATH_RULES: tuple[PathRule, ...] = (
    PathRule(("connectionName",), EnvironmentKind.CONNECTION),
    PathRule(("queueName",), EnvironmentKind.DLI_QUEUE),
)

# Import ``resources[].type`` → kind. Left out on purpose: ROMA_INSTANCE, TICS_INSTANCE and
# DRS_TASK name objects no job field of the table refers to, so a replacement cannot apply.
JOB_RESOURCE_TYPE_KINDS: Mapping[str, AnyRefKind] = {
    "DWS_CONNECTION": EnvironmentKind.CONNECTION,
    "MRS_HIVE_CONNECTION": EnvironmentKind.CONNECTION,
    "MRS_SPARK_CONNECTION": EnvironmentKind.CONNECTION,
    "CDM_CLUSTER": EnvironmentKind.CDM_CLUSTER,
    "MRS_CLUSTER": EnvironmentKind.MRS_CLUSTER,
    "DIS_STREAM": EnvironmentKind.DIS_STREAM,
    "GES_GRAPH": EnvironmentKind.GES_GRAPH,
}


def _rules_by_property() -> dict[str, tuple[ReferenceRule, ...]]:
    grouped: dict[str, list[ReferenceRule]] = {}
    for rule in NODE_PROPERTY_RULES:
        grouped.setdefault(rule.property, []).append(rule)
    return {name: tuple(rules) for name, rules in grouped.items()}


# Documents are parsed JSON (dicts and lists), so the walkers test for ``dict``: the abstract
# ``Mapping`` check costs ten times more and this runs for every node of every job.
_RULES_BY_PROPERTY = _rules_by_property()


_Step = tuple[Any, Any]
"""(container, key): one step of the way from the document root to a value."""


class _Trie:
    """Path rules merged by shared prefix, so one walk of a document serves all of them."""

    __slots__ = ("children", "keys", "rules")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.rules: list[tuple[int, PathRule]] = []
        # The dict keys one of which a value must have for any rule to reach further, when
        # that is all the rules below ask (no rule ends here, no wildcard follows).
        self.keys: frozenset[str] | None = None


def _compile(rules: Iterable[PathRule]) -> _Trie:
    root = _Trie()
    for index, rule in enumerate(rules):
        trie = root
        for step in rule.path:
            trie = trie.children.setdefault(step, _Trie())
        trie.rules.append((index, rule))
    _set_keys(root)
    return root


def _set_keys(trie: _Trie) -> None:
    wild = {"*", "*?"} & set(trie.children)
    trie.keys = None if trie.rules or wild else frozenset(trie.children)
    for sub in trie.children.values():
        _set_keys(sub)


def _leaves(
    value: Any, trie: _Trie, steps: list[_Step], out: list[tuple[int, PathRule, tuple[_Step, ...]]]
) -> None:
    """Append (rule index, rule, steps) for every value a rule's path reaches from ``value``."""
    if trie.rules and steps:
        here = tuple(steps)
        for index, rule in trie.rules:
            out.append((index, rule, here))
    for step, sub in trie.children.items():
        if step == "*" or step == "*?":
            if type(value) is list:
                keys = sub.keys
                for i, item in enumerate(value):
                    # Most items lack what the rules look for (most nodes have no cronTrigger):
                    # skip them without a call.
                    if keys is not None and (type(item) is not dict or keys.isdisjoint(item)):
                        continue
                    steps.append((value, i))
                    _leaves(item, sub, steps, out)
                    steps.pop()
            elif step == "*?":
                _leaves(value, sub, steps, out)
        elif type(value) is dict and step in value:
            steps.append((value, step))
            _leaves(value[step], sub, steps, out)
            steps.pop()


# A hit: where a name sits and what it names, as a plain tuple (built by the ten thousand):
# (document order, rule group, kind, container, key, field, node, workspace). Sorting on the
# first two puts hits in document order, ties in table order (node properties first).
_Hit = tuple[tuple[int, ...], int, AnyRefKind, Any, Any, str, str | None, str | None]


def _names_object(value: object, name_only: bool) -> bool:
    if not isinstance(value, str) or not value.strip() or value in _PLACEHOLDERS:
        return False
    if "#{" in value or "${" in value:
        return False
    return not (name_only and ("://" in value or value.startswith("/")))


def _field(steps: tuple[_Step, ...]) -> str:
    parts: list[str] = []
    for _, key in steps:
        if type(key) is int:
            parts.append(f"[{key}]")
        else:
            parts.append(f".{key}" if parts else key)
    return "".join(parts)


def _order(steps: tuple[_Step, ...]) -> tuple[int, ...]:
    return tuple(
        key if type(key) is int else list(container).index(key) for container, key in steps
    )


def _node_of(steps: tuple[_Step, ...]) -> str | None:
    """The node a value belongs to, when its path runs through ``nodes[i]``."""
    if len(steps) > 1 and steps[0][1] == "nodes" and type(steps[1][1]) is int:
        node = steps[1][0][steps[1][1]]
        name = node.get("name") if type(node) is dict else None
        return name if isinstance(name, str) else None
    return None


def _path_hits(doc: Mapping[str, Any], trie: _Trie) -> list[_Hit]:
    leaves: list[tuple[int, PathRule, tuple[_Step, ...]]] = []
    _leaves(doc, trie, [], leaves)
    hits: list[_Hit] = []
    for index, rule, steps in leaves:
        container, key = steps[-1]
        if rule.when and not (
            type(container) is dict and any(container.get(k) == v for k, v in rule.when)
        ):
            continue
        if not _names_object(container[key], rule.name_only):
            continue
        workspace = None
        if rule.workspace_key and type(key) is str:
            ws = container.get(rule.workspace_key) or container.get(rule.workspace_key + "Id")
            workspace = ws if isinstance(ws, str) and ws else None
        field = _field(steps)
        hits.append(
            (_order(steps), index + 1, rule.kind, container, key, field, _node_of(steps), workspace)
        )
    return hits


def _property_hits(doc: Mapping[str, Any]) -> list[_Hit]:
    hits: list[_Hit] = []
    nodes = doc.get("nodes")
    if type(nodes) is not list:
        return hits
    top = list(doc).index("nodes")
    rules_for = _RULES_BY_PROPERTY.get
    for i, node in enumerate(nodes):
        if type(node) is not dict:
            continue
        properties = node.get("properties")
        if type(properties) is not list:
            continue
        node_type, name = node.get("type"), node.get("name")
        node_name = name if isinstance(name, str) else None
        at = list(node).index("properties")
        for j, prop in enumerate(properties):
            if type(prop) is not dict:
                continue
            key = prop.get("name")
            rules = rules_for(key) if type(key) is str else None  # validation names the rest
            if rules is None or "value" not in prop:
                continue
            value = prop["value"]
            for rule in rules:
                if rule.node_types is not None and node_type not in rule.node_types:
                    continue
                if not _names_object(value, rule.name_only):
                    continue
                # (top, i, at, j) orders the hit: a property holds one value, so where "value"
                # sits inside it never decides between two hits.
                field = f"nodes[{i}].properties[{j}].value"
                hits.append(((top, i, at, j), 0, rule.kind, prop, "value", field, node_name, None))
    return hits


_JOB_TRIE = _compile(JOB_PATH_RULES)
_SCRIPT_TRIE = _compile(SCRIPT_PATH_RULES)
_by_place = itemgetter(0, 1)
_new_reference = tuple.__new__


def _job_hits(doc: Mapping[str, Any]) -> list[_Hit]:
    hits = _property_hits(doc)
    hits += _path_hits(doc, _JOB_TRIE)
    hits.sort(key=_by_place)
    return hits


def _references(hits: list[_Hit]) -> list[Reference]:
    # tuple.__new__ skips the Python-level __new__ a NamedTuple class has: same object, faster.
    return [
        _new_reference(Reference, (kind, container[key], field, node, workspace))
        for _, _, kind, container, key, field, node, workspace in hits
    ]


def values_of(refs: Iterable[Reference]) -> list[ReferenceValues]:
    """References as plain values (see :data:`ReferenceValues`)."""
    return cast("list[ReferenceValues]", [tuple(ref) for ref in refs])


def references_of(values: Iterable[ReferenceValues]) -> list[Reference]:
    """The references of their plain values (see :data:`ReferenceValues`)."""
    return [_new_reference(Reference, value) for value in values]


def job_references(doc: Mapping[str, Any]) -> list[Reference]:
    """Every name the job document refers to, one entry per occurrence, in document order."""
    return _references(_job_hits(doc))


def script_references(doc: Mapping[str, Any]) -> list[Reference]:
    """The connection and DLI queue a script document names."""
    return _references(_path_hits(doc, _SCRIPT_TRIE))


def first_occurrences(refs: Iterable[Reference]) -> list[Reference]:
    """The first reference to each (kind, name, workspace), in document order."""
    first: dict[tuple[AnyRefKind, str, str | None], Reference] = {}
    for ref in refs:
        first.setdefault((ref.kind, ref.name, ref.workspace), ref)
    return list(first.values())


def distinct_references(refs: Iterable[Reference]) -> list[tuple[AnyRefKind, str, str | None]]:
    """Each (kind, name, workspace) once, in the order of first occurrence."""
    return [(ref.kind, ref.name, ref.workspace) for ref in first_occurrences(refs)]


def _thaw(value: Any) -> Any:
    """A deep copy made of plain dicts and lists, key order kept."""
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(item) for item in value]
    return value


def rename_references(
    doc: Mapping[str, Any], renames: Mapping[tuple[AnyRefKind, str], str], local: Iterable[str] = ()
) -> dict[str, Any]:
    """A deep copy of the job ``doc`` with every reference in ``renames`` (kind, old name → new
    name) rewritten. Only values the reference table finds are touched; key order and every
    other value stay as they were. Jobs in other workspaces are different objects and never
    renamed (one naming its own workspace, ``local``: its name or id)."""
    copy: dict[str, Any] = _thaw(doc)
    own = tuple(local)
    for _, _, kind, container, key, _, _, workspace in _job_hits(copy):
        if workspace is not None and workspace not in own:
            continue
        new = renames.get((kind, container[key]))
        if new is not None:
            container[key] = new
    return copy


_WORKSPACE_RULES = _compile(r for r in JOB_PATH_RULES if r.workspace_key)


def rename_workspaces(doc: dict[str, Any], renames: Mapping[str, str]) -> int:
    """Rewrite, IN PLACE, the workspace names of cross-workspace dependencies; returns how many.

    Only the name key (``workSpace``) is rewritten: a ``workSpaceId`` is an id of the source
    environment and is dropped when the name is renamed, since it cannot be right in the target.
    """
    count = 0
    leaves: list[tuple[int, PathRule, tuple[_Step, ...]]] = []
    _leaves(doc, _WORKSPACE_RULES, [], leaves)
    for _, rule, steps in leaves:
        key = rule.workspace_key
        assert key is not None
        item = steps[-1][0]
        old = item.get(key) if isinstance(item, dict) else None
        if isinstance(old, str) and old in renames:
            item[key] = renames[old]
            item.pop(key + "Id", None)
            count += 1
    return count
