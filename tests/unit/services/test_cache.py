"""The time-bounded cache of per-request look-ups."""

from __future__ import annotations

import time

from jobferry.services.support.cache import TtlCache


def test_values_expire_after_their_time() -> None:
    cache: TtlCache[str, int] = TtlCache(0.05)
    cache.put("a", 1)
    assert cache.get("a") == 1
    time.sleep(0.06)
    assert cache.get("a") is None


def test_zero_seconds_caches_nothing_and_clear_forgets_everything() -> None:
    off: TtlCache[str, int] = TtlCache(0)
    off.put("a", 1)
    assert off.get("a") is None
    on: TtlCache[str, int] = TtlCache(60)
    on.put("a", 1)
    on.clear()
    assert on.get("a") is None


def test_the_oldest_entry_goes_when_full() -> None:
    cache: TtlCache[int, int] = TtlCache(60, max_items=3)
    for i in range(4):
        cache.put(i, i)
    assert cache.get(0) is None
    assert [cache.get(i) for i in (1, 2, 3)] == [1, 2, 3]
