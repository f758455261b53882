"""Fixtures: databases (SQLite and PostgreSQL), services, a signed in-process API client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobferry.api.app import create_app
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.signing import sign_request
from jobferry.storage import Database
from jobferry.storage.schema import upgrade
from jobferry.tasks.runner import TaskRunner

PG_URL = os.environ.get("JOBFERRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_AK = "TESTADMINAK000000001"
ADMIN_SK = "test-admin-secret-key-0123456789abcdefgh"
PROJECT_ID = "0123456789abcdef0123456789abcdef"

_pg_state: dict[str, bool] = {}


def postgres_available() -> bool:
    """Whether the test PostgreSQL answers (CI must have it; locally it may be absent)."""
    if "ok" not in _pg_state:
        try:
            engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
            with engine.connect() as conn:
                conn.exec_driver_sql("select 1")
            engine.dispose()
            _pg_state["ok"] = True
        except Exception:
            _pg_state["ok"] = False
    return _pg_state["ok"]


def require_postgres() -> None:
    """Skip locally when PostgreSQL is absent; fail in CI, where it must be there."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} but CI requires it")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each service/API test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobferry.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data folder and database."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        project_id=PROJECT_ID,
        admin_ak=ADMIN_AK,
        admin_sk=ADMIN_SK,
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Migrated database, bootstrapped project, wired services."""
    db = Database(settings.resolved_database_url())
    upgrade(db)
    svc = Services.build(settings, db)
    svc.accounts.bootstrap(settings.project_id, settings.admin_ak, settings.admin_sk)
    yield svc
    db.dispose()


def orphan_reference_rows(services: Services) -> int:
    """Rows of the reference index whose job is gone (job_refs has no foreign key: 0005)."""
    with services.db.engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM job_refs WHERE job_id NOT IN (SELECT id FROM jobs)"
        ).scalar()
    return int(count or 0)


class SignedClient:
    """Calls the in-process app the way the SDK does: signed, camelCase JSON."""

    def __init__(self, client: TestClient, ak: str, sk: str, project_id: str = PROJECT_ID):
        self.client = client
        self.ak, self.sk, self.project_id = ak, sk, project_id

    def as_user(self, ak: str, sk: str) -> SignedClient:
        """The same app, another user's credentials."""
        return SignedClient(self.client, ak, sk, self.project_id)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        workspace: str | None = None,
        query: dict[str, Any] | None = None,
        project_id: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Any:
        """Send a signed request; ``path`` is relative to /v1/{project_id}."""
        pid = project_id or self.project_id
        raw_path = f"/v1/{pid}{path}"
        raw_query = "&".join(
            f"{quote(str(k), safe='~')}={quote(_q(v), safe='~')}"
            for k, v in sorted((query or {}).items())
            if v is not None
        )
        data = b"" if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
        headers = {
            "Host": "testserver",
            "Content-Type": "application/json" if not data else "application/json;charset=utf-8",
            "X-Project-Id": pid,
        }
        if workspace:
            headers["workspace"] = workspace
        headers.update(extra_headers or {})
        headers.update(sign_request(method, raw_path, raw_query, headers, data, self.ak, self.sk))
        url = raw_path + (f"?{raw_query}" if raw_query else "")
        return self.client.request(method, url, content=data, headers=headers)


def _q(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture
def api(services: Services) -> Iterator[SignedClient]:
    """The app in-process, called as the bootstrap admin."""
    with TestClient(
        create_app(services, TaskRunner(services)), raise_server_exceptions=False
    ) as client:
        yield SignedClient(client, ADMIN_AK, ADMIN_SK)
