"""A signed read answered from memory in the middleware (api/fastpath.py) is the ordinary
route's answer byte for byte, for every kept read (show and list of jobs, scripts and
resources); whatever it cannot answer (errors, refusals, routes that are not kept) the route
answers as it always did, and a write by anyone is seen by the next read. Every case is sent to
this app and to one over the same database with the read cache off (JOBFERRY_READ_CACHE_MB=0:
no fast path), and compared."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from jobferry.api import fastpath
from jobferry.api.app import create_app
from jobferry.domain.enums import Role
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.container import Services
from jobferry.services.support.answers import Answer
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.tasks.runner import TaskRunner
from support.builders import make_job, make_resource, make_script
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient, assert_error
from support.console import PASSWORD, make_user
from support.importing import connected_workspace

Send = Callable[[SignedClient], Any]
KEPT = ("show_job", "show_script", "show_resource", "list_jobs", "list_scripts", "list_resources")


@pytest.fixture
def plain(settings: Settings, services: Services) -> Iterator[SignedClient]:
    """An app of its own (not the process's shared one) over the same database, with the read
    cache, and so the fast path, off."""
    db = Database(settings.resolved_database_url())
    other = Services.build(settings.model_copy(update={"read_cache_mb": 0}), db)
    app = create_app(other, TaskRunner(other))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield SignedClient(client, ADMIN_AK, ADMIN_SK)
    db.dispose()


class Replayed(list[bytes]):
    """The bodies this process's app answered from memory. On SQLite only the test writes, so
    the answers kept are exactly those expected; on PostgreSQL the change token is the
    cluster's, and another test process writing anywhere in it makes a kept answer look out of
    date (answered the ordinary way: never wrong, sometimes not from memory), so there every
    body answered from memory must be one expected, in order, and none may be missing unless
    the cluster was written to meanwhile."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.started = asyncio.run(services.answers.token())

    def exactly(self, *expected: bytes) -> None:
        if self.services.db.dialect == "sqlite":
            assert list(self) == list(expected)
            return
        assert all(body in expected for body in self)
        if asyncio.run(self.services.answers.token()) == self.started:
            assert list(self) == list(expected)


@pytest.fixture
def from_memory(monkeypatch: pytest.MonkeyPatch, services: Services) -> Replayed:
    """What this process's app answered from memory."""
    replayed = Replayed(services)
    original = fastpath._replay

    async def counting(answer: Answer, send: Any) -> None:
        replayed.append(answer.body)
        await original(answer, send)

    monkeypatch.setattr(fastpath, "_replay", counting)
    return replayed


def answer(response: Any) -> tuple[int, dict[str, str], Any]:
    """What must be equal both ways: status, the headers that matter, the body (an error's
    request id aside)."""
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    assert len(response.headers["x-request-id"]) == 32
    body = response.content
    if response.status_code >= 400:
        body = orjson.loads(body)
        body.pop("request_id")
    return response.status_code, headers, body


def same_both_ways(api: SignedClient, plain: SignedClient, send: Send) -> Any:
    """Send twice to each app (the first call warms the caches), compare all four."""
    first, second = send(api), send(api)
    assert answer(first) == answer(second) == answer(send(plain)) == answer(send(plain))
    return second


def show(client: SignedClient) -> Any:
    return client.call("GET", "/jobs/daily_sales")


def test_a_plain_show_job_from_memory_is_the_routes_answer_byte_for_byte(
    api: SignedClient, plain: SignedClient, from_memory: Replayed
) -> None:
    api.call("POST", "/jobs", make_job())
    response = same_both_ways(api, plain, show)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.content)["name"] == "daily_sales"
    from_memory.exactly(response.content)  # the second call was answered from memory


def test_a_missing_job_is_the_dataarts_error_either_way(
    api: SignedClient, plain: SignedClient
) -> None:
    response = same_both_ways(api, plain, lambda c: c.call("GET", "/jobs/no_such_job"))
    assert_error(response, "DLF.0100", "no_such_job")


def test_a_job_deleted_elsewhere_is_not_answered_from_memory(
    api: SignedClient, plain: SignedClient, from_memory: Replayed
) -> None:
    api.call("POST", "/jobs", make_job())
    show(api), show(api)
    assert plain.call("DELETE", "/jobs/daily_sales").status_code == 204
    assert_error(show(api), "DLF.0100", "daily_sales")
    assert len(from_memory) <= 1


def test_a_job_changed_elsewhere_is_shown_changed(api: SignedClient, plain: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    show(api), show(api)
    plain.call("PUT", "/jobs/daily_sales", make_job(description="changed by another process"))
    assert show(api).json()["description"] == "changed by another process"
    assert answer(show(api)) == answer(show(plain))


def test_an_unsigned_request_is_refused_alike_either_way(
    api: SignedClient, plain: SignedClient
) -> None:
    api.call("POST", "/jobs", make_job())
    show(api), show(api)
    path = f"/v1/{api.project_id}/jobs/daily_sales"
    refusals = [c.client.get(path) for c in (api, plain)]
    assert answer(refusals[0]) == answer(refusals[1])
    assert refusals[0].status_code == 401


def test_a_badly_signed_request_is_refused_alike_either_way(
    api: SignedClient, plain: SignedClient
) -> None:
    api.call("POST", "/jobs", make_job())
    show(api), show(api)
    forged = [SignedClient(c.client, c.ak, "not-the-secret-key") for c in (api, plain)]
    refusals = [show(c) for c in forged]
    # one access key: the second failure is one nearer its lockout, and says so
    said = [answer(r) for r in refusals]
    assert "4 more failed signature(s)" in str(said[0])
    assert str(said[1]) == str(said[0]).replace("4 more failed", "3 more failed")
    assert refusals[0].status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{"X-Project-Id": "0" * 32}, {"Workspace": "unsigned-workspace"}],
    ids=["other-project-header", "unsigned-workspace-header"],
)
def test_header_refusals_are_alike_either_way(
    api: SignedClient, plain: SignedClient, headers: dict[str, str]
) -> None:
    api.call("POST", "/jobs", make_job())
    show(api), show(api)

    def send(client: SignedClient) -> Any:
        signed = client.signer.sign(
            "GET",
            f"/v1/{client.project_id}/jobs/daily_sales",
            "",
            {"Host": "testserver", "X-Project-Id": client.project_id},
            b"",
            client.ak,
            client.sk,
        )
        extra = {"Host": "testserver", "X-Project-Id": client.project_id, **signed, **headers}
        return client.client.get(f"/v1/{client.project_id}/jobs/daily_sales", headers=extra)

    refusal = same_both_ways(api, plain, send)
    assert refusal.status_code == 401


def test_a_show_job_with_a_query_is_kept_apart_from_the_plain_one(
    api: SignedClient, plain: SignedClient, from_memory: Replayed
) -> None:
    api.call("POST", "/jobs", make_job())
    plain_answer = same_both_ways(api, plain, show)
    response = same_both_ways(
        api, plain, lambda c: c.call("GET", "/jobs/daily_sales", query={"dependencies": True})
    )
    assert response.status_code == 200
    assert response.content != plain_answer.content
    from_memory.exactly(plain_answer.content, response.content)


def _seed(api: SignedClient) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """A job, a script and a resource; every kept read as (path, query)."""
    api.call("POST", "/jobs", make_job())
    api.call("POST", "/scripts", make_script())
    made = api.call("POST", "/resources", make_resource()).json()
    page = {"limit": 10, "offset": 0}
    return {
        "show_job": ("/jobs/daily_sales", None),
        "show_script": (f"/scripts/{make_script()['name']}", None),
        "show_resource": (f"/resources/{made['resourceId']}", None),
        "list_jobs": ("/jobs", page),
        "list_scripts": ("/scripts", page),
        "list_resources": ("/resources", page),
    }


@pytest.mark.parametrize("route", KEPT)
def test_every_kept_read_is_answered_from_memory_as_the_route_answers(
    api: SignedClient, plain: SignedClient, from_memory: Replayed, route: str
) -> None:
    path, query = _seed(api)[route]
    response = same_both_ways(api, plain, lambda c: c.call("GET", path, query=query))
    assert response.status_code == 200
    from_memory.exactly(response.content)


@pytest.mark.parametrize("route", KEPT)
def test_every_kept_read_sees_a_write_made_by_another_process(
    api: SignedClient, plain: SignedClient, from_memory: Replayed, route: str
) -> None:
    path, query = _seed(api)[route]
    before = [api.call("GET", path, query=query) for _ in range(2)]
    plain.call("PUT", "/jobs/daily_sales", make_job(description="changed by another process"))
    plain.call("PUT", f"/scripts/{make_script()['name']}", make_script(content="select 2;"))
    after = api.call("GET", path, query=query)
    from_memory.exactly(before[0].content)
    assert answer(after) == answer(plain.call("GET", path, query=query))
    if route in ("show_job", "show_script", "list_jobs", "list_scripts"):
        assert after.content != before[0].content


def test_a_read_that_is_not_kept_goes_the_ordinary_way_every_time(
    api: SignedClient, plain: SignedClient, from_memory: Replayed
) -> None:
    _seed(api)
    response = same_both_ways(api, plain, lambda c: c.call("GET", "/scripts/none_such"))
    assert response.status_code == 400
    listing = same_both_ways(api, plain, lambda c: c.call("GET", "/system-tasks"))
    assert listing.status_code in (200, 404)
    assert from_memory == []


def test_workspaces_do_not_share_answers(
    api: SignedClient, plain: SignedClient, from_memory: Replayed
) -> None:
    prod = connected_workspace(api)
    api.call("POST", "/jobs", make_job())
    api.call("POST", "/jobs", make_job(description="the prod one"), workspace=prod)
    here = [show(api) for _ in range(2)]
    there = [api.call("GET", "/jobs/daily_sales", workspace=prod) for _ in range(2)]
    assert here[1].content == here[0].content != there[1].content == there[0].content
    assert there[1].json()["description"] == "the prod one"
    from_memory.exactly(here[0].content, there[0].content)
    assert answer(there[1]) == answer(plain.call("GET", "/jobs/daily_sales", workspace=prod))


def test_a_read_with_an_iam_token_is_kept_until_the_token_is_revoked(
    api: SignedClient, services: Services, from_memory: Replayed
) -> None:
    api.call("POST", "/jobs", make_job())
    make_user(services, "alice", Role.DEVELOPER)
    token, _ = services.tokens.issue(PasswordAuth("alice", PASSWORD, project_id=PROJECT_ID))
    path, headers = f"/v1/{PROJECT_ID}/jobs/daily_sales", {"X-Auth-Token": token}
    api.client.get(path, headers=headers)  # verifies the token: in memory from now on
    first, second = api.client.get(path, headers=headers), api.client.get(path, headers=headers)
    assert answer(first) == answer(second)
    assert first.status_code == 200
    from_memory.exactly(second.content)  # the last call was answered from memory
    services.tokens.revoke(services.tokens.caller(token), token)
    assert_error(api.client.get(path, headers=headers), "APIGW.0301", "revoked", status=401)
    from_memory.exactly(second.content)  # and nothing after the token was revoked
