"""Fixtures: databases (SQLite and PostgreSQL), services, a signed in-process API client.

Helpers tests import live in the ``support`` package beside this file.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient

from jobferry.package import helpers
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.tasks.runner import TaskRunner
from support import fuzzing, pace
from support.apps import api_app
from support.backends import chosen, left_out
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient
from support.databases import (
    fresh_schema_url,
    migrate,
    migrated_schema_url,
    migrated_sqlite_url,
    worker_database,
)
from support.forkedserve import PRELOAD
from support.fuzzing import fuzz_timeout
from support.gateway import Gateway, gateway_to
from support.remotes import REMOTE_PROJECT
from support.s3server import S3Server, bucket, s3_server, server_env  # noqa: F401
from support.scheduling import OneWorkerScheduler
from support.server import RETRY_SECONDS, ServerProcess, SharedServers, serving

# Test servers and package helpers are forked from this process's one forkserver: whichever
# starts first starts it with what both need imported (support/forkedserve.py).
helpers.preload(*PRELOAD)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh, empty schema, dropped afterwards."""
    yield from fresh_schema_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each service/API test runs once on SQLite and once on PostgreSQL: this test process's
    SQLite file or PostgreSQL schema, migrated and emptied (``support/databases.py``)."""
    if request.param == "sqlite":
        return migrated_sqlite_url()
    return migrated_schema_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without any table, on SQLite and on PostgreSQL (for migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobferry.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture(scope="session")
def remote_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A second jobferry server: the remote DataArts endpoint of this test process (see
    support/remotes.py); each test makes workspaces of its own in it."""
    with serving("sqlite", tmp_path_factory.mktemp("remote"), project_id=REMOTE_PROJECT) as proc:
        yield proc


@pytest.fixture
def gateway(remote_server: ServerProcess) -> Iterator[Gateway]:
    """The contract filter in front of the remote server (only the contract's calls pass)."""
    with gateway_to(remote_server.url) as gate:
        yield gate


@pytest.fixture(scope="session")
def shared_servers(
    tmp_path_factory: pytest.TempPathFactory,
    s3_server: S3Server,  # noqa: F811  (registered here: one S3 server per test process)
) -> Iterator[SharedServers]:
    """This test process's real servers, started on first use (``server`` fixtures of the
    CLI, end-to-end and client tests take theirs from here), obs:// paths mapped to the S3
    server (the Terraform and obs upload tests use it; the others never name obs://)."""
    servers = SharedServers(tmp_path_factory.mktemp("shared-servers"), server_env(s3_server))
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def second_servers(
    tmp_path_factory: pytest.TempPathFactory,
    s3_server: S3Server,  # noqa: F811
) -> Iterator[SharedServers]:
    """Servers of this test process beside ``shared_servers``, with databases of their own:
    the other end of a route carried between two servers."""
    servers = SharedServers(tmp_path_factory.mktemp("second-servers"), server_env(s3_server))
    yield servers
    servers.close()


@functools.cache
def _base_settings() -> Settings:
    """Read once: building Settings reads the environment, ~40 ms a time."""
    return Settings(
        project_id=PROJECT_ID,
        admin_ak=ADMIN_AK,
        admin_sk=ADMIN_SK,
        remote_retry_seconds=RETRY_SECONDS,
        # a call killed in the stand-in never lands unless a test lets it (Fault.STRAY): the
        # recovery after a kill need not wait (tests/unit/services/remotes/test_recovery.py
        # sets a settle time where it shows the wait)
        remote_settle_seconds=0,
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data folder and database. Parametrised indirectly with
    an ``OffsetMode`` (``pytest.mark.parametrize("settings", list(OffsetMode),
    indirect=True)``), the server reads list offsets that way."""
    update: dict[str, object] = {"data_dir": tmp_path / "data", "database_url": database_url}
    mode = getattr(request, "param", None)
    if mode is not None:
        update["offset_mode"] = mode
    return _base_settings().model_copy(update=update)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Migrated database (the process's emptied SQLite file or PostgreSQL schema, whose open
    ``Database`` is kept; a file a test named gets a copy of the session's template),
    bootstrapped project, services."""
    url = settings.resolved_database_url()
    migrate(url)
    kept = worker_database(url)  # the process's own database, emptied
    db = kept or Database(url)
    svc = Services.build(settings, db)
    # argon2id at its production cost is ~0.3 s of CPU per hash; console tests hash and verify
    # on every sign-in. The cheapest parameters keep the same code path (tests/unit/services/
    # test_signin_hashing.py checks the production parameters).
    svc.signin.hasher = PasswordHasher.from_parameters(CHEAPEST)
    svc.accounts.bootstrap(settings.project_id, settings.admin_ak, settings.admin_sk)
    yield svc
    if kept is None:
        db.dispose()
    else:  # the change token's connection belongs to this test's event loop
        kept.changes.close()


@pytest.fixture
def api(services: Services) -> Iterator[SignedClient]:
    """The app in-process, called as the bootstrap admin."""
    with TestClient(api_app(services), raise_server_exceptions=False) as client:
        yield SignedClient(client, ADMIN_AK, ADMIN_SK)


@pytest.fixture
def held_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's task runner claims no queued task, its poller's look (every second) included:
    a test that shows a task while it is queued runs it itself (``services.imports.run``)."""
    monkeypatch.setattr(TaskRunner, "kick", lambda self, **_: None)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--databases``: run the tests' variants on these databases only."""
    parser.addoption(
        "--databases",
        default=None,
        help="comma-separated databases to run on (sqlite, postgresql); default both",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test's variants on the databases it runs on only (``support/backends.py``: the
    adapters' tests on SQLite, unless marked; ``--databases`` limits the run). Then tests
    marked ``slow`` first, then the other end-to-end and fuzz tests, then the rest, each in
    collection order. xdist hands tests out in this order: a long test started last would
    leave the other workers idle at the end of the run. A longer run of the ``fuzz`` tests
    (``JOBFERRY_FUZZ_EXAMPLES``) gets a time limit in proportion (``support/fuzzing.py``), and on a
    machine slower than the one the limits were set on every limit is lengthened in proportion
    (``support/pace.py``)."""
    run_on = chosen(config.getoption("--databases"))
    dropped = left_out(items, Path(__file__).parent, run_on)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in gone]
    items.sort(key=_start_order)
    default = float(config.getini("timeout"))
    limit = fuzz_timeout(os.environ.get("JOBFERRY_FUZZ_EXAMPLES"), default)
    for item in items if limit is not None else ():
        if item.get_closest_marker("fuzz") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(limit))
    pace.lengthen_limits(items, default, pace.here())


def pytest_report_header(config: pytest.Config) -> str | None:
    """Says so where this machine is slower than the one the time limits were set on."""
    times = pace.here()
    return (
        f"time limits {times:.1f} times as long: a slow machine (support/pace.py)"
        if times > 1
        else None
    )


def _start_order(item: pytest.Item) -> int:
    if item.get_closest_marker("slow") is not None:
        return 0
    if any(item.get_closest_marker(name) is not None for name in ("e2e", "fuzz")):
        return 1
    return 2


def pytest_configure(config: pytest.Config) -> None:
    """With xdist, ``--dist loadgroup`` keeps the modules that must share a worker on one
    (``support/scheduling.py``). A test process collects the garbage less often (see
    ``pytest_collection_finish``). A ``--hypothesis-seed`` makes the generated tests tell that
    seed's examples, however few (``support/fuzzing.py``)."""
    fuzzing.SEEDED = config.getoption("--hypothesis-seed", None) is not None
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(OneWorkerScheduler(), "one-worker-modules")
    gc.set_threshold(10_000, 20, 20)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the imports and the collection made lives as long as the test process: frozen, the
    garbage collector no longer walks it. With that and collections fourteen times rarer
    (the default threshold is 700 allocations), a test process spends a third of the CPU it
    spent on them (2.0 s -> 0.6 s of 596 API and import tests). Only this process's; the
    servers the tests start keep the defaults."""
    gc.collect()
    gc.freeze()
