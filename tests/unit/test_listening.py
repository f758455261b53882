"""How ``jobferry serve`` listens: the options it hands uvicorn resolve to uvloop's event loop
and httptools' parser (both C, installed with jobferry), not to the pure-Python fallbacks
uvicorn would otherwise pick quietly."""

from __future__ import annotations

import sys

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


def test_several_workers_get_time_to_start_before_uvicorn_calls_one_hung(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``JOBFERRY_WORKERS`` > 1 uvicorn's supervisor gets 30 s, not its 5 s, for a worker's
    answer to its ping: a new worker imports jobferry first, which a loaded machine stretched
    past 5 s, and the supervisor killed it and started another, over and over."""
    import uvicorn

    from jobferry import server

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, app=app))

    class _Db:
        def dispose(self) -> None:
            seen["disposed"] = True

    class _Services:
        db = _Db()

    class _Settings:
        host, port, log_level, workers, shutdown_seconds = "127.0.0.1", 0, "info", 2, 7

    startup = server.Startup(_Services(), "p", None, None, None)  # type: ignore[arg-type]
    server.serve(startup, _Settings())  # type: ignore[arg-type]
    assert seen["app"] == "jobferry.server:worker_app"
    assert seen["workers"] == 2
    assert seen["timeout_worker_healthcheck"] == server.WORKER_HEALTHCHECK_SECONDS == 30
    assert seen["timeout_graceful_shutdown"] == 7  # each worker cuts its calls past it
    assert seen["disposed"] is True
