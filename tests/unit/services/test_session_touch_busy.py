"""A console page view is a read: on SQLite, while another transaction holds the one write lock
(an import, for as long as it runs), the session it notes as seen is not waited for. The page
is answered at once with its session; the next view once the lock is free notes it."""

from __future__ import annotations

import time

import pytest

from jobferry.services.accounts.signin import TOUCH_EVERY_MS
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.settings import Settings
from jobferry.storage import console as repo
from support.busy import write_lock_held
from support.clients import ADMIN_AK

pytestmark = pytest.mark.databases("sqlite")  # PostgreSQL writes beside an import


def last_seen(services: Services, session_id: str) -> int:
    with services.db.transaction(readonly=True) as tx:
        found = repo.get_session(tx, session_id)
    assert found is not None
    return found.last_seen


def test_a_session_due_to_be_noted_as_seen_is_answered_beside_a_held_write_lock(
    services: Services, settings: Settings
) -> None:
    admin = services.accounts.actor_for(ADMIN_AK)
    token, session = services.signin.start_session(admin)
    seen = now_ms() - TOUCH_EVERY_MS - 1_000
    with services.db.transaction() as tx:
        repo.touch_session(tx, session.id, seen)
    with write_lock_held(settings.resolved_database_url()):
        started = time.monotonic()
        found = services.signin.session(token)  # waited the 10 s busy timeout, then refused
        took = time.monotonic() - started
    assert found is not None
    assert found.id == session.id
    assert took < 2.0, took
    assert last_seen(services, session.id) == seen  # not noted: the lock was taken
    assert services.signin.session(token) is not None
    assert last_seen(services, session.id) > seen  # noted by the next view
