"""The replay guard over a real database: atomic first use, a short grace for the SDK's
same-second repeats, expired signatures forgotten."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jobferry.errors import AuthenticationError
from jobferry.services.accounts.replays import ReplayGuard
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
