"""The replay guard over a real database: atomic first use, a short grace for the SDK's
same-second repeats, expired signatures forgotten."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jobferry.errors import AuthenticationError
from jobferry.services.accounts.replays import ReplayGuard, request_writes
from jobferry.services.container import Services

NOW = 1_800_000_000_000
WINDOW = 900_000
SIG_A = "a" * 64
SIG_B = "b" * 64


def guard(services: Services, grace_ms: int = 0, enabled: bool = True) -> ReplayGuard:
    """A guard as one server process holds it."""
    return ReplayGuard(services.db, enabled=enabled, grace_ms=grace_ms)


def stored(services: Services) -> list[str]:
    with services.db.engine.connect() as conn:
        return sorted(conn.execute(sa.text("SELECT signature FROM used_signatures")).scalars())


def test_a_signature_is_accepted_once_by_every_process(services: Services) -> None:
    first = guard(services)
    first.accept("POST", SIG_A, "AK", NOW, NOW + WINDOW)
    with pytest.raises(AuthenticationError) as refused:
        first.accept("post", SIG_A, "AK", NOW + 1, NOW + WINDOW)
    assert refused.value.code == "APIGW.0301"
    assert "already used" in refused.value.message
    assert "sign each request anew" in refused.value.message
    with pytest.raises(AuthenticationError):
        guard(services).accept("PUT", SIG_A, "AK", NOW + 1, NOW + WINDOW)
    assert stored(services) == [SIG_A]


def test_a_repeat_within_the_grace_of_the_first_acceptance_is_accepted(
    services: Services,
) -> None:
    lenient = guard(services, grace_ms=5_000)
    lenient.accept("POST", SIG_A, "AK", NOW, NOW + WINDOW)
    lenient.accept("POST", SIG_A, "AK", NOW + 800, NOW + WINDOW)
    guard(services, grace_ms=5_000).accept("POST", SIG_A, "AK", NOW + 5_000, NOW + WINDOW)
    with pytest.raises(AuthenticationError):
        lenient.accept("POST", SIG_A, "AK", NOW + 5_001, NOW + WINDOW)


def test_get_head_and_a_disabled_guard_record_nothing(services: Services) -> None:
    guard(services).accept("GET", SIG_A, "AK", NOW, NOW + WINDOW)
    guard(services).accept("HEAD", SIG_A, "AK", NOW, NOW + WINDOW)
    off = guard(services, enabled=False)
    off.accept("POST", SIG_A, "AK", NOW, NOW + WINDOW)
    off.accept("POST", SIG_A, "AK", NOW + 10_000, NOW + WINDOW)
    assert stored(services) == []


def test_expired_signatures_are_forgotten_on_a_later_insert(services: Services) -> None:
    guard(services).accept("POST", SIG_A, "AK", NOW, NOW + 1_000)
    later = guard(services)  # a new process prunes on its first insert
    later.accept("POST", SIG_B, "AK", NOW + 2_000, NOW + 2_000 + WINDOW)
    assert stored(services) == [SIG_B]
    # The same process does not prune again on its next inserts.
    later.accept("POST", SIG_A, "AK", NOW + 3_000, NOW + 3_500)
    later.accept("POST", "c" * 64, "AK", NOW + 4_000, NOW + 4_000 + WINDOW)
    assert stored(services) == [SIG_A, SIG_B, "c" * 64]


def _write_something(services: Services) -> None:
    with services.db.transaction() as tx:
        tx.conn.execute(sa.text("DELETE FROM used_signatures WHERE signature = 'none'"))


def test_a_request_refused_busy_that_wrote_nothing_after_its_record_gets_its_signature_back(
    services: Services,
) -> None:
    """``release`` after a busy refusal: on PostgreSQL the record is forgotten, and the same
    signed request is accepted again (once); on SQLite, where forgetting would wait for the
    write lock that refused the request, the signature stays used."""
    strict = guard(services)
    with request_writes():
        recorded = strict.accept("POST", SIG_A, "AK", NOW, NOW + WINDOW)
        assert recorded is not None
        released = strict.release(recorded)
    if services.db.dialect == "postgresql":
        assert released
        assert stored(services) == []
        strict.accept("POST", SIG_A, "AK", NOW + 1_000, NOW + WINDOW)  # sent again: accepted
        with pytest.raises(AuthenticationError):
            strict.accept("POST", SIG_A, "AK", NOW + 2_000, NOW + WINDOW)
    else:
        assert not released
        assert stored(services) == [SIG_A]


def test_a_request_that_committed_a_write_before_its_busy_refusal_keeps_its_signature_used(
    services: Services,
) -> None:
    strict = guard(services)
    with request_writes():
        recorded = strict.accept("POST", SIG_A, "AK", NOW, NOW + WINDOW)
        assert recorded is not None
        _write_something(services)  # the request's first write, committed; a later one refused
        assert not strict.release(recorded)
    assert stored(services) == [SIG_A]
    with pytest.raises(AuthenticationError):
        strict.accept("POST", SIG_A, "AK", NOW + 1_000, NOW + WINDOW)


def test_only_the_request_that_recorded_a_signature_can_release_it(services: Services) -> None:
    """A repeat within the grace recorded nothing: a busy refusal of it forgets nothing, and
    outside a request's scope (a task thread) nothing is recorded to release."""
    lenient = guard(services, grace_ms=5_000)
    lenient.accept("POST", SIG_A, "AK", NOW, NOW + WINDOW)  # outside a request scope
    with request_writes():
        assert lenient.accept("POST", SIG_A, "AK", NOW + 800, NOW + WINDOW) is None
        assert lenient.accept("GET", SIG_B, "AK", NOW, NOW + WINDOW) is None
    assert stored(services) == [SIG_A]
