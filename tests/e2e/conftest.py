"""A real server per backend, shared by every end-to-end, CLI and client test of the test
process (each test uses its own workspaces and names)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from support.databases import PG_URL, require_postgres, schema_url
from support.server import ServerProcess, SharedServers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    """``jobferry serve`` on a free loopback port, on SQLite or on a fresh PostgreSQL schema."""
    return shared_servers.get(request.param)


@pytest.fixture
def shared_pg() -> Iterator[str]:
    """A fresh PostgreSQL schema for several server processes to share (dropped afterwards)."""
    require_postgres()
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield schema_url(schema)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()
