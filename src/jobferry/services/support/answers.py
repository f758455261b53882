"""A per-process cache of answered reads, bounded in bytes, that serves an answer again only
while the database confirms nothing was committed since it was built.

Each entry keeps an answer (status, headers and body) with the database's change token read
*before* the read the answer came from (``storage.changes``); an entry is served only while the
database reports the same token, so a write committed by any connection of any process is seen
by the next request. Nothing here needs clearing on change: after a write every entry simply
stops matching, and the next request of each builds it again.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass

from jobferry.storage.changes import ChangeToken

ENTRY_OVERHEAD = 200
"""Bytes counted for an entry besides its answer (key, token, bookkeeping)."""


@dataclass(frozen=True)
class Answer:
    """An answer's status, headers and body, and the change token read before it was built."""

    token: Hashable
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def size(self) -> int:
        """Bytes it counts for in the cache."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + ENTRY_OVERHEAD


class AnswerCache:
    """``key -> Answer``, at most ``max_bytes`` in all (the oldest entries go first);
    ``max_bytes = 0`` keeps nothing."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: dict[Hashable, Answer] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether anything is kept at all."""
        return self.max_bytes > 0

    def get(self, key: Hashable) -> Answer | None:
        """The entry, whatever its token (the caller checks it)."""
        return self._items.get(key)

    def put(self, key: Hashable, answer: Answer) -> None:
        """Keep ``answer`` (replacing the key's entry), dropping the oldest entries to fit."""
        size = answer.size
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            while self._items and self._bytes + size > self.max_bytes:
                dropped = self._items.pop(next(iter(self._items)))
                self._bytes -= dropped.size
            self._items[key] = answer
            self._bytes += size

    def discard(self, key: Hashable, answer: Answer) -> None:
        """Forget the key's entry if it is still ``answer`` (found out of date)."""
        with self._lock:
            if self._items.get(key) is answer:
                del self._items[key]
                self._bytes -= answer.size


class ReadAnswers:
    """Answers of reads kept while the database is unchanged (see the module docstring)."""

    def __init__(self, changes: ChangeToken, max_bytes: int) -> None:
        self.changes = changes
        self.cache = AnswerCache(max_bytes)

    @property
    def enabled(self) -> bool:
        """Whether answers are kept at all."""
        return self.cache.enabled

    async def token(self) -> Hashable | None:
        """The change token now (read it before the read an answer is built from)."""
        return await self.changes.now()

    async def current(self, key: Hashable) -> Answer | None:
        """The kept answer for ``key`` when the database confirms nothing changed since it was
        built (one awaited look-up, never on the thread pool); ``None`` otherwise."""
        answer = self.cache.get(key)
        if answer is None:
            return None
        token = await self.changes.now()
        if token == answer.token:
            return answer
        if token is not None:  # changed (None: storage could not tell just now)
            self.cache.discard(key, answer)
        return None

    def keep(self, key: Hashable, answer: Answer) -> None:
        """Keep an answer built after its token was read."""
        self.cache.put(key, answer)
