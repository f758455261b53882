"""Generated stories of the definition editor and the library pages
(``support/editor_stories.py``): in a plain workspace, an enterprise one or its production
side, people of each role create jobs and scripts in the editor from DataArts' examples, good
or harmed, edit them (a rename, a page opened before someone else saved), read the scripts'
and resources' pages and delete scripts. Each change is made too, through the services as an
API client makes it, on a twin workspace that started the same. After every step the console
keeps the promises of docs/console.md (``support/editor_model.py`` says them):

- no answer is a server error (500);
- only admins and developers create, save or delete (others: 403), never on a production side;
- a text that is no definition (not JSON, empty, a list, a rename) is refused by the editor
  (400); any other save does what the same service call does on the twin: taken (after its
  review, confirmed), the workspace holds what the twin holds and the object's page says what
  was saved; refused, with the status the service answers, and nothing changed;
- a refused post answers a page that says why in the console's words (tests/test_wording.py)
  and, on the editor, keeps the text as typed;
- a script's page lists its submitted versions and the jobs that run it, a resource's page the
  jobs that use it; a Delete refused while jobs run the script names them.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note
from markupsafe import escape

from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.workspaces.settings import parse_workspace_settings
from support.apps import full_app
from support.builders import editable
from support.console import PASSWORD, Browser, admin_actor, seed
from support.console_form_model import refusal_text
from support.editor_model import (
    EDITOR_REFUSED,
    PRODUCTION_REFUSED,
    ROLE_REFUSED,
    SERVER_ERROR,
    WRITERS,
    choices,
    held,
    hidden,
    jobs_using,
    offered,
    typed,
    used_by,
    versions_shown,
)
from support.editor_stories import (
    BODIES,
    KIND_OF,
    UNREADABLE,
    a_story_of_every_step,
    editor_stories,
    harmed,
)
from support.import_stories import generated
from support.release_stories import Step
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
_SERIAL = itertools.count()
_CASTS: dict[int, tuple[Services, dict[str, tuple[Actor, Browser]]]] = {}
ROLES = {"developer": "developer", "operator": "operator", "viewer": "viewer"}


def _cast(services: Services, client: TestClient) -> dict[str, tuple[Actor, Browser]]:
    """A developer, an operator and a viewer, each signed in with a browser of their own
    (made once a test: their roles are given in each story's workspaces)."""
    kept = _CASTS.get(id(services))
    if kept is not None and kept[0] is services:
        return kept[1]
    boss = admin_actor(services)
    cast: dict[str, tuple[Actor, Browser]] = {}
    for role in ROLES:
        name = f"ed_{role}"
        user = services.accounts.create_user(boss, boss.project_id, name, False)
        services.signin.set_password(boss, name, PASSWORD)
        browser = Browser(TestClient(full_app(services), follow_redirects=False))
        assert browser.sign_in(name).status_code == 303
        cast[role] = (Actor(user.id, name, boss.project_id, False), browser)
    _CASTS.clear()
    _CASTS[id(services)] = (services, cast)
    return cast


def _approval_on(services: Services, scope: Scope) -> None:
    """Turn the workspace's approval on: each submission names its approvers."""
    actor, record = scope.actor, scope.workspace
    body = {"lockPolicy": record.lock_policy, "approvalEnabled": True, "requireSigned": False}
    settings = parse_workspace_settings(body)
    services.accounts.update_workspace(actor, actor.project_id, record.id, settings)


class Told:
    """A story's place (the console's workspace and its twin, seeded alike) and its people."""

    def __init__(self, services: Services, client: TestClient, admin: Browser, place: str) -> None:
        self.services, self.place = services, place
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        ids = [accounts.create_workspace(boss, pid, f"ed{n}{end}") for end in ("c", "t")]
        for ws in ids:
            seed(services, accounts.scope(boss, pid, ws))
            services.scripts.create(
                accounts.scope(boss, pid, ws),
                {"name": "load_data", "type": "Shell", "content": "echo", "directory": "/etl"},
            )
            if place == "approval":
                _approval_on(services, accounts.scope(boss, pid, ws))
            elif place != "plain":
                services.releases.switch_to_enterprise(accounts.scope(boss, pid, ws))
        cast = _cast(services, client)
        for role, (actor, _) in cast.items():
            for ws in ids:  # a production side's users hold its development side's roles
                accounts.set_role(boss, pid, actor.name, ws, ROLES[role])
        if place == "production":
            ids = [accounts.scope(boss, pid, ws).workspace.production_id or "" for ws in ids]
        self.ids = dict(zip(("console", "twin"), ids, strict=True))
        self.people = {"admin": (boss, admin), **cast}

    def scope(self, side: str, who: str = "admin") -> Scope:
        actor = self.people[who][0]
        return self.services.accounts.scope(actor, actor.project_id, self.ids[side])

    def browser(self, who: str) -> Browser:
        return self.people[who][1]

    def state(self, side: str) -> Any:
        return held(self.services, self.scope(side))

    def url(self, path: str) -> str:
        return f"/console/w/{self.ids['console']}{path}"


def _twin(call: Any) -> int | None:
    """What the twin's service call answered: ``None`` taken, else its refusal's status."""
    try:
        call()
    except JobferryError as exc:
        note(f"twin: {exc.status} {exc.code} {exc}")
        return exc.status
    return None


MISSING = {"missing_ref": ("no_such_script", "no_such_conn")}
"""What a harm names that the workspace lacks, which the review cautions about."""


def _reviewed(browser: Browser, url: str, form: list[tuple[str, str]], harm: str = "") -> Any:
    """The editor's answer to a post, as a person answers its review: confirmed with *Save*
    (the review first checked: it cautions about a name the workspace lacks)."""
    answer = browser.post(url, form)
    token = re.search(r'name="confirm" value="([0-9a-f]+)"', answer.text)
    if answer.status_code != 200 or token is None:
        return answer
    lacking = [n for n in MISSING.get(harm, ()) if f'"{n}"' in dict(form)["definition"]]
    cautions = answer.text[answer.text.find("Check before saving") :]
    for missing in lacking:
        assert f"&#39;{missing}&#39;" in cautions, refusal_text(answer.text)
    return browser.post(url, [*form, ("confirm", token[1])])


def _service(told: Told, kind: str) -> Any:
    return told.services.jobs if kind == "jobs" else told.services.scripts


def _predicted(told: Told, who: str, own: bool, call: Any) -> int | None:
    """What a post should answer: the role's or production side's refusal, the editor's own,
    or what the twin's same call answers."""
    if who not in WRITERS:
        return ROLE_REFUSED
    if told.place == "production":
        assert call is None or _twin(call) == PRODUCTION_REFUSED
        return PRODUCTION_REFUSED
    if own:
        return EDITOR_REFUSED
    return _twin(call)


def _create(told: Told, step: Step) -> tuple[Any, int | None, str, str]:
    key, harm, target, who, approvers = step.args
    kind = KIND_OF[key]
    text = harmed(kind, BODIES[key], harm)
    form = [("definition", text), ("target", target), ("approvers", approvers)]
    call = None
    if harm not in UNREADABLE:
        body = choices(json.loads(text), target, approvers)
        call = lambda: _service(told, kind).create(told.scope("twin", who), body)  # noqa: E731
    own = harm in UNREADABLE or not offered(who, target)
    predicted = _predicted(told, who, own, call)
    answer = _reviewed(told.browser(who), told.url(f"/editor/{kind}"), form, harm)
    name = "" if harm in UNREADABLE else str(json.loads(text).get("name", ""))
    return answer, predicted, text, f"{kind}/{name}"


def _someone_saves(told: Told, kind: str, name: str) -> None:
    """Someone else saves the object on both sides between the page's opening and its post."""
    for side in ("console", "twin"):
        service, scope = _service(told, kind), told.scope(side)
        document = editable(service.show(scope, name).document)
        document |= {"description": "saved in another tab", "targetStatus": "SAVED"}
        service.update(scope, name, document)


def _edit(told: Told, step: Step) -> tuple[Any, int | None, str, str]:
    kind, name, harm, target, who, stale, approvers = step.args
    browser, url = told.browser(who), told.url(f"/editor/{kind}/{quote(name, safe='')}")
    opened = browser.get(url)
    assert opened.status_code != SERVER_ERROR, opened.text[-2000:]
    try:
        before = editable(_service(told, kind).show(told.scope("twin"), name).document)
    except JobferryError:
        before = {"name": name}
    text = harmed(kind, before, harm)
    written = typed(opened.text) if opened.status_code == 200 else None
    if written is not None:
        text = harmed(kind, json.loads(written), harm)
        assert json.loads(written) == {k: v for k, v in before.items() if k != "targetStatus"}
    if stale and opened.status_code == 200 and told.place != "production":
        _someone_saves(told, kind, name)
    form = [("definition", text), ("target", target), ("approvers", approvers)]
    form.append(("base", hidden(opened.text, "base")))
    own = harm in UNREADABLE or json.loads(text).get("name", name) != name
    own = own or not offered(who, target)
    call = None
    if not own:
        body = choices(json.loads(text), target, approvers)
        call = lambda: _service(told, kind).update(told.scope("twin", who), name, body, before)  # noqa: E731
    predicted = _predicted(told, who, own, call)
    return _reviewed(browser, url, form, harm), predicted, text, f"{kind}/{name}"


def _delete(told: Told, step: Step) -> tuple[Any, int | None, str, str]:
    name, who = step.args
    users = jobs_using(told.services, told.scope("console"), name)
    call = lambda: told.services.scripts.delete(told.scope("twin", who), name)  # noqa: E731
    predicted = _twin(call)
    answer = told.browser(who).post(told.url(f"/scripts/{quote(name, safe='')}/delete"), [])
    in_use = who in WRITERS and told.place != "production" and users
    if predicted is not None and in_use and answer.status_code == predicted:
        said = refusal_text(answer.text)
        assert all(job in said for job in users), (step, said, users)
    return answer, predicted, "", f"scripts?deleted={name}"


def _read(told: Told, step: Step) -> None:
    """A script's or resource's page says what the workspace holds, to everyone."""
    (kind, name), who = step.args
    page = told.browser(who).get(told.url(f"/{kind}/{quote(name, safe='')}"))
    service, scope = getattr(told.services, kind), told.scope("console")
    try:
        detail = service.detail(scope, name)
    except JobferryError:  # a page that is not there: Not Found, whatever the API answers
        assert page.status_code == 404, (step, page.status_code)
        assert f"&#39;{name}&#39;" in page.text
        return
    assert page.status_code == 200, (step, refusal_text(page.text))
    if kind == "scripts":
        assert used_by(page.text) == jobs_using(told.services, scope, name), step
        assert versions_shown(page.text) == [v.version for v in detail.versions], step
        doc = detail.script.document
        assert f"<dt>Type</dt><dd>{escape(doc.get('type'))}</dd>" in page.text, step
        assert f">{escape(doc.get('content') or '')}</pre>" in page.text, step
        newest = max(versions_shown(page.text), default=None)
        assert newest == detail.script.version, (step, newest, detail.script.version)
    else:
        assert used_by(page.text) == jobs_using(told.services, scope, name, kind), step


def _check_saved(told: Told, step: Step, answer: Any, where: str) -> None:
    """A taken post comes back to the object's page (the listing, for a Delete), which says
    what was done."""
    assert answer.status_code == 303, (step, refusal_text(answer.text))
    location = answer.headers["location"]
    assert told.state("console") == told.state("twin"), step
    if step.act == "delete":
        assert location.startswith(told.url("/scripts")), location
        name = step.args[0]
        assert f"Deleted script &#39;{name}&#39;." in told.browser("admin").get(location).text
        return
    kind, _, name = where.partition("/")
    target = step.args[2 if step.act == "create" else 3]
    if step.act == "edit":
        name = step.args[1]
    assert location == told.url(f"/{kind}/{quote(name, safe='')}?saved={target}"), location
    page = told.browser("admin").get(location)
    assert page.status_code == 200, location
    version = _service(told, kind).show(told.scope("console"), name).version
    said = "development state" if target == "SAVED" else f"submitted it as version {version}."
    assert said in page.text, (step, refusal_text(page.text))


def _take(told: Told, step: Step) -> None:
    before = told.state("console")
    if step.act == "read":
        _read(told, step)
        return
    acts = {"create": _create, "edit": _edit, "delete": _delete}
    answer, predicted, text, where = acts[step.act](told, step)
    stale = " (stale)" if step.act == "edit" and step.args[5] else ""
    event(f"{step.act}: {predicted or 'taken'}{stale}")
    assert answer.status_code != SERVER_ERROR, (step, answer.text[-2000:])
    if predicted is None:
        _check_saved(told, step, answer, where)
        return
    assert answer.status_code == predicted, (step, refusal_text(answer.text))
    assert told.state("console") == told.state("twin"), step
    if not (step.act == "edit" and step.args[5]):  # else someone else saved it meanwhile
        assert told.state("console") == before, step
    said = refusal_text(answer.text)
    assert said.strip(), step
    assert not api_terms(said), (step, said, api_terms(said))
    if step.act != "delete" and predicted not in (ROLE_REFUSED, PRODUCTION_REFUSED):
        _check_kept(told, step, answer.text, text)
    if step.act == "edit" and step.args[5] and hidden(answer.text, "base"):
        _again(told, step, answer, text)


def _check_kept(told: Told, step: Step, page: str, text: str) -> None:
    """A refused editor's page keeps what was typed and chosen: the text, the status (when the
    form offers it) and the approvers (where approval is on)."""
    assert typed(page) == text, step
    target, who, approvers = (step.args[2], step.args[3], step.args[4])
    if step.act == "edit":
        target, who, approvers = (step.args[3], step.args[4], step.args[6])
    if offered(who, target):
        assert f'<option value="{target}" selected>' in page, (step, target)
    if told.place == "approval":
        assert f'name="approvers" value="{escape(approvers)}"' in page, (step, approvers)


def _again(told: Told, step: Step, refused: Any, text: str) -> None:
    """A save refused because someone else saved since, posted again from the refused page
    (which now knows what is stored): it does what a save made from what is stored does."""
    kind, name, harm, target, who, _, approvers = step.args
    own = harm in UNREADABLE or json.loads(text).get("name", name) != name
    if own or not offered(who, target):
        return  # refused by the editor again, as at first
    service = _service(told, kind)
    now = editable(service.show(told.scope("twin"), name).document)
    body = choices(json.loads(text), target, approvers)
    predicted = _twin(lambda: service.update(told.scope("twin", who), name, body, now))
    form = [("definition", text), ("target", target), ("approvers", approvers)]
    form.append(("base", hidden(refused.text, "base")))
    url = told.url(f"/editor/{kind}/{quote(name, safe='')}")
    answer = _reviewed(told.browser(who), url, form)
    event(f"edit again: {predicted or 'taken'}")
    assert answer.status_code == (predicted or 303), (step, refusal_text(answer.text))
    assert told.state("console") == told.state("twin"), step


@GENERATED
@given(story=editor_stories())
@example(story=a_story_of_every_step())
@example(story=("plain", (Step("delete", ("gone", "viewer")),)))  # was "no script", not 403
@example(
    story=("plain", (Step("create", ("shell_script", "none", "PRODUCTION", "developer", "")),))
)
def test_the_editor_and_library_pages_do_what_the_api_does_and_say_what_is_held(
    services: Services, client: TestClient, browser: Browser, story: Any
) -> None:
    note(repr(story))
    place, steps = story
    told = Told(services, client, browser, place)
    assert told.state("console") == told.state("twin")
    for step in steps:
        _take(told, step)
