"""A refusal that says nothing was done and when to try again (503 ``DLF.9504``/``DLF.9505``
with ``Retry-After``, a 429) is waited for and sent again, signed anew each time, a bounded
number of times, with one line on standard error before each wait; any other refusal is the
command's answer at once.

The endpoint is a loopback HTTP server that checks each request's signature and answers the
refusals it is given first, then the command's answer."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from jobferry.cli import client as client_module
from jobferry.cli import retrying
from jobferry.cli.client import ApiClient, ApiError, ConnectionProblemError
from jobferry.cli.config import load_context
from jobferry.signing import verify_request
from support.cli import invoke

PROJECT = "0123456789abcdef0123456789abcdef"
WORKSPACE = "0833a5737480d53b2f25c010dc1a7b88"
AK, SK = "RETRYAK0000000000001", "retry-secret"
ROLLED_BACK = {"rolledBack": 1, "objects": [{"kind": "job", "name": "a", "action": "DELETED"}]}
BUSY = (503, {"Retry-After": "1"}, {"error_code": "DLF.9504", "error_msg": "The database is busy"})


@dataclass
class Seen:
    """A request the endpoint got: its signing time, signature, body size, and whether the
    signature was right."""

    sdk_date: str
    authorization: str
    size: int
    verified: bool


@dataclass
class Script:
    """What the endpoint answers, in order, before the command's answer; what it saw."""

    refusals: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)


class RefusingFirst(BaseHTTPRequestHandler):
    """Answers the script's refusals first, then the rollback's or the upload's answer."""

    script: ClassVar[Script] = Script()

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        """A rollback or an upload."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        try:
            verify_request(
                "POST", path, query, dict(self.headers), body, {AK: SK}.get, datetime.now(UTC)
            )
            verified = True
        except Exception:
            verified = False
        script = RefusingFirst.script
        script.seen.append(
            Seen(self.headers["X-Sdk-Date"], self.headers["Authorization"], len(body), verified)
        )
        if script.refusals:
            status, headers, answer = script.refusals.pop(0)
        else:
            status, headers = 200, {}
            answer = (
                {"path": "upload://x", "size": len(body)} if "packages" in path else ROLLED_BACK
            )
        data = json.dumps(answer).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    """The endpoint on a free port, a fresh script, and a config context for it."""
    RefusingFirst.script = Script()
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingFirst)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    file = tmp_path / "config.toml"
    file.write_text(
        "[contexts.busy]\n"
        f'endpoint = "http://127.0.0.1:{server.server_address[1]}"\n'
        f'project_id = "{PROJECT}"\nworkspace = "{WORKSPACE}"\n'
        f'ak = "{AK}"\nsk = "{SK}"\n',
        encoding="utf-8",
    )
    yield file
    server.shutdown()
    server.server_close()


def _rollback(config: Path) -> Any:
    return invoke(["--config", str(config), "--context", "busy", "rollback", "t1", "--yes"])


def test_a_busy_refusal_is_waited_for_and_the_request_sent_again_signed_anew(
    config: Path,
) -> None:
    script = RefusingFirst.script
    script.refusals = [BUSY, BUSY]
    result = _rollback(config)
    assert result.exit_code == 0, result.output
    assert "Rolled back 1 object(s)." in result.stderr + result.stdout
    said = [line for line in result.stderr.splitlines() if line.startswith("Waiting")]
    assert said == [
        f"Waiting 1 s, then sending the request again (retry {n} of 5): the server's database "
        "is busy (DLF.9504), and nothing of the request was done."
        for n in (1, 2)
    ]
    assert [seen.verified for seen in script.seen] == [True, True, True]
    assert len({seen.sdk_date for seen in script.seen}) == 3  # each signed when it was sent
    assert len({seen.authorization for seen in script.seen}) == 3


def test_an_object_storage_refusal_and_a_throttled_answer_are_waited_for_too(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrying, "THROTTLED_WAIT_SECONDS", 0.1)
    store = {"error_code": "DLF.9505", "error_msg": "The object storage did not answer"}
    throttled = {"error_code": "APIGW.0308", "error_msg": "The throttling threshold is reached"}
    RefusingFirst.script.refusals = [(503, {"Retry-After": "1"}, store), (429, {}, throttled)]
    result = _rollback(config)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "(retry 1 of 5): the server's object storage does not answer (DLF.9505)" in said
    assert (
        "Waiting 0.1 s, then sending the request again (retry 2 of 5): the endpoint is "
        "throttling requests (HTTP 429, APIGW.0308)" in said
    )
    assert len(RefusingFirst.script.seen) == 3


@pytest.mark.parametrize(
    "refusal",
    [
        (503, {}, {"error_code": "DLF.9504", "error_msg": "busy, no time to try again"}),
        (503, {"Retry-After": "1"}, {"error_code": "DLF.9503", "error_msg": "not available"}),
        (500, {"Retry-After": "1"}, {"error_code": "DLF.0000", "error_msg": "Internal error"}),
        (503, {"Retry-After": "61"}, {"error_code": "DLF.9504", "error_msg": "busy for long"}),
    ],
    ids=["busy-without-retry-after", "unavailable", "internal-error", "past-the-budget"],
)
def test_a_refusal_that_may_have_done_something_or_asks_too_long_is_not_sent_again(
    config: Path, refusal: tuple[int, dict[str, str], dict[str, Any]]
) -> None:
    RefusingFirst.script.refusals = [refusal]
    result = _rollback(config)
    assert result.exit_code != 0
    assert refusal[2]["error_msg"] in " ".join(result.stderr.split())
    assert "Waiting" not in result.stderr
    assert len(RefusingFirst.script.seen) == 1


def test_a_request_refused_busy_every_time_gives_up_after_its_retries(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrying, "MAX_RETRIES", 2)
    RefusingFirst.script.refusals = [BUSY] * 5
    result = _rollback(config)
    assert result.exit_code != 0
    assert "The database is busy" in result.stderr
    assert result.stderr.count("Waiting 1 s") == 2
    assert len(RefusingFirst.script.seen) == 3


def test_an_upload_refused_busy_is_sent_again_whole(config: Path, tmp_path: Path) -> None:
    package = tmp_path / "pkg.zip"
    package.write_bytes(b"PK" + bytes(range(256)) * 40)
    RefusingFirst.script.refusals = [BUSY]
    said: list[str] = []
    client = ApiClient(load_context(config, "busy", env={}), say=said.append)
    try:
        answer = client.upload(package)
    finally:
        client.close()
    sizes = [seen.size for seen in RefusingFirst.script.seen]
    assert sizes[0] == sizes[1] > package.stat().st_size  # the whole body, twice
    assert answer["size"] == sizes[1]
    assert [seen.verified for seen in RefusingFirst.script.seen] == [True, True]
    assert len(said) == 1


def test_the_refusal_stands_when_the_budget_is_spent() -> None:
    retries = retrying.Retries(waited=retrying.MAX_WAITED_SECONDS - 1)
    assert retries.pause(503, "DLF.9504", "1") == 1.0
    assert retries.pause(503, "DLF.9504", "1") is None
    assert isinstance(ApiError(503, "DLF.9504", "busy", {}), Exception)


class TaskEnded(BaseHTTPRequestHandler):
    """A server that answers every look at a task: it ended."""

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        data = json.dumps({"id": "t1", "status": "SUCCESSFUL", "subtasks": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _client_of_a_port_nothing_listens_on(tmp_path: Path) -> tuple[ApiClient, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    file = tmp_path / "config.toml"
    file.write_text(
        f'[contexts.back]\nendpoint = "http://127.0.0.1:{port}"\nproject_id = "{PROJECT}"\n'
        f'workspace = "{WORKSPACE}"\nak = "{AK}"\nsk = "{SK}"\n',
        encoding="utf-8",
    )
    return ApiClient(load_context(file, "back", env={})), port


def test_following_a_task_asks_again_while_its_server_restarts(tmp_path: Path) -> None:
    # a worker process of JOBFERRY_WORKERS=2 killed under the command's look at an import
    # ended the command ("Lost the server") while the other worker went on serving the import
    client, port = _client_of_a_port_nothing_listens_on(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", port), TaskEnded, bind_and_activate=False)
    server.allow_reuse_address = True

    def come_back() -> None:
        time.sleep(1.5)
        server.server_bind()
        server.server_activate()
        server.serve_forever(0.02)

    thread = threading.Thread(target=come_back, daemon=True)
    thread.start()
    try:
        assert client.wait_task("t1")["status"] == "SUCCESSFUL"
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def test_following_a_task_gives_up_on_a_server_that_stays_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "RECONNECT_SECONDS", 1.0)
    client, _ = _client_of_a_port_nothing_listens_on(tmp_path)
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionProblemError, match="Cannot reach"):
            client.wait_task("t1")
    finally:
        client.close()
    assert time.monotonic() - started < 5


class HeldThenEnded(TaskEnded):
    """A server stopping: its first look is held unanswered (the listening socket of a
    ``JOBFERRY_WORKERS`` server outlives its workers' stop), then cut; later looks (the server
    started again) answer that the task ended."""

    held = 0

    def do_GET(self) -> None:
        if HeldThenEnded.held == 0:
            HeldThenEnded.held += 1
            time.sleep(1.5)
            self.close_connection = True  # cut, with no answer
            return
        super().do_GET()


def test_following_a_task_asks_again_after_a_look_held_longer_than_its_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a look at an import held by a server while it stopped, then cut when it ended, gave up
    # at once ("Lost the server"): the seconds to ask again had counted from the look's start
    monkeypatch.setattr(client_module, "RECONNECT_SECONDS", 1.0)
    client, port = _client_of_a_port_nothing_listens_on(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", port), HeldThenEnded)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        assert client.wait_task("t1")["status"] == "SUCCESSFUL"
        assert HeldThenEnded.held == 1
    finally:
        client.close()
        server.shutdown()
        server.server_close()
