"""The server never does storage or CPU work on the event loop: while a heavy call runs, a
cheap one on the same process still answers promptly (uvicorn has one loop per process)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
import requests

from support.packages import bulk_package
from support.server import ServerProcess, new_workspace, upload_package, wait_for_task

pytestmark = pytest.mark.e2e


def stalls_while(
    server: ServerProcess, heavy: Callable[[], requests.Response]
) -> tuple[float, float]:
    """(the longest /health answer while ``heavy`` ran, how long ``heavy`` took)."""
    answers: list[requests.Response] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: answers.append(heavy()))
    worker.start()
    slowest = 0.0
    while worker.is_alive():
        sent = time.monotonic()
        assert requests.get(f"{server.url}/health", timeout=60).status_code == 200
        slowest = max(slowest, time.monotonic() - sent)
        time.sleep(0.01)
    took = time.monotonic() - started
    worker.join()
    assert answers[0].status_code == 200, answers[0].text
    return slowest, took


def test_a_heavy_plan_and_package_check_leave_the_loop_free(server: ServerProcess) -> None:
    ws = new_workspace(server, "loop", "dws_conn")
    path = upload_package(server, bulk_package(3000), ws)
    plan = json.dumps({"path": path, "sameNamePolicy": "OVERWRITE"}).encode()

    def planned() -> requests.Response:
        # A package this large is planned by a task: the call answers its id at once, and
        # the work the loop must stay free of is the task's, so the probe lasts until it ends.
        answer = server.call("POST", "/jobs/import/plan", plan, workspace=ws)
        if answer.status_code == 200 and "taskId" in answer.json():
            task = wait_for_task(server, ws, answer.json()["taskId"], timeout=120)
            assert task.status == "SUCCESSFUL", task
        return answer

    slowest, took = stalls_while(server, planned)
    # On the loop, /health would wait for the whole plan; off it, for a GIL switch or two.
    assert slowest < took / 2, (slowest, took)

    check = json.dumps({"path": path}).encode()

    def checked() -> requests.Response:
        # Three checks in a row (half a second each here): on the loop, /health would wait
        # for one of them, a third of the whole; off it, far less than a quarter.
        for _ in range(3):
            answer = server.call("POST", "/jobs/check-file", check, workspace=ws)
            assert answer.status_code == 200, answer.text
        return answer

    slowest, took = stalls_while(server, checked)
    assert slowest < took / 4, (slowest, took)
