"""The console's browser tests: Debian's chromium (never a browser download) driven by
Playwright, a real server whose admin has a console password, and the server's API."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.services.container import Services
from jobferry.settings import load_settings
from jobferry.storage import Database
from support.server import ServerProcess, start_server

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}


def require_chromium() -> None:
    """Skip (fail in CI) when Debian's chromium is missing."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/ensure-chromium installs it")
        pytest.skip(f"{CHROMIUM} is missing; run .ci/ensure-chromium (make test does)")


def with_services(
    server: ServerProcess, data_dir: Path, url: str, work: Callable[[Services], None]
) -> None:
    """Run ``work`` on the services of the server's own database (its secret key is in the
    same data folder): what a test writes directly rather than through the UI or the API."""
    settings = load_settings(
        data_dir=data_dir,
        database_url=url,
        project_id=server.project_id,
        admin_ak=server.ak,
        admin_sk=server.sk,
    )
    db = Database(url)
    try:
        work(Services.build(settings, db))
    finally:
        db.dispose()


def set_admin_password(services: Services, server: ServerProcess, password: str) -> None:
    """The admin's console password, as ``jobferry admin set-password`` sets it (that
    command's own test is in tests/console/test_signin.py)."""
    operator = services.accounts.local_operator(server.project_id)
    services.signin.set_password(operator, "admin", password)


def call(
    server: ServerProcess, method: str, path: str, body: object, ws: str | None = None
) -> dict[str, Any]:
    """One API call that must succeed: its JSON answer ({} for none)."""
    data = b"" if body is None else orjson.dumps(body)
    response = server.call(method, path, data, workspace=ws)
    assert response.status_code in (200, 204), response.text
    return response.json() if response.content else {}


def console_server(data_dir: Path, password: str) -> tuple[ServerProcess, str]:
    """A real server on a SQLite file in ``data_dir`` whose admin has the console password
    ``password`` (skipped when chromium is missing), and its database's URL; the caller stops
    it."""
    require_chromium()
    url = f"sqlite:///{data_dir / 'jobferry.db'}"
    server = start_server(data_dir, url)
    with_services(server, data_dir, url, lambda s: set_admin_password(s, server, password))
    return server, url


def open_page(pw: Any, **context: Any) -> tuple[Any, Any, list[str]]:
    """Debian's chromium launched headless through Playwright ``pw``: the browser (the
    caller closes it), a page of ``context`` options at the console's test viewport, and the
    list the page's console errors are collected in."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    page = browser.new_context(viewport=VIEWPORT, **context).new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return browser, page, errors


def sign_in(page: Any, base: str, password: str, user: str = "admin") -> None:
    """Sign in to the console of the server at ``base`` as ``user`` (the jobs page opens)."""
    page.goto(f"{base}/console/")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs")
