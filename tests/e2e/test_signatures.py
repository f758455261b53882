"""Signature rules that span server processes: two real servers on one PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from jobferry.signing import sign_request
from support.databases import fresh_schema_url
from support.server import ServerProcess, new_user, start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SECRET_KEY = "bvPyMzgdDHj1dxdY4C7h6K1xzvZi1-tPzd1nnfQcqL8="


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """One PostgreSQL schema for both servers."""
    yield from fresh_schema_url()


@pytest.fixture(scope="module")
def two_servers(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two servers on one database, shared by the module's tests: a replay is of one signed
    request, and the lock falls on a user's key of its own, so neither test disturbs the
    other. The module runs on one worker (``support/scheduling.py``)."""
    # No grace: a repeat is a replay however soon it comes (the default grace is 5 s).
    env = {"JOBFERRY_SECRET_KEY": SECRET_KEY, "JOBFERRY_REPLAY_GRACE_SECONDS": "0"}
    first = start_server(tmp_path_factory.mktemp("a"), database, **env)
    try:
        second = start_server(tmp_path_factory.mktemp("b"), database, **env)
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def signed_post(server: ServerProcess, path: str) -> tuple[str, dict[str, str]]:
    """A body-less POST signed once as the admin: (raw path, headers) to send as they are."""
    raw_path = f"/v1/{server.project_id}{path}"
    headers = {
        "Host": server.url.removeprefix("http://"),
        "Content-Type": "application/json",
        "X-Project-Id": server.project_id,
    }
    headers.update(sign_request("POST", raw_path, "", headers, b"", server.ak, server.sk))
    return raw_path, headers


def access_keys_of(server: ServerProcess, user: str) -> list[str]:
    users = server.call("GET", "/users").json()["users"]
    keys: list[str] = next(u["accessKeys"] for u in users if u["name"] == user)
    return keys


def test_a_request_accepted_by_one_server_is_refused_as_a_replay_by_the_other(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = two_servers
    new_user(first, "viewer")
    raw_path, headers = signed_post(first, "/users/viewer/credentials")
    issued = requests.post(first.url + raw_path, headers=headers, timeout=30)
    assert issued.status_code == 200, issued.text
    for server in (second, first):
        replayed = requests.post(server.url + raw_path, headers=headers, timeout=30)
        assert replayed.status_code == 401, replayed.text
        assert replayed.json()["error_code"] == "APIGW.0301"
        assert "this signed request was already used" in replayed.json()["error_msg"]
    assert access_keys_of(second, "viewer") == [issued.json()["accessKey"]]


def test_failed_signatures_on_two_servers_add_up_to_one_lock(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = two_servers
    new_user(first, "dave")
    issued = first.call("POST", "/users/dave/credentials").json()
    ak, sk = issued["accessKey"], issued["secretKey"]
    for server in (first, second, first, second, first):
        wrong = server.call("GET", "/jobs", ak=ak, sk="not-the-secret-key")
        assert wrong.status_code == 401, wrong.text
        assert "verify aksk signature fail" in wrong.json()["error_msg"]
    for server in (second, first):
        locked = server.call("GET", "/workspaces", ak=ak, sk=sk)
        assert locked.status_code == 401, locked.text
        assert "AK access failed to reach the limit" in locked.json()["error_msg"]
    assert first.call("GET", "/workspaces").status_code == 200
