"""Start-up: open the database, check its schema, bootstrap, build the app, serve it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from uvicorn.supervisors import Multiprocess

from jobferry.api.app import create_app
from jobferry.console.app import create_console
from jobferry.errors import InvalidRequestError, JobferryError, SecretKeyError, StorageError
from jobferry.logformat import log_config
from jobferry.services.accounts.adminfile import credentials_file
from jobferry.services.accounts.service import IssuedCredential
from jobferry.services.container import Services
from jobferry.services.support.keyrotation import Resealed, rotate_secrets
from jobferry.services.support.secretbox import SecretBox
from jobferry.settings import Settings, load_settings
from jobferry.storage import Database
from jobferry.storage.copying import Copied, Progress
from jobferry.storage.copying import copy_database as copy_rows
from jobferry.storage.database import normalise_url
from jobferry.storage.refusals import Pool
from jobferry.storage.schema import (
    Upgraded,
    require_current,
    require_file,
    require_present,
    upgrade,
)
from jobferry.tasks.runner import TaskRunner

LISTENING: dict[str, Any] = {
    "loop": "asyncio" if sys.platform == "win32" else "uvloop",
    "http": "httptools",
    "access_log": False,  # jobferry's own access log names the request id and access key
}
"""How uvicorn listens: uvloop's event loop (it has no Windows build) and httptools' HTTP
parser, both in C. A signed write call costs the server about 15 % less CPU than on
asyncio's own loop with the pure-Python h11 parser (bench/README.md, session 36), and every
answer leaves sooner: the loop is what all requests of a process share."""

WORKER_HEALTHCHECK_SECONDS = 30
"""How long uvicorn's supervisor waits for a worker process (``JOBFERRY_WORKERS`` > 1) to
answer its ping before it kills it as hung and starts another (uvicorn's default is 5 s). A
worker is a new interpreter that imports jobferry before it can answer: ~3 s of CPU, two at
once, which a loaded machine stretched past 5 s, and the replacement began again; a worker busy
with an import can answer late as well. A hung worker is still replaced, within 30 s."""


@dataclass(frozen=True)
class Startup:
    """What start-up did, for the banner, and the services it opened."""

    services: Services
    project_id: str
    admin_access_key: str | None
    issued: IssuedCredential | None
    credentials_file: Path | None


def open_database(settings: Settings) -> Database:
    """The database the settings name (a SQLite URL naming a folder refused)."""
    require_file(settings.resolved_database_url())
    pool = Pool(settings.database_pool_size, settings.database_pool_overflow)
    return Database(settings.resolved_database_url(), pool)


def open_current(settings: Settings) -> Database:
    """The database the settings name, refused unless it is at this version's schema; a SQLite
    file that does not exist is refused before anything connects, so nothing is created."""
    require_present(settings.resolved_database_url())
    db = open_database(settings)
    try:
        require_current(db)
    except BaseException:
        db.dispose()
        raise
    return db


def migrate(settings: Settings) -> Upgraded:
    """Bring the configured database to the newest schema; says from which revision."""
    db = open_database(settings)
    try:
        return upgrade(db)
    finally:
        db.dispose()


def copy_database(settings: Settings, to: str, progress: Progress | None = None) -> Copied:
    """Copy every row of the configured database into the empty database at ``to`` (given with
    ``--to``), which gets this version's schema first."""
    normalise_url(to, setting="--to")  # refused naming the option, not the setting
    require_present(settings.resolved_database_url())  # no empty SQLite file left behind
    source = open_database(settings)
    try:
        target = Database(to, Pool(1, 1))
        try:
            return copy_rows(source, target, progress)
        finally:
            target.dispose()
    finally:
        source.dispose()


def rotate_secret_key(settings: Settings) -> Resealed:
    """Encrypt every secret the configured database holds again under the first of the
    configured secret keys (the schema must be current; the keys must open every kind)."""
    db = open_current(settings)
    try:
        box = SecretBox.for_database(settings.secret_key, settings.data_dir, db)
        return rotate_secrets(db, box)
    finally:
        db.dispose()


def write_credentials_file(data_dir: Path, project_id: str, issued: IssuedCredential) -> Path:
    """Keep the generated admin credentials in the data folder, readable by the owner only
    (removed when that key is revoked: ``services.accounts.adminfile``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = credentials_file(data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(
            {
                "projectId": project_id,
                "accessKey": issued.access_key,
                "secretKey": issued.secret_key,
            },
            fh,
            indent=2,
        )
    os.chmod(path, 0o600)
    return path


def build_app(services: Services, runner: TaskRunner) -> FastAPI:
    """The API app with the web console mounted at /console (and / leading there)."""
    app = create_app(services, runner)
    app.mount("/console", create_console(services, runner))

    @app.get("/", include_in_schema=False)
    @app.get("/console", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    return app


@contextmanager
def local_services(settings: Settings) -> Iterator[Services]:
    """The services over the configured database, for commands run on the server machine
    (``jobferry admin``); refuses a database whose schema is not current, and never creates
    an empty one (run from another folder, the default ``./data`` names another place)."""
    embedded = settings.data_dir / "jobferry.db"
    if not settings.database_url and not embedded.exists():
        raise StorageError(
            f"There is no jobferry database at {embedded.resolve()}: the data folder "
            f"'{settings.data_dir}' is relative to where you run the command. Run it from the "
            "folder the server runs in, or set JOBFERRY_DATA_DIR (or JOBFERRY_DATABASE_URL) "
            "to the server's."
        )
    db = open_current(settings)
    try:
        yield Services.build(settings, db)
    finally:
        db.dispose()


def require_one_process_on_sqlite(settings: Settings) -> None:
    """Refuse ``JOBFERRY_WORKERS`` above 1 on SQLite, before anything is opened or written:
    SQLite is the single-process path (one writer at a time on one file, on one machine)."""
    if settings.workers > 1 and settings.resolved_database_url().startswith("sqlite"):
        raise InvalidRequestError(
            f"{settings.workers} server processes (serve --workers {settings.workers}, or "
            f"JOBFERRY_WORKERS={settings.workers}) need PostgreSQL (JOBFERRY_DATABASE_URL="
            "postgresql://user@host:5432/db); the embedded SQLite database serves one process. "
            "Ask for 1 (or leave both unset), or move to PostgreSQL (docs/operations.md).",
            setting="JOBFERRY_WORKERS",
        )


def build(settings: Settings) -> Startup:
    """Everything but listening: database check, bootstrap on an empty project table."""
    require_one_process_on_sqlite(settings)
    db = open_current(settings)
    try:
        services = Services.build(settings, db)
        services.check_package_store()
    except JobferryError:
        db.dispose()
        raise
    issued = services.accounts.bootstrap(settings.project_id, settings.admin_ak, settings.admin_sk)
    project_id, access_key = services.accounts.bootstrap_summary()
    creds_file = None
    if issued is not None and not (settings.admin_ak and settings.admin_sk):
        creds_file = write_credentials_file(settings.data_dir, project_id, issued)
    return Startup(services, project_id, access_key, issued, creds_file)


def serve(startup: Startup, settings: Settings) -> None:
    """Listen until stopped: in this process, or in ``settings.workers`` processes that
    uvicorn starts on one socket (and restarts when one dies), each building its own app."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": log_config(settings.log_level),
        # A call still running this long after a stop began is cut (its answer: 503 DLF.9071,
        # api/stopping.py): a sync route's thread cannot be interrupted, and uvicorn would
        # otherwise wait for it however long it takes.
        "timeout_graceful_shutdown": settings.shutdown_seconds,
        **LISTENING,
    }
    if settings.workers == 1:
        services = startup.services
        uvicorn.run(closing_database(build_app(services, TaskRunner(services))), **options)
        return
    startup.services.db.dispose()  # this process only supervises; each worker opens its own
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        workers=settings.workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **options,
    )
    listener = config.bind_socket()
    try:
        Supervisor(config, sockets=[listener]).run()
    finally:
        listener.close()


class Supervisor(Multiprocess):
    """uvicorn's supervisor of ``JOBFERRY_WORKERS`` processes on one listening socket, which
    it closes first when it stops, as one process closes its own: uvicorn's keeps it open
    until every worker has ended its calls (up to ``JOBFERRY_SHUTDOWN_SECONDS``), and the
    socket, listening still, takes connections meanwhile that no worker will ever answer (a
    client waits for its timeout, where a refused connection sends it to another server)."""

    def terminate_all(self) -> None:
        """Stop listening, then ask every worker to stop (each ends its calls first)."""
        for listener in self.sockets:
            listener.close()
        super().terminate_all()


REFUSED_WITHOUT_PATHS = (
    "This server refuses to start: its secret key (JOBFERRY_SECRET_KEY, else secret.key in its "
    "data folder) is missing or does not open the secrets its database holds, as after a "
    "restore without its key. Restore the secret.key backed up with this database (or set "
    "JOBFERRY_SECRET_KEY to it, the same for every server process) and start the server again; "
    "its log says which key it read. Nothing was changed."
)
"""What a server refusing to start for its secret key answers every call (no path in it)."""


def refusing_app(error: JobferryError) -> FastAPI:
    """The app of a server that refuses to start its services (``SecretKeyError``): ``/health``
    and every other path answer the refusal's status and DataArts envelope, so a health check
    (a load balancer, an orchestrator) reports why instead of a refused connection, and
    nothing is read or written until the server is started again as it should be."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    # Unsigned answers, through the proxy: the reason without the data folder's path (the log
    # on standard error, for the operator, has it), as /health never names the database's file.
    said = type(error)(REFUSED_WITHOUT_PATHS) if isinstance(error, SecretKeyError) else error

    @app.api_route("/{path:path}", methods=methods, include_in_schema=False)
    def refuse(request: Request) -> JSONResponse:
        body = said.envelope()
        if request.url.path == "/health":
            body = {"status": "refusing to start", **body}
        return JSONResponse(body, status_code=error.status)

    return app


def serve_refusal(error: JobferryError, settings: Settings) -> None:
    """Listen until stopped with :func:`refusing_app`, in one process."""
    uvicorn.run(
        refusing_app(error),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        **LISTENING,
    )


def worker_app() -> FastAPI:
    """The app of one of ``JOBFERRY_WORKERS`` processes (uvicorn calls this in each).

    A worker process is an entry point of its own: it builds the settings from the same
    environment the supervising ``jobferry serve`` read (which already checked the schema and
    bootstrapped the project), opens its own database connections and runs its own tasks.
    """
    settings = load_settings()
    db = open_current(settings)
    services = Services.build(settings, db)
    return closing_database(build_app(services, TaskRunner(services)))


def closing_database(app: FastAPI) -> FastAPI:
    """``app`` closing its database's connections once its own shutdown ended (its tasks
    finished): SQLite then folds its write-ahead log into the database and removes it with its
    ``-shm`` file, so a stopped server leaves ``jobferry.db`` alone beside them. At the end of
    the lifespan, not after ``uvicorn.run``: on SIGTERM uvicorn ends the process by that
    signal as it returns, and nothing after it runs."""
    served = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with served(app):
            yield
        runner: TaskRunner = app.state.runner
        runner.services.db.dispose()

    app.router.lifespan_context = lifespan
    return app
