"""A plain signed show_job answered from memory in the middleware (api/fastpath.py) is the
ordinary route's answer byte for byte; whatever it cannot answer (errors, refusals, queries)
the route answers as it always did. Every case is sent to this app and to one over the same
database with the read cache off (JOBFERRY_READ_CACHE_MB=0: no fast path), and compared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from jobferry.api.app import create_app
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.tasks.runner import TaskRunner
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient, assert_error

Send = Callable[[SignedClient], Any]


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


@pytest.fixture
def routed(services: Services) -> list[str]:
    """The names show_job's ordinary route was asked for, in this app."""
    calls: list[str] = []
    original = services.jobs.show_answer

    def counting(scope: Any, name: str, render: Any) -> bytes:
        calls.append(name)
        return original(scope, name, render)

    services.jobs.show_answer = counting  # type: ignore[method-assign]
    return calls


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
    api: SignedClient, plain: SignedClient, routed: list[str]
) -> None:
    api.call("POST", "/jobs", make_job())
    response = same_both_ways(api, plain, show)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.content)["name"] == "daily_sales"
    assert routed == ["daily_sales"], "the second call was answered from memory"


def test_a_missing_job_is_the_dataarts_error_either_way(
    api: SignedClient, plain: SignedClient
) -> None:
    response = same_both_ways(api, plain, lambda c: c.call("GET", "/jobs/no_such_job"))
    assert_error(response, "DLF.0100", "no_such_job")


def test_a_job_deleted_elsewhere_is_not_answered_from_memory(
    api: SignedClient, plain: SignedClient, routed: list[str]
) -> None:
    api.call("POST", "/jobs", make_job())
    show(api), show(api)
    assert plain.call("DELETE", "/jobs/daily_sales").status_code == 204
    assert_error(show(api), "DLF.0100", "daily_sales")
    assert routed == ["daily_sales", "daily_sales"]


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
    assert answer(refusals[0]) == answer(refusals[1])
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


def test_a_show_job_with_a_query_goes_the_ordinary_way(
    api: SignedClient, plain: SignedClient, routed: list[str]
) -> None:
    api.call("POST", "/jobs", make_job())
    response = same_both_ways(
        api, plain, lambda c: c.call("GET", "/jobs/daily_sales", query={"dependencies": False})
    )
    assert response.status_code == 200
    assert routed == ["daily_sales", "daily_sales"]
