"""``/docs`` in a real browser (Debian's chromium through Playwright) against a real server:
Swagger UI, served by the server itself, draws the API document with no way out to the
internet (an air-gapped site), offers no call it cannot sign, and runs sandboxed, in an origin
of its own: a script on the page reads the public ``/openapi.json`` but not a console page,
although the browser holds an admin's session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.browser import console_server, open_page, sign_in
from support.server import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PASSWORD = "docs browser password"

PROBE = """
Promise.all([
  fetch('/openapi.json').then(r => r.json()).then(d => 'read ' + d.info.title)
    .catch(e => 'refused'),
  fetch('/console/', {credentials: 'include'}).then(r => r.text())
    .then(t => t.includes('csrf_token') || t.includes('Sign out') ? 'read' : 'no session')
    .catch(e => 'refused'),
]).then(([api, console]) => 'api=' + api + '; console=' + console)
"""
"""What any script on the page could try: read the API document and a console page."""


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server, _ = console_server(tmp_path_factory.mktemp("docs"), PASSWORD)
    yield server
    server.stop()


def test_the_docs_page_draws_the_api_offline_and_reads_the_document_but_not_the_console(
    docs_server: ServerProcess,
) -> None:
    here = urlsplit(docs_server.url).netloc
    elsewhere: list[str] = []

    def only_this_server(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == here:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            sign_in(page, docs_server.url, PASSWORD)  # the browser holds an admin's session
            mine = page.evaluate("fetch('/console/').then(r => r.text())")
            assert "Sign out" in mine  # this origin's own pages read it, as they should
            page.route("**/*", only_this_server)
            page.goto(f"{docs_server.url}/docs")
            page.wait_for_selector(".swagger-ui .info .title")
            assert "jobferry" in page.inner_text(".swagger-ui .info .title")
            assert page.locator(".opblock").count() > 50  # every operation drawn
            page.locator(".opblock").first.click()
            page.wait_for_selector(".opblock-body")
            assert page.locator(".try-out__btn").count() == 0  # no call it cannot sign
            assert elsewhere == []
            assert page.evaluate(PROBE) == "api=read jobferry; console=refused"
            assert not [e for e in errors if "openapi" in e.lower()]
        finally:
            browser.close()
