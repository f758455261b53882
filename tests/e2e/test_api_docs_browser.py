"""``/docs`` in a real browser (Debian's chromium through Playwright) against a real server:
Swagger UI's script comes from a public CDN, so the page runs sandboxed, in an origin of its
own. A script on it — here a stand-in for the CDN's, which the test serves — reads the public
``/openapi.json`` but not a console page, although the browser holds an admin's session."""

from __future__ import annotations

from collections.abc import Iterator

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
]).then(([api, console]) => { document.title = 'api=' + api + '; console=' + console; });
window.SwaggerUIBundle = function () {};
window.SwaggerUIBundle.presets = {apis: null};
window.SwaggerUIStandalonePreset = null;
"""
"""What the stand-in for the CDN's script does: read the API document and a console page."""


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server, _ = console_server(tmp_path_factory.mktemp("docs"), PASSWORD)
    yield server
    server.stop()


def test_the_docs_page_reads_the_api_document_but_not_the_console(
    docs_server: ServerProcess,
) -> None:
    with playwright_api.sync_playwright() as pw:
        browser, page, _ = open_page(pw)
        try:
            sign_in(page, docs_server.url, PASSWORD)  # the browser holds an admin's session
            mine = page.evaluate("fetch('/console/').then(r => r.text())")
            assert "Sign out" in mine  # this origin's own pages read it, as they should
            page.route(
                "https://cdn.jsdelivr.net/**",
                lambda route: route.fulfill(
                    status=200, content_type="application/javascript", body=PROBE
                ),
            )
            page.goto(f"{docs_server.url}/docs")
            page.wait_for_function("document.title.startsWith('api=')")
            assert page.title() == "api=read jobferry; console=refused"
        finally:
            browser.close()
