"""Several server processes on one PostgreSQL: ``JOBFERRY_WORKERS=2`` serves one port from two
processes that claim tasks from the database; a process killed in the middle of an import has
its task failed by the other and the workspace stays as it was; a process without task threads
leaves the tasks it accepts to the others.

Which process runs a task is read from the database (the task's owner is a ``workers`` row,
which names the process id): that is the fact under test, and no API reports it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from huaweicloudsdkdgc.v1 import (
    ListJobsRequest,
)

from support.databases import fresh_schema_url, require_postgres
from support.server import (
    ServerProcess,
    new_workspace,
    start_bulk_import,
    start_server,
    wait_for_task,
    wait_until_checking,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHARED = {
    "JOBFERRY_SECRET_KEY": "bvPyMzgdDHj1dxdY4C7h6K1xzvZi1-tPzd1nnfQcqL8=",
    # a claimed task is failed 4 beats after its process's last: 8 s here
    "JOBFERRY_WORKER_HEARTBEAT_SECONDS": "2",
}
KILLED_JOBS = 3000
"""Enough that the import is still checking when the test kills its process."""


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """One PostgreSQL schema for every server process of the module."""
    require_postgres()
    yield from fresh_schema_url()


@pytest.fixture(scope="module")
def engine(database: str) -> Iterator[sa.Engine]:
    """The test's own look into the database the servers share."""
    engine = sa.create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def workers(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``jobferry serve`` with ``JOBFERRY_WORKERS=2``."""
    server = start_server(
        tmp_path_factory.mktemp("workers"), database, JOBFERRY_WORKERS="2", **SHARED
    )
    yield server
    server.stop()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _worker_pids(engine: sa.Engine) -> set[int]:
    """The server processes registered in the database that are running (a killed one's row
    stays until the others forget it)."""
    with engine.connect() as conn:
        pids = {int(pid) for (pid,) in conn.exec_driver_sql("SELECT pid FROM workers")}
    return {pid for pid in pids if _running(pid)}


def _owner_pid(engine: sa.Engine, task_id: str) -> int | None:
    with engine.connect() as conn:
        pid = conn.exec_driver_sql(
            "SELECT w.pid FROM system_tasks t JOIN workers w ON w.id = t.owner WHERE t.id = %s",
            (task_id,),
        ).scalar_one_or_none()
    return None if pid is None else int(pid)


def _both_registered(engine: sa.Engine, server: ServerProcess) -> set[int]:
    """The two worker processes' ids, once both have started (the port answers with one, and
    uvicorn replaces a killed one)."""
    deadline = time.monotonic() + 60
    while len(pids := _worker_pids(engine)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(pids) == 2, pids
    assert server.proc.pid not in pids  # the process we started only supervises them
    return pids


def test_two_worker_processes_serve_one_port_and_run_its_tasks(
    workers: ServerProcess, engine: sa.Engine
) -> None:
    _both_registered(engine, workers)
    ws = new_workspace(workers, "two_processes", "dws_conn")
    task_id = start_bulk_import(workers, ws, 20)
    assert wait_for_task(workers, ws, task_id).status == "SUCCESSFUL"
    exported = workers.call("POST", "/exports", b'{"mode": "workspace"}', workspace=ws)
    assert exported.status_code == 200, exported.text
    export_id = exported.json()["taskId"]
    assert wait_for_task(workers, ws, export_id).status == "SUCCESSFUL"
    assert {_owner_pid(engine, task_id), _owner_pid(engine, export_id)} <= _worker_pids(engine)


def test_a_worker_killed_mid_import_has_its_task_failed_by_the_other(
    workers: ServerProcess, engine: sa.Engine
) -> None:
    _both_registered(engine, workers)
    ws = new_workspace(workers, "killed", "dws_conn")
    task_id = start_bulk_import(workers, ws, KILLED_JOBS)
    wait_until_checking(workers, ws, task_id)
    victim = _owner_pid(engine, task_id)
    assert victim is not None

    os.kill(victim, signal.SIGKILL)

    task = wait_for_task(workers, ws, task_id)
    assert task.status == "FAILED"
    assert "stopped before it finished" in task.message
    assert _owner_pid(engine, task_id) == victim  # failed, not run again by another
    assert workers.client().list_jobs(ListJobsRequest(workspace=ws)).total == 0
    again = start_bulk_import(workers, ws, 10)
    assert wait_for_task(workers, ws, again).status == "SUCCESSFUL"
    assert workers.client().list_jobs(ListJobsRequest(workspace=ws)).total == 10


def test_tasks_accepted_by_a_process_without_task_threads_run_in_another(
    workers: ServerProcess, engine: sa.Engine, database: str
) -> None:
    workers_dir = workers.log.parent
    pids = _both_registered(engine, workers)
    # Whichever process runs a task reads the package the accepting one stored: on one
    # machine they share the data folder (on several, the S3 package store).
    api_only = start_server(workers_dir, database, JOBFERRY_TASK_THREADS="0", **SHARED)
    try:
        ws = new_workspace(api_only, "api_only", "dws_conn")
        task_id = start_bulk_import(api_only, ws, 20)

        assert wait_for_task(api_only, ws, task_id).status == "SUCCESSFUL"
        assert _owner_pid(engine, task_id) in pids
    finally:
        api_only.stop()
