"""Access key lockout: too many failed signatures in a row lock the key for a while.

The API gateway locks an AK/SK pair for five minutes after five failed signatures in a row
("AK access failed to reach the limit, forbidden"); jobferry does the same with
``ak_lockout_failures`` and ``ak_lockout_seconds``. The count lives in the database, so
failures seen by several server processes add up. Only signatures that do not match an
existing key's secret count: an unknown access key just fails. A good signature resets the
count; while the lock runs even a good one is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from jobferry.errors import AccessKeyLockedError
from jobferry.services.audit import record_audit
from jobferry.services.context import Actor, now_ms
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import Database
from jobferry.storage import accounts as account_repo
from jobferry.storage import lockouts as repo
from jobferry.storage.lockouts import KeyState

log = logging.getLogger("jobferry.security")


class AccessKeyLockout:
    """Counts failed signatures per access key and refuses locked keys."""

    def __init__(
        self, db: Database, box: SecretBox, *, max_failures: int, lock_seconds: int
    ) -> None:
        self.db = db
        self.box = box
        self.max_failures = max_failures
        self.lock_ms = lock_seconds * 1000

    def attempt(self, now_ms: int) -> SignatureAttempt:
        """The bookkeeping of one request's signature check at ``now_ms``."""
        return SignatureAttempt(self, now_ms)

    def unlock(self, actor: Actor, access_key: str) -> KeyUnlock | None:
        """Lift a key's running lock (``jobferry admin unlock-key``), recorded in the audit log
        of the key's project as ``actor``'s doing; ``None`` for a key the server does not hold.
        A key not locked now (never, or its lock ran out) is left as it is, unrecorded: its
        failures in a row stay counted until its next good signature forgets them."""
        with self.db.transaction() as tx:
            held = account_repo.get_credential(tx, access_key)
            user = account_repo.get_user(tx, held.user_id) if held is not None else None
            state = repo.key_state(tx, access_key) if user is not None else None
            if user is None or state is None:
                return None
            if state.locked_until is None or state.locked_until <= now_ms():
                return KeyUnlock(lifted=False, failures=state.failures)
            repo.clear(tx, access_key)
            detail = {"accessKey": access_key}
            entry = ("credential.unlock", "user", user.name, detail)
            record_audit(tx, user.project_id, None, actor.name, *entry)
        # No log line: this runs in ``jobferry admin``, a local process with no server log,
        # where a warning printed a bare "access key … unlocked by an operator" under the
        # command's own answer. The audit log's credential.unlock is the record.
        return KeyUnlock(lifted=True, failures=0)


@dataclass(frozen=True)
class KeyUnlock:
    """What :meth:`AccessKeyLockout.unlock` did to a key it holds: whether it lifted a running
    lock, or found none (``failures``: the failed signatures in a row counted then)."""

    lifted: bool
    failures: int


class SignatureAttempt:
    """One signature check: the key looked up once, then the outcome recorded."""

    def __init__(self, lockout: AccessKeyLockout, now_ms: int) -> None:
        self.lockout = lockout
        self.now_ms = now_ms
        self.access_key: str | None = None
        self.state: KeyState | None = None

    def secret_for(self, access_key: str) -> str | None:
        """The key's secret for the signature check; None for an unknown key.

        Raises :class:`AccessKeyLockedError` while the key is locked.
        """
        with self.lockout.db.transaction(readonly=True) as tx:
            state = repo.key_state(tx, access_key)
        if state is None:
            return None
        self.access_key, self.state = access_key, state
        if state.locked_until is not None and self.now_ms < state.locked_until:
            raise self._locked(access_key, state.locked_until)
        return self.lockout.box.decrypt(state.secret_encrypted)

    def failed(self) -> str | None:
        """The signature did not match: count it, and lock the key at the limit; what the
        refusal adds (``None``: nothing is counted): how many more failures lock the key, or
        that this one locked it."""
        lockout = self.lockout
        if self.access_key is None or lockout.max_failures == 0:
            return None
        with lockout.db.transaction() as tx:
            failures = repo.count_failure(tx, self.access_key)
            locked = failures >= lockout.max_failures
            if locked:
                repo.lock(tx, self.access_key, self.now_ms + lockout.lock_ms)
        if locked:
            log.warning(
                "access key %s locked for %d s after %d failed signatures in a row",
                self.access_key,
                lockout.lock_ms // 1000,
                failures,
            )
        return self._warning(failures)

    def _warning(self, failures: int) -> str:
        lockout, key = self.lockout, self.access_key
        seconds = lockout.lock_ms // 1000
        left = lockout.max_failures - failures
        if left > 0:
            return (
                f"{left} more failed signature(s) in a row lock access key '{key}' for {seconds} s."
            )
        return (
            f"After {failures} failed signatures in a row access key '{key}' is now "
            f"locked for {seconds} s (an admin of the server can unlock it now: 'jobferry "
            f"admin unlock-key {key}')."
        )

    def succeeded(self) -> None:
        """The signature matched: forget earlier failures and an ended lock."""
        state = self.state
        if self.access_key is None or state is None:
            return
        if state.failures or state.locked_until is not None:
            with self.lockout.db.transaction() as tx:
                repo.clear(tx, self.access_key)

    def _locked(self, access_key: str, until: int) -> AccessKeyLockedError:
        wait = max(1, -(-(until - self.now_ms) // 1000))
        at = datetime.fromtimestamp(until / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return AccessKeyLockedError(
            "Incorrect IAM authentication information: AK access failed to reach the limit, "
            f"forbidden: access key '{access_key}' is locked after "
            f"{self.lockout.max_failures} failed signatures in a row until {at} ({wait} s "
            "from now); retry then with the right secret key, or ask an admin of the server to "
            f"unlock it now ('jobferry admin unlock-key {access_key}').",
            retry_after=wait,
            locked_until=at,
        )
