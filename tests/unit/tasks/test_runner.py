"""The task runner: queued tasks are run by whichever runner has a free task thread, one after
another when there is one thread, and never by a runner that has none."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.domain.enums import TaskKind
from jobferry.errors import StorageError
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry
from jobferry.services.importing.request import parse_import_request
from jobferry.services.support.scratch import scratch_folder
from jobferry.services.tasks import ClaimedTask
from jobferry.services.taskviews import Task
from jobferry.storage import tables
from jobferry.storage import workers as workers_repo
from jobferry.storage.importing import target as import_repo
from jobferry.storage.presence import sqlite_served
from jobferry.tasks import runner as runner_module
from jobferry.tasks.runner import TaskRunner
from support.builders import make_job
from support.busy import SHORT_WAIT_MS, short_busy_wait, write_lock_held
from support.clients import ADMIN_AK, PROJECT_ID, poll_record
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects
from support.waiting import pauses


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


def test_the_keeper_expires_the_rollback_of_imports_past_the_rollback_days(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    task = import_package(
        services, scope, write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("a")))
    )
    with services.db.transaction() as tx:  # the import ended two days ago
        tx.conn.execute(
            sa.update(tables.system_tasks)
            .where(tables.system_tasks.c.id == task.id)
            .values(end_time=now_ms() - 2 * DAY_MS)
        )
    services.rollback_expiry = RollbackExpiry(services.db, 1)  # JOBFERRY_ROLLBACK_DAYS=1
    keeper = TaskRunner(services, threads=0)
    keeper.start()  # its first beat sweeps
    try:
        deadline, waits = time.monotonic() + 30, pauses()
        while (expired := services.tasks.show(scope, task.id).rollback_expired) is None:
            assert time.monotonic() < deadline, "the keeper did not sweep"
            time.sleep(next(waits))
        assert expired.kept_days == 1
    finally:
        keeper.shutdown()


def test_a_database_gone_for_a_moment_is_one_warning_line_not_a_trace(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def lost(*_: object, **__: object) -> None:
        raise StorageError("The database is not available (server closed the connection).")

    monkeypatch.setattr(services.tasks, "claim", lost)
    runner = TaskRunner(services, threads=1)
    try:
        with caplog.at_level("WARNING", logger=runner_module.log.name):
            runner._drain(queued_here=False)
    finally:
        runner.shutdown()
    [record] = [r for r in caplog.records if "claiming a task failed" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert "server closed the connection" in record.getMessage()


def test_housekeeping_behind_an_import_s_write_lock_is_one_warning_line_not_a_trace(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runner = TaskRunner(services, threads=0)

    def busy() -> list[str]:
        runner._stop.set()  # this round only
        raise services.db.busy()

    monkeypatch.setattr(services.tasks, "heartbeat", busy)
    try:
        with caplog.at_level("WARNING", logger=runner_module.log.name):
            runner._keep()
    finally:
        runner.shutdown()
    [record] = [r for r in caplog.records if "housekeeping" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert "skipped a round: The database is busy with another write" in record.getMessage()


@pytest.mark.databases("sqlite")  # PostgreSQL writes beside an import
def test_a_task_behind_an_import_s_write_lock_waits_for_it_and_runs_rather_than_failing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = TaskRunner(services, threads=0)
    done: list[str] = []
    abandoned: list[str] = []

    def work(task: ClaimedTask) -> None:
        with services.db.transaction() as tx:  # a write, as every task's end is
            tx.conn.exec_driver_sql("DELETE FROM used_signatures WHERE expires_at < 0")
        done.append(task.id)

    monkeypatch.setitem(runner._kinds, TaskKind.EXPORT, work)
    monkeypatch.setattr(services.tasks, "abandon", lambda _id, message: abandoned.append(message))
    task = ClaimedTask("queued-behind", TaskKind.EXPORT, _scope(services), {})
    worker = threading.Thread(target=runner._run, args=(task,))
    try:
        with short_busy_wait(services.db), write_lock_held(services.db.url):
            worker.start()
            time.sleep(3 * SHORT_WAIT_MS / 1000)  # several busy timeouts go by meanwhile
            assert done == []
        worker.join(timeout=30)
    finally:
        runner.shutdown()
    assert (done, abandoned) == (["queued-behind"], [])


def test_a_task_stopped_by_the_database_going_away_fails_saying_so_once_it_is_back(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database restart while an import runs: its transaction rolls back, and while the
    database is still away neither the import nor the runner can write the task's end. The
    process's next heartbeat that reaches the database writes it and frees the workspace; it
    never beats for a task it no longer runs (no other process would fail it)."""
    scope = _scope(services)
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("a")))
    with package.open("rb") as fh:
        path = services.imports.upload(scope, fh, "p.zip").path
    task_id = services.imports.prepare(scope, parse_import_request({"path": path})).task_id
    claimed = services.tasks.claim(("import",))
    assert claimed is not None
    runner = TaskRunner(services, threads=1)
    try:

        def away(*_: object, **__: object) -> None:
            raise StorageError("The database is not available (server closed the connection).")

        with monkeypatch.context() as restarting:
            restarting.setattr(services.db, "transaction", away)
            runner._run(claimed)  # the import fails, and so does writing its end
        assert services.tasks.show(scope, task_id).status == "RUNNING"

        services.tasks.heartbeat()  # the database is back

        failed = services.tasks.show(scope, task_id)
        assert failed.status == "FAILED"
        assert "connection to the database was lost" in failed.message
        with services.db.transaction(readonly=True) as tx:
            assert import_repo.lock_holder(tx, scope.workspace.id) is None
        services.tasks.heartbeat()  # written once
    finally:
        runner.shutdown()


def test_a_server_starting_removes_a_stopped_process_s_scratch_and_logs_it_once_logging_is_set(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    # the sweep ran before uvicorn set up logging, so a `kill -9`'s leftovers went without the
    # log line docs/operations.md promises: the runner's start (in the app's lifespan) sweeps
    killed = subprocess.Popen(["sleep", "60"])
    killed.kill()
    killed.wait()
    own = scratch_folder(services.settings)
    left = own.with_name(f"{own.name.rsplit('-', 1)[0]}-{killed.pid}")
    left.mkdir(parents=True)
    (left / "tmp1.zip").write_bytes(b"PK half an import")
    runner = TaskRunner(services, threads=0)
    with caplog.at_level("INFO", logger="jobferry"):
        runner.start()
    runner.shutdown()

    assert not left.exists()
    [said] = [r.getMessage() for r in caplog.records if "leftover" in r.getMessage()]
    assert left.name in said


def test_a_server_stopping_cleanly_leaves_no_scratch_folder_for_the_next_start_to_sweep(
    services: Services,
) -> None:
    # the empty folder a clean stop left was swept and logged by the next start as the leftover
    # of a stopped process, as if this one had been killed
    own = scratch_folder(services.settings)
    runner = TaskRunner(services, threads=0)
    runner.start()
    own.mkdir(parents=True, exist_ok=True)
    runner.shutdown()

    assert not own.exists()


def test_a_database_gone_for_a_while_is_one_warning_line_until_it_is_back_not_one_a_second(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # the poller looks every second: with the database away each look logged its line
    real = services.tasks.claim
    away = True

    def claim(*args: Any, **kwargs: Any) -> ClaimedTask | None:
        if away:
            raise StorageError("The database is not available (database does not exist).")
        return real(*args, **kwargs)

    monkeypatch.setattr(services.tasks, "claim", claim)
    runner = TaskRunner(services, threads=1)
    try:
        with caplog.at_level("WARNING", logger=runner_module.log.name):
            for _ in range(3):
                runner._drain(queued_here=False)
            away = False
            runner._drain(queued_here=False)
            runner._drain(queued_here=False)
            away = True
            runner._drain(queued_here=False)
    finally:
        runner.shutdown()
    said = [r.getMessage().split(":")[0] for r in caplog.records]
    assert said == [
        "claiming a task failed",
        "claiming tasks works again",
        "claiming a task failed",
    ]


def test_a_server_stopping_while_its_database_is_away_stops_with_one_line_not_a_trace(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # the unregistering raised through the app's lifespan: a page of traceback and
    # "Application shutdown failed", and the scratch folder left behind
    def away(*_: object) -> None:
        raise StorageError("The database is not available (database does not exist).")

    runner = TaskRunner(services, threads=0)
    runner.start()
    own = scratch_folder(services.settings)
    own.mkdir(parents=True, exist_ok=True)
    # the database refuses the goodbye; the serving mark goes first all the same (a mark left
    # held would tell the next server on this file that it is not alone)
    monkeypatch.setattr(workers_repo, "unregister", away)
    with caplog.at_level("WARNING", logger=runner_module.log.name):
        runner.shutdown()

    [record] = [r for r in caplog.records if "stopping without unregistering" in r.getMessage()]
    assert record.exc_info is None
    assert "database does not exist" in record.getMessage()
    assert not own.exists()
    assert not sqlite_served(services.settings.resolved_database_url())


def test_tables_gone_under_a_running_server_are_one_clear_line_each_not_a_trace_a_second(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The database recreated under the server: every look of the poller (each second) found
    # no table; on PostgreSQL each look logged a traceback for tasks and one for promotions.
    def claim(*_: object, **__: object) -> ClaimedTask | None:
        with services.db.transaction() as tx:  # the driver's own error for a missing table
            tx.conn.execute(sa.text("SELECT id FROM system_tasks_dropped")).all()
        return None

    monkeypatch.setattr(services.tasks, "claim", claim)
    runner = TaskRunner(services, threads=1)
    try:
        with caplog.at_level("INFO", logger="jobferry"):
            for _ in range(3):  # three looks of the poller
                runner._drain(queued_here=False)
                services.promotion_runs.kick()
    finally:
        runner.shutdown()
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(":")[0] for r in said] == [
        "claiming a task failed",
        "claiming a queued promotion failed",
    ]
    for record in said:
        assert record.exc_info is None
        assert ": The database has no table system_tasks_dropped: " in record.getMessage()
        assert "Run jobferry db upgrade on it, then restart the server." in record.getMessage()
