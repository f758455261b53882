"""The task runner: queued tasks are run by whichever runner has a free task thread, one after
another when there is one thread, and never by a runner that has none."""

from __future__ import annotations

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.tasks import Task
from jobferry.tasks import runner as runner_module
from jobferry.tasks.runner import TaskRunner
from support.clients import ADMIN_AK, PROJECT_ID, poll_record


def _scope(services: Services) -> Scope:
    return services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)


def _finished(services: Services, scope: Scope, task_id: str) -> Task:
    return poll_record(lambda: services.tasks.show(scope, task_id))


def test_one_task_thread_runs_every_queued_task_one_after_another(services: Services) -> None:
    scope = _scope(services)
    runner = TaskRunner(services, threads=1)  # not started: no poller, only its own kicks
    try:
        started = [
            runner.start_export(scope, parse_background_export({"mode": "workspace"}))
            for _ in range(5)
        ]
        assert [_finished(services, scope, t).status for t in started] == ["SUCCESSFUL"] * 5
    finally:
        runner.shutdown()


def test_a_process_without_task_threads_leaves_its_tasks_to_another(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the other process's poller looks every 50 ms rather than every second: the test waited
    # for its first look
    monkeypatch.setattr(runner_module, "POLL_SECONDS", 0.05)
    scope = _scope(services)
    api_only = TaskRunner(services, threads=0)
    api_only.start()
    try:
        task_id = api_only.start_export(scope, parse_background_export({"mode": "workspace"}))
        waiting = services.tasks.show(scope, task_id)
        assert (waiting.status, waiting.progress) == ("RUNNING", 0)

        # another process: its own services (and worker id) on the same database
        other = TaskRunner(Services.build(services.settings, services.db), threads=1)
        other.start()  # its poller finds the task queued elsewhere
        try:
            assert _finished(services, scope, task_id).status == "SUCCESSFUL"
        finally:
            other.shutdown()
    finally:
        api_only.shutdown()
