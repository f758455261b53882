"""Tasks are rows any server process claims: queued until claimed, claimed by one process
only, and failed (their import lock released) when the process running them stops beating.

Another process is another ``TaskService`` on the same database: a worker id of its own and
its own ``workers`` row, which is all that tells processes apart.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from jobferry.errors import StorageError
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.request import parse_import_request
from jobferry.services.tasks import TaskService
from jobferry.storage import presence
from jobferry.storage import tasks as task_repo
from jobferry.storage import workers as worker_repo
from jobferry.storage.importing import target as import_repo
from jobferry.storage.tables import jobs
from support.clients import ADMIN_AK, PROJECT_ID
from support.console import add_connections
from support.packages import write_package
from support.waiting import pauses


def _scope(services: Services) -> Scope:
    return services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)


def _other_process(services: Services) -> TaskService:
    other = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    other.register_worker()
    return other


def _queue_export(services: Services, scope: Scope) -> str:
    request = parse_background_export({"mode": "workspace"})
    return services.exports.prepare(scope, request).task_id


def _queue_import(services: Services, scope: Scope, folder: Path) -> str:
    package = write_package(folder / "pkg.zip")
    with package.open("rb") as fh:
        path = services.imports.upload(scope, fh, "pkg.zip").path
    return services.imports.prepare(scope, parse_import_request({"path": path})).task_id


def test_an_accepted_task_reads_running_at_zero_until_a_process_claims_and_runs_it(
    services: Services,
) -> None:
    scope = _scope(services)
    task_id = _queue_export(services, scope)

    queued = services.tasks.show(scope, task_id)
    assert (queued.status, queued.progress) == ("RUNNING", 0)
    assert queued.message.startswith("Queued"), queued

    claimed = _other_process(services).claim(("export",))
    assert claimed is not None
    assert claimed.id == task_id
    assert claimed.scope == scope  # who asked, in which workspace, with which role
    services.exports.run(services.exports.resume(claimed))
    assert services.tasks.show(scope, task_id).status == "SUCCESSFUL"


def test_each_queued_task_is_claimed_by_exactly_one_of_many_processes(
    services: Services,
) -> None:
    scope = _scope(services)
    queued = {_queue_export(services, scope) for _ in range(12)}
    processes = [_other_process(services) for _ in range(4)]

    def claim_all(process: TaskService) -> list[str]:
        taken = []
        while (task := process.claim(("export",))) is not None:
            taken.append(task.id)
        return taken

    with ThreadPoolExecutor(max_workers=4) as pool:
        claimed = [task for taken in pool.map(claim_all, processes) for task in taken]
    assert sorted(claimed) == sorted(queued)
    assert services.tasks.claim(("export",)) is None


def test_a_process_claims_only_the_kinds_it_runs(services: Services) -> None:
    scope = _scope(services)
    _queue_export(services, scope)
    assert services.tasks.claim(("import",)) is None
    assert services.tasks.claim(("export",)) is not None


def test_the_task_of_a_process_that_stopped_beating_fails_and_frees_the_workspace(
    services: Services, tmp_path: Path
) -> None:
    scope = _scope(services)
    task_id = _queue_import(services, scope, tmp_path)
    dead = _other_process(services)
    claimed = dead.claim(("import",))
    assert claimed is not None
    assert claimed.id == task_id
    with services.db.transaction() as tx:
        worker_repo.beat(tx, dead.worker_id, 0)  # its last beat was long ago: it died
    waiting = _queue_export(services, scope)

    assert services.tasks.heartbeat() == [task_id]

    failed = services.tasks.show(scope, task_id)
    assert failed.status == "FAILED"
    assert "stopped before it finished" in failed.message
    with services.db.transaction(readonly=True) as tx:
        assert import_repo.lock_holder(tx, scope.workspace.id) is None
    # a queued task has no process to lose: it waits for one
    assert services.tasks.show(scope, waiting).status == "RUNNING"
    assert services.tasks.heartbeat() == []


def test_a_process_forgotten_by_the_others_registers_again_on_its_next_beat(
    services: Services,
) -> None:
    services.tasks.register_worker()
    with services.db.transaction() as tx:
        worker_repo.unregister(tx, services.tasks.worker_id)
    services.tasks.heartbeat()
    with services.db.transaction() as tx:
        assert worker_repo.beat(tx, services.tasks.worker_id, 1)


def test_a_queued_task_that_cannot_run_any_more_is_failed_saying_why(services: Services) -> None:
    scope = _scope(services)
    # as an earlier version left it: queued, without its caller
    orphan = replace(services.tasks.record(scope, "export", "old", {}, queued=True), actor=None)
    with services.db.transaction() as tx:
        task_repo.insert_task(tx, orphan)

    assert services.tasks.claim(("export",)) is None

    failed = services.tasks.show(scope, orphan.id)
    assert failed.status == "FAILED"
    assert "earlier jobferry version" in failed.message
    assert "start it again" in failed.message


def test_an_import_whose_task_was_failed_as_orphaned_while_it_ran_commits_nothing(
    services: Services, tmp_path: Path
) -> None:
    """A process that was alive but missed its beats (a long pause) finds at its commit that
    another process failed its task: the import rolls back, and that task's end stands."""
    # The connections the package's jobs use: it would import.
    scope = add_connections(services, _scope(services), "dws_conn", "ssh_conn")
    task_id = _queue_import(services, scope, tmp_path)
    slow = _other_process(services)
    claimed = slow.claim(("import",))
    assert claimed is not None
    with services.db.transaction() as tx:
        worker_repo.beat(tx, slow.worker_id, 0)
    assert services.tasks.heartbeat() == [task_id]

    services.imports.run(services.imports.resume(claimed))  # the slow process carries on

    ended = services.tasks.show(scope, task_id)
    assert ended.status == "FAILED"
    assert "stopped before it finished" in ended.message
    with services.db.transaction(readonly=True) as tx:
        assert tx.conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 0
    with services.db.transaction(readonly=True) as tx:
        assert import_repo.lock_holder(tx, scope.workspace.id) is None


def _server_process(services: Services) -> TaskService:
    """Another server process starting: it takes its presence mark as a task runner does."""
    return TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)


def test_a_server_that_starts_alone_fails_its_dead_predecessors_tasks_at_once(
    services: Services, tmp_path: Path
) -> None:
    """A crash and a restart: the dead process beat a moment ago, so the heartbeat rule would
    keep its task RUNNING (and the workspace locked) for four beats more; alone on the
    database, the new process knows it is dead."""
    scope = _scope(services)
    task_id = _queue_import(services, scope, tmp_path)
    crashed = _other_process(services)
    assert crashed.claim(("import",)) is not None
    waiting = _queue_export(services, scope)
    assert services.tasks.heartbeat() == []  # it beat a moment ago: alive for the heartbeat

    restarted = _server_process(services)
    try:
        assert restarted.register_worker(presence=True) == [task_id]
        failed = services.tasks.show(scope, task_id)
        assert failed.status == "FAILED"
        assert "stopped before it finished" in failed.message
        with services.db.transaction(readonly=True) as tx:
            assert import_repo.lock_holder(tx, scope.workspace.id) is None
            registered = tx.conn.execute(select(worker_repo.workers.c.id)).scalars().all()
        assert registered == [restarted.worker_id]  # the dead processes are forgotten
        assert services.tasks.show(scope, waiting).status == "RUNNING"  # queued: it waits
    finally:
        restarted.unregister_worker()


def test_a_server_that_starts_beside_another_leaves_their_tasks_to_the_heartbeat(
    services: Services, tmp_path: Path
) -> None:
    scope = _scope(services)
    task_id = _queue_import(services, scope, tmp_path)
    first = _server_process(services)
    second = _server_process(services)
    try:
        assert first.register_worker(presence=True) == []
        assert first.claim(("import",)) is not None
        assert second.register_worker(presence=True) == []  # the first holds its mark
        assert services.tasks.show(scope, task_id).status == "RUNNING"
        first.unregister_worker()  # it stops; the second still serves
        third = _server_process(services)
        assert third.register_worker(presence=True) == []
        third.unregister_worker()
    finally:
        second.unregister_worker()
        first.unregister_worker()
    alone = _server_process(services)
    assert alone.register_worker(presence=True) == [task_id]  # no one left: the task is dead
    alone.unregister_worker()


def _mark_holders(services: Services) -> list[int]:
    """The PostgreSQL sessions holding the presence mark of this test's schema."""
    with services.db.transaction(readonly=True) as tx:
        return list(
            tx.conn.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                    f" AND ((classid::bigint << 32) | objid::bigint) = ({presence.KEY})::bigint"
                    " AND objsubid = 1"
                )
            ).scalars()
        )


def _end_mark_sessions(services: Services) -> None:
    """What a restart of the database does to the live processes' marks: their sessions end."""
    with services.db.transaction() as tx:
        for pid in _mark_holders(services):
            tx.conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    for pause in pauses():
        if not _mark_holders(services):
            return
        time.sleep(pause)


def _refused(*_: object, **__: object) -> None:
    raise OperationalError("connect", None, Exception("connection refused"))


@pytest.mark.databases("postgresql")
def test_a_server_whose_database_session_ended_takes_its_mark_back_at_its_next_beat(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart of PostgreSQL ends every session, and a live process's mark with it: its first
    beat once the database is back takes it back, so a process starting later is not alone and
    fails nothing."""
    scope = _scope(services)
    task_id = _queue_import(services, scope, tmp_path)
    serving = _server_process(services)
    try:
        serving.register_worker(presence=True)
        assert serving.claim(("import",)) is not None
        _end_mark_sessions(services)
        with monkeypatch.context() as restarting:  # the database is not back yet
            restarting.setattr(services.db.engine, "connect", _refused)
            with pytest.raises(StorageError):
                serving.heartbeat()

        serving.heartbeat()

        assert len(_mark_holders(services)) == 1
        newcomer = _server_process(services)
        try:
            assert newcomer.register_worker(presence=True) == []
        finally:
            newcomer.unregister_worker()
        assert services.tasks.show(scope, task_id).status == "RUNNING"
    finally:
        serving.unregister_worker()


@pytest.mark.databases("postgresql")
def test_a_server_alone_after_a_database_restart_spares_the_tasks_of_processes_that_beat_before(
    services: Services, tmp_path: Path
) -> None:
    """A process starting between a restart of PostgreSQL and a live process's next beat is
    alone: the live process's mark went with the restart. Its last beat came before the
    database started, so the newcomer leaves its task to the heartbeat rule (it beats again, or
    is failed after four missed beats); a process that beat after the start and holds no mark
    is dead, and its task fails at once."""
    with services.db.transaction(readonly=True) as tx:
        started = presence.database_started(tx)
    assert started is not None
    up_ms = now_ms() - started
    # a heartbeat for which the restart is less than four beats old, and more than one
    beat = up_ms // 2000
    if beat < 1:
        pytest.skip("the database started less than two seconds ago")
    scope = _scope(services)
    spared = _queue_import(services, scope, tmp_path)
    failed = _queue_export(services, scope)
    live = TaskService(services.db, heartbeat_seconds=beat)
    crashed = TaskService(services.db, heartbeat_seconds=beat)
    newcomer = TaskService(services.db, heartbeat_seconds=beat)
    try:
        live.register_worker(presence=True)
        assert live.claim(("import",)) is not None
        crashed.register_worker()
        assert crashed.claim(("export",)) is not None
        _end_mark_sessions(services)  # the restart: the live process's mark is gone
        with services.db.transaction() as tx:
            worker_repo.beat(tx, live.worker_id, started - 1000)  # its last beat: before it

        assert newcomer.register_worker(presence=True) == [failed]

        assert services.tasks.show(scope, spared).status == "RUNNING"
        assert "stopped before it finished" in services.tasks.show(scope, failed).message
        live.heartbeat()  # it beats again: alive for everyone, its mark held again
        assert len(_mark_holders(services)) == 2
        assert newcomer.heartbeat() == []
    finally:
        newcomer.unregister_worker()
        live.unregister_worker()


@pytest.mark.databases("postgresql")
def test_a_beat_that_runs_into_the_stop_leaves_no_mark_behind(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keeper thread may still beat while the process stops (its join gives up after 5 s
    on a loaded machine). A beat taking the mark back must not outlive the stop: a pooled
    connection holding it would make every later process think another one serves."""
    mark = presence.Presence(services.db)
    mark.enter()
    _end_mark_sessions(services)  # the beat will find the mark gone and take it back
    taking, go = threading.Event(), threading.Event()
    take_back = presence.Presence._enter_postgres

    def slow_take_back(self: presence.Presence, *, entering: bool = True) -> bool:
        taking.set()
        go.wait(10)
        return take_back(self, entering=entering)

    monkeypatch.setattr(presence.Presence, "_enter_postgres", slow_take_back)
    with ThreadPoolExecutor(2) as pool:
        beat = pool.submit(mark.hold)
        assert taking.wait(10)
        stop = pool.submit(mark.leave)  # the stop, while the beat takes the mark back
        time.sleep(0.2)
        go.set()
        beat.result(10)
        stop.result(10)
    # the stop closed the beat's session: its backend lets the mark go as it exits, a moment
    # after the close (on a loaded machine, after the first look)
    deadline = time.monotonic() + 5
    for pause in pauses():
        if not _mark_holders(services) or time.monotonic() > deadline:
            break
        time.sleep(pause)
    assert _mark_holders(services) == []


def test_a_look_from_outside_sees_a_serving_processs_mark_and_leaves_none(
    services: Services,
) -> None:
    """``jobferry db copy``'s look (``served``), on either database: a serving process's mark
    is seen; the look takes none that lasts, so a process entering after it is alone."""
    url = services.settings.resolved_database_url()
    assert not presence.served(url)
    mark = presence.Presence(services.db)
    try:
        assert mark.enter()  # alone: the look let its exclusive ask go
        assert presence.served(url)
        assert presence.served(url)  # looked at again: the mark is still the serving one's
    finally:
        mark.leave()
