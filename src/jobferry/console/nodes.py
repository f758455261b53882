"""A job's nodes as the job page opens them: each node's properties (with what they name,
linked to its page), inline SQL or script text shown as code, and the node's own settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from jobferry.domain.enums import RefKind
from jobferry.domain.references import Reference

CODE_PROPERTIES = frozenset({"statement", "sql", "content", "script", "scriptContent"})
"""Node properties that carry SQL or script text inline (``statementOrScript: STATEMENT``)."""

LINKED: dict[str, str] = {
    RefKind.SCRIPT: "scripts",
    RefKind.RESOURCE: "resources",
    RefKind.JOB: "jobs",
}
"""What a named object links to: the console page of that kind."""

_SHOWN_ELSEWHERE = frozenset({"name", "type", "properties", "preNodeName", "location"})


@dataclass(frozen=True)
class NodeProperty:
    """One property: its value as text, what it names (``kind``; ``page`` and ``target``: the
    console page of that object, when it has one), and whether it is code."""

    name: str
    value: str
    kind: str = ""
    page: str = ""
    target: str = ""
    code: bool = False
    missing: bool = False
    """It names an object the workspace does not hold (no page to link to)."""


@dataclass(frozen=True)
class NodeView:
    """One node as its panel shows it."""

    name: str
    type: str
    upstream: list[str]
    properties: list[NodeProperty] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The element id of the node's panel (the graph's boxes link to it)."""
        return "node-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in self.name)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def node_views(
    raw_nodes: Any, references: list[Reference], missing: frozenset[tuple[str, str]] = frozenset()
) -> list[NodeView]:
    """The job's nodes (malformed entries skipped), with the references the job page lists
    matched to the properties that hold them (linked to their pages, but for the ``missing``
    ones: ``(kind, name)`` the workspace does not hold)."""
    named = {ref.field: ref for ref in references if ref.field}
    nodes = raw_nodes if isinstance(raw_nodes, list) else []
    views = []
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            continue
        pre = node.get("preNodeName")
        views.append(
            NodeView(
                name=node["name"],
                type=str(node.get("type") or ""),
                upstream=[p for p in pre if isinstance(p, str)] if isinstance(pre, list) else [],
                properties=_properties(index, node.get("properties"), named, missing),
                settings=[(k, _text(v)) for k, v in node.items() if k not in _SHOWN_ELSEWHERE],
            )
        )
    return views


def _properties(
    index: int, raw: Any, named: dict[str, Reference], missing: frozenset[tuple[str, str]]
) -> list[NodeProperty]:
    found = []
    for position, prop in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(prop, dict) or not isinstance(prop.get("name"), str):
            continue
        value = _text(prop.get("value", ""))
        ref = named.get(f"nodes[{index}].properties[{position}].value")
        kind = ref.kind.value if ref else ""
        page, absent = _page_of(ref, missing)
        code = prop["name"] in CODE_PROPERTIES or "\n" in value or len(value) > 120
        target = ref.name if ref and page else ""
        found.append(NodeProperty(prop["name"], value, kind, page, target, code, absent))
    return found


def _page_of(ref: Reference | None, missing: frozenset[tuple[str, str]]) -> tuple[str, bool]:
    """The console page kind a property's reference links to ("": none), and whether the
    object it names is missing from the workspace (then it links nowhere)."""
    if ref is None:
        return "", False
    if (ref.kind.value, ref.name) in missing:
        return "", True
    return ("" if ref.workspace else LINKED.get(ref.kind, "")), False
