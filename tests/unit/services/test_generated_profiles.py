"""Generated stories of environment profiles and workspace environment variables
(``support/profile_crud_stories.py``): users of each role save, show, list and remove profiles
and save and read variables, in two workspaces and the production side of the second. After
every step, whatever the story, they keep the promises of docs/api.md
(``support/profile_model.py`` says them):

- a profile's versions are numbered in order from 1 and each is kept as saved (a JSON text, a
  YAML text and a parsed body alike; ``name`` not kept): the newest is shown by default, an
  older one by its number, one past the last is not found (DLF.9006); the list names each
  profile once with its newest version;
- a save or removal on a condition (``If-Match``, ``If-None-Match: *``) that does not hold is
  refused (DLF.9018), as is a document with an unknown key, a bad rename, directory or
  target-owned path (DLF.3051) and a write by a role that may not (DLF.6888: admins write
  profiles; admins and developers variables, admins alone on a production side);
- a variables PUT creates or replaces what it names and keeps the others; the variables read
  by name; a refused step changes nothing;
- nothing of one place is seen in another, and every change writes one audit entry per
  object under its caller, in the place's own log;
- a route is saved naming a profile only when its target holds it (DLF.9006), and removing a
  profile a route names is not refused.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
import yaml
from hypothesis import event, example, given, note

from jobferry.domain.saving import Expected
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import audit as audit_repo
from support.audits import entries_since, last_entry
from support.clients import PROJECT_ID
from support.console import admin_actor
from support.import_stories import generated
from support.profile_crud_stories import PLACES, Step, a_long_type, profile_stories
from support.profile_model import NOT_FOUND, ROLES, Line, Model

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


class Told:
    """A story's places (two workspaces, the second in enterprise mode, and its production
    side) and a user of each role in them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        first = accounts.create_workspace(boss, pid, f"pf{n}a")
        second = accounts.create_workspace(boss, pid, f"pf{n}b")
        scope = accounts.scope(boss, pid, second)
        services.releases.update_workspace(scope, {"name": scope.workspace.name, "mode": "1"})
        production = accounts.scope(boss, pid, second).workspace.production_id
        assert production is not None
        self.ids = dict(zip(PLACES, (first, second, production), strict=True))
        self.boss = {place: accounts.scope(boss, pid, ws) for place, ws in self.ids.items()}
        self.users = {}
        for role in ROLES:
            name = f"pf{n}{role}"
            accounts.create_user(boss, pid, name, False)
            for ws in (first, second):
                accounts.set_role(boss, pid, name, ws, role)
            key = accounts.issue_credential(boss, pid, name).access_key
            self.users[role] = accounts.actor_for(key)

    def scope(self, place: str, role: str) -> Scope:
        actor = self.users[role]
        return self.services.accounts.scope(actor, actor.project_id, self.ids[place])


def _body(document: dict[str, Any], form: str) -> bytes | dict[str, Any]:
    if form == "list":
        return b"- renames\n- params\n"
    if form == "broken":
        return json.dumps(document).encode()[:-1]
    if form == "json":
        return json.dumps(document).encode()
    if form == "yaml":
        return yaml.safe_dump(document).encode()
    return copy.deepcopy(document)


def _expected(condition: str | None, newest: int) -> tuple[Expected | None, int | None]:
    """The condition a save asks, and as the model reads it (-1: ``If-Match: *``)."""
    if condition is None:
        return None, None
    if condition == "read":
        return Expected(newest), newest
    if condition == "stale":
        stale = newest - 1 if newest >= 2 else newest + 1
        return Expected(stale), stale
    if condition == "create":
        return Expected(0), 0
    return Expected(None), -1


def _take(told: Told, model: Model, step: Step) -> tuple[str | int | None, Any]:
    """Take ``step`` through the services; what the model predicts and what was answered (a
    refusal's code, or the answer)."""
    services, (place, role, *args) = told.services, step.args
    scope, actor = told.scope(place, role), told.users[role].name
    model.audit = []
    predicted: str | int | None = None
    try:
        if step.act == "put":
            name, document, form, condition = args
            expected, expects = _expected(condition, model.newest(place, name))
            sent = None if form in ("list", "broken") else document
            predicted = model.put_profile(place, role, actor, name, sent, expects)
            return predicted, services.profiles.put(scope, name, _body(document, form), expected)
        if step.act == "remove":
            name, condition = args
            newest = model.newest(place, name)
            expects = {None: None, "read": newest or 1, "stale": newest + 1}[condition]
            predicted = model.remove_profile(place, role, actor, name, expects)
            wanted = None if expects is None else Expected(expects)
            return predicted, services.profiles.delete(scope, name, wanted)
        if step.act == "route":
            predicted = None if model.newest(place, args[0]) else NOT_FOUND
            model.audit = None  # the route's own entries
            return predicted, _route(told, args[0])
        if step.act == "variables":
            predicted = model.put_variables(place, role, actor, args[0])
            return predicted, services.variables.save(scope, {"params": copy.deepcopy(args[0])})
        predicted = _read_refusal(model, step)
        return predicted, _read(told, model, step, scope)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code


def _route(told: Told, profile: str) -> None:
    """The project admin saves a route from the second workspace into the first, naming
    ``profile`` (refused unless the first holds it: DLF.9006)."""
    source, target = (told.boss[p].workspace.name for p in ("w1", "w0"))
    ends = {"source": {"workspace": source}, "target": {"workspace": target}}
    told.services.routes.put(told.boss["w0"], "along", {**ends, "profile": profile})


def _read_refusal(model: Model, step: Step) -> str | None:
    """The code a read step is refused with (None: it answers)."""
    place, _, *args = step.args
    if step.act == "show" and model.shown(place, args[0], args[1]) is None:
        return NOT_FOUND
    if step.act == "versions" and not model.newest(place, args[0]):
        return NOT_FOUND
    return None


def _read(told: Told, model: Model, step: Step, scope: Scope) -> None:
    """Take a read step, checking what it answers against the model."""
    profiles, (place, _, *args) = told.services.profiles, step.args
    if step.act == "show":
        name, version = args
        shown = profiles.get(scope, name, version)
        number = version or model.newest(place, name)
        assert (shown.version, (shown.document, shown.updated_by)) == (
            number,
            model.shown(place, name, version),
        )
    elif step.act == "versions":
        _check_versions(told, model, place, args[0], scope)
    elif step.act == "list":
        _check_list(told, model, place, scope)
    elif step.act == "env":
        _check_variables(told, model, place, scope)
    else:
        raise AssertionError(step)


def _check_versions(told: Told, model: Model, place: str, name: str, scope: Scope) -> None:
    listed = told.services.profiles.versions(scope, name)
    held = model.places[place].profiles[name]
    assert [v.version for v in listed] == list(range(len(held), 0, -1)), name
    assert [(v.document, v.updated_by) for v in listed] == held[::-1], name
    said = [(d.get("description") or "") for d, _ in held[::-1]]
    assert [v.description for v in listed] == said, name


def _check_list(told: Told, model: Model, place: str, scope: Scope) -> None:
    listed = told.services.profiles.list_all(scope)
    held = model.places[place].profiles
    assert [(p.name, p.version) for p in listed] == [(n, len(held[n])) for n in sorted(held)]
    assert all(p.document is None for p in listed)


def _check_places(told: Told, model: Model) -> None:
    """Every place holds what the model says, and nothing of another."""
    for place, held in model.places.items():
        scope = told.boss[place]
        _check_list(told, model, place, scope)
        for name in held.profiles:
            _check_versions(told, model, place, name, scope)
        _check_variables(told, model, place, scope)


def _entries_in(told: Told, place: str, last: int) -> list[Line]:
    """The audit entries of ``place``'s workspace after entry ``last``, oldest first."""
    with told.services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, told.ids[place], limit=100, offset=0)
    found = [(r.actor, r.action, r.object_kind, r.object_name) for i, r in rows if i > last]
    return found[::-1]


def _check_variables(told: Told, model: Model, place: str, scope: Scope) -> None:
    """The variables of ``place`` read by name, as saved."""
    held = model.places[place].variables
    variables = told.services.variables.list(scope)
    got = [(v.name, v.type, v.value, v.description) for v in variables]
    assert got == [(n, *held[n]) for n in sorted(held)], place


@GENERATED
@given(story=profile_stories())
@example(story=a_long_type())
def test_profiles_and_variables_keep_their_promises(
    services: Services, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services)
    model = Model({place: place.endswith("prod") for place in PLACES})
    for step in story:
        before = last_entry(services)
        predicted, answered = _take(told, model, step)
        event(f"{step.act}: {predicted if isinstance(predicted, str) else 'taken'}")
        if isinstance(predicted, str):
            assert answered == predicted, step
            assert entries_since(services, before) == [], step
        else:
            assert not isinstance(answered, str), (step, answered)  # not refused
            if step.act == "put":
                assert answered.version == predicted, step
            if model.audit is not None:
                assert entries_since(services, before) == model.audit, step
                assert _entries_in(told, step.args[0], before) == model.audit, step
        _check_places(told, model)
