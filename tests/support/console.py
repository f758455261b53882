"""Drive the console in-process like a browser: cookies, CSRF tokens from the pages, forms."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from fastapi.testclient import TestClient

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.taskviews import Task
from jobferry.storage import remotes as remote_repo
from support.builders import make_job, make_resource, make_script
from support.clients import ADMIN_AK, poll_record

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="(csrf_token|signin_token)" value="([^"]*)"')


def field(page: str, name: str) -> str:
    """The value of the hidden input ``name`` in a page."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, f"no field {name} in page"
    return html.unescape(found.group(1))


def headers(page: str) -> list[str]:
    """The column headers of a page's first table of objects (jobs, scripts, resources)."""
    start = page.index('<table class="objects')
    head = page[start : page.index("</thead>", start)]
    return [html.unescape(h) for h in re.findall(r"<th[^>]*>([^<]+)</th>", head)]


def hidden_fields(page: str, form_action: str) -> list[tuple[str, str]]:
    """Every hidden input of the first form posting to ``form_action``."""
    start = page.index(f'action="{form_action}"')
    end = page.index("</form>", start)
    return [
        (html.unescape(n), html.unescape(v))
        for n, v in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page[start:end]
        )
    ]


class HttpPages:
    """What ``Browser`` calls of a TestClient, over HTTP to a real server (``jobferry serve``):
    one session (its cookies), paths relative to the server's address."""

    def __init__(self, base: str) -> None:
        self.base, self.session = base, requests.Session()

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kw)

    def post(self, path: str, *, follow_redirects: bool = True, **kw: Any) -> requests.Response:
        return self.session.post(
            self.base + path, allow_redirects=follow_redirects, timeout=30, **kw
        )


class Browser:
    """A TestClient (or ``HttpPages``, a real server's) that keeps cookies and posts forms
    with the page's CSRF token."""

    def __init__(self, client: TestClient | HttpPages) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kw: Any) -> Any:
        """GET a page, remembering its CSRF token."""
        response = self.client.get(path, **kw)
        self._remember(response)
        return response

    def post(self, path: str, data: Any = None, *, csrf: bool = True, **kw: Any) -> Any:
        """POST a form (``data`` a dict or a list of pairs) with the CSRF token."""
        pairs: list[tuple[str, str]] = (
            list(data.items()) if isinstance(data, dict) else list(data or [])
        )
        if csrf and not any(k == "csrf_token" for k, _ in pairs):
            pairs.append(("csrf_token", self.csrf))
        body: dict[str, Any] = {}
        for key, value in pairs:
            body.setdefault(key, []).append(value)
        response = self.client.post(path, data=body, **kw)
        self._remember(response)
        return response

    def _remember(self, response: Any) -> None:
        if response.headers.get("content-type", "").startswith("text/html"):
            for name, value in _TOKEN.findall(response.text):
                if name == "csrf_token":
                    self.csrf = html.unescape(value)

    def sign_in(self, user: str = "admin", password: str = PASSWORD) -> Any:
        """Open the sign-in page and submit it."""
        page = self.get("/console/signin")
        response = self.client.post(
            "/console/signin",
            data={
                "user": user,
                "password": password,
                "signin_token": field(page.text, "signin_token"),
                "next": "/console/",
            },
            follow_redirects=False,
        )
        if response.status_code == 303:
            self.get("/console/account")  # a page with the session's CSRF token
        return response


def review_token(page: str) -> str:
    """The fingerprint the editor's review asks *Save* to confirm (the review must be shown)."""
    found = re.search(r'name="confirm" value="([0-9a-f]+)"', page)
    assert found, "no review to confirm in the page"
    return found.group(1)


def save_in_editor(browser: Browser, path: str, form: dict[str, str]) -> Any:
    """Post the editor's form, as *Review and save* does, then confirm the review it shows, as
    its *Save* does: the answer to the confirmation."""
    reviewed = browser.post(path, form)
    assert reviewed.status_code == 200, reviewed.text
    return browser.post(path, {**form, "confirm": review_token(reviewed.text)})


def admin_scope(services: Services, workspace: str | None = None) -> Scope:
    """The bootstrap admin in a workspace (the default one when None)."""
    actor = admin_actor(services)
    return services.accounts.scope(actor, actor.project_id, workspace)


def add_connections(services: Services, scope: Scope, *names: str) -> Scope:
    """Give the workspace of ``scope`` a DWS data connection (with a password) of each name, as
    a package's jobs use them; the scope, for chaining."""
    for name in names:
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        services.environment.put(scope, "connection", name, body)
    return scope


def mark_shadow(services: Services, workspace_id: str, remote: str | None) -> None:
    """Mark a workspace as the shadow of ``remote`` (``None``: an ordinary one again), as
    adding a remote does, without a remote to reach: what the pages offer there."""
    with services.db.transaction() as tx:
        remote_repo.mark_shadow(tx, workspace_id, remote)
    services.accounts.forget_scopes()


def admin_actor(services: Services) -> Actor:
    """The bootstrap admin."""
    return services.accounts.actor_for(ADMIN_AK)


def make_user(
    services: Services, name: str, role: Role | None, workspace: str | None = None
) -> None:
    """A user with a console password and (optionally) a role in a workspace."""
    admin = admin_scope(services, workspace)
    actor = admin.actor
    services.accounts.create_user(actor, actor.project_id, name, False)
    if role is not None:
        services.accounts.set_role(actor, actor.project_id, name, admin.workspace.id, role.value)
    services.signin.set_password(actor, name, PASSWORD)


def seeded_admin(services: Services) -> Scope:
    """The admin in the default workspace, holding daily_sales with its scripts (``seed``)."""
    admin = admin_scope(services)
    seed(services, admin)
    return admin


def seed(services: Services, scope: Scope, names: tuple[str, ...] = ("daily_sales",)) -> None:
    """Jobs with their scripts, a resource and the connection they use (as tests/exporting.py)."""
    conn = {"type": "DWS", "config": {"host": "10.0.0.1"}, "secrets": {"password": "s3cr3t-pw"}}
    services.environment.put(scope, "connection", "dws_conn", conn)
    services.environment.put(scope, "connection", "ssh_conn", {"type": "SSH", "config": {}})
    services.resources.create(scope, make_resource("udf_jar"))
    for name in names:
        services.scripts.create(scope, make_script(f"{name}_sql"))
        services.scripts.create(scope, make_script(f"{name}_sh", type="Shell", content="echo hi"))
        job = make_job(name)
        job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
        services.jobs.create(scope, job)


def wait_task(services: Services, scope: Scope, task_id: str, timeout: float = 30) -> Task:
    """Poll a task through the services until it is no longer RUNNING."""
    return poll_record(lambda: services.tasks.show(scope, task_id), timeout)


def sign_in_as(browser: Browser, services: Services, user: str, role: Role | None) -> None:
    """Make ``user`` with ``role`` in the default workspace and sign ``browser`` in as them."""
    make_user(services, user, role)
    response = browser.sign_in(user)
    assert response.status_code == 303, response.text


def assert_page(response: Any, status: int, *texts: str) -> None:
    """The answer has ``status`` and its page says each of ``texts``."""
    assert response.status_code == status, response.text
    for text in texts:
        assert text in response.text, text


def finish_task(services: Services, scope: Scope, started: Any, status: str = "SUCCESSFUL") -> str:
    """The id of the task a form started (its 303 points at the task page, or at a page
    following it: ``?task=``), once it ended with ``status``."""
    assert started.status_code == 303, started.text
    location = urlsplit(started.headers["location"])
    task_id = parse_qs(location.query).get("task", [location.path.rsplit("/", 1)[1]])[0]
    task = wait_task(services, scope, task_id)
    assert task.status == status, task
    return task_id


def main_text(page: str) -> str:
    """The text a person reads in a page's main part: no tags, no attribute values."""
    body = re.split(r"<main\b[^>]*>", page, maxsplit=1)[-1]
    return html.unescape(re.sub(r"<[^>]*>", " ", body))


def assert_no_api_terms(page: str, terms: re.Pattern[str]) -> None:
    """The page's main text shows none of the API's words ``terms`` matches."""
    found = terms.findall(main_text(page))
    assert not found, f"API terms on the page: {found}"


def route_form(name: str, source: str, target: str, **changes: str) -> list[tuple[str, str]]:
    """The route form as a browser posts it: every field, ``changes`` in place of defaults
    (a field changed to "off" is left out, as an unticked box is); ``based_on`` is the
    version the form was read at ("0": a new route)."""
    fields = {
        "based_on": "0",
        "name": name,
        "description": "",
        "source": source,
        "source_id": "",
        "target": target,
        "selection": "ALL",
        "values": "",
        "upstream": "on",
        "profile": "",
        "sameNamePolicy": "AUTO",
        "onDrift": "FAIL",
        "scheduling": "REFUSE",
        "mode": "ATOMIC",
        "approvals_required": "0",
    }
    fields.update(changes)
    return [(k, v) for k, v in fields.items() if v != "off"]


def signing_statement(page: str) -> str:
    """The statement an Approvals page's form carries for the script to sign."""
    found = re.search(r'data-statement="([^"]*)"', page)
    assert found, "no form to approve with"
    return html.unescape(found[1])


def hidden_value(page: str, name: str) -> str:
    """The value of the page's hidden field ``name``."""
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return html.unescape(found[1])
