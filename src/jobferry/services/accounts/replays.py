"""Replay protection: a signed state-changing request is accepted once.

An AK/SK signature covers the method, path, query, signed headers, body and ``X-Sdk-Date``, and
stays valid while that date is within the clock-skew window. Without a record of the signatures
already accepted, whoever captured a signed ``POST`` could send it again for up to that long
(the same credentials issued twice, the same import run twice). Each accepted signature of a
``POST``, ``PUT``, ``DELETE`` or ``PATCH`` is therefore remembered in the database, shared by
every server process, until its date leaves the window; the same signature again is refused.
``GET`` and ``HEAD`` are not recorded: they change nothing, and clients retry them.

The SDK dates its signatures to the second, so a client that sends the same call twice within
one second (a duplicate create answered ``DLF.0102``, the same export twice, an import retried
after ``DLF.9014``) sends the same signature twice, and DataArts accepts both. A repeat within
``grace_ms`` of the first acceptance is therefore still accepted; later it is a replay.

A request whose signature was recorded and that was then refused because the database was busy
(``DLF.9504``: PostgreSQL cancelled its transaction at ``lock_timeout``, or for a deadlock or a
serialization failure) changed nothing when it committed no write after the record: its
record is forgotten (``release``), so the client that sends the same signed request again is
not refused as a replay. A request that committed a write before its refused one keeps its
signature used: sent again, it would repeat that write. On SQLite the refused write waited for
the one write lock, which the forgetting would wait for in turn (10 s more before the answer),
so the signature stays used there, as it is by any request refused after its record: the
client signs its next attempt anew.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass

from jobferry.errors import AuthenticationError, StorageError
from jobferry.storage import Database
from jobferry.storage import signatures as repo
from jobferry.storage.commits import Commits, counting, current

log = logging.getLogger("jobferry.security")

RECORDED_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
"""Methods whose signatures are remembered."""

PRUNE_EVERY_SECONDS = 60.0
"""How often (at most) a process deletes expired signatures, on its next insert."""


@dataclass(frozen=True)
class Recorded:
    """A signature a request recorded, and the writes its request had committed once it was
    recorded (``writes.count`` then ``mark``): whether the request wrote anything since."""

    signature: str
    accepted_at: int
    writes: Commits
    mark: int


def request_writes() -> AbstractContextManager[Commits]:
    """The scope of one request, whose committed writes are counted (``storage/commits.py``)."""
    return counting()


class ReplayGuard:
    """Remembers accepted signatures of state-changing requests; refuses a later second use."""

    def __init__(self, db: Database, *, enabled: bool, grace_ms: int) -> None:
        self.db = db
        self.enabled = enabled
        self.grace_ms = grace_ms
        self._next_prune = 0.0

    def accept(
        self, method: str, signature: str, access_key: str, now_ms: int, expires_at: int
    ) -> Recorded | None:
        """Record the verified ``signature`` of a request until ``expires_at`` (ms); what was
        recorded (``None``: nothing, a repeat within the grace or a method not recorded).

        Raises :class:`AuthenticationError` (401 ``APIGW.0301``) when it was first accepted
        more than ``grace_ms`` before ``now_ms``. Does nothing for ``GET``/``HEAD`` or when
        replay protection is off.
        """
        if not self.enabled or method.upper() not in RECORDED_METHODS:
            return None
        prune = time.monotonic() >= self._next_prune
        with self.db.transaction() as tx:
            if prune:
                repo.forget_expired_signatures(tx, now_ms)
            first = repo.remember_signature(tx, signature, access_key, now_ms, expires_at)
        if prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        if first is not None and now_ms - first > self.grace_ms:
            raise AuthenticationError(
                "Incorrect IAM authentication information: this signed request was already "
                "used; sign each request anew (a fresh X-Sdk-Date). A POST, PUT, DELETE or "
                "PATCH is accepted once (JOBFERRY_REPLAY_PROTECTION)."
            )
        writes = current()
        if first is not None or writes is None:
            return None
        return Recorded(signature, now_ms, writes, writes.count)

    def release(self, recorded: Recorded) -> bool:
        """Forget ``recorded`` once its request was refused busy, when the request committed
        no write after it (nothing of it was written) and the database writes side by side
        (PostgreSQL); whether it was forgotten. A forgetting refused in turn keeps it used."""
        if not self.db.writes_side_by_side or recorded.writes.count != recorded.mark:
            return False
        try:
            with self.db.transaction() as tx:
                return repo.forget_signature(tx, recorded.signature, recorded.accepted_at) > 0
        except StorageError as exc:  # busy again: the client signs its next attempt anew
            log.warning("a busy request's signature stays used: %s", exc.message)
            return False
