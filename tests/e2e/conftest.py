"""A real server per backend, shared by a module's tests (each test uses its own names)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from conftest import PG_URL, require_postgres
from e2e.server import ServerProcess, start_server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """``jobferry serve`` on a free loopback port, on SQLite or on a fresh PostgreSQL schema."""
    data_dir = tmp_path_factory.mktemp("server")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'jobferry.db'}"
    else:
        require_postgres()
        schema = f"e2e_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    proc = start_server(data_dir, url)
    yield proc
    proc.stop()
    if schema:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
