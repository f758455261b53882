"""The shadow's bulk writes of a refresh (``services/remotes/batchwrites.py``): changed objects
in batches of 500, a name twice in one batch written once with its last value. (The writes
themselves: every refresh of ``test_refresh.py`` and ``test_shadow_writes.py``.)"""

from __future__ import annotations

from jobferry.services.remotes.batchwrites import BATCH, batches


def test_objects_are_written_a_batch_at_a_time() -> None:
    items = [(f"job_{n}", n) for n in range(BATCH * 2 + 1)]
    sizes = [len(batch) for batch in batches(items)]
    assert sizes == [BATCH, BATCH, 1]
    assert list(batches([])) == []


def test_a_name_twice_in_a_batch_keeps_its_last_value() -> None:
    assert list(batches([("a", 1), ("b", 2), ("a", 3)])) == [{"a": 3, "b": 2}]
