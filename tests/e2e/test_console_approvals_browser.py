"""A release package approved in a real browser (Debian's chromium driven by Playwright) against
a real ``jobferry serve``: the approver's key pair is made here, its public key registered, and
on the package's Approvals page the browser reads the private key file, signs the statement
with WebCrypto Ed25519 and posts the signature, which the server verifies and counts. A file
that is not an Ed25519 private key is said on the page and nothing is posted. Every step leaves
a screenshot in test-artifacts/console-approvals/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jobferry.package.keys import generate_key_pair
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.releases.approval_keys import parse_key
from support.browser import VIEWPORT, open_page, require_chromium, sign_in, with_services
from support.releases import connected_team, make_package, submit_job
from support.server import start_server

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-approvals"
PASSWORD = "approvals browser password"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _package(services: Services, admin: Actor, key_file: Path) -> tuple[str, int, str]:
    """An enterprise workspace whose developer packaged the job daily naming the deployer,
    who has a console password and the approval key whose private half is ``key_file``:
    the workspace's id, the package's id and the key's id."""
    team = connected_team(services, "sales", admin)
    services.signin.set_password(admin, "sales_deployer", PASSWORD)
    submit_job(services, team.developer, "daily")
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    package = make_package(services, team, "sales release")
    pair = generate_key_pair()
    key_file.write_bytes(pair.private_pem)
    key_file.with_suffix(".pub").write_text(pair.public_key + "\n")
    services.approval_keys.register(team.deployer.actor, parse_key({"publicKey": pair.public_key}))
    return team.workspace_id, package, pair.key_id


def _rsa_pem(path: Path) -> Path:
    """A PKCS#8 private key that is not Ed25519."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_an_approver_signs_the_plan_in_the_browser_and_the_server_counts_it(
    tmp_path: Path,
) -> None:
    require_chromium()
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'jobferry.db'}"
    server = start_server(data_dir, url)
    key_file = tmp_path / "me.key"
    made: list[tuple[str, int, str]] = []
    with_services(
        server,
        data_dir,
        url,
        lambda s: made.append(_package(s, s.accounts.actor_for(server.ak), key_file)),
    )
    ws, package, key_id = made[0]
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    try:
        with playwright_api.sync_playwright() as pw:
            browser, page, errors = open_page(pw)
            posts: list[tuple[str, str]] = []
            page.on(
                "request",
                lambda r: posts.append((r.url, r.post_data or "")) if r.method == "POST" else None,
            )
            try:
                _approve(page, server.url, ws, package, key_id, key_file, tmp_path, posts)
                _without_ed25519(browser, page, server.url, ws, package)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "failed-here.png"), full_page=True)
                raise
            assert not errors, errors
            browser.close()
    finally:
        server.stop()

    def counted(services: Services) -> None:
        admin = services.accounts.actor_for(server.ak)
        found = services.release_approvals.approvals(
            services.accounts.scope(admin, admin.project_id, ws), package
        )
        assert [(a.user_name, a.key_id) for a in found.found.counted] == [
            ("sales_deployer", key_id)
        ]

    with_services(server, data_dir, url, counted)


def _approve(
    page: Any,
    base: str,
    ws: str,
    package: int,
    key_id: str,
    key_file: Path,
    tmp_path: Path,
    posts: list[tuple[str, str]],
) -> None:
    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    sign_in(page, base, PASSWORD, "sales_deployer")
    page.goto(f"{base}/console/w/{ws}/releases/packages/{package}/approvals")
    counted = page.locator("[data-approvals-counted]")
    playwright_api.expect(counted).to_have_text("0")
    assert page.locator("[data-approve-button]").is_enabled()
    shot("01-approvals")
    signed_in = len(posts)

    said = page.locator("[data-approve-said]")
    for wrong in (key_file.with_suffix(".pub"), _rsa_pem(tmp_path / "rsa.key")):
        page.set_input_files("[data-approve-key]", str(wrong))
        page.click("[data-approve-button]")
        playwright_api.expect(said).to_contain_text("is not an Ed25519 private key")
        playwright_api.expect(page.locator("[data-approve-button]")).to_be_enabled()
    assert len(posts) == signed_in, posts[signed_in:]
    shot("02-not-a-key")

    page.set_input_files("[data-approve-key]", str(key_file))
    page.click("[data-approve-button]")
    page.wait_for_url("**/approvals?approved=1")
    (where, body), *_ = posts[signed_in:]
    assert where.endswith(f"/releases/packages/{package}/approvals"), where
    assert "signature=" in body
    assert f"key_id={key_id}" in body
    assert "PRIVATE" not in body
    assert key_file.read_text().splitlines()[1][:20] not in body  # the key never leaves
    playwright_api.expect(counted).to_have_text("1")
    playwright_api.expect(page.locator(".alert.ok")).to_contain_text("Approved")
    playwright_api.expect(page.locator("table.approvals")).to_contain_text(key_id)
    assert page.locator("table.approvals .status-successful").count() == 1
    shot("03-approved")


HIDE_SUBTLE = "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"
"""A browser without WebCrypto's signing (as over plain HTTP from another machine)."""


def _without_ed25519(browser: Any, signed_in: Any, base: str, ws: str, package: int) -> None:
    """Where the browser cannot sign, the page says so and offers only the command line."""
    context = browser.new_context(
        viewport=VIEWPORT, storage_state=signed_in.context.storage_state()
    )
    context.add_init_script(HIDE_SUBTLE)
    page = context.new_page()
    page.goto(f"{base}/console/w/{ws}/releases/packages/{package}/approvals")
    said = page.locator("[data-approve-said]")
    playwright_api.expect(said).to_contain_text("This browser cannot sign with Ed25519 keys")
    playwright_api.expect(page.locator("[data-approve-button]")).to_be_disabled()
    playwright_api.expect(page.locator("[data-approve]")).to_contain_text(
        f"jobferry releases approve {package} --key"
    )
    page.screenshot(path=str(ARTIFACTS / "04-no-ed25519.png"), full_page=True)
    context.close()
