"""The console for a keyboard and a screen reader, page by page from the rendered HTML
(``support/a11y.py`` says what a page must have): every page a workspace admin reaches by its
links, the import wizard's steps, a task's page, the Releases pages of an enterprise
workspace, sign-in and the error page; a refused form marks its fields and says why beside
them; and the style sheet's colours keep text readable (4.5:1). The keyboard's walk through a
page in a real browser is tests/e2e/test_console_keyboard_browser.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from jobferry.console import web
from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support import wizard
from support.a11y import fragment_problems, problems
from support.console import (
    Browser,
    admin_actor,
    admin_scope,
    finish_task,
    make_user,
    route_form,
    seed,
)
from support.releases import connected_team, make_package, submit_job

LINKS = re.compile(r'href="(/console/[^"#]+)"')
NOT_PAGES = re.compile(r"/file$|\.csv$|/status$|/switch")
"""Links that answer with a download, a task's JSON or a redirect, not a page."""


def _page_key(url: str) -> str:
    """A page by its path and which query keys it takes (a filter's values do not count)."""
    parts = urlsplit(url)
    return parts.path + "?" + ",".join(sorted(re.findall(r"([a-z_]+)=", parts.query)))


def _crawl(
    browser: Browser, starts: Iterable[str], most: int = 150
) -> dict[str, tuple[str, list[str]]]:
    """Every console page reachable by links from ``starts`` (once per path and set of query
    keys, at most ``most``): each page's title and problems, by its URL."""
    found: dict[str, tuple[str, list[str]]] = {}
    seen: set[str] = set()
    queue = list(starts)
    while queue and len(seen) < most:
        url = queue.pop(0)
        if _page_key(url) in seen:
            continue
        seen.add(_page_key(url))
        response = browser.get(url)
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            continue
        title = re.search(r"<title>(.*?)</title>", response.text, re.S)
        found[url] = (html.unescape(title[1]) if title else "", problems(response.text))
        for link in LINKS.findall(response.text):
            link = html.unescape(link)
            if not NOT_PAGES.search(link):
                queue.append(link)
    return found


def _assert_clean(found: dict[str, tuple[str, list[str]]]) -> None:
    failing = {url: p for url, (_, p) in found.items() if p}
    assert not failing, failing


def _titles(found: dict[str, tuple[str, list[str]]], ws: str) -> dict[str, str]:
    """The title of each page crawled, by its path and query in workspace ``ws``."""
    return {url.removeprefix(f"/console/w/{ws}"): title for url, (title, _) in found.items()}


def _routed(services: Services, scope: Scope) -> str:
    """A route from ``scope``'s workspace into a new 'prod' one whose plans ada (of prod)
    approves: the route's name."""
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    make_user(services, "ada", Role.DEVELOPER, prod.workspace.id)
    document = {
        "source": {"workspace": scope.workspace.name},
        "target": {"workspace": "prod"},
        "approvals": {"required": 1, "approvers": ["ada"]},
    }
    services.routes.put(scope, "to-prod", document)
    return "to-prod"


def test_every_page_an_admin_reaches_by_its_links_has_names_headings_and_landmarks(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    route = _routed(services, scope)
    ws = scope.workspace.id
    browser.get(f"/console/w/{ws}/export/workspace")
    started = browser.post(f"/console/w/{ws}/export/workspace", {"content": "deps"})
    finish_task(services, scope, started)  # a task, and a package in the download center
    browser.get(f"/console/w/{ws}/routes/{route}")
    promoted = browser.post(f"/console/w/{ws}/routes/{route}/promote", [])
    assert promoted.status_code == 303, promoted.text
    plan = browser.get(promoted.headers["location"])
    assert "Objects of the plan" in plan.text  # the import's plan, in 'prod'
    assert problems(plan.text) == []
    found = _crawl(
        browser,
        [
            promoted.headers["location"],
            f"/console/w/{ws}/jobs",
            f"/console/w/{ws}/jobs?select=1&folder=/sales",
            f"/console/w/{ws}/routes/{route}",
            f"/console/w/{ws}/admin/audit",
            f"/console/w/{ws}/tasks",
            "/console/account",
        ],
    )
    titles = _titles(found, ws)
    for path, title in (
        ("/jobs/daily_sales", "Job daily_sales · default"),
        ("/scripts/daily_sales_sql", "Script daily_sales_sql · default"),
        ("/resources/udf_jar", "Resource udf_jar · default"),
        ("/jobs?select=1&folder=/sales", "Jobs in /sales · default"),
        ("/editor/jobs/daily_sales", "Edit job daily_sales · default"),
        ("/routes/to-prod", "to-prod · Routes · default"),
    ):
        assert titles.get(path) == f"{title} · jobferry", (path, titles.get(path))
    paths = {urlsplit(url).path.removeprefix(f"/console/w/{ws}") for url in found}
    for page in (
        "/jobs",
        "/jobs/daily_sales",
        "/scripts/daily_sales_sql",
        "/resources/udf_jar",
        "/editor/jobs",
        "/editor/jobs/daily_sales",
        "/routes",
        "/routes/to-prod",
        "/new-route",
        "/tasks",
        "/downloads",
        "/import",
        "/export/names",
        "/export/workspace",
        "/admin/environment",
        "/admin/profiles",
        "/admin/policies",
        "/admin/keys",
        "/admin/remotes",
        "/admin/users",
        "/admin/settings",
        "/admin/audit",
        "/drift",
        "/console/account",
    ):
        assert page in paths, (page, sorted(paths))
    assert any(p.startswith("/tasks/") for p in paths), sorted(paths)
    assert any(re.search(r"/routes/to-prod/plans/[^/]+/approvals$", p) for p in paths), paths
    _assert_clean(found)


def test_a_folder_listing_loaded_into_the_jobs_page_names_its_table_and_ticks(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    page = browser.get(f"/console/w/{scope.workspace.id}/jobs?select=1")
    source = re.search(r'data-src="([^"]+)"', page.text)
    assert source, "the jobs page has no folder to open"
    fragment = browser.get(html.unescape(source[1]))
    assert fragment.status_code == 200
    assert 'aria-label="Select daily_sales"' in fragment.text
    assert fragment_problems(fragment.text) == []


def test_the_import_wizard_s_steps_say_which_step_is_current_and_which_are_done(
    browser: Browser, services: Services
) -> None:
    seed(services, admin_scope(services))
    data = wizard.export_package(services, admin_scope(services))
    ws = wizard.prod_workspace(services, "ssh_conn").workspace.id
    source = browser.get(f"/console/w/{ws}/import")
    options = browser.get(wizard.upload(browser, ws, data))
    check = wizard.step(browser, ws, "check", wizard.fields(options.text, ws))
    assert check.status_code == 200, check.text
    assert "dws_conn" in check.text  # the connection it lacks: the check shows a problem
    for page in (source, options, check):
        assert problems(page.text) == []
        current = re.findall(r'<li class="current" aria-current="step">([^<]+)', page.text)
        assert len(current) == 1, current
    assert check.text.count('<span class="visually-hidden"> (done)</span>') == 2


def test_a_task_s_page_announces_its_progress(browser: Browser, services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    ws = scope.workspace.id
    browser.get(f"/console/w/{ws}/export/workspace")
    started = browser.post(f"/console/w/{ws}/export/workspace", {"content": "deps"})
    task_id = finish_task(services, scope, started)
    page = browser.get(f"/console/w/{ws}/tasks/{task_id}")
    assert problems(page.text) == []
    for live in ("data-task-status", "data-task-message", "data-task-ready"):
        assert re.search(rf'{live}[^>]*aria-live="polite"', page.text), live
    assert re.search(r'<progress [^>]*aria-label="Progress"', page.text)
    title = re.search(r"<title>(.*?)</title>", page.text)
    assert title, "no title"
    said = "Export workspace &#39;default&#39; (all jobs) · Task · default · jobferry"
    assert title[1] == said, title[1]


def test_the_releases_pages_of_an_enterprise_workspace(
    browser: Browser, services: Services
) -> None:
    team = connected_team(services, admin=admin_actor(services))
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    ws = team.workspace_id
    found = _crawl(
        browser,
        [
            f"/console/w/{ws}/releases/pending",
            f"/console/w/{ws}/releases/packages/{package}",
            f"/console/w/{ws}/releases/packages/{package}/approvals",
            f"/console/w/{ws}/release-ledger",
        ],
        most=40,
    )
    paths = {urlsplit(url).path.removeprefix(f"/console/w/{ws}") for url in found}
    for page in (
        "/releases/pending",
        "/releases/packages",
        f"/releases/packages/{package}",
        f"/releases/packages/{package}/approvals",
        "/release-ledger",
    ):
        assert page in paths, (page, sorted(paths))
    _assert_clean(found)


def test_sign_in_a_refusal_and_a_missing_page_say_what_they_are(
    anonymous: Browser, browser: Browser, services: Services
) -> None:
    signin = anonymous.get("/console/signin")
    assert problems(signin.text) == []
    assert "<title>Sign in · jobferry</title>" in signin.text
    assert "aria-invalid" not in signin.text
    token = re.search(r'name="signin_token" value="([^"]*)"', signin.text)
    assert token
    refused = anonymous.client.post(
        "/console/signin",
        data={"user": "admin", "password": "wrong", "signin_token": token[1], "next": ""},
    )
    assert problems(refused.text) == []
    assert 'role="alert" id="page-error"' in refused.text
    for name in ("user", "password"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', refused.text)
        assert field, name
        assert 'aria-invalid="true" aria-describedby="page-error"' in field[0], field[0]

    missing = browser.get(f"/console/w/{admin_scope(services).workspace.id}/jobs/no_such_job")
    assert missing.status_code == 404
    assert problems(missing.text) == []
    assert '<p class="lead" role="alert">' in missing.text  # what the refusal says, announced


def test_a_refused_definition_marks_the_editor_and_points_at_what_is_wrong(
    browser: Browser, services: Services
) -> None:
    path = f"/console/w/{admin_scope(services).workspace.id}/editor/jobs"
    opened = browser.get(path)
    assert "aria-invalid" not in opened.text
    broken = browser.post(path, {"definition": '{"name": "", "nodes": "none"}'})
    not_json = browser.post(path, {"definition": '{"name": "a",'})
    for refused in (broken, not_json):
        assert refused.status_code == 400, refused.text
        assert problems(refused.text) == []
        assert 'id="page-error"' in refused.text  # what went wrong, and
        assert 'id="editor-problems"' in refused.text  # each problem, where it is
        area = re.search(r"<textarea[^>]*>", refused.text)
        assert area, "no definition box"
        described = 'aria-invalid="true" aria-describedby="page-error editor-problems"'
        assert described in area[0], area[0]


def test_a_refused_route_marks_the_fields_its_problems_are_about(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    ws, name = scope.workspace.id, scope.workspace.name
    browser.get(f"/console/w/{ws}/new-route")
    typed = route_form("to-self", name, name, selection="FOLDERS", approvals_required="x")
    refused = browser.post(f"/console/w/{ws}/routes", typed)
    assert refused.status_code == 400, refused.text
    assert problems(refused.text) == []
    assert 'role="alert" id="route-problems"' in refused.text
    marked = re.findall(
        r'<(?:input|select|textarea) name="([^"]+)"[^>]*aria-invalid="true" '
        r'aria-describedby="route-problems"',
        refused.text,
    )
    assert sorted(marked) == ["approvals_required", "source", "target", "values"], marked


def test_a_refused_package_marks_its_name_and_approvers(
    browser: Browser, services: Services
) -> None:
    team = connected_team(services, admin=admin_actor(services))
    submit_job(services, team.developer, "daily")
    base = f"/console/w/{team.workspace_id}/releases/pending"
    item = re.search(r'name="item" value="(\d+)"', browser.get(base).text)
    assert item, "no pending item"
    refused = browser.post(f"{base}/package", [("item", item[1]), ("package_name", "")])
    assert refused.status_code == 400, refused.text
    assert problems(refused.text) == []
    marked = re.findall(
        r'<input [^>]*name="([^"]+)"[^>]*aria-invalid="true" aria-describedby="package-refused"',
        refused.text,
    )
    assert set(marked) == {"package_name", "approver"}, marked
    named = browser.post(f"{base}/package", [("item", item[1]), ("package_name", "r1")])
    assert named.status_code == 400, named.text
    marked = re.findall(r'<input [^>]*name="([^"]+)"[^>]*aria-invalid="true"', named.text)
    assert set(marked) == {"approver"}, marked


def test_a_refused_profile_or_policy_marks_its_document(
    browser: Browser, services: Services
) -> None:
    ws = admin_scope(services).workspace.id
    for page, form in (
        ("profiles", {"name": "p1", "document": "renames: [", "read_of": "p1"}),
        ("policies", {"document": "maxDeletions: [", "read_of": "workspace"}),
    ):
        opened = browser.get(f"/console/w/{ws}/admin/{page}")
        assert "aria-invalid" not in opened.text
        refused = browser.post(f"/console/w/{ws}/admin/{page}", {**form, "read_version": "0"})
        assert refused.status_code == 400, refused.text
        assert problems(refused.text) == []
        area = re.search(r'<textarea name="document"[^>]*>', refused.text)
        assert area, "no document box"
        assert 'aria-invalid="true" aria-describedby="page-error"' in area[0], area[0]


def test_the_checker_finds_what_a_page_lacks() -> None:
    bare = (
        "<html><head><title> · jobferry</title></head><body><div>Notice</div><main>"
        "<h1>A</h1><h3>B</h3><h1>C</h1><input name=q><button></button><img src=x>"
        "<table><tr><th>Name</th></tr></table><div class='alert error'>No</div></main></body>"
        "</html>"
    )
    said = "\n".join(problems(bare))
    for lack in (
        "no <html lang>",
        "no page title",
        'no id="main"',
        "no <header>",
        "not the skip link",
        "outside every landmark: div",
        "2 <h1> elements",
        "an <h3> after an <h1>",
        'input (name="q") without a label',
        "a button",
        "without alt text",
        "table (table) without a caption",
        "without a scope",
        "not announced",
    ):
        assert lack in said, (lack, said)


# The style sheet's colours -------------------------------------------------------------

CSS = (Path(web.__file__).parent / "static" / "console.css").read_text(encoding="utf-8")


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """The contrast ratio of two colours (#rgb or #rrggbb), as WCAG 2 reckons it."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rules() -> list[tuple[str, dict[str, str]]]:
    sheet = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    return [
        (selector.strip(), dict(re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)))
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet)
    ]


def _colour(value: str, variables: dict[str, str]) -> str | None:
    word = value.strip().split()[0]
    named = re.fullmatch(r"var\((--[\w-]+)\)", word)
    if named:
        return variables.get(named[1])
    return word if re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", word) else None


def test_every_colour_the_style_sheet_sets_on_a_background_reads_at_4_5_to_1() -> None:
    rules = _rules()
    variables = {k: v.strip() for k, v in rules[0][1].items() if k.startswith("--")}
    pairs: list[tuple[str, str, str]] = []
    for selector, body in rules:
        ink = _colour(body["color"], variables) if "color" in body else None
        ground = body.get("background", body.get("background-color"))
        paper = _colour(ground, variables) if ground else None
        if ink and paper:
            pairs.append((selector, ink, paper))
    # The text colours over the light grounds they are shown on, set by other rules, and the
    # top bar's links on the top bar.
    grounds = [variables["--bg"], variables["--card"], "#e9edf3", "#eaf1fd", "#eef4fd"]
    for name in ("--ink", "--muted", "--brand", "--bad"):
        pairs += [(f"{name} on {ground}", variables[name], ground) for ground in grounds]
    bar = next(body["background"] for selector, body in rules if selector == ".topbar")
    link = next(body["color"] for selector, body in rules if selector == ".topbar a")
    pairs.append((".topbar a", link, bar))
    assert len(pairs) > 40, pairs
    low = [(s, a, b, round(contrast(a, b), 2)) for s, a, b in pairs if contrast(a, b) < 4.5]
    assert not low, low
