"""Generated stories of the console's forms (``support/console_form_stories.py``): a workspace
admin, signed in, posts the workspace settings, the switch to enterprise mode, the workspace's
policy, environment objects, the Delete of jobs and scripts, users (made, given a role or
none, made project admins or no longer, removed), and routes, with good values and
bad ones, stale forms and wrong security tokens. Each change is made too, through the services
as an API client makes it, on a twin workspace that started the same. After every post, whatever
the story, the console keeps the promises of docs/console.md, docs/api.md and docs/errors.md
(``support/console_form_model.py`` says them):

- no post is answered with a server error (500);
- a post without the session's security token is refused (403) and changes nothing; so is a
  post the console refuses itself (400: the enterprise switch unticked, a lock policy the form
  does not offer, a new route of a name taken, config that is no JSON object, an editor's
  text that is no definition);
- the editor saves what its review showed, once *Save* confirms it;
- any other post does what the same service call does: accepted, the workspace holds what the
  twin holds; refused, with the status the service answers (DLF.3051 400, DLF.9018 412, in
  use 409…), and nothing changed;
- a refused post answers a page that says why and what to do, in the console's words (none of
  the API's fields, calls or bodies: tests/test_wording.py), and shows again what was typed
  (the policy's text, the environment object's name, type and config, the route's name,
  description and values, the settings' choices, the editor's text, the new user's name).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note
from markupsafe import escape

from jobferry.domain.saving import Expected
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import parse_workspace_settings
from support.console import Browser, admin_actor, seed
from support.console_form_model import (
    CSRF_REFUSED,
    FORM_REFUSED,
    KEPT,
    SERVER_ERROR,
    held,
    lock_policy_offered,
    own_terms,
    refusal_text,
)
from support.console_form_stories import (
    POLICIES,
    SCRIPTS,
    UNREADABLE,
    Step,
    a_story_of_every_form,
    form_stories,
)
from support.import_stories import generated
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
DONE = {"settings": 303, "enterprise": 303, "delete": 303, "route": 303, "editor": 303}
"""What an accepted post answers: a redirect, or (policy, environment) the page saying it."""


class Told:
    """A story's workspaces: the console's, its twin (changed through the services) and the
    routes' target, the first two seeded alike."""

    def __init__(self, services: Services) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        self.n = n
        accounts = services.accounts
        ids = [accounts.create_workspace(boss, pid, f"cf{n}{end}") for end in ("c", "t", "p")]
        self.console, self.twin, self.target = (accounts.scope(boss, pid, ws) for ws in ids)
        for scope in (self.console, self.twin):
            seed(services, scope)
        self.prefix = {"console": f"c{n}_", "twin": f"t{n}_"}

    def fresh(self, scope: Scope) -> Scope:
        """``scope`` read again (its workspace's settings as they are now)."""
        actor = scope.actor
        return self.services.accounts.scope(actor, actor.project_id, scope.workspace.id)

    def state(self, side: str) -> Any:
        scope = self.console if side == "console" else self.twin
        return held(self.services, scope, self.prefix[side])

    def url(self, path: str) -> str:
        return f"/console/w/{self.console.workspace.id}{path}"


def _policy_read(told: Told, read: str) -> tuple[list[tuple[str, str]], Expected | None]:
    """The read fields a policy form posts, and the condition the API call asks."""
    if read == "none":
        return [], None
    try:
        newest = told.services.policies.versions(told.fresh(told.twin), None)[0].version
    except JobferryError:
        newest = 0
    version = newest if read == "newest" else (newest - 1 if newest >= 2 else newest + 1)
    return [("read_of", "workspace"), ("read_version", str(version))], Expected(version)


def _route_read(told: Told, name: str, read: str) -> tuple[str, Expected | None, bool]:
    """What a route form's ``based_on`` holds, the condition the API call asks, and whether
    the console refuses the post itself (a new route of a name taken)."""
    versions = [r.version for r in told.services.routes.list_all(told.twin) if r.route.name == name]
    newest = versions[0] if versions else 0
    if read == "none":
        return "", None, False
    if read == "new":
        return "0", Expected(0), bool(newest)
    version = newest if read == "newest" else (newest - 1 if newest >= 2 else newest + 1)
    return str(version), Expected(version), version == 0 and bool(newest)


def _route_post(told: Told, step: Step) -> tuple[str, list[tuple[str, str]], Any]:
    """The route form's path and fields, and the twin's call (``None``: refused by the
    console itself)."""
    name, target, kind, values, required, blank, read = step.args
    names = {
        side: (told.prefix[side] + name if name else "")
        for side in ("console", "twin")  # routes are the project's: each side names its own
    }
    based_on, expected, own = _route_read(told, f"t{told.n}_{name}" if name else "", read)
    ends = {
        side: (
            told.target.workspace.name
            if target == "prod"
            else (scope.workspace.name if target == "self" else "")
        )
        for side, scope in (("console", told.console), ("twin", told.twin))
    }
    choices = ("", "", "", "") if blank else ("AUTO", "FAIL", "REFUSE", "ATOMIC")
    form = [
        ("based_on", based_on),
        ("name", names["console"]),
        ("description", "nightly to production"),
        ("source", told.console.workspace.name),
        ("source_id", ""),
        ("target", ends["console"]),
        ("selection", kind),
        ("values", values),
        ("upstream", "on"),
        ("profile", ""),
        *zip(("sameNamePolicy", "onDrift", "scheduling", "mode"), choices, strict=True),
        ("approvals_required", required),
    ]
    count: int | str = int(required) if required.isdigit() else required
    document: dict[str, Any] = {
        "description": "nightly to production",
        "source": {"workspace": told.twin.workspace.name},
        "target": {"workspace": ends["twin"]},
        "selection": {
            "kind": kind,
            "values": [] if kind == "ALL" else [v for v in values.splitlines() if v],
            "withUpstream": True,
        },
        **dict(zip(("sameNamePolicy", "onDrift", "scheduling", "mode"), choices, strict=True)),
    }
    if count != 0:
        document["approvals"] = {"required": count, "approvers": []}

    def twin() -> Any:
        return told.services.routes.put(told.twin, names["twin"], document, expected)

    return "/routes", form, (None if own else twin)


def _post(told: Told, step: Step) -> tuple[str, list[tuple[str, str]], Any]:
    """The form's path and fields, and the same change through the services on the twin
    (``None``: a post the console refuses itself)."""
    services, twin = told.services, told.fresh(told.twin)
    args = step.args
    if step.act == "settings":
        lock, approval, signed = args
        form = [("lockPolicy", lock)]
        pairs = (("approvalEnabled", approval), ("requireSigned", signed))
        form += [(k, "on") for k, v in pairs if v]
        if not lock_policy_offered(lock):
            return "/admin/settings", form, None
        body = {"lockPolicy": lock, "approvalEnabled": approval, "requireSigned": signed}
        actor = twin.actor
        return (
            "/admin/settings",
            form,
            lambda: services.accounts.update_workspace(
                actor, actor.project_id, twin.workspace.id, parse_workspace_settings(body)
            ),
        )
    if step.act == "enterprise":
        form = [("understood", "on")] if args[0] else []
        switch = None if not args[0] else (lambda: services.releases.switch_to_enterprise(twin))
        return "/admin/settings/enterprise", form, switch
    if step.act == "policy":
        text, (fields, expected) = POLICIES[args[0]], _policy_read(told, args[1])
        form = [("route", ""), ("document", text), *fields]
        return (
            "/admin/policies",
            form,
            lambda: services.policies.put(twin, None, text.encode() or b"{}", expected),
        )
    if step.act == "environment":
        kind, name, type_, config = args
        form = [("kind", kind), ("name", name), ("type", type_), ("config", config)]
        try:
            parsed = json.loads(config) if config else {}
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or "1e999" in config:
            return "/admin/environment", form, None  # no JSON object: the console's refusal
        body = {"type": type_, "config": parsed}
        return "/admin/environment", form, lambda: services.environment.put(twin, kind, name, body)
    if step.act == "delete":
        name = args[0]
        listing = "scripts" if name.endswith(("_sql", "_sh")) else "jobs"
        delete = services.scripts.delete if listing == "scripts" else services.jobs.delete
        return f"/{listing}/{name}/delete", [], lambda: delete(twin, name)
    if step.act == "editor":
        key, target = args
        text = SCRIPTS[key]
        form = [("definition", text), ("target", target), ("approvers", "")]
        if key in UNREADABLE:
            return "/editor/scripts", form, None  # no definition: the editor's own refusal
        body = {**json.loads(text), "targetStatus": target}
        return "/editor/scripts", form, lambda: services.scripts.create(twin, body)
    if step.act == "users":
        return _users_post(told, step)
    return _route_post(told, step)


def _users_post(told: Told, step: Step) -> tuple[str, list[tuple[str, str]], Any]:
    """The users form's fields, and the twin's call (its users named apart: users are the
    project's)."""
    action, user, role = step.args
    names = {side: (told.prefix[side] + user if user else "") for side in ("console", "twin")}
    form = [("action", action), ("user", names["console"]), ("role", role), ("confirm", "on")]
    accounts, actor, twin = told.services.accounts, told.twin.actor, told.twin.workspace.id
    users, pid, name = told.services.users, actor.project_id, names["twin"]
    calls = {
        "create": lambda: accounts.create_user(actor, pid, name, False),
        "grant": lambda: accounts.set_role(actor, pid, name, twin, role),
        "revoke": lambda: accounts.remove_role(actor, pid, name, twin),
        "project_admin": lambda: users.set_project_admin(actor, pid, name, True),
        "not_project_admin": lambda: users.set_project_admin(actor, pid, name, False),
        "remove": lambda: users.remove(actor, pid, name),
    }
    return "/admin/users", form, calls.get(action)


def _reviewed(browser: Browser, url: str, form: list[tuple[str, str]]) -> Any:
    """The editor's answer to a post, as a person answers its review: confirmed with *Save*."""
    answer = browser.post(url, form)
    token = re.search(r'name="confirm" value="([0-9a-f]+)"', answer.text)
    if answer.status_code != 200 or token is None:
        return answer
    return browser.post(url, [*form, ("confirm", token[1])])


def _twin_answer(call: Any) -> tuple[int | None, str]:
    """What the twin's service call answered: ``None`` taken, else its refusal's status."""
    try:
        call()
    except JobferryError as exc:
        return exc.status, exc.code
    return None, ""


def _check_refused_page(step: Step, form: list[tuple[str, str]], answer: Any) -> None:
    """A refused post's page says why in the console's words and keeps what was typed."""
    said = refusal_text(answer.text)
    note(f"said: {said}")
    assert said.strip(), step
    terms = own_terms(step.act, api_terms(said))
    assert not terms, (step, said, terms)
    if answer.status_code == CSRF_REFUSED:
        return  # an error page: the form was never read
    creating = step.act != "users" or step.args[0] == "create"
    for field in KEPT[step.act] if creating else ():
        typed = dict(form).get(field, "").strip()
        if typed:
            assert str(escape(typed)) in answer.text, (step, field)
    if step.act == "settings":
        _check_settings_shown(step, answer.text)


_SELECTED = re.compile(r'<option value="(\w+)" selected>')


def _check_settings_shown(step: Step, page: str) -> None:
    """The refused settings form shows the boxes as they were posted (and the lock policy
    posted, when the form offers it)."""
    lock, approval, signed = step.args
    for name, on in (("approvalEnabled", approval), ("requireSigned", signed)):
        box = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', page)
        assert box is not None, name
        assert ("checked" in box[0]) == on, (step, name, box[0])
    if lock_policy_offered(lock):
        select = page[page.index('name="lockPolicy"') :]
        assert _SELECTED.findall(select)[:1] == [lock], step


def _take(told: Told, browser: Browser, step: Step) -> None:
    """Post ``step`` and check the answer and the workspace against the twin."""
    path, form, call = _post(told, step)
    before = told.state("console")
    if step.csrf != "ok":
        token = [("csrf_token", "not-the-token")] if step.csrf == "bad" else []
        answer = browser.post(told.url(path), [*form, *token], csrf=False)
        predicted: int | None = CSRF_REFUSED
    elif call is None:
        answer = _reviewed(browser, told.url(path), form)
        predicted = FORM_REFUSED
    else:
        predicted, code = _twin_answer(call)
        answer = _reviewed(browser, told.url(path), form)
        note(f"twin: {predicted} {code}")
    event(f"{step.act}: {predicted or 'taken'}")
    assert answer.status_code != SERVER_ERROR, (step, answer.text[-2000:])
    if predicted is None:
        assert answer.status_code == DONE.get(step.act, 200), (step, refusal_text(answer.text))
        assert told.state("console") == told.state("twin"), step
        return
    assert answer.status_code == predicted, (step, refusal_text(answer.text))
    assert told.state("console") == before, step
    assert told.state("twin") == before, step
    _check_refused_page(step, form, answer)


@GENERATED
@given(story=form_stories())
@example(story=a_story_of_every_form())
def test_the_consoles_forms_do_what_the_api_does_and_refuse_in_their_own_words(
    services: Services, client: TestClient, browser: Browser, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services)
    assert told.state("console") == told.state("twin")
    for step in story:
        _take(told, browser, step)
