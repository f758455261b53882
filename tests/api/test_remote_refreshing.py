"""A remote says when a refresh of it is queued or running (``refreshing: {"taskId",
"progress", "message"}`` in
``GET /remotes`` and ``GET /remotes/{name}``), and no longer once it ended: the in-memory
DataArts stand-in plays the remote, held back on its first call until the test lets it
answer."""

from __future__ import annotations

import time

import httpx2

from jobferry.services.container import Services
from support.builders import make_job
from support.clients import SignedClient, wait_task
from support.standin import DataArtsStandin, held_back

ASYNC = {"Prefer": "respond-async"}


def test_a_remote_names_the_refresh_running_now_and_not_once_it_ended(
    api: SignedClient, services: Services
) -> None:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    answer = held_back(services, standin)
    assert api.call("POST", "/remotes", standin.remote_body()).status_code == 200
    assert api.call("GET", "/remotes/prod").json()["refreshing"] is None

    started = api.call("POST", "/remotes/prod/refresh", extra_headers=ASYNC)
    assert started.status_code == 202, started.text
    task_id, shadow = started.json()["taskId"], started.json()["workspace"]
    try:
        # Where it stands, as the task itself says it, once it waits on the remote's answer
        # (before that, it moves on between the two reads).
        deadline = time.monotonic() + 30
        while True:
            running = api.call("GET", "/remotes/prod").json()["refreshing"]
            task = api.call("GET", f"/system-tasks/{task_id}", workspace=shadow).json()
            said = {"taskId": task_id, "progress": task["progress"], "message": task["message"]}
            if running == said and task["message"] == "Reading the remote.":
                break
            assert time.monotonic() < deadline, (running, said)
            time.sleep(0.05)
        listed = api.call("GET", "/remotes").json()["remotes"]
        assert [r["refreshing"] for r in listed] == [said]
    finally:
        answer.set()
    assert wait_task(api, task_id, shadow)["status"] == "SUCCESSFUL"
    assert api.call("GET", "/remotes/prod").json()["refreshing"] is None
    assert api.call("GET", "/remotes").json()["remotes"][0]["refreshing"] is None


def test_a_remote_names_its_failed_refresh_until_one_succeeds(
    api: SignedClient, services: Services
) -> None:
    standin = DataArtsStandin()
    assert api.call("POST", "/remotes", standin.remote_body()).status_code == 200

    def refused(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(401, json={"error_code": "APIGW.0301", "error_msg": "no"})

    services.remotes.transport = httpx2.MockTransport(refused)
    started = api.call("POST", "/remotes/prod/refresh", extra_headers=ASYNC).json()
    assert wait_task(api, started["taskId"], started["workspace"])["status"] == "FAILED"
    failed = api.call("GET", "/remotes/prod").json()["lastRefreshFailed"]
    assert failed["taskId"] == started["taskId"]
    assert failed["message"]
    assert failed["endTime"] > 0
    listed = api.call("GET", "/remotes").json()["remotes"]
    assert [r["lastRefreshFailed"] for r in listed] == [failed]

    services.remotes.transport = httpx2.MockTransport(standin.handle)
    again = api.call("POST", "/remotes/prod/refresh", extra_headers=ASYNC).json()
    assert wait_task(api, again["taskId"], again["workspace"])["status"] == "SUCCESSFUL"
    assert api.call("GET", "/remotes/prod").json()["lastRefreshFailed"] is None


def test_a_changed_remote_is_answered_as_shown_with_its_failed_refresh(
    api: SignedClient, services: Services
) -> None:
    # PATCH answers the remote "as GET does": its failed refresh too, not null
    standin = DataArtsStandin()
    assert api.call("POST", "/remotes", standin.remote_body()).status_code == 200

    def refused(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(401, json={"error_code": "APIGW.0301", "error_msg": "no"})

    services.remotes.transport = httpx2.MockTransport(refused)
    started = api.call("POST", "/remotes/prod/refresh", extra_headers=ASYNC).json()
    assert wait_task(api, started["taskId"], started["workspace"])["status"] == "FAILED"
    changed = api.call("PATCH", "/remotes/prod", {"secretKey": "rotated-secret"})
    assert changed.status_code == 200, changed.text
    assert changed.json() == api.call("GET", "/remotes/prod").json()
    assert changed.json()["lastRefreshFailed"]["taskId"] == started["taskId"]
