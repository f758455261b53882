"""A job's node graph as SVG geometry: boxes at the nodes' saved locations, arrows along
``preNodeName``. Nodes without a usable location are laid out in columns by depth."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

NODE_W, NODE_H, MARGIN = 160, 40, 20
COLUMN_GAP, ROW_GAP = 60, 24
LABEL_CELLS = 20
"""A node's box holds about 20 Latin letters of its name (13 px, bold); a Chinese, Japanese or
Korean character (East Asian wide or full-width) is drawn about twice as wide, and counts two."""


@dataclass(frozen=True)
class DagNode:
    """One node box."""

    name: str
    type: str
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class DagEdge:
    """One arrow, from an upstream node's right side to a node's left side (SVG path data)."""

    source: str
    target: str
    path: str


@dataclass(frozen=True)
class Dag:
    """Everything the template draws."""

    nodes: list[DagNode]
    edges: list[DagEdge]
    width: float
    height: float
    node_w: int = NODE_W
    node_h: int = NODE_H


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) < 1e7 else None  # NaN and absurd values


def _location(node: dict[str, Any]) -> tuple[float, float] | None:
    loc = node.get("location")
    if not isinstance(loc, dict):
        return None
    x, y = _number(loc.get("x")), _number(loc.get("y"))
    return None if x is None or y is None else (x, y)


def _depths(names: list[str], upstream: dict[str, list[str]]) -> dict[str, int]:
    depth: dict[str, int] = {}

    def visit(name: str, trail: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        parents = [p for p in upstream.get(name, []) if p in upstream and p not in trail]
        found = 1 + max((visit(p, trail | {name}) for p in parents), default=-1)
        depth[name] = found
        return found

    for name in names:
        visit(name, frozenset())
    return depth


def _cells(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _label(name: str) -> str:
    """The name, or as much of it as fits its box followed by an ellipsis."""
    if sum(map(_cells, name)) <= LABEL_CELLS:
        return name
    kept, used = [], 0
    for char in name:
        used += _cells(char)
        if used >= LABEL_CELLS:
            break
        kept.append(char)
    return "".join(kept) + "…"


def layout(raw_nodes: Any) -> Dag:
    """The drawing of a job's ``nodes`` list (tolerates malformed entries: they are skipped)."""
    nodes = _named_nodes(raw_nodes)
    upstream = {node["name"]: _upstream_of(node) for node in nodes}
    points = _points(nodes, upstream)
    if not points:
        return Dag([], [], 2 * MARGIN, 2 * MARGIN)
    min_x = min(x for x, _ in points.values())
    min_y = min(y for _, y in points.values())
    placed = {name: (x - min_x + MARGIN, y - min_y + MARGIN) for name, (x, y) in points.items()}
    types = {n["name"]: str(n.get("type") or "") for n in nodes}
    drawn = [DagNode(name, types[name], x, y, _label(name)) for name, (x, y) in placed.items()]
    edges = _edges(upstream, placed)
    width = max(x for x, _ in placed.values()) + NODE_W + MARGIN
    height = max(y for _, y in placed.values()) + NODE_H + MARGIN
    return Dag(drawn, edges, width, height)


def _named_nodes(raw_nodes: Any) -> list[dict[str, Any]]:
    listed = raw_nodes if isinstance(raw_nodes, list) else []
    return [n for n in listed if isinstance(n, dict) and isinstance(n.get("name"), str)]


def _edges(upstream: dict[str, list[str]], placed: dict[str, tuple[float, float]]) -> list[DagEdge]:
    return [
        DagEdge(parent, name, _curve(placed[parent], placed[name]))
        for name, parents in upstream.items()
        for parent in parents
        if parent in placed
    ]


def _upstream_of(node: dict[str, Any]) -> list[str]:
    pre = node.get("preNodeName")
    return [p for p in pre if isinstance(p, str)] if isinstance(pre, list) else []


def _points(
    nodes: list[dict[str, Any]], upstream: dict[str, list[str]]
) -> dict[str, tuple[float, float]]:
    """Where each node sits: its saved location when every node has one, else by depth."""
    saved = {n["name"]: _location(n) for n in nodes}
    if all(saved.values()):
        return {name: loc for name, loc in saved.items() if loc is not None}
    depth = _depths(list(upstream), upstream)
    rows: dict[int, int] = {}
    points: dict[str, tuple[float, float]] = {}
    for name in upstream:
        column = depth[name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        points[name] = (column * (NODE_W + COLUMN_GAP), row * (NODE_H + ROW_GAP))
    return points


def _curve(source: tuple[float, float], target: tuple[float, float]) -> str:
    """The SVG path of an edge from the source node's right side to the target's left."""
    x1, y1 = source[0] + NODE_W, source[1] + NODE_H / 2
    x2, y2 = target[0], target[1] + NODE_H / 2
    bend = max(30.0, abs(x2 - x1) / 2)
    return f"M{x1:g},{y1:g} C{x1 + bend:g},{y1:g} {x2 - bend:g},{y2:g} {x2:g},{y2:g}"
