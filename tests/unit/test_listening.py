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
