"""Generated stories of the console's route pages (``support/console_route_stories.py``): two
workspaces seeded through the services, project admins and users of other roles; drawn steps
through the console. After every step the pages keep the promises of docs/console.md *Routes*
and docs/api.md *Routes* (``support/console_route_model.py``):

- no post is answered with a server error (500);
- a route saved from the form equals its twin, saved through the services with the same
  settings (the saved routes' settings and versions compare equal); a form the service refuses
  is refused the same, and so are the form's own refusals (a name taken, approvers no members of
  the target);
- a refused save changes nothing and answers the form with what was typed;
- a route removed is gone with its twin; a stale Remove removes nothing;
- *Promote now* plans the route's changes in its target, and the plan imported is in the
  route's history; with nothing changed, or nothing selected, the page says so;
- each role sees only what it may use (*Promote now* offered to admins and developers of both
  workspaces), and a post by a role that may not is refused (403) and changes nothing.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note
from markupsafe import escape

from jobferry.domain.enums import Role
from jobferry.domain.saving import Expected
from jobferry.errors import JobferryError, RouteNotFoundError
from jobferry.services.container import Services
from support import wizard
from support.apps import full_app
from support.console import PASSWORD, Browser, add_connections, admin_actor, main_text, seed
from support.console_route_model import (
    FORBIDDEN,
    NOT_FOUND,
    Routes,
    document,
    forms_own_refusal,
    may_promote,
    settings,
)
from support.console_route_stories import Draft, a_story_of_every_page, route_stories
from support.import_stories import generated
from support.release_stories import Step

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(6)
_SERIAL = itertools.count()


class Told:
    """A story's workspaces (the source, ``prod`` with a profile, ``other``), its users, and the
    browsers they sign in with."""

    def __init__(self, services: Services, browser: Browser) -> None:
        self.services, n = services, next(_SERIAL)
        boss = admin_actor(services)
        pid, accounts = boss.project_id, services.accounts
        ids = {end: accounts.create_workspace(boss, pid, f"cr{n}{end}") for end in ("s", "p", "o")}
        self.source, prod, other = (accounts.scope(boss, pid, ws) for ws in ids.values())
        seed(services, self.source)
        for scope in (prod, other):
            add_connections(services, scope, "dws_conn", "ssh_conn")
        services.profiles.put(prod, "to_prod", b'{"params": {"env": "prod"}}')
        self.scopes = {"prod": prod, "other": other, "self": self.source}
        self.ends = {"source": self.source.workspace.name}
        self.ends.update({k: s.workspace.name for k, s in self.scopes.items()})
        self.users = {role: f"{role}{n}" for role in ("dev", "viewer", "dsrc", "admin2")}
        grants = {"dev": ("s", "p"), "viewer": ("s", "p"), "dsrc": ("s",), "admin2": ("s",)}
        roles = {"dev": Role.DEVELOPER, "viewer": Role.VIEWER, "dsrc": Role.DEVELOPER}
        for who, name in self.users.items():
            accounts.create_user(boss, pid, name, who == "admin2")
            for end in grants[who]:
                accounts.set_role(boss, pid, name, ids[end], roles.get(who, Role.ADMIN).value)
            services.signin.set_password(boss, name, PASSWORD)
        self.browser, self.other = (
            browser,
            Browser(TestClient(full_app(services), follow_redirects=False)),
        )
        self.jars: dict[str, tuple[dict[str, str], str]] = {}
        """Each person's cookies and form token on the other browser, and who has it now."""
        self.wearing: str | None = None
        self.model = Routes()
        self.n = n

    def url(self, path: str) -> str:
        return f"/console/w/{self.source.workspace.id}{path}"

    def name(self, side: str, name: str) -> str:
        """The route's name on one side (routes are the project's: each side names its own)."""
        return f"{side}{self.n}_{name}" if name else ""

    def as_(self, who: str) -> Browser:
        """A browser signed in as ``who`` (the bootstrap admin's own, or the other one)."""
        if who == "admin":
            return self.browser
        client = self.other.client
        assert isinstance(client, TestClient)
        if self.wearing is not None:  # whoever used it last keeps the token their page gave
            self.jars[self.wearing] = (dict(client.cookies), self.other.csrf)
        if who not in self.jars:
            client.cookies.clear()
            assert self.other.sign_in(self.users[who]).status_code == 303
            self.jars[who] = (dict(client.cookies), self.other.csrf)
        cookies, self.other.csrf = self.jars[who]
        client.cookies.clear()
        client.cookies.update(cookies)
        self.wearing = who
        return self.other

    def held(self, side: str) -> dict[str, Any]:
        """The story's routes on one side: their settings and version, by the story's name."""
        prefix = f"{side}{self.n}_"
        return {
            r.route.name.removeprefix(prefix): (settings(r.route.document()), r.version)
            for r in self.services.routes.list_all(self.source)
            if r.route.name.startswith(prefix)
        }

    def version(self, side: str, name: str) -> int:
        found = self.held(side).get(name)
        return found[1] if found else 0


def _read(told: Told, name: str, read: str) -> tuple[str, Expected]:
    newest = told.version("c", name)
    if read == "new":
        return "0", Expected(0)
    version = newest if read == "newest" else (newest - 1 if newest >= 2 else newest + 1)
    return str(version), Expected(version)


def _form(told: Told, draft: Draft, based_on: str) -> list[tuple[str, str]]:
    kind, values = draft.selection
    boxes = [("upstream", draft.upstream), ("propagateDeletes", draft.propagate)]
    return [
        ("based_on", based_on),
        ("name", told.name("c", draft.name)),
        ("description", "nightly to production"),
        ("source", told.ends["source"]),
        ("source_id", ""),
        ("target", told.ends[draft.target]),
        ("selection", kind),
        ("values", values),
        ("profile", draft.profile),
        ("sameNamePolicy", draft.same_name),
        ("onDrift", draft.on_drift),
        ("scheduling", draft.scheduling),
        ("mode", draft.mode),
        ("approvals_required", draft.required),
        *[(k, "on") for k, on in (*boxes, ("signed", draft.signed)) if on],
        *[("approver", told.users[a]) for a in draft.approvers],
    ]


def _twin(told: Told, draft: Draft, expected: Expected) -> int | None:
    """Save the draft's twin through the services: ``None`` taken, else the refusal's status."""
    body = document(draft, told.ends, told.users)
    try:
        told.services.routes.put(told.source, told.name("t", draft.name), body, expected)
    except JobferryError as exc:
        note(f"twin refused: {exc.code} {exc}")
        return exc.status
    return None


def _save(told: Told, step: Step) -> None:
    who, draft = step.args
    browser = told.as_(who)
    based_on, expected = _read(told, draft.name, draft.read)
    own = forms_own_refusal(draft, draft.name in told.held("c"))
    twin = 400 if own else _twin(told, draft, expected)
    before = told.held("c")
    browser.get(told.url(f"/routes/{draft.name}" if draft.read != "new" else "/new-route"))
    form = _form(told, draft, based_on)
    answer = browser.post(told.url("/routes"), form)
    event(f"save: {twin or 'taken'}")
    assert answer.status_code != 500, answer.text[-2000:]
    if twin is None:
        assert answer.status_code == 303, (answer.status_code, _said(answer.text))
        told.model.saved(draft)
    else:
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[-3000:])
        assert told.held("c") == before
        for key in ("name", "description", "values"):
            typed = dict(form)[key].strip()
            assert not typed or str(escape(typed)) in answer.text, key
    assert told.held("c") == told.held("t")


def _said(page: str) -> str:
    """What a refused page says: its error alert and the problems it lists."""
    return " ".join(" ".join(main_text(page).split()).split("Route name")[:1])[:1500]


def _delete(told: Told, step: Step) -> None:
    name, read = step.args
    based_on, expected = _read(told, name, read)
    try:
        told.services.routes.delete(told.source, told.name("t", name), expected)
        twin: int | None = None
    except RouteNotFoundError:
        twin = NOT_FOUND  # the console's address names a route not there: its 404 page
    except JobferryError as exc:
        twin = exc.status
    told.browser.get(told.url("/routes"))
    form = [("read_of", told.name("c", name)), ("read_version", based_on)]
    answer = told.browser.post(told.url(f"/routes/{told.name('c', name)}/delete"), form)
    event(f"delete: {twin or 'taken'}")
    assert answer.status_code == (twin or 303), answer.text[-2000:]
    if twin is None:
        told.model.removed(name)
    assert told.held("c") == told.held("t")


def _as_role(told: Told, step: Step) -> None:
    role, name, action = step.args
    browser, route = told.as_(role), told.name("c", name)
    before = told.held("c")
    page = browser.get(told.url(f"/routes/{route}"))
    target = told.model.target.get(name)
    if target is None:
        assert page.status_code == NOT_FOUND, page.text[-2000:]
    else:
        assert page.status_code == 200, page.text[-2000:]
        assert "Only project admins change routes." in page.text
        assert ("data-promote" in page.text) == may_promote(role, target), (role, target)
    if action == "save":
        draft_form = [("based_on", str(told.version("c", name))), ("name", route)]
        answer = browser.post(told.url("/routes"), [*draft_form, ("source", told.ends["source"])])
    elif action == "delete":
        answer = browser.post(told.url(f"/routes/{route}/delete"), [])
    else:
        return
    assert answer.status_code == FORBIDDEN, (action, answer.status_code, answer.text[-2000:])
    assert told.held("c") == before


def _promote(told: Told, step: Step) -> None:
    name, who = step.args
    browser, route, model = told.as_(who), told.name("c", name), told.model
    target = model.target.get(name)
    history = _history(told, route)
    browser.get(told.url(f"/routes/{route}" if target else "/routes"))
    answer = browser.post(told.url(f"/routes/{route}/promote"), [])
    assert answer.status_code != 500, answer.text[-2000:]
    if target is None or not may_promote(who, target):
        want = NOT_FOUND if target is None else FORBIDDEN
        event(f"promote: {want}")
        assert answer.status_code == want, (who, target, answer.status_code, answer.text[-2000:])
        assert _history(told, route) == history
        return
    if not model.selects[name] or model.imported.get(name):
        event("promote: nothing")
        assert answer.status_code == 200, answer.text[-2000:]
        assert "Nothing" in answer.text
        return
    event("promote: planned")
    assert answer.status_code == 303, answer.text[-2000:]
    plan = browser.get(answer.headers["location"])
    assert plan.status_code == 200, plan.text[-2000:]
    if model.approvals[name]:
        return  # its import waits for the approvals
    wizard.run_plan(browser, told.services, told.scopes[target], plan.text)
    model.imported[name] = model.imported.get(name, 0) + 1
    assert len(_history(told, route)) == model.imported[name]
    assert "SUCCESSFUL" in browser.get(told.url(f"/routes/{route}")).text


def _history(told: Told, route: str) -> list[Any]:
    try:
        return list(told.services.promotions.history(told.source, route))
    except RouteNotFoundError:
        return []


ACTS = {"save": _save, "delete": _delete, "as_role": _as_role, "promote": _promote}


@GENERATED
@given(story=route_stories())
@example(story=a_story_of_every_page())
def test_the_route_pages_do_what_the_api_does_and_show_each_role_its_own(
    services: Services, browser: Browser, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services, browser)
    for step in story:
        note(f"step: {step!r}")
        ACTS[step.act](told, step)
