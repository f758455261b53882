"""The console in-process over the shared services fixture (on SQLite unless a test is marked
for PostgreSQL too: ``support/backends.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.apps import full_app
from support.console import PASSWORD, Browser, admin_actor, admin_scope, seed


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """The whole app (API + console) in-process; the admin has a console password."""
    services.signin.set_password(admin_actor(services), "admin", PASSWORD)
    with TestClient(full_app(services), follow_redirects=False) as test_client:
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
    """A second, signed-out browser with cookies apart from ``browser`` (the same app; its
    lifespan runs once, for the first client)."""
    return Browser(TestClient(full_app(services), follow_redirects=False))


@pytest.fixture
def scope(services: Services) -> Scope:
    """The bootstrap admin in the default workspace."""
    return admin_scope(services)


@pytest.fixture
def seeded(services: Services, scope: Scope) -> Scope:
    """``scope`` holding the job daily_sales with its scripts, resource and connections."""
    seed(services, scope)
    return scope
