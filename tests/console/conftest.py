"""The console in-process over the shared services fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jobferry.server import build_app
from jobferry.services.container import Services
from jobferry.tasks.runner import TaskRunner
from support.console import PASSWORD, Browser, admin_actor


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """The whole app (API + console) in-process; the admin has a console password."""
    services.signin.set_password(admin_actor(services), "admin", PASSWORD)
    app = build_app(services, TaskRunner(services))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def anonymous(client: TestClient) -> Browser:
    """A browser that has not signed in."""
    return Browser(client)


@pytest.fixture
def browser(client: TestClient) -> Browser:
    """A browser signed in as the bootstrap admin."""
    b = Browser(client)
    response = b.sign_in()
    assert response.status_code == 303, response.text
    return b


@pytest.fixture
def anonymous_client_browser(services: Services, client: TestClient) -> Browser:
    """A second, signed-out browser with cookies apart from ``browser`` (same services; its
    app's lifespan does not run, the first client's runner serves both)."""
    app = build_app(services, TaskRunner(services))
    return Browser(TestClient(app, follow_redirects=False))
