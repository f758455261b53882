"""``GET /health``: liveness, the database checked, and which jobferry answers with the schema
revision it needs. It needs no signature, so it names the database's kind and whether it
answers, never where it is (host, port, user, file): the reason it does not answer goes to the
server log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import jobferry
from jobferry.errors import SecretKeyError
from jobferry.server import refusing_app
from jobferry.services.container import Services
from jobferry.storage import Database
from jobferry.storage.schema import head_revision
from support.clients import SignedClient


def test_health_names_the_version_the_schema_and_the_database_s_kind(
    api: SignedClient, services: Services
) -> None:
    answer = api.client.get("/health")  # unsigned: no authentication

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "version": jobferry.__version__,
        "schema": head_revision(),
        "packageStore": "local",
        "database": {"kind": services.db.dialect, "state": "ok"},
    }
    assert "127.0.0.1" not in answer.text
    assert "postgres@" not in answer.text
    assert ".db" not in answer.text


def _unreachable(dialect: str, tmp_path: Path) -> Database:
    """A database of that kind that cannot be reached: nothing listens on PostgreSQL's port,
    or the SQLite file is a folder."""
    if dialect == "postgresql":
        return Database("postgresql://jobferry@127.0.0.1:1/nowhere?connect_timeout=2")
    folder = tmp_path / "secret-place.db"
    folder.mkdir()
    return Database(f"sqlite:///{folder}")


def _while_away(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]
) -> Any:
    """What ``call`` answers while the services' database does not answer."""
    away = _unreachable(services.db.dialect, tmp_path)
    monkeypatch.setattr(services, "db", away)
    monkeypatch.setattr(services.accounts, "db", away)
    try:
        return call()
    finally:
        away.dispose()


def test_health_of_a_database_that_does_not_answer_says_so_and_not_where_it_is(
    api: SignedClient,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dialect = services.db.dialect
    answer = _while_away(services, tmp_path, monkeypatch, lambda: api.client.get("/health"))

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["database"] == {"kind": dialect, "state": "unavailable"}
    assert body["error_code"] == "DLF.9503"
    assert body["error_msg"].startswith(f"The database ({dialect}) does not answer")
    assert f"request id {body['request_id']}" in body["error_msg"]
    for where in ("127.0.0.1", "port", "jobferry@", "nowhere", "secret-place", str(tmp_path)):
        assert where not in answer.text
    logged = [r.getMessage() for r in caplog.records if "GET /health" in r.getMessage()]
    assert len(logged) == 1
    assert body["request_id"] in logged[0]
    assert "not available" in logged[0]  # the reason, for the operator


def test_any_call_while_the_database_does_not_answer_withholds_where_it_is(
    api: SignedClient,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Every call reads the database (the caller's key, before anything else), signed or not:
    # the driver's words (host, port, user, file) went out in its refusal to anyone.
    answer = _while_away(services, tmp_path, monkeypatch, lambda: api.call("GET", "/jobs"))

    assert answer.status_code == 503
    body = answer.json()
    assert body["error_code"] == "DLF.9503"
    assert body["error_msg"].startswith("The database is not available: check ")
    assert f"under request id {body['request_id']}" in body["error_msg"]
    for where in ("127.0.0.1", "jobferry@", "nowhere", "secret-place", str(tmp_path)):
        assert where not in answer.text
    logged = [r.getMessage() for r in caplog.records if body["request_id"] in r.getMessage()]
    assert any("The database said:" in line for line in logged)  # the reason, for the operator


def test_a_server_refusing_to_start_for_its_secret_key_answers_why_without_its_data_folder(
    tmp_path: Path,
) -> None:
    # /health needs no signature and is reached through the proxy: it answered the secret key
    # file's path on this machine (the message and "secret_key_file"), which only the log needs
    key_file = tmp_path / "srv" / "data" / "secret.key"
    refused = SecretKeyError(
        f"This database holds secrets … there is no {key_file}. Restore the secret.key …",
        secret_key_file=str(key_file),
    )
    client = TestClient(refusing_app(refused))

    for answer in (client.get("/health"), client.post("/v1/p/jobs", json={})):
        assert answer.status_code == 503
        body = answer.json()
        assert body["error_code"] == "DLF.9510"
        assert "Restore the secret.key backed up with this database" in body["error_msg"]
        assert str(tmp_path) not in answer.text
    assert client.get("/health").json()["status"] == "refusing to start"
