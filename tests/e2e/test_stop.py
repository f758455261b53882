"""A server stopped (SIGTERM, or Ctrl-C) while a call is still running ends within its shutdown
time (``JOBFERRY_SHUTDOWN_SECONDS``), not when the call would have ended: the call is cut and
answered 503 ``DLF.9071``, saying so. On SIGTERM the process ends by that signal; on Ctrl-C it
ends ``LEAVE_SECONDS`` after its shutdown, without waiting for the cut call's thread.

The call is the drift read, held inside the database: another PostgreSQL session holds a table
it reads exclusively (``support.busy.postgres_held``), so the read waits in the driver, on the
thread pool, where nothing in the process can interrupt it (for the connection's lock wait,
10 s, before it would be refused as busy)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from jobferry.api.stopping import LEAVE_SECONDS
from support.busy import postgres_held
from support.server import start_server

pytestmark = [pytest.mark.e2e]
SHUTDOWN = 1
"""The server's shutdown time (s) in this test."""


def _waiting_on_the_lock(url: str) -> bool:
    """Whether a session waits for the held table of this test's schema (the drift read)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE NOT l.granted AND c.relname = 'promotion_ledger' "
                "AND c.relnamespace = current_schema()::regnamespace"
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
