"""The console on a keyboard alone, in a real browser (Debian's chromium driven by Playwright)
against a real ``jobferry serve``: sign in typing and pressing Enter; on the jobs page the first
Tab reaches the skip link, which Enter follows to the main content; Tab walks every link and
control of the page in order (top bar, then the main content), each named and outlined where
the focus is, and leaves the page at its end (no trap), Shift+Tab walking back; a folder opens
with Enter, a job is ticked with Space, and the export dialog takes the focus, closes with
Escape and gives the focus back to the button that opened it; the workspace switcher waits for
Enter rather than leave the page as the arrow keys pass over a workspace. What each page's
HTML must have for a screen reader is tests/console/test_accessibility.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.browser import call, console_server, open_page
from support.builders import make_job, make_script
from support.server import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "keyboard browser password"
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(), id: el.id || "",
    name: (el.getAttribute("aria-label") || label || el.innerText || el.value || "").trim(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1,
    inMain: !!el.closest("main"), inHeader: !!el.closest("header"),
    inDialog: !!el.closest("dialog"), visible: box.width > 0 && box.height > 0,
  };
}"""
"""What has the focus: its tag, id and name, whether an outline shows it, and where it is."""


@pytest.fixture(scope="module")
def keyboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on SQLite whose admin has a console password, holding two jobs in
    /sales with their scripts, and a second workspace."""
    server, _ = console_server(tmp_path_factory.mktemp("keyboard-server"), PASSWORD)
    call(server, "POST", "/workspaces", {"name": "zz_analytics"})
    for connection in ("dws_conn", "ssh_conn"):
        call(server, "PUT", f"/environment/connection/{connection}", {"type": "DWS"})
    for name in ("daily_sales", "weekly_sales"):
        call(server, "POST", "/scripts", make_script(f"{name}_sql"))
        call(server, "POST", "/scripts", make_script(f"{name}_sh", type="Shell", content="echo"))
        call(server, "POST", "/jobs", make_job(name))
    yield server
    server.stop()


def _walk(page: Any, key: str, most: int = 120) -> list[dict[str, Any]]:
    """Press ``key`` until the focus leaves the page or comes round to where it started (or
    ``most`` times): where it went each time."""
    stops: list[dict[str, Any]] = []
    for _ in range(most):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and focused == stops[0]):
            break
        stops.append(focused)
    return stops


def test_a_keyboard_signs_in_skips_to_the_content_and_walks_the_jobs_page_and_its_dialog(
    keyboard_server: ServerProcess,
) -> None:
    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            page.goto(f"{keyboard_server.url}/console/")
            assert page.evaluate(FOCUSED)["name"].startswith("User name")  # autofocus
            page.keyboard.type("admin")
            page.keyboard.press("Tab")
            assert page.evaluate(FOCUSED)["name"] == "Password"
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url("**/jobs")
            assert page.title().startswith("Jobs · ")

            # The first Tab reaches the skip link, shown where the focus is; Enter follows it.
            page.keyboard.press("Tab")
            skip = page.evaluate(FOCUSED)
            assert skip["name"] == "Skip to main content", skip
            assert skip["outline"], skip
            assert page.locator("a.skiplink").bounding_box()["y"] >= 0
            page.keyboard.press("Enter")
            assert page.evaluate(FOCUSED)["id"] == "main"
            page.keyboard.press("Tab")
            assert page.evaluate(FOCUSED)["inMain"], page.evaluate(FOCUSED)

            # From the top: every stop named, outlined and shown; the top bar before the main
            # content; the page left at its end, and Shift+Tab walks the same stops back.
            page.reload()
            forward = _walk(page, "Tab")
            assert forward[0]["name"] == "Skip to main content"
            assert 10 < len(forward) < 120, forward
            for stop in forward:
                assert stop["name"], stop
                assert stop["outline"], stop
                assert stop["visible"], stop
            places = [stop["inMain"] for stop in forward[1:]]
            assert places == sorted(places), forward  # header first, then main
            assert forward[1]["inHeader"], forward
            assert forward[-1]["inMain"], forward
            back = _walk(page, "Shift+Tab")
            assert [s["name"] for s in back] == [s["name"] for s in reversed(forward)], back

            # The folder opens with Enter, a job is ticked with Space, and the export dialog
            # takes the focus, closes with Escape and gives it back.
            page.get_by_role("link", name="Show check boxes").focus()
            page.keyboard.press("Enter")
            page.wait_for_url("**select=1**")
            page.locator("details.folder > summary").first.focus()
            page.keyboard.press("Enter")
            tick = page.get_by_role("checkbox", name="Select daily_sales")
            tick.focus()
            page.keyboard.press("Space")
            assert tick.is_checked()
            playwright_api.expect(page.locator(".selectionbar [data-selected-count]")).to_have_text(
                "1"
            )
            opener = page.get_by_role("button", name="Export selected…")
            opener.focus()
            page.keyboard.press("Enter")
            dialog = page.get_by_role("dialog", name="Export 1 job(s)")
            playwright_api.expect(dialog).to_be_visible()
            assert page.evaluate(FOCUSED)["inDialog"], page.evaluate(FOCUSED)
            inside = []
            for _ in range(12):  # never the page behind the open dialog (the browser's own
                page.keyboard.press("Tab")  # bar is a stop between its rounds: no trap)
                focused = page.evaluate(FOCUSED)
                assert focused is None or focused["inDialog"], focused
                inside += [focused["name"]] if focused else []
            assert {"Cancel", "Export", "Development state"} <= set(inside), inside
            page.keyboard.press("Escape")
            playwright_api.expect(dialog).to_be_hidden()
            assert page.evaluate(FOCUSED)["name"] == "Export selected…"

            # The workspace switcher: the arrow keys pass over the workspaces without leaving
            # the page; Enter goes to the one chosen.
            here = page.url
            page.locator("#ws-switch").focus()
            page.keyboard.press("ArrowDown")
            assert page.locator("#ws-switch option:checked").inner_text().startswith("zz_")
            page.wait_for_timeout(300)
            assert page.url == here
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.title().startswith("Jobs · zz_analytics"), page.title()
            assert errors == []
        finally:
            browser.close()
