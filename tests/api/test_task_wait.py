"""``GET /system-tasks/{id}?wait=SECONDS`` (extension): the answer comes as soon as the task
ends, or with the task still running once the seconds are over; a task ended by another
process (unannounced here) is seen within a quarter of a second; more than the longest wait
is refused with the DataArts envelope."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio.to_thread

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.taskends import ELSEWHERE, MAX_WAIT
from jobferry.storage import tasks as task_repo
from support.clients import SignedClient
from support.console import admin_scope


def _running(services: Services) -> str:
    scope = admin_scope(services)
    task = services.tasks.record(scope, TaskKind.EXPORT, "waited for", {})
    return services.tasks.insert(task)


def _shown(api: SignedClient, task_id: str, wait: float) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    response = api.call("GET", f"/system-tasks/{task_id}", query={"wait": wait})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return time.monotonic() - started, body


def _later(seconds: float, then: Any) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), then()))
    thread.start()
    return thread


def test_the_answer_comes_as_soon_as_the_task_ends(api: SignedClient, services: Services) -> None:
    task_id = _running(services)
    ending = _later(0.3, lambda: services.tasks.finish(task_id, TaskStatus.SUCCESSFUL, "done"))
    seconds, shown = _shown(api, task_id, 5)
    ending.join()
    assert shown["status"] == "SUCCESSFUL"
    assert 0.25 <= seconds < 2.5, seconds


def test_a_task_still_running_is_answered_when_the_wait_is_over(
    api: SignedClient, services: Services
) -> None:
    task_id = _running(services)
    seconds, shown = _shown(api, task_id, 0.5)
    assert shown["status"] == "RUNNING"
    assert seconds >= 0.45, seconds
    seconds, shown = _shown(api, task_id, 0)  # no wait: at once, as ever
    assert shown["status"] == "RUNNING"


def test_a_task_ended_by_another_process_is_seen_at_the_next_look(
    api: SignedClient, services: Services
) -> None:
    task_id = _running(services)

    def elsewhere() -> None:  # the row changed, and this process's waiters not told
        with services.db.transaction() as tx:
            task_repo.update_running(tx, task_id, status=TaskStatus.FAILED, end_time=1)

    ending = _later(0.3, elsewhere)
    seconds, shown = _shown(api, task_id, 5)
    ending.join()
    assert shown["status"] == "FAILED"
    assert seconds < 0.3 + ELSEWHERE + 1.5, seconds


def test_a_wait_past_the_longest_is_refused(api: SignedClient, services: Services) -> None:
    task_id = _running(services)
    response = api.call("GET", f"/system-tasks/{task_id}", query={"wait": MAX_WAIT + 1})
    assert response.status_code == 400, response.text
    assert response.json()["error_code"]


def test_callers_waiting_hold_no_thread_and_every_other_call_is_answered(
    api: SignedClient, services: Services
) -> None:
    """More callers wait than the server has threads for its calls: they hold none of them
    (only each look at the task takes one), so another call is answered at once."""
    portal = api.client.portal
    assert portal is not None
    limiter = portal.call(anyio.to_thread.current_default_thread_limiter)
    portal.call(setattr, limiter, "total_tokens", 2)
    task_id = _running(services)
    waiters = [_later(0, lambda: _shown(api, task_id, 5)) for _ in range(6)]
    time.sleep(0.5)  # every waiter is waiting

    seconds, shown = _shown(api, task_id, 0)

    assert shown["status"] == "RUNNING"
    assert seconds < 1.0, seconds
    started = time.monotonic()
    services.tasks.finish(task_id, TaskStatus.SUCCESSFUL, "done")
    for waiter in waiters:
        waiter.join()
    assert time.monotonic() - started < 2.5
