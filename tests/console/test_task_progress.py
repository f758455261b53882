"""The JSON a task's progress box asks for (``/console/w/{ws}/tasks/{id}/status``): at once,
or, with ``?wait=SECONDS``, as soon as the task ends (the box asks with one second, so it shows
the end as it happens); more than the longest wait is refused."""

from __future__ import annotations

import threading
import time
from typing import Any

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.taskends import MAX_WAIT
from support.console import Browser


def _running(services: Services, scope: Scope) -> str:
    return services.tasks.insert(services.tasks.record(scope, TaskKind.EXPORT, "exporting", {}))


def _status(browser: Browser, scope: Scope, task_id: str, **query: Any) -> tuple[float, Any]:
    started = time.monotonic()
    response = browser.get(f"/console/w/{scope.workspace.id}/tasks/{task_id}/status", params=query)
    return time.monotonic() - started, response


def test_the_box_is_answered_at_once_without_a_wait(
    browser: Browser, services: Services, scope: Scope
) -> None:
    task_id = _running(services, scope)
    seconds, response = _status(browser, scope, task_id)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    shown = response.json()
    assert (shown["status"], shown["done"]) == ("RUNNING", False)
    assert seconds < 1.0, seconds


def test_a_wait_is_answered_as_the_task_ends_or_when_it_is_over(
    browser: Browser, services: Services, scope: Scope
) -> None:
    task_id = _running(services, scope)
    seconds, response = _status(browser, scope, task_id, wait=0.4)
    assert response.json()["status"] == "RUNNING"
    assert seconds >= 0.35, seconds

    def end() -> None:
        time.sleep(0.3)
        services.tasks.finish(task_id, TaskStatus.SUCCESSFUL, "done")

    ending = threading.Thread(target=end)
    ending.start()
    seconds, response = _status(browser, scope, task_id, wait=5)
    ending.join()
    shown = response.json()
    assert (shown["status"], shown["done"], shown["message"]) == ("SUCCESSFUL", True, "done")
    assert 0.25 <= seconds < 2.5, seconds


def test_a_wait_past_the_longest_is_refused(
    browser: Browser, services: Services, scope: Scope
) -> None:
    task_id = _running(services, scope)
    _, response = _status(browser, scope, task_id, wait=MAX_WAIT + 1)
    assert response.status_code == 400, response.text
    assert "wait" in response.text
