"""How the package store answers, for ``GET /health``: an S3 package store's bucket looked at
once in a while (one attempt, a couple of seconds at most), the last answer given between
looks, so that a health check polled every few seconds costs the store one call a period and
never waits for a hung store longer than one look."""

from __future__ import annotations

import threading
import time

from jobferry.errors import JobferryError
from jobferry.storage.blobs import BlobStore, S3BlobStore

EVERY_SECONDS = 30.0
"""How long an answer of the package store stands before it is looked at again."""
LOOK_SECONDS = 2.0
"""How long one look waits to connect, and as long for the answer."""


class StoreHealth:
    """The package store's state: ``local`` (the data folder, nothing to look at), ``ok`` or
    ``unavailable`` (an S3 package store whose bucket did not answer the last look)."""

    def __init__(self, store: BlobStore, every: float = EVERY_SECONDS) -> None:
        self.store = store
        self.every = every
        self._lock = threading.Lock()
        self._state: str | None = None
        self._at = 0.0

    def state(self) -> str:
        """The state, looked at again when the last look is older than ``every`` seconds
        (one caller looks; the others wait for its answer)."""
        if not isinstance(self.store, S3BlobStore):
            return "local"
        with self._lock:
            if self._state is None or time.monotonic() - self._at >= self.every:
                self._state = self._look(self.store)
                self._at = time.monotonic()
            return self._state

    @staticmethod
    def _look(store: S3BlobStore) -> str:
        try:
            store.check(LOOK_SECONDS)
        except JobferryError:
            return "unavailable"
        return "ok"
