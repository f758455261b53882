"""The ``jobferry`` command line (Typer): serve, database and admin commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from jobferry.errors import JobferryError
from jobferry.server import build, migrate, serve, set_console_password
from jobferry.settings import Settings, load_settings

app = typer.Typer(
    help="jobferry: move DataArts Factory jobs between environments, safely.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
admin_app = typer.Typer(help="Administration commands.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

out = Console()
err = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Listen address (JOBFERRY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (JOBFERRY_PORT).")] = None,
) -> None:
    """Run the HTTP server (settings from JOBFERRY_* environment variables)."""
    settings = _settings(host=host, port=port)
    startup = build(settings)
    url = f"http://{settings.host}:{settings.port}"
    out.print(f"jobferry serving at [bold]{url}[/bold]  (API docs: {url}/docs)")
    out.print(f"project id:        [bold]{startup.project_id}[/bold]")
    out.print(f"admin access key:  [bold]{startup.admin_access_key}[/bold]")
    if startup.issued is not None and startup.credentials_file is not None:
        out.print(f"admin secret key:  [bold]{startup.issued.secret_key}[/bold]  (shown once)")
        out.print(f"credentials saved (owner-only) in {startup.credentials_file}")
    serve(startup, settings)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to this version's newest revision."""
    revision = migrate(_settings())
    out.print(f"database is at revision {revision}")


@admin_app.command("set-password")
def admin_set_password(
    user: Annotated[str, typer.Option(help="User name (default: the bootstrap admin).")] = "admin",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's web console password (asked twice, unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    project_id = set_console_password(_settings(), user, password)
    out.print(
        f"console password of user '{user}' (project {project_id}) is set; sign in at /console/"
    )


def main() -> None:
    """Entry point: run the app, turning jobferry errors into a message and exit code 1."""
    try:
        app()
    except JobferryError as exc:
        err.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
