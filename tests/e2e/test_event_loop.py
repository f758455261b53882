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

# Both databases: the storage calls that must stay off the loop are the database driver's,
# and PostgreSQL's go over a socket.
pytestmark = [pytest.mark.e2e, pytest.mark.databases("sqlite", "postgresql")]


def stalls_while(
    server: ServerProcess, heavy: Callable[[], requests.Response]
) -> tuple[list[float], float]:
    """(every /health answer's time while ``heavy`` ran, longest first; how long ``heavy``
    took)."""
    answers: list[requests.Response] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: answers.append(heavy()))
    worker.start()
    waits = [0.0]
    while worker.is_alive():
        sent = time.monotonic()
        assert requests.get(f"{server.url}/health", timeout=60).status_code == 200
        waits.append(time.monotonic() - sent)
        time.sleep(0.01)
    took = time.monotonic() - started
    worker.join()
    assert answers[0].status_code == 200, answers[0].text
    return sorted(waits, reverse=True), took


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

    waits, took = stalls_while(server, planned)
    # On the loop, /health would wait for the whole plan; off it, for a GIL switch or two.
    assert waits[0] < took / 2, (waits[:3], took)

    check = json.dumps({"path": path}).encode()

    def checked() -> requests.Response:
        # Three checks in a row (half a second each here): on the loop, /health would wait
        # for one of them, a third of the whole; off it, far less than a quarter.
        for _ in range(3):
            answer = server.call("POST", "/jobs/check-file", check, workspace=ws)
            assert answer.status_code == 200, answer.text
        return answer

    waits, took = stalls_while(server, checked)
    # Each check on the loop would hold up the probe sent as it starts: three long waits. One
    # long wait is the machine (the whole suite shares two cores), not the loop, so the third
    # longest is what is held to the limit.
    assert [*waits, 0.0, 0.0][2] < took / 4, (waits[:3], took)
