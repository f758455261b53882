"""A real server per backend, shared by a module's tests (each test uses its own names)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.server import ServerProcess, serving


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """``jobferry serve`` on a free loopback port, on SQLite or on a fresh PostgreSQL schema."""
    with serving(request.param, tmp_path_factory.mktemp("server")) as proc:
        yield proc
