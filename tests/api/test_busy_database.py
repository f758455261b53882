"""On SQLite a long import holds the one write lock: a signed write meanwhile is told the
database is busy (503 ``DLF.9504`` with ``Retry-After``), never an internal error, and nothing
of it is written or used up: the same signed request is accepted once the lock is free, and
sent once more it is still refused as a replay."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from jobferry.settings import Settings
from support.apps import api_with
from support.builders import make_job
from support.busy import short_busy_wait, write_lock_held
from support.clients import SignedClient, assert_error, send_signed, signed_once

pytestmark = pytest.mark.databases("sqlite")  # PostgreSQL writes beside an import


@pytest.fixture
def strict_api(settings: Settings) -> Iterator[SignedClient]:
    """The app with every repeat a replay, waiting a fifth of a second for the write lock."""
    with short_busy_wait():
        yield from api_with(settings, replay_grace_seconds=0)


def test_a_signed_write_beside_a_held_write_lock_is_told_the_database_is_busy(
    strict_api: SignedClient, settings: Settings
) -> None:
    api = strict_api
    create = signed_once("POST", "/jobs", orjson.dumps(make_job("nightly")))
    with write_lock_held(settings.resolved_database_url()):
        busy = send_signed(api, create)
        assert api.call("GET", "/jobs").json()["jobs"] == []  # reads go on
    assert_error(
        busy,
        "DLF.9504",
        "The database is busy with another write",
        "an import",
        "this write was not made",
        "Try again in 1 s",
        "On PostgreSQL other writes run beside an import",
        status=503,
    )
    assert busy.headers["Retry-After"] == "1"
    assert busy.json()["retry_after"] == 1
    assert "Internal error" not in busy.text
    assert api.call("GET", "/jobs").json()["jobs"] == []
    accepted = send_signed(api, create)
    assert accepted.status_code == 204, accepted.text
    assert [job["name"] for job in api.call("GET", "/jobs").json()["jobs"]] == ["nightly"]
    assert_error(send_signed(api, create), "APIGW.0301", "already used", status=401)
