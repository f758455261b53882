"""A small time-bounded cache for per-request look-ups (credentials, scopes).

Every signed request needs the caller's secret key, user and role in the workspace; reading
them from the database costs three transactions, more than the call itself. Entries live at
most ``seconds``; the service that changes what they hold clears the cache of its own process at
once, and other processes (``JOBFERRY_WORKERS``, replicas) see the change within ``seconds``.
``seconds = 0`` turns caching off.
"""

from __future__ import annotations

import time
from contextlib import suppress
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """``key -> value`` for at most ``seconds``; at most ``max_items`` entries (the oldest go
    first). Safe to share between threads: every operation is a single dict step."""

    def __init__(self, seconds: float, max_items: int = 10_000) -> None:
        self.seconds = seconds
        self.max_items = max_items
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        """The value, or ``None`` when absent or expired."""
        found = self._items.get(key)
        if found is None:
            return None
        until, value = found
        if time.monotonic() >= until:
            self._items.pop(key, None)
            return None
        return value

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``seconds`` (nothing when caching is off)."""
        if self.seconds <= 0:
            return
        if len(self._items) >= self.max_items:
            # another thread may have emptied or changed it meanwhile
            with suppress(StopIteration, KeyError, RuntimeError):
                self._items.pop(next(iter(self._items)))
        self._items[key] = (time.monotonic() + self.seconds, value)

    def discard(self, key: K) -> None:
        """Forget one entry."""
        self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything (after a change to what the entries hold)."""
        self._items.clear()
