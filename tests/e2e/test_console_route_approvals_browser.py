"""A route's plan approved in a real browser (Debian's chromium driven by Playwright) against a
real ``jobferry serve``, then imported: the admin presses *Promote now* on a route requiring one
approval by ada, and the plan's Import waits; on the plan's Approvals page ada's browser reads
her private key file and signs the statement with WebCrypto Ed25519 (the page and script a
release package's approval uses), the server counts it, and the admin imports the plan from
that page. Every step leaves a screenshot in test-artifacts/console-route-approvals/."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import Role
from jobferry.package.keys import generate_key_pair
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.releases.approval_keys import parse_key
from support.browser import VIEWPORT, console_server, open_page, sign_in, with_services
from support.console import seed, wait_task

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-route-approvals"
PASSWORD = "route approvals browser password"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@dataclass(frozen=True)
class Made:
    """What the test wrote directly: the source and target workspaces' ids, ada's key id."""

    source: str
    target: str
    key_id: str


def _route(services: Services, admin: Actor, key_file: Path) -> Made:
    """The default workspace holding daily_sales, a 'prod' workspace with its connections where
    ada is a developer with a console password and the approval key whose private half is
    ``key_file``, and route to-prod requiring one approval by ada."""
    project = admin.project_id
    listed = services.accounts.list_workspaces(admin, project)
    source = services.accounts.scope(
        admin, project, next(w.id for w in listed if w.name == "default")
    )
    seed(services, source)
    target = services.accounts.create_workspace(admin, project, "prod")
    prod = services.accounts.scope(admin, project, target)
    dws = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    services.environment.put(prod, "connection", "dws_conn", dws)
    services.environment.put(prod, "connection", "ssh_conn", {"type": "SSH", "config": {}})
    user = services.accounts.create_user(admin, project, "ada", False)
    services.accounts.set_role(admin, project, "ada", target, Role.DEVELOPER.value)
    services.signin.set_password(admin, "ada", PASSWORD)
    pair = generate_key_pair()
    key_file.write_bytes(pair.private_pem)
    ada = Actor(user.id, "ada", project, False)
    services.approval_keys.register(ada, parse_key({"publicKey": pair.public_key}))
    document = {
        "source": {"workspace": "default"},
        "target": {"workspace": "prod"},
        "approvals": {"required": 1, "approvers": ["ada"]},
    }
    services.routes.put(source, "to-prod", document)
    return Made(source.workspace.id, target, pair.key_id)


def test_a_route_plan_is_signed_in_the_browser_then_imported(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    server, url = console_server(data_dir, PASSWORD)
    key_file = tmp_path / "ada.key"
    made: list[Made] = []
    with_services(
        server,
        data_dir,
        url,
        lambda s: made.append(_route(s, s.accounts.actor_for(server.ak), key_file)),
    )
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    task: list[str] = []
    try:
        with playwright_api.sync_playwright() as pw:
            browser, page, errors = open_page(pw)

            def shot(which: Any, name: str) -> None:
                which.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

            try:
                approvals = _promote(page, shot, server.url, made[0])
                _sign(browser, shot, server.url, approvals, made[0], key_file)
                task.append(_import(page, shot, approvals))
            except Exception:
                shot(page, "failed-here")
                raise
            assert not errors, errors
            browser.close()
    finally:
        server.stop()

    def imported(services: Services) -> None:
        admin = services.accounts.actor_for(server.ak)
        prod = services.accounts.scope(admin, admin.project_id, made[0].target)
        assert wait_task(services, prod, task[0]).status == "SUCCESSFUL"
        source = services.accounts.scope(admin, admin.project_id, made[0].source)
        assert services.promotions.history(source, "to-prod")[0].task_id == task[0]

    with_services(server, data_dir, url, imported)


def _promote(page: Any, shot: Any, base: str, made: Made) -> str:
    """The admin's *Promote now*: the plan's Import waits for the approval; the URL of the
    plan's Approvals page it links."""
    sign_in(page, base, PASSWORD)
    page.goto(f"{base}/console/w/{made.source}/routes/to-prod")
    page.click("[data-promote]")
    page.wait_for_url("**/promotions/**")
    note = page.locator("[data-plan-approvals]")
    playwright_api.expect(note).to_contain_text("requires 1 signed approval of this plan")
    playwright_api.expect(note).to_contain_text("0 count, 1 missing")
    playwright_api.expect(page.locator("[data-import-waits]")).to_be_disabled()
    shot(page, "01-plan-waits")
    href = page.get_attribute("[data-approvals-link]", "href")
    assert href is not None
    assert href.startswith(f"/console/w/{made.target}/routes/to-prod/plans/"), href
    return f"{base}{href}"


def _sign(browser: Any, shot: Any, base: str, approvals: str, made: Made, key_file: Path) -> None:
    """ada, in a browser of her own, signs the plan on its Approvals page with her key file,
    which is never posted."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.post_data or "") if r.method == "POST" else None)
    sign_in(page, base, PASSWORD, "ada")
    page.goto(approvals)
    playwright_api.expect(page.locator("[data-approvals-counted]")).to_have_text("0")
    playwright_api.expect(page.locator("[data-approvals-missing]")).to_contain_text(
        "1 more approval must count"
    )
    shot(page, "02-approvals")
    signed_in = len(posts)
    page.set_input_files("[data-approve-key]", str(key_file))
    page.click("[data-approve-button]")
    page.wait_for_url("**/approvals?approved=1")
    body, *_ = posts[signed_in:]
    assert f"key_id={made.key_id}" in body
    assert "signature=" in body
    assert "PRIVATE" not in body
    assert key_file.read_text().splitlines()[1][:20] not in body  # the key never leaves
    playwright_api.expect(page.locator("[data-approvals-counted]")).to_have_text("1")
    playwright_api.expect(page.locator("table.approvals")).to_contain_text(made.key_id)
    playwright_api.expect(page.locator("[data-route-import-button]")).to_be_visible()
    shot(page, "03-approved")
    context.close()


def _import(page: Any, shot: Any, approvals: str) -> str:
    """The admin imports the approved plan from its Approvals page: the import task's id."""
    page.goto(approvals)
    playwright_api.expect(page.locator("[data-approvals-counted]")).to_have_text("1")
    page.click("[data-route-import-button]")
    page.wait_for_url("**/tasks/**")
    page.wait_for_selector("[data-poll][data-done=yes]")  # the page as it shows the end
    shot(page, "04-imported")
    return str(page.url.rsplit("/", 1)[1])
