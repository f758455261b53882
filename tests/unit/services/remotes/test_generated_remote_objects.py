"""Generated stories of remotes as objects (``support/remote_object_stories.py``): the project
admin and users of each role add, change, show, list, test and remove remotes of the DataArts
stand-in, with good and bad values, names taken and routes naming their shadows. After every
step, whatever the story, they keep the promises of docs/api.md ("Remotes") and
docs/remotes.md (``support/remote_object_model.py`` says them):

- a remote is added with a shadow workspace of its name, and shown and listed as added: its
  endpoints (slash-less; ``studioEndpoint`` the endpoint unless one was given), project,
  workspace, access key and who added it, its secret key only as ``"set"``; the key is kept
  encrypted, as given, and never in an answer, a refusal or the audit log;
- a body with an unknown, missing or blank field, a bad name or an endpoint that is no
  http(s) URL without a query is refused (DLF.3051), as is a change of the name, project or
  workspace, an access key without its secret key or an empty change; a name a remote or a
  workspace has is taken (DLF.9010); a second remote of one DataArts workspace (or a change
  moving one onto another's) is refused naming the first (DLF.3051);
- only a project admin adds, changes or removes (DLF.6888); anyone lists and shows; admins
  and developers of the shadow (and project admins) test, which says plainly whether the
  remote is reachable, refuses the key or has no such endpoint or workspace;
- an unknown remote is not found (DLF.9064); one a route names as its target is not removed
  (DLF.9013, naming the route) until the route is deleted; a removed remote's shadow stays an
  ordinary workspace, whose name no remote takes again;
- every change writes one audit entry (``remote.add``, ``remote.change``, ``remote.remove``)
  under its caller in the shadow's log, a test none, and a refusal changes nothing.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.api.presenters.remotes import remote_view
from jobferry.domain.enums import RemoteReach
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.remotes.records import parse_remote, parse_remote_change
from jobferry.storage import accounts as account_repo
from jobferry.storage import audit as audit_repo
from jobferry.storage import remotes as repo
from support.audits import entries_since, last_entry
from support.clients import PROJECT_ID
from support.console import admin_actor, admin_scope
from support.import_stories import generated
from support.remote_object_model import BOSS, NOT_FOUND, ROLES, Line, Model
from support.remote_object_stories import (
    BAD_NAMES,
    Step,
    a_rotated_key,
    a_route_keeps_its_remote,
    remote_stories,
)
from support.standin import AK, FACTORY, SK, DataArtsStandin

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


class Told:
    """A story's stand-in (two workspaces of its own), a workspace of its own, the project
    admin and a user of each role in the default workspace; its names, made its own."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.boss = admin_actor(services)
        n = next(_SERIAL)
        self.prefix = f"ro{n}-"
        self.standin = DataArtsStandin()
        self.workspaces = {"a": f"{n:08x}" + "a" * 24, "b": f"{n:08x}" + "b" * 24}
        for ws in self.workspaces.values():
            self.standin.add_workspace(ws)
        self.workspaces["none"] = f"no-such-workspace-{n}"
        services.remotes.transport = self.standin.transport()
        accounts, pid = services.accounts, self.boss.project_id
        accounts.create_workspace(self.boss, pid, self.name("ws"))
        default = admin_scope(services).workspace.id
        self.users: dict[str, Actor] = {BOSS: self.boss}
        for role in ROLES:
            user = f"{self.prefix}{role}"
            accounts.create_user(self.boss, pid, user, False)
            accounts.set_role(self.boss, pid, user, default, role)
            self.users[role] = accounts.actor_for(
                accounts.issue_credential(self.boss, pid, user).access_key
            )

    def name(self, name: str) -> str:
        """A name of the story's own (a bad one as drawn)."""
        if name.strip() in BAD_NAMES[::2]:
            return name
        return name.replace(name.strip(), self.prefix + name.strip())

    def body(self, drawn: dict[str, Any]) -> dict[str, Any]:
        """A drawn remote's body, its name and workspace the story's."""
        body = dict(drawn)
        if isinstance(body.get("name"), str):
            body["name"] = self.name(body["name"])
        if body.get("workspace") in self.workspaces:
            body["workspace"] = self.workspaces[body["workspace"]]
        return body


def _reach(told: Told, model: Model, name: str) -> RemoteReach:
    """What a test of the remote finds at the stand-in: the gateway knows no other path, then
    the signature is checked, then the workspace."""
    held = model.remotes[name]
    if held.endpoint.lower() != FACTORY:
        return RemoteReach.NOT_FOUND
    if (held.access_key, held.secret) != (AK, SK):
        return RemoteReach.AUTH_REFUSED
    if held.workspace not in told.standin.workspaces:
        return RemoteReach.NOT_FOUND
    return RemoteReach.REACHABLE


def _take(told: Told, model: Model, step: Step) -> tuple[str | None, Any]:
    """Take ``step`` as the API does (the body read first); what the model predicts and what
    was answered (a refusal's code, or the answer)."""
    caller, *args = step.args
    actor, remotes = told.users[caller], told.services.remotes
    model.audit = []
    predicted: str | None = None
    try:
        if step.act == "add":
            body = told.body(args[0])
            predicted = model.add(caller, body)
            return predicted, remotes.add(actor, parse_remote(body))
        name = told.name(args[0]) if args else ""
        if step.act == "change":
            predicted = model.change(caller, name, args[1])
            return predicted, remotes.change(actor, name, parse_remote_change(dict(args[1])))
        if step.act == "remove":
            predicted = model.remove(caller, name)
            return predicted, remotes.remove(actor, name)
        if step.act == "show":
            predicted = model.shown(name)
            shown = remotes.get(actor, name)
            assert _view(remote_view(shown)) == model.remotes[name].view(name)
            return predicted, shown
        if step.act == "test":
            predicted = model.tested(caller, name)
            check = remotes.test(actor, name)
            assert check.reach is _reach(told, model, name), check.message
            assert check.calls >= 1, check
            assert name in check.message, check
            return predicted, check
        if step.act == "list":
            return predicted, _check_list(told, model, actor)
        model.audit = None  # another feature's own entries
        return predicted, _other(told, model, step.act, name)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code if SK not in exc.message else "the secret key said"


def _other(told: Told, model: Model, act: str, name: str) -> None:
    """Route into a shadow, delete that route, or make the users members of a shadow, as the
    project admin: steps of other features, taken when the shadow is there."""
    services, boss = told.services, told.boss
    pid = boss.project_id
    with services.db.transaction(readonly=True) as tx:
        shadow = account_repo.find_workspace_by_name(tx, pid, name)
    if shadow is None or name not in model.workspaces:
        return
    scope = admin_scope(services)
    route = f"{name}-in"
    if act == "route":
        ends = {"source": {"workspace": "default"}, "target": {"workspace": name}}
        services.routes.put(scope, route, ends)
        model.routes.setdefault(name, set()).add(route)
    elif act == "unroute" and model.routes.get(name):
        services.routes.delete(scope, route)
        model.routes[name].clear()
    elif act == "member":
        for role in ROLES:
            services.accounts.set_role(boss, pid, f"{told.prefix}{role}", shadow.id, role)
        model.members.add(name)


def _view(view: dict[str, Any]) -> dict[str, Any]:
    """A remote's view, as the model says it (its shadow named as it is, its time apart)."""
    assert view.pop("shadowWorkspace")["name"] == view["name"]
    assert isinstance(view.pop("createTime"), int)
    return view


def _check_list(told: Told, model: Model, actor: Actor) -> None:
    listed = [r for r in told.services.remotes.list_all(actor) if r.name.startswith(told.prefix)]
    assert [_view(remote_view(r)) for r in listed] == [
        model.remotes[n].view(n) for n in sorted(model.remotes)
    ]


def _check_state(told: Told, model: Model) -> None:
    """The project holds the remotes the model says, each with its shadow and its key as
    given (kept encrypted), and the shadows of removed ones as ordinary workspaces."""
    _check_list(told, model, told.boss)
    services, pid = told.services, told.boss.project_id
    with services.db.transaction(readonly=True) as tx:
        for name in model.workspaces - {told.name("ws")}:
            shadow = account_repo.find_workspace_by_name(tx, pid, name)
            assert shadow is not None, name
            assert shadow.shadow_of == (name if name in model.remotes else None), name
            item = repo.get_remote(tx, pid, name)
            if name in model.remotes:
                assert item is not None
                assert item.workspace_id == shadow.id
                held = model.remotes[name]
                assert held.secret not in item.secret_encrypted
                assert services.remotes.box.decrypt(item.secret_encrypted) == held.secret


def _entries_in(told: Told, workspace: str | None, last: int) -> list[tuple[Line, str]]:
    """The audit entries of a workspace (``None``: every one) after entry ``last``, oldest
    first, each with its whole record as text."""
    with told.services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, workspace, limit=100, offset=0)
    found = [
        ((r.actor, r.action, r.object_kind, r.object_name), repr(r)) for i, r in rows if i > last
    ]
    return found[::-1]


def _check_audit(told: Told, model: Model, step: Step, before: int) -> None:
    """The step wrote the entries the model says, in the shadow's own log, no secret in
    them."""
    if model.audit is None:
        return
    everywhere = _entries_in(told, None, before)
    assert [line for line, _ in everywhere] == model.audit, step
    assert not any(SK in said or "wrong" in said for _, said in everywhere), step
    for _, _, _, name in model.audit:
        with told.services.db.transaction(readonly=True) as tx:
            shadow = account_repo.find_workspace_by_name(tx, told.boss.project_id, str(name))
        assert shadow is not None
        assert [line for line, _ in _entries_in(told, shadow.id, before)] == model.audit, step


@GENERATED
@given(story=remote_stories())
@example(story=a_route_keeps_its_remote())
@example(story=a_rotated_key())
def test_remotes_keep_their_promises(services: Services, story: tuple[Step, ...]) -> None:
    note(repr(story))
    told = Told(services)
    model = Model({told.name("ws")}, told.boss.name)
    for step in story:
        before = last_entry(services)
        predicted, answered = _take(told, model, step)
        event(f"{step.act}: {predicted or 'taken'}")
        if predicted is not None:
            assert answered == predicted, step
            assert entries_since(services, before) == [], step
        else:
            assert not isinstance(answered, str), (step, answered)  # not refused
            if step.act in ("add", "change"):
                name = answered.name
                assert _view(remote_view(answered)) == model.remotes[name].view(name), step
            _check_audit(told, model, step, before)
        _check_state(told, model)


def test_an_unknown_remote_is_not_found_by_any_call(services: Services) -> None:
    told = Told(services)
    remotes, boss, name = services.remotes, told.boss, told.name("nowhere")
    for call in (remotes.get, remotes.test, remotes.remove):
        with pytest.raises(JobferryError) as refused:
            call(boss, name)
        assert refused.value.code == NOT_FOUND
        assert name in refused.value.message
