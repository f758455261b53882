"""A per-process cache of answered ``show_job`` documents, bounded in bytes.

Each entry keeps the answer's bytes with the version token storage read beside the row
(``storage.jobreads``); an entry is served only while storage reports the same token, so a
write committed by any connection of any process is seen by the next request. Nothing here
needs clearing on change: a changed job simply stops matching.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass

ENTRY_OVERHEAD = 200
"""Bytes counted for an entry besides its answer (key, token, bookkeeping)."""


@dataclass(frozen=True)
class Answer:
    """An answer's bytes and the token of the read they were built from."""

    token: Hashable
    body: bytes


class AnswerCache:
    """``(workspace id, job name) -> Answer``, at most ``max_bytes`` in all (the oldest entries
    go first); ``max_bytes = 0`` keeps nothing."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: dict[tuple[str, str], Answer] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether anything is kept at all."""
        return self.max_bytes > 0

    def get(self, key: tuple[str, str]) -> Answer | None:
        """The entry, whatever its token (the caller checks it)."""
        return self._items.get(key)

    def put(self, key: tuple[str, str], answer: Answer) -> None:
        """Keep ``answer`` (replacing the key's entry), dropping the oldest entries to fit."""
        size = len(answer.body) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + ENTRY_OVERHEAD
            while self._items and self._bytes + size > self.max_bytes:
                dropped = self._items.pop(next(iter(self._items)))
                self._bytes -= len(dropped.body) + ENTRY_OVERHEAD
            self._items[key] = answer
            self._bytes += size

    def discard(self, key: tuple[str, str], answer: Answer) -> None:
        """Forget the key's entry if it is still ``answer`` (found out of date)."""
        with self._lock:
            if self._items.get(key) is answer:
                del self._items[key]
                self._bytes -= len(answer.body) + ENTRY_OVERHEAD
