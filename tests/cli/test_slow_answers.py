"""A call that does its whole work before it answers (a rollback, a remote's refresh) is waited
for longer than other calls, and when even that runs out, the command says the work may go on
in the server and how to see how it ended, rather than "try again".

The endpoint is a loopback HTTP server that answers those calls only after a while."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from jobferry.cli import client as client_module
from jobferry.cli import remotes, transfer
from support.cli import invoke

PROJECT = "0123456789abcdef0123456789abcdef"
WORKSPACE = "0833a5737480d53b2f25c010dc1a7b88"
ROLLED_BACK = {"rolledBack": 1, "objects": [{"kind": "job", "name": "a", "action": "DELETED"}]}
REFRESHED = {"counts": {"job": {"unchanged": 1}}}


class SlowRollback(BaseHTTPRequestHandler):
    """Answers a rollback or a refresh after ``delay`` seconds."""

    delay: ClassVar[float] = 0.0

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """Any read (the routes), answered late."""
        time.sleep(SlowRollback.delay)
        data = b'{"routes": []}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client stopped waiting
            pass

    def do_POST(self) -> None:
        """The rollback or the refresh, answered late."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(SlowRollback.delay)
        data = json.dumps(REFRESHED if self.path.endswith("/refresh") else ROLLED_BACK).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client stopped waiting
            pass


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Path]:
    """The server on a free port and a config context for it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowRollback)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    config = tmp_path / "config.toml"
    config.write_text(
        "[contexts.slow]\n"
        f'endpoint = "http://127.0.0.1:{server.server_address[1]}"\n'
        f'project_id = "{PROJECT}"\nworkspace = "{WORKSPACE}"\n'
        'ak = "SLOWAK00000000000001"\nsk = "slow-secret"\n',
        encoding="utf-8",
    )
    yield config
    server.shutdown()
    server.server_close()


COMMANDS = [
    (["rollback", "t1", "--yes"], transfer, "Rolled back 1 object(s).", "rolling import t1 back"),
    (["remotes", "refresh", "prod"], remotes, "prod", "refreshing remote 'prod'"),
]


@pytest.mark.parametrize(("args", "module", "done", "_"), COMMANDS)
def test_a_call_that_works_before_it_answers_is_waited_for_past_other_calls_timeout(
    slow: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], module: Any, done: str, _: str
) -> None:
    monkeypatch.setattr(client_module, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(module, "WORK_SECONDS", 10.0)
    SlowRollback.delay = 1.0
    result = invoke(["--config", str(slow), "--context", "slow", *args])
    assert result.exit_code == 0, result.output
    assert done in result.stderr + result.stdout


@pytest.mark.parametrize(("args", "module", "_", "going_on"), COMMANDS)
def test_one_not_answered_in_time_says_it_may_go_on_and_how_to_see_it(
    slow: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], module: Any, _: str, going_on: str
) -> None:
    monkeypatch.setattr(module, "WORK_SECONDS", 0.3)
    SlowRollback.delay = 1.0
    result = invoke(["--config", str(slow), "--context", "slow", *args])
    assert result.exit_code != 0
    said = " ".join(result.stderr.split())
    assert f"did not answer within 0.3 s; the server may still be {going_on}" in said
    assert " says when " in said  # and which command shows it
    assert "try again" not in said


def test_an_ordinary_call_not_answered_in_time_says_how_to_wait_longer(slow: Path) -> None:
    SlowRollback.delay = 1.0
    env = {"JOBFERRY_TIMEOUT": "0.3"}
    result = invoke(["--config", str(slow), "--context", "slow", "routes", "list"], env)
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "did not answer within 0.3 s; try again, or wait longer for each answer: " in said
    assert "JOBFERRY_TIMEOUT, or timeout in the context (seconds)." in said
