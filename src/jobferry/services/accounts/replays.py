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
"""

from __future__ import annotations

import time

from jobferry.errors import AuthenticationError
from jobferry.storage import Database
from jobferry.storage import signatures as repo

RECORDED_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
"""Methods whose signatures are remembered."""

PRUNE_EVERY_SECONDS = 60.0
"""How often (at most) a process deletes expired signatures, on its next insert."""


class ReplayGuard:
    """Remembers accepted signatures of state-changing requests; refuses a later second use."""

    def __init__(self, db: Database, *, enabled: bool, grace_ms: int) -> None:
        self.db = db
        self.enabled = enabled
        self.grace_ms = grace_ms
        self._next_prune = 0.0

    def accept(
        self, method: str, signature: str, access_key: str, now_ms: int, expires_at: int
    ) -> None:
        """Record the verified ``signature`` of a request until ``expires_at`` (ms).

        Raises :class:`AuthenticationError` (401 ``APIGW.0301``) when it was first accepted
        more than ``grace_ms`` before ``now_ms``. Does nothing for ``GET``/``HEAD`` or when
        replay protection is off.
        """
        if not self.enabled or method.upper() not in RECORDED_METHODS:
            return
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
