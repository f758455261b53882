"""A server stopped (SIGTERM, or Ctrl-C) while a call is still running ends within its shutdown
time (``JOBFERRY_SHUTDOWN_SECONDS``), not when the call would have ended: the call is cut and
answered 503 ``DLF.9071``, saying so. On SIGTERM the process ends by that signal; on Ctrl-C it
ends ``LEAVE_SECONDS`` after its shutdown, without waiting for the cut call's thread.

The call is the drift read, held inside the database: another PostgreSQL session holds a table
it reads exclusively (``support.busy.postgres_held``), so the read waits in the driver, on the
thread pool, where nothing in the process can interrupt it (for the connection's lock wait,
10 s, before it would be refused as busy)."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from jobferry.api.stopping import LEAVE_SECONDS
from support.busy import postgres_held
from support.server import new_workspace, start_server

pytestmark = [pytest.mark.e2e]
SHUTDOWN = 1
"""The server's shutdown time (s) in this test."""


def _waiting_on_the_lock(url: str, table: str = "promotion_ledger") -> bool:
    """Whether a session waits for the held ``table`` of this test's schema (the drift read,
    a promotion's packaging)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE NOT l.granted AND c.relname = %(table)s "
                "AND c.relnamespace = current_schema()::regnamespace",
                {"table": table},
            )
            return bool(waiting.scalar())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("stop", "status"), [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 0)]
)
def test_a_server_stopped_mid_call_cuts_it_within_its_shutdown_time_and_says_so(
    stop: signal.Signals, status: int, tmp_path: Path, shared_pg: str
) -> None:
    server = start_server(tmp_path / "data", shared_pg, JOBFERRY_SHUTDOWN_SECONDS=str(SHUTDOWN))
    answers: list[requests.Response] = []
    try:
        with postgres_held(shared_pg, "LOCK TABLE promotion_ledger IN ACCESS EXCLUSIVE MODE", 60):
            held = threading.Thread(target=lambda: answers.append(server.call("GET", "/drift")))
            held.start()
            deadline = time.monotonic() + 30
            while not _waiting_on_the_lock(shared_pg):
                assert time.monotonic() < deadline, "the drift read never reached the lock"
                time.sleep(0.05)

            stopped = time.monotonic()
            server.proc.send_signal(stop)
            ended = server.proc.wait(timeout=30)
            took = time.monotonic() - stopped
            held.join(30)
    finally:
        server.stop()

    # Without the cut it ends once the read gives up on the lock (10 s), answered busy.
    assert took < SHUTDOWN + LEAVE_SECONDS + 4, took
    assert ended == status
    assert len(answers) == 1
    cut = answers[0]
    assert cut.status_code == 503, cut.text
    assert cut.json()["error_code"] == "DLF.9071", cut.text
    assert "JOBFERRY_SHUTDOWN_SECONDS (1 s)" in cut.json()["error_msg"]
    assert "Nothing was changed." in cut.json()["error_msg"]
    assert cut.headers["X-Request-Id"]


def test_a_promotion_call_cut_by_the_stop_answers_the_task_it_goes_on_as(
    tmp_path: Path, shared_pg: str
) -> None:
    """``jobferry promote`` waits up to its budget for the promotion, which runs as a task from
    its start. Cut by a stop, the call answered 503 "may have been done", though the stop ran
    the task to its end: the command exited 1 and never showed the plan. The call answers that
    task instead (202, as past its budget), which the command follows to its end."""
    server = start_server(tmp_path / "data", shared_pg, JOBFERRY_SHUTDOWN_SECONDS=str(SHUTDOWN))
    answers: list[requests.Response] = []
    try:
        new_workspace(server, "prod")
        route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
        assert server.call("PUT", "/routes/r", json.dumps(route).encode()).status_code == 200
        with postgres_held(shared_pg, "LOCK TABLE route_promotions IN ACCESS EXCLUSIVE MODE", 60):
            prefer = {"Prefer": "respond-async, wait=30"}  # a budget the stop comes within

            def promote() -> None:
                answers.append(server.call("POST", "/routes/r/plans", b"{}", extra_headers=prefer))

            held = threading.Thread(target=promote)
            held.start()
            deadline = time.monotonic() + 30
            while not _waiting_on_the_lock(shared_pg, "route_promotions"):
                assert time.monotonic() < deadline, "the promotion never reached the lock"
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGTERM)
            held.join(SHUTDOWN + 10)
        server.proc.wait(timeout=30)  # the promotion, let go, ends; then the process
    finally:
        server.stop()

    assert len(answers) == 1
    cut = answers[0]
    assert cut.status_code == 202, cut.text
    task_id, workspace = cut.json()["taskId"], cut.json()["workspace"]
    restarted = start_server(tmp_path / "data", shared_pg)
    try:
        shown = restarted.call("GET", f"/system-tasks/{task_id}", workspace=workspace)
    finally:
        restarted.stop()
    assert shown.status_code == 200, shown.text
    task = shown.json()
    assert (task["kind"], task["status"]) == ("promotion", "SUCCESSFUL"), task
