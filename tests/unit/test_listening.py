"""How ``jobferry serve`` listens: the options it hands uvicorn resolve to uvloop's event loop
and httptools' parser (both C, installed with jobferry), not to the pure-Python fallbacks
uvicorn would otherwise pick quietly."""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import ClassVar

import pytest
from uvicorn.config import Config

from jobferry.server import LISTENING


async def _app(scope: object, receive: object, send: object) -> None:
    """An ASGI app that is never called: only the configuration is loaded."""


def test_the_server_parses_http_with_httptools() -> None:
    config = Config(_app, **LISTENING)
    config.load()
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
    assert config.access_log is False


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build")
def test_the_server_runs_on_uvloop() -> None:
    import uvloop

    factory = Config(_app, **LISTENING).get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def _no_logging(level: str) -> None:
    """No logging set-up: uvicorn's configuration of the server's would outlive the test in
    this process (jobferry's loggers no longer propagating to pytest's capture)."""


def test_several_workers_get_time_to_start_before_uvicorn_calls_one_hung(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``JOBFERRY_WORKERS`` > 1 uvicorn's supervisor gets 30 s, not its 5 s, for a worker's
    answer to its ping: a new worker imports jobferry first, which a loaded machine stretched
    past 5 s, and the supervisor killed it and started another, over and over."""
    from uvicorn.config import Config

    from jobferry import server

    seen: dict[str, object] = {}

    class _Supervisor:
        def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
            seen.update(config=config, listening=sockets[0].getsockname()[0])

        def run(self) -> None:
            pass

    monkeypatch.setattr(server, "Supervisor", _Supervisor)
    monkeypatch.setattr(server, "log_config", _no_logging)

    class _Db:
        def dispose(self) -> None:
            seen["disposed"] = True

    class _Services:
        db = _Db()

    class _Settings:
        host, port, log_level, workers, shutdown_seconds = "127.0.0.1", 0, None, 2, 7

    startup = server.Startup(_Services(), "p", None, None, None)  # type: ignore[arg-type]
    server.serve(startup, _Settings())  # type: ignore[arg-type]
    config = seen["config"]
    assert isinstance(config, Config)
    assert (config.app, config.factory) == ("jobferry.server:worker_app", True)
    assert config.workers == 2
    assert config.timeout_worker_healthcheck == server.WORKER_HEALTHCHECK_SECONDS == 30
    assert config.timeout_graceful_shutdown == 7  # each worker cuts its calls past it
    assert (config.loop, config.http) == (LISTENING["loop"], LISTENING["http"])
    assert seen["listening"] == "127.0.0.1"
    assert seen["disposed"] is True


def _answers(port: int) -> bool:
    """Whether a connection to ``port`` on loopback is taken (by a listener, served or not)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except ConnectionRefusedError:
        return False


class _Worker:
    """A worker process that is never started: it listens on the supervisor's socket, as a
    worker's server does; it notes what the supervisor's stop finds of the listener as it
    stops each worker; the first started sends the supervisor a SIGTERM, as ``kill`` does."""

    seen: ClassVar[list[tuple[str, bool]]] = []

    def __init__(self, config: object, sockets: list[socket.socket]) -> None:
        self.socket = sockets[0]
        self.port = self.socket.getsockname()[1]
        self.pid, self.exitcode = 0, None

    def start(self) -> None:
        self.socket.listen()
        if not self.seen:
            os.kill(os.getpid(), signal.SIGTERM)  # queued by the supervisor's own handler
        self.seen.append(("started", _answers(self.port)))

    def is_alive(self, timeout: float = 5) -> bool:
        return True

    def terminate(self) -> None:
        self.seen.append(("terminated", _answers(self.port)))

    def join(self) -> None:
        self.seen.append(("joined", _answers(self.port)))


@pytest.mark.skipif(sys.platform == "win32", reason="the supervisor's signals are POSIX's")
def test_several_workers_stopped_refuse_new_connections_at_once_as_one_process_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop of ``JOBFERRY_WORKERS`` > 1 closes the listening socket before it waits for the
    workers to end their calls (up to ``JOBFERRY_SHUTDOWN_SECONDS``): a connection made
    meanwhile is refused, as one process refuses it, not taken by the socket the supervisor
    kept open and never answered."""
    import uvicorn.supervisors.multiprocess as supervising

    from jobferry import server

    monkeypatch.setattr(supervising, "Process", _Worker)
    monkeypatch.setattr(_Worker, "seen", [])
    monkeypatch.setattr(server, "log_config", _no_logging)
    handlers = {sig: signal.getsignal(sig) for sig in supervising.SIGNALS}

    class _Db:
        def dispose(self) -> None:
            pass

    class _Services:
        db = _Db()

    class _Settings:
        host, port, log_level, workers, shutdown_seconds = "127.0.0.1", 0, None, 2, 1

    startup = server.Startup(_Services(), "p", None, None, None)  # type: ignore[arg-type]
    try:
        server.serve(startup, _Settings())  # type: ignore[arg-type]
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert _Worker.seen == [
        ("started", True),  # listening while it runs
        ("started", True),
        ("terminated", False),
        ("terminated", False),
        ("joined", False),
        ("joined", False),
    ]
