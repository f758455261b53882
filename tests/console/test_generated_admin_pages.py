"""Generated stories of the console's administration pages (``support/admin_page_stories.py``):
users of every role, each signed in with a browser of their own, open and post the users and
roles form, the workspace settings and the enterprise switch, environment objects, a
profile's and a route's policy page by address, and the signing key, with good input and bad;
another admin removes a user or an object meanwhile. After every step, whatever the story, the
pages keep the promises of docs/console.md and docs/api.md (``support/admin_page_model.py``
says them):

- no answer is a server error (500);
- a role that may not use a page is refused (403) before anything it names is looked up;
- an address naming something not there answers the 404 page; bad input and a rule's refusal
  answer 400 with the page saying why in the console's words (the new user's name kept);
- the workspace and the story's users, read through the services, hold what the model holds:
  a refusal changed nothing;
- an audit entry is written exactly when something changed (a grant of the role held already,
  settings saved as they were, write none).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from support.admin_page_model import (
    DENIED,
    MISSING,
    REFUSED,
    ROLE_OF,
    AdminModel,
    Held,
    held,
)
from support.admin_page_stories import Step, a_story_of_every_page, admin_stories
from support.audits import entries_since, last_entry
from support.console import Browser, admin_actor, make_user
from support.console_form_model import SERVER_ERROR, own_terms, refusal_text
from support.import_stories import generated
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
PEOPLE = ("ana", "bo", "gone", "u" * 130, *ROLE_OF)
"""The story's names of users (made or not) beside the bootstrap admin, ``admin``."""


class Told:
    """A story's workspace, its users (a browser signed in for each who acts) and the model."""

    def __init__(self, services: Services, client: TestClient, boss: Browser) -> None:
        self.services, self.boss = services, admin_actor(services)
        pid, n = self.boss.project_id, next(_SERIAL)
        ws = services.accounts.create_workspace(self.boss, pid, f"ap{n}")
        self.scope = services.accounts.scope(self.boss, pid, ws)
        self.real = {name: f"ap{n}_{name}" for name in PEOPLE} | {"admin": "admin", "": ""}
        self.story_name = {real: name for name, real in self.real.items() if real}
        self.browsers = {"boss": boss}
        for name, role in ROLE_OF.items():
            make_user(services, self.real[name], Role(role), ws)
            self.browsers[name] = Browser(TestClient(client.app, follow_redirects=False))
            assert self.browsers[name].sign_in(self.real[name]).status_code == 303
        services.profiles.put(self.scope, "p1", b"{}")
        start = self.held()
        admins = sum(u.project_admin for u in services.accounts.list_users(self.boss, pid))
        self.model = AdminModel(
            users=dict(start.users),
            other_admins=admins - sum(p.project_admin for _, p in start.users),
            settings=start.settings,
            profiles=dict(start.profiles),
        )
        assert self.model.held() == start

    def held(self) -> Held:
        return held(self.services, self.boss, self.scope, self.story_name)

    def url(self, path: str) -> str:
        return f"/console/w/{self.scope.workspace.id}{path}"

    def actor(self, step: Step) -> str:
        """The story's name of the step's actor."""
        return "admin" if step.actor == "boss" else step.actor

    def cleanup(self) -> None:
        """No user of the story stays a project admin (later stories count the admins)."""
        pid = self.boss.project_id
        for user in self.services.accounts.list_users(self.boss, pid):
            if user.project_admin and user.name in self.story_name and user.name != "admin":
                self.services.users.set_project_admin(self.boss, pid, user.name, False)


def _users(told: Told, step: Step) -> tuple[int, Any]:
    action, target, role = step.args
    actor = told.actor(step)
    if target == "self":
        target = actor
    if action == "remove" and target in ROLE_OF:
        target = "gone"  # the story's signed-in users stay
    if action == "not_project_admin" and target == "admin" and told.model.admins() > 1:
        target = "gone"  # the bootstrap admin stays one: the story reads through them
    expected = told.model.users_post(actor, action, target, role)
    form = [("action", action), ("user", told.real[target]), ("role", role), ("confirm", "on")]
    answer = told.browsers[step.actor].post(told.url("/admin/users"), form)
    if expected == REFUSED and action == "create" and target:
        assert told.real[target] in answer.text, step  # the name typed, kept
    return expected, answer


def _settings(told: Told, step: Step) -> tuple[int, Any]:
    lock, approval, signed = step.args
    expected = told.model.settings_post(told.actor(step), lock, approval, signed)
    form = [("lockPolicy", lock)]
    form += [(k, "on") for k, v in (("approvalEnabled", approval), ("requireSigned", signed)) if v]
    return expected, told.browsers[step.actor].post(told.url("/admin/settings"), form)


def _enterprise(told: Told, step: Step) -> tuple[int, Any]:
    (ticked,) = step.args
    expected = told.model.enterprise_post(told.actor(step), ticked)
    form = [("understood", "on")] if ticked else []
    return expected, told.browsers[step.actor].post(told.url("/admin/settings/enterprise"), form)


def _environment(told: Told, step: Step) -> tuple[int, Any]:
    kind, name, type_, config = step.args
    expected = told.model.environment_post(told.actor(step), kind, name, type_, config)
    form = [("kind", kind), ("name", name), ("type", type_), ("config", config)]
    return expected, told.browsers[step.actor].post(told.url("/admin/environment"), form)


def _env_delete(told: Told, step: Step) -> tuple[int, Any]:
    kind, name = step.args
    expected = told.model.environment_delete(told.actor(step), kind, name)
    form = [("kind", kind), ("name", name)]
    return expected, told.browsers[step.actor].post(told.url("/admin/environment/delete"), form)


def _env_edit(told: Told, step: Step) -> tuple[int, Any]:
    kind, name = step.args
    expected = told.model.environment_edit(told.actor(step), kind, name)
    params = {"edit_kind": kind, "edit_name": name}
    return expected, told.browsers[step.actor].get(told.url("/admin/environment"), params=params)


def _profile_page(told: Told, step: Step) -> tuple[int, Any]:
    expected = told.model.profile_page(told.actor(step), step.args[0])
    path = told.url("/admin/profiles")
    return expected, told.browsers[step.actor].get(path, params={"name": step.args[0]})


def _profile(told: Told, step: Step) -> tuple[int, Any]:
    name, document = step.args
    expected = told.model.profile_post(told.actor(step), name, document)
    form = [("name", name), ("document", document)]
    return expected, told.browsers[step.actor].post(told.url("/admin/profiles"), form)


def _profile_delete(told: Told, step: Step) -> tuple[int, Any]:
    expected = told.model.profile_delete(told.actor(step), step.args[0])
    path = told.url("/admin/profiles/delete")
    return expected, told.browsers[step.actor].post(path, [("name", step.args[0])])


def _policy(told: Told, step: Step) -> tuple[int, Any]:
    route, document = step.args
    expected = told.model.policy_post(told.actor(step), route, document)
    form = [("route", route), ("document", document)]
    answer = told.browsers[step.actor].post(told.url("/admin/policies"), form)
    if expected == REFUSED:
        assert "careful" not in document or "careful" in answer.text, step  # the text kept
    return expected, answer


def _route_policy(told: Told, step: Step) -> tuple[int, Any]:
    expected = told.model.route_policy_page(told.actor(step))
    path = told.url("/admin/policies")
    return expected, told.browsers[step.actor].get(path, params={"route": step.args[0]})


def _unknown_workspace(told: Told, step: Step) -> tuple[int, Any]:
    """An admin page of a workspace not there: the 404 page, whoever asks."""
    return MISSING, told.browsers[step.actor].get(f"/console/w/nowhere{step.args[0]}")


def _keys(told: Told, step: Step) -> tuple[int, Any]:
    (action,) = step.args
    before = told.model.signing
    expected = told.model.keys_post(told.actor(step), action, "new")
    answer = told.browsers[step.actor].post(told.url("/admin/keys"), [("action", action)])
    if told.model.signing == "new":  # a new key each time: its id as the services read it
        told.model.signing = told.held().signing
        assert told.model.signing not in (None, before), step
    return expected, answer


PAGES = {
    "users": _users,
    "settings": _settings,
    "enterprise": _enterprise,
    "environment": _environment,
    "env_delete": _env_delete,
    "env_edit": _env_edit,
    "profile_page": _profile_page,
    "route_policy": _route_policy,
    "profile": _profile,
    "profile_delete": _profile_delete,
    "policy": _policy,
    "keys": _keys,
    "unknown_workspace": _unknown_workspace,
}


def _meanwhile(told: Told, step: Step) -> None:
    """Another admin, through the services, removes a user or an environment object."""
    what, name = step.args[0].split()
    model = told.model
    if what == "remove" and name in model.users:
        told.services.users.remove(told.boss, told.boss.project_id, told.real[name])
        del model.users[name]
    elif what == "drop" and name in model.profiles:
        told.services.profiles.delete(told.scope, name)
        del model.profiles[name]
    elif what == "delete":
        for kind, held_name in list(model.environment):
            if held_name == name:
                told.services.environment.delete(told.scope, kind, name)
                del model.environment[(kind, name)]


def _check_said(step: Step, answer: Any) -> None:
    """A refused answer says why, in the console's words."""
    said = refusal_text(answer.text)
    note(f"said: {said}")
    assert said.strip(), step
    terms = own_terms(step.act, api_terms(said))
    assert not terms, (step, said, terms)


@contextmanager
def _audited(told: Told, step: Step) -> Iterator[None]:
    """The step wrote an audit entry exactly when it changed what the services read."""
    before, last = told.held(), last_entry(told.services)
    yield
    after = told.held()
    assert after == told.model.held(), step
    lines = entries_since(told.services, last)
    assert bool(lines) == (after != before), (step, lines)


def _take(told: Told, step: Step) -> None:
    with _audited(told, step):
        if step.act == "meanwhile":
            _meanwhile(told, step)
            return
        expected, answer = PAGES[step.act](told, step)
        event(f"{step.act}: {expected}")
        assert answer.status_code != SERVER_ERROR, (step, answer.text[-2000:])
        assert answer.status_code == expected, (step, refusal_text(answer.text))
        if expected in (DENIED, REFUSED, MISSING):
            _check_said(step, answer)


@GENERATED
@given(story=admin_stories())
@example(story=a_story_of_every_page())
def test_the_admin_pages_refuse_who_may_not_change_nothing_refused_and_audit_each_change(
    services: Services, client: TestClient, browser: Browser, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services, client, browser)
    try:
        for step in story:
            _take(told, step)
    finally:
        told.cleanup()
