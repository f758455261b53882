"""``jobferry serve`` and the ``jobferry db`` commands: run the server, migrate its database,
copy it into another one, encrypt its secrets again."""

from __future__ import annotations

import difflib
import os
import shlex
import shutil
import socket
import sys
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from jobferry import __version__
from jobferry.cli.config import CLIENT_VARIABLES
from jobferry.cli.exits import CommandError
from jobferry.cli.session import JsonOption, session

# The server, its settings and everything below them (FastAPI, SQLAlchemy, the services:
# ~1.5 s of CPU) are imported by the commands that run them, not by every CLI process: most
# commands only talk HTTP to a server.
if TYPE_CHECKING:
    from jobferry.settings import Settings

db_app = typer.Typer(help="Database schema commands (local).", no_args_is_help=True)


def _settings(**overrides: object) -> Settings:
    from jobferry.settings import load_settings

    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def serve_command(
    host: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Listen address (JOBFERRY_HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(metavar="PORT", min=0, max=65535, help="Listen port (JOBFERRY_PORT)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            metavar="COUNT",
            min=1,
            max=64,
            help="Server processes on the port (JOBFERRY_WORKERS; >1 needs PostgreSQL).",
        ),
    ] = None,
) -> None:
    """Run the HTTP server (settings from JOBFERRY_* environment variables)."""
    from jobferry.settings import Settings

    out = Console(highlight=False, soft_wrap=True)
    # Before the settings are read: a misspelt one is said beside a refused one, not after it.
    for line in unknown_variables(os.environ, Settings.model_fields):
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"warning {line}")
    settings = _settings(host=host, port=port, workers=workers)
    _check_free(settings.host, settings.port, settings.resolved_database_url())
    _check_alone(settings.resolved_database_url())
    from jobferry.errors import SecretKeyError
    from jobferry.server import build, serve, serve_refusal

    try:
        startup = build(settings)
    except SecretKeyError as exc:
        url = f"http://{settings.host}:{settings.port}"
        said = (
            f"refusing to start. {exc.message}\n{url}/health and every call answer 503 "
            f"{exc.code} saying so until this process is stopped (Ctrl-C) and started again "
            "with the right key."
        )
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            Text.assemble((f"error {exc.code}: ", "red bold"), said)
        )
        serve_refusal(exc, settings)
        raise typer.Exit(1) from None
    url = f"http://{settings.host}:{settings.port}"
    processes = f", {settings.workers} processes" if settings.workers > 1 else ""
    out.print(f"jobferry serving at [bold]{url}[/bold]  (API docs: {url}/docs{processes})")
    out.print(f"web console:       [bold]{url}/console/[/bold]  (password: {password_hint()})")
    out.print(f"project id:        [bold]{startup.project_id}[/bold]")
    out.print(f"admin access key:  [bold]{startup.admin_access_key}[/bold]")
    if startup.issued is not None and startup.credentials_file is not None:
        out.print(f"admin secret key:  [bold]{startup.issued.secret_key}[/bold]  (shown once)")
        out.print(f"credentials saved (owner-only) in {startup.credentials_file}")
    serve(startup, settings)


def unknown_variables(environ: Mapping[str, str], settings: Iterable[str]) -> list[str]:
    """A line for each ``JOBFERRY_*`` variable that is neither one of the ``settings`` nor the
    CLI's, with the one it was probably meant to be: a misspelt setting is otherwise ignored in
    silence."""
    known = {f"JOBFERRY_{name.upper()}" for name in settings} | CLIENT_VARIABLES
    lines = []
    for name in sorted(environ):
        if not name.startswith("JOBFERRY_") or name in known or name.startswith("JOBFERRY_TEST_"):
            continue
        near = difflib.get_close_matches(name, sorted(known), n=1)
        meant = f" (did you mean {near[0]}?)" if near else ""
        lines.append(f"{name} is not a jobferry setting and is ignored{meant}.")
    return lines


def _check_free(host: str, port: int, database_url: str) -> None:
    """Refuse at once, before anything is printed, an address another process listens on; a
    free port is offered only where a second server may serve the same database."""
    if port == 0:
        return
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError as exc:  # socket.gaierror: a name that resolves to nothing
        raise CommandError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Pass --host (or set "
            "JOBFERRY_HOST) to an address of this machine: 127.0.0.1 for this machine only, "
            "0.0.0.0 for every interface.",
            code="serve",
        ) from exc
    try:
        _bind(family, host, port)
    except OSError as exc:
        from jobferry.storage.presence import sqlite_served

        said = f"Cannot listen on {host}:{port}: {exc.strerror or exc}."
        if sqlite_served(database_url):
            served = database_url.removeprefix("sqlite:///")
            raise CommandError(
                f"{said} A jobferry already serves this database ({served}), most likely "
                "there: use it, or stop it first. A SQLite database takes one server; another "
                "server needs its own data folder (JOBFERRY_DATA_DIR) and port.",
                code="serve",
            ) from exc
        free = _free_port_after(family, host, port)
        instead = (
            f"pass --port {free} (or set JOBFERRY_PORT: JOBFERRY_PORT={free} make run in a "
            f"checkout); {free} is free now"
            if free
            else "pass --port (or set JOBFERRY_PORT) to a free port"
        )
        raise CommandError(
            f"{said} Another process (another jobferry?) may hold it: stop it, or {instead}.",
            code="serve",
        ) from exc


def _check_alone(database_url: str) -> None:
    """Refuse a second server of a SQLite database another server serves now (on another
    port, or another address): SQLite is the one-process path, as several workers are refused."""
    from jobferry.storage.presence import sqlite_served

    if sqlite_served(database_url):
        served = database_url.removeprefix("sqlite:///")
        raise CommandError(
            f"A jobferry already serves this database ({served}): use that server, or stop it "
            "first. A SQLite database takes one server; another server needs its own data "
            "folder (JOBFERRY_DATA_DIR), and several processes on one database need PostgreSQL "
            "(JOBFERRY_DATABASE_URL).",
            code="serve",
        )


def _bind(family: socket.AddressFamily, host: str, port: int) -> None:
    """Bind ``host:port`` and let it go again (OSError when another process holds it)."""
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _free_port_after(family: socket.AddressFamily, host: str, port: int) -> int | None:
    """The first of the next 20 ports that no process holds now (a suggestion for the message:
    a newcomer whose 8000 is taken needs a number, not a search), or ``None``."""
    for candidate in range(port + 1, min(port + 21, 65536)):
        try:
            _bind(family, host, candidate)
        except OSError:
            continue
        return candidate
    return None


def password_hint() -> str:
    """The command that sets a console password on this server's database: with the data
    folder it was started with (the command reads ./data otherwise); a database URL is not
    repeated, since it may hold a password."""
    command = f"{_own_command()} admin set-password USER"
    if os.environ.get("JOBFERRY_DATABASE_URL"):
        return f"{command}, with this server's JOBFERRY_DATABASE_URL set"
    data_dir = os.environ.get("JOBFERRY_DATA_DIR")
    return f"JOBFERRY_DATA_DIR={shlex.quote(data_dir)} {command}" if data_dir else command


def _own_command() -> str:
    """How to run this same ``jobferry`` again: its name when the shell finds this one, else
    the path it was started by (``make run`` starts ``.venv/bin/jobferry``, not on PATH)."""
    started = Path(sys.argv[0])
    found = shutil.which("jobferry")
    if started.name != "jobferry":  # python -m jobferry
        return "jobferry" if found else f"{Path(sys.executable).name} -m jobferry"
    if found and Path(found).resolve() == started.resolve():
        return "jobferry"
    return str(started)


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    json_mode: JsonOption = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="On a failure, print the whole error (its traceback) too."),
    ] = False,
) -> None:
    """Create or migrate the database schema to this version's newest revision (from any
    earlier one)."""
    from jobferry.errors import JobferryError
    from jobferry.server import migrate

    out = session(ctx, json_mode).output
    try:
        done = migrate(_settings())
    except JobferryError as exc:
        if debug:  # the one-line refusal follows, as without --debug
            traceback.print_exception(exc, file=sys.stderr)
        raise
    if out.json_mode:
        out.emit({"before": done.before, "after": done.after, "version": __version__})
        return
    if done.before is None:
        said = f"database created at revision {done.after}"
    elif done.changed:
        said = f"database upgraded: revision {done.before} → {done.after}"
    else:
        said = f"database is at revision {done.after} already; nothing to do"
    out.line(f"{said} (jobferry {__version__})")


NOT_COPIED = (
    "Not copied: the package store (the data folder's packages, or the object storage "
    "bucket) and the secret key. Start the server on the new database with the same "
    "JOBFERRY_SECRET_KEY (or the data folder's secret.key: the stored secrets are encrypted "
    "with it) and the same package store settings (JOBFERRY_DATA_DIR, JOBFERRY_PACKAGE_STORE "
    "and its JOBFERRY_S3_* settings)."
)


@db_app.command("copy")
def db_copy(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="The empty database to copy into: postgresql://user@host:5432/db or "
            "sqlite:///FILE (it gets this version's schema first).",
        ),
    ],
    json_mode: JsonOption = False,
) -> None:
    """Copy every row of this server's database (JOBFERRY_DATABASE_URL, or the SQLite file of
    the data folder) into another, empty database, SQLite or PostgreSQL, in one transaction.
    Stop the server first."""
    from jobferry.server import copy_database
    from jobferry.storage.copying import shown_url
    from jobferry.storage.presence import served

    out = session(ctx, json_mode).output
    settings = _settings()
    if served(settings.resolved_database_url()):
        out.warn(
            "a jobferry server serves this database now: the copy takes the database as it is "
            "when the copy begins, and what the server writes after that is not in it. Stop "
            "the server before you start one on the copy; if it wrote meanwhile, copy again "
            "into an empty database."
        )
    done = copy_database(settings, to, lambda table, rows: out.line(f"{table}: {rows} rows"))
    source, target = shown_url(settings.resolved_database_url()), shown_url(to)
    if out.json_mode:
        out.emit({"tables": done.tables, "rows": done.rows, "source": source, "target": target})
    else:
        out.line(f"copied {done.rows} rows of {len(done.tables)} tables from {source} to {target}")
    out.note(NOT_COPIED, style=None)


@db_app.command("rotate-secret-key")
def db_rotate_secret_key(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """Encrypt every stored secret again under a new secret key. First give every server
    process both keys, the new one first (JOBFERRY_SECRET_KEY=NEW,OLD, or NEW and OLD on two
    lines of secret.key) and restart them; after this, drop the old key and restart again."""
    from jobferry.server import rotate_secret_key

    out = session(ctx, json_mode).output
    done = rotate_secret_key(_settings())
    if out.json_mode:
        kinds = [{"secrets": what, "encrypted": n, "already": kept} for what, n, kept in done.kinds]
        out.emit({"encrypted": done.written, "already": done.kept, "kinds": kinds})
        return
    for what, written, kept in done.kinds:
        out.line(f"{what}: {written} encrypted again, {kept} under the new key already")
    total = done.written + done.kept
    said = "every stored secret is" if total != 1 else "the one stored secret is"
    out.line(
        f"{said.capitalize()} under the new key now ({done.written} encrypted again). Remove "
        "the old key (keep only the first in JOBFERRY_SECRET_KEY or secret.key) and restart "
        "every server process; keep the old key with the backups taken before now: they need it."
    )
