"""One app per kind and test process, wired to each test's services.

Building a FastAPI app is cheap, but its first requests are not: FastAPI builds every included
route's dependency model (pydantic adapters for each parameter) lazily per app, about 0.4 s of
CPU for this API, which was most of what an API test cost. The apps read their services and
task runner from ``app.state`` (the API's lifespan starts whichever runner is wired), so a test
process builds each app once and each test re-wires it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from jobferry.api.app import create_app
from jobferry.server import build_app
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.tasks.runner import TaskRunner
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient
from support.databases import migrate

Builder = Callable[[Services, TaskRunner], FastAPI]
_built: dict[Builder, FastAPI] = {}


def wired_app(build: Builder, services: Services) -> FastAPI:
    """``build(services, runner)``'s app, built once per process, wired to ``services`` and a
    new task runner over them. The runner keeps no house: its database was emptied before the
    test and no other process shares it, and the first round (a heartbeat, orphaned tasks and
    pushes, four sweeps) cost ~5 ms of CPU and ~13 ms of the test's time, racing the test's
    first requests for the database. The servers the tests start keep theirs."""
    runner = TaskRunner(services, housekeeping=False)
    app = _built.get(build)
    if app is None:
        app = _built[build] = build(services, runner)
    _wire(app, services, runner)
    return app


def api_app(services: Services) -> FastAPI:
    """The API alone."""
    return wired_app(create_app, services)


def full_app(services: Services) -> FastAPI:
    """The API with the console mounted, as ``jobferry serve`` runs it."""
    return wired_app(build_app, services)


def api_with(settings: Settings, **changes: object) -> Iterator[SignedClient]:
    """The API over services built from ``settings`` with ``changes``, called as the admin
    (for a fixture: ``yield from api_with(settings, replay_protection=False)``)."""
    configured = settings.model_copy(update=changes)
    url = configured.resolved_database_url()
    migrate(url)
    db = Database(url)
    services = Services.build(configured, db)
    services.accounts.bootstrap(configured.project_id, ADMIN_AK, ADMIN_SK)
    with TestClient(api_app(services), raise_server_exceptions=False) as client:
        yield SignedClient(client, ADMIN_AK, ADMIN_SK)
    db.dispose()


def _wire(app: FastAPI, services: Services, runner: TaskRunner) -> None:
    app.state.services = services
    app.state.runner = runner
    for route in app.routes:
        if isinstance(route, Mount) and isinstance(route.app, FastAPI):
            _wire(route.app, services, runner)
