"""Dependency graphs over names: topological order, cycles, closures.

A graph is given as ``edges``: each name maps to the names it depends on (its upstreams), the
same direction as a node's ``preNodeName`` or a job's ``dependJobs``. Upstream names that are not
keys of ``edges`` are allowed and treated as leaves (nothing upstream of them). Everything is
iterative and deterministic (ties broken by name), so graphs of tens of thousands of names work.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable, Mapping

Edges = Mapping[str, Iterable[str]]


class CycleError(ValueError):
    """The graph has a cycle; ``cycle`` lists its names, each an upstream of the next."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        loop = " → ".join([*cycle, cycle[0]]) if cycle else "?"
        super().__init__(f"dependency cycle: {loop}")


def _normalise(edges: Edges) -> dict[str, list[str]]:
    """Every name (keys and upstreams) → its sorted, distinct upstreams."""
    graph: dict[str, list[str]] = {}
    for name, ups in edges.items():
        graph[name] = sorted(set(ups))
    for ups in list(graph.values()):
        for up in ups:
            graph.setdefault(up, [])
    return graph


def _downstream_index(graph: Mapping[str, list[str]]) -> dict[str, list[str]]:
    down: dict[str, list[str]] = {name: [] for name in graph}
    for name, ups in graph.items():
        for up in ups:
            down[up].append(name)
    return down


def is_acyclic(edges: Edges) -> bool:
    """Whether the graph has no cycle: ``find_cycle`` without the sorting and the listing,
    for the common case (every job's node graph is checked on every save and import)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in edges:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(edges[root]))]
        while stack:
            name, ups = stack[-1]
            for up in ups:
                seen = state.get(up)
                if seen == 1:
                    return False
                if seen is None:
                    state[up] = 1
                    stack.append((up, iter(edges.get(up, ()))))
                    break
            else:
                state[name] = 2
                stack.pop()
    return True


def find_cycle(edges: Edges) -> list[str] | None:
    """One cycle of the graph, or ``None`` when it is acyclic.

    The cycle is listed so that each name is an upstream of the next and the last is an upstream
    of the first, rotated to start at its smallest name; a self-dependency is ``[name]``.
    """
    graph = _normalise(edges)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in sorted(graph):
        if state.get(root):
            continue
        path: list[str] = [root]
        iters = [iter(graph[root])]
        state[root] = 1
        while path:
            up = next(iters[-1], None)
            if up is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(up) == 1:
                # path runs downstream → upstream; the cycle is path[i:] reversed.
                found = list(reversed(path[path.index(up) :]))
                start = found.index(min(found))
                return found[start:] + found[:start]
            elif not state.get(up):
                state[up] = 1
                path.append(up)
                iters.append(iter(graph[up]))
    return None


def topological_order(edges: Edges) -> list[str]:
    """Every name, upstreams before the names that depend on them; ties broken by name.

    Raises ``CycleError`` naming one cycle when there is no such order.
    """
    graph = _normalise(edges)
    down = _downstream_index(graph)
    waiting = {name: len(ups) for name, ups in graph.items()}
    ready = [name for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for child in down[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    if len(order) < len(graph):
        cycle = find_cycle({n: graph[n] for n, count in waiting.items() if count > 0})
        raise CycleError(cycle or [])
    return order


def upstream_closure(start: Iterable[str], edges: Edges) -> set[str]:
    """The start names plus everything they depend on, directly or transitively."""
    seen = set(start)
    pending = list(seen)
    while pending:
        for up in edges.get(pending.pop(), ()):
            if up not in seen:
                seen.add(up)
                pending.append(up)
    return seen


def downstream_of(name: str, edges: Edges) -> set[str]:
    """Every name that depends on ``name`` directly or transitively (``name`` itself excluded)."""
    down = _downstream_index(_normalise(edges))
    seen: set[str] = set()
    pending = [name]
    while pending:
        for child in down.get(pending.pop(), ()):
            if child not in seen:
                seen.add(child)
                pending.append(child)
    seen.discard(name)
    return seen


def ranked_order(count: int, edges: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Nodes ``0 … count-1`` upstreams first, ties broken by number; and the nodes left over.

    ``edges`` are (node, upstream) pairs; a node's number is its rank (number the nodes in name
    order for :func:`topological_order`'s tie-breaking). The graph is held as arrays of ints, so
    100,000 jobs cost a few megabytes. The left-over nodes are on a cycle or depend on one
    (none when the graph is acyclic).
    """
    pairs = array("l")
    for node, upstream in edges:
        pairs.append(node)
        pairs.append(upstream)
    waiting = array("l", bytes(8 * count))
    fan = array("l", bytes(8 * (count + 1)))  # downstream counts, then CSR offsets
    for k in range(0, len(pairs), 2):
        waiting[pairs[k]] += 1
        fan[pairs[k + 1] + 1] += 1
    for node in range(count):
        fan[node + 1] += fan[node]
    down = array("l", bytes(8 * (len(pairs) // 2)))
    cursor = array("l", fan[:count])
    for k in range(0, len(pairs), 2):
        upstream = pairs[k + 1]
        down[cursor[upstream]] = pairs[k]
        cursor[upstream] += 1
    ready = [node for node in range(count) if waiting[node] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for at in range(fan[node], fan[node + 1]):
            child = down[at]
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    return order, [node for node in range(count) if waiting[node] > 0]
