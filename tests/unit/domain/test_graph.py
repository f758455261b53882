"""Dependency graphs: order, cycles, closures (edges map a name to its upstreams)."""

from __future__ import annotations

import random
import sys

import pytest

from jobferry.domain.graph import (
    CycleError,
    downstream_of,
    find_cycle,
    is_acyclic,
    topological_order,
    upstream_closure,
)


def test_topological_order_puts_upstreams_first() -> None:
    edges = {"load": ["extract"], "report": ["load", "audit"], "extract": [], "audit": []}

    order = topological_order(edges)

    assert order.index("extract") < order.index("load") < order.index("report")
    assert order.index("audit") < order.index("report")
    assert sorted(order) == ["audit", "extract", "load", "report"]


def test_topological_order_breaks_ties_by_name() -> None:
    edges = {"c": [], "a": [], "b": [], "z": ["c", "a"]}

    assert topological_order(edges) == ["a", "b", "c", "z"]


def test_topological_order_treats_unknown_upstreams_as_leaves() -> None:
    assert topological_order({"job": ["elsewhere"]}) == ["elsewhere", "job"]


def test_topological_order_raises_cycle_error_naming_the_cycle() -> None:
    edges = {"a": ["c"], "b": ["a"], "c": ["b"], "d": ["a"], "root": []}

    with pytest.raises(CycleError) as caught:
        topological_order(edges)

    assert set(caught.value.cycle) == {"a", "b", "c"}
    assert isinstance(caught.value, ValueError)
    assert "a → b → c → a" in str(caught.value)


def test_find_cycle_lists_names_in_flow_order_from_the_smallest() -> None:
    # b runs after a, c after b, a after c.
    edges = {"a": ["c"], "b": ["a"], "c": ["b"]}

    assert find_cycle(edges) == ["a", "b", "c"]


def test_find_cycle_reports_a_self_dependency() -> None:
    assert find_cycle({"a": ["a"], "b": []}) == ["a"]


def test_find_cycle_is_none_for_a_dag() -> None:
    assert find_cycle({"a": [], "b": ["a"], "c": ["a", "b"], "d": ["x"]}) is None


def test_upstream_closure_includes_start_and_transitive_upstreams() -> None:
    edges = {"report": ["load"], "load": ["extract", "dim"], "extract": [], "other": ["x"]}

    assert upstream_closure(["report"], edges) == {"report", "load", "extract", "dim"}
    assert upstream_closure([], edges) == set()


def test_upstream_closure_terminates_on_cycles() -> None:
    assert upstream_closure(["a"], {"a": ["b"], "b": ["a"]}) == {"a", "b"}


def test_downstream_of_is_transitive_and_excludes_the_name() -> None:
    edges = {"load": ["extract"], "report": ["load"], "mail": ["report"], "x": []}

    assert downstream_of("extract", edges) == {"load", "report", "mail"}
    assert downstream_of("mail", edges) == set()
    assert downstream_of("unknown", edges) == set()


def test_ten_thousand_node_chain_needs_no_recursion() -> None:
    n = 10_000
    chain = {f"n{i:05d}": [f"n{i - 1:05d}"] if i else [] for i in range(n)}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk of the chain would overflow at once
    try:
        order = topological_order(chain)
        assert find_cycle(chain) is None
        assert len(upstream_closure([f"n{n - 1:05d}"], chain)) == n
        assert len(downstream_of("n00000", chain)) == n - 1
    finally:
        sys.setrecursionlimit(limit)

    assert order[0] == "n00000"
    assert order[-1] == f"n{n - 1:05d}"


def test_cycle_in_a_ten_thousand_node_chain_is_found() -> None:
    n = 10_000
    chain = {f"n{i:05d}": [f"n{(i - 1) % n:05d}"] for i in range(n)}

    cycle = find_cycle(chain)

    assert cycle is not None
    assert len(cycle) == n
    assert cycle[0] == "n00000"
    with pytest.raises(CycleError):
        topological_order(chain)


def test_is_acyclic_agrees_with_find_cycle_on_random_graphs() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        names = [f"n{i}" for i in range(rng.randint(1, 8))]
        edges = {
            name: [rng.choice(names) for _ in range(rng.randint(0, 3))]
            + (["outside"] if rng.random() < 0.2 else [])
            for name in names
            if rng.random() < 0.9
        }
        assert is_acyclic(edges) == (find_cycle(edges) is None), edges


def test_is_acyclic_on_a_long_chain_and_a_self_loop() -> None:
    chain = {f"n{i}": [f"n{i - 1}"] for i in range(1, 20_000)}
    assert is_acyclic(chain)
    assert not is_acyclic({**chain, "n0": ["n19999"]})
    assert not is_acyclic({"a": ["a"]})
