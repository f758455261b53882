"""Access key lockout over a real database, with the clock given: the lock ends, processes
add up their counts, and a limit of 0 never locks."""

from __future__ import annotations

import pytest

from jobferry.errors import AccessKeyLockedError
from jobferry.services.accounts.lockouts import AccessKeyLockout, KeyUnlock
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from support.clients import ADMIN_AK, ADMIN_SK
from support.console import admin_actor

NOW = 1_800_000_000_000


def lockout(services: Services, max_failures: int = 3) -> AccessKeyLockout:
    """The lockout as one server process holds it (3 failures, 60 s)."""
    return AccessKeyLockout(
        services.db, services.accounts.box, max_failures=max_failures, lock_seconds=60
    )


def fail(process: AccessKeyLockout, now: int) -> None:
    attempt = process.attempt(now)
    assert attempt.secret_for(ADMIN_AK) == ADMIN_SK
    attempt.failed()


def test_failures_seen_by_two_processes_add_up_and_the_lock_ends(services: Services) -> None:
    first, second = lockout(services), lockout(services)
    fail(first, NOW)
    fail(second, NOW + 1)
    fail(first, NOW + 2)
    with pytest.raises(AccessKeyLockedError) as locked:
        second.attempt(NOW + 3).secret_for(ADMIN_AK)
    assert locked.value.context["retry_after"] == 60
    assert "(60 s from now)" in locked.value.message
    assert locked.value.context["locked_until"] in locked.value.message
    with pytest.raises(AccessKeyLockedError):
        first.attempt(NOW + 2 + 59_999).secret_for(ADMIN_AK)
    after = first.attempt(NOW + 2 + 60_000)
    assert after.secret_for(ADMIN_AK) == ADMIN_SK
    after.succeeded()
    # Counting starts afresh: two more failures do not lock.
    fail(second, NOW + 70_000)
    fail(second, NOW + 70_001)
    assert first.attempt(NOW + 70_002).secret_for(ADMIN_AK) == ADMIN_SK


def test_a_limit_of_zero_never_locks(services: Services) -> None:
    never = lockout(services, max_failures=0)
    for i in range(10):
        fail(never, NOW + i)
    assert never.attempt(NOW + 10).secret_for(ADMIN_AK) == ADMIN_SK


def test_an_unknown_key_has_no_secret_and_its_failure_is_not_counted(
    services: Services,
) -> None:
    process = lockout(services, max_failures=1)
    attempt = process.attempt(NOW)
    assert attempt.secret_for("UNKNOWNAK00000000000") is None
    attempt.failed()
    fail(process, NOW + 1)  # the admin's own first failure locks it (limit 1)
    with pytest.raises(AccessKeyLockedError):
        process.attempt(NOW + 2).secret_for(ADMIN_AK)


def test_an_admin_unlock_lifts_the_lock_at_once(services: Services) -> None:
    process = lockout(services)
    start = now_ms()  # an unlock lifts a lock running now, by the server's clock
    for step in range(3):
        fail(process, start + step)
    with pytest.raises(AccessKeyLockedError):
        process.attempt(start + 10).secret_for(ADMIN_AK)
    assert process.unlock(admin_actor(services), ADMIN_AK) == KeyUnlock(lifted=True, failures=0)
    assert process.attempt(start + 11).secret_for(ADMIN_AK) == ADMIN_SK
    assert process.unlock(admin_actor(services), "AKNOSUCHKEY") is None
