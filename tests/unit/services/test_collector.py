"""The collector pause: off inside, restored after, counted across threads and nesting."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.services.support.collector import (
    COLLECT_EVERY,
    collect_batch_garbage,
    collector_paused,
)


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_restored_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_restore_at_the_outermost_end() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_on_two_threads() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        pass
    second_done.set()  # the second pause ended while the first still runs
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


class _Node:
    def __init__(self) -> None:
        self.me = self


def _collect_until_gone(gone: weakref.ref[Any]) -> int:
    """Call ``collect_batch_garbage`` as bulk work does, once a batch, until ``gone`` is freed;
    how many calls that took."""
    calls = 0
    while gone() is not None:
        assert calls < COLLECT_EVERY, "a batch's garbage outlived a collection round"
        collect_batch_garbage()
        calls += 1
    return calls


def test_batch_garbage_is_freed_while_paused() -> None:
    with collector_paused():
        node = _Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None  # a cycle: reference counting alone keeps it
        _collect_until_gone(gone)
        assert not gc.isenabled()


def test_batches_collect_once_every_round() -> None:
    """A collection costs the same after one batch or several: one in COLLECT_EVERY calls."""
    assert COLLECT_EVERY > 1
    with collector_paused():
        first = _Node()
        gone = weakref.ref(first)
        del first
        _collect_until_gone(gone)  # the call that collected ends a round
        second = _Node()
        gone = weakref.ref(second)
        del second
        for _ in range(COLLECT_EVERY - 1):
            collect_batch_garbage()
        assert gone() is not None
        collect_batch_garbage()
        assert gone() is None


def test_an_in_list_statement_is_cyclic_garbage() -> None:
    """Why batches collect: each ``IN (…)`` statement built keeps its values in a cycle."""
    table = sa.table("jobs", sa.column("name"))
    values = [f"job_{i}" for i in range(3)]
    with collector_paused():
        statement = sa.select(table.c.name).where(table.c.name.in_(values))
        bound = statement.whereclause.right  # type: ignore[union-attr]
        assert bound.value == values
        held = weakref.ref(bound)
        del statement, bound
        assert held() is not None  # freed by nothing but a collection
        _collect_until_gone(held)
