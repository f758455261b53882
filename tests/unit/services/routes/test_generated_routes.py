"""Generated stories of routes as objects and of the approvals of a route's plan
(``support/route_stories.py``): project admins and users of each role save, show, list and
remove routes from three workspaces, and plan, sign, apply the plans of a route requiring
approvals while its signers' roles come and go and its target moves. After every step,
whatever the story, they keep the promises of docs/api.md (``support/route_model.py`` says
them):

- a route's versions are numbered in order from 1 and each is kept in its canonical form
  (defaults written out, ``approvals`` only when some are required), answered with who saved
  it; one past the last is not found (DLF.9040), as is a removed route;
- a save or removal on a condition that does not hold is refused (DLF.9018), as is a document
  with an unknown key or a bad value, a bad end, a source equal to its target however spelled,
  an approval rule asking more than it names or naming people with no role in its target
  (DLF.3051), an end naming no workspace (DLF.0819), a stored profile its target does not hold
  (DLF.9006), and a write by anyone but a project admin (DLF.6888); a refused step changes
  nothing and writes no audit entry;
- every change writes one audit entry in the log of the workspace it was made from and one in
  each end's, and none in another's;
- mappings added to a route's inline profile save a new version (none when it held them all;
  refused when it maps one otherwise, DLF.9017, or names a stored profile, DLF.3051);
- a plan is made by a developer or admin of the target (DLF.6888 otherwise), its overrides
  checked (DLF.3051); its hash binds the settings it was made with, so an override saying what
  the route holds is the same plan as none;
- a plan's maker never signs it, nor anyone the route does not name; an approval counts while
  it signs the plan as it is (the target did not move since), its signer is named by the
  route's rule as it is now and holds a role in the target; ``apply`` needs as many as the
  rule requires (DLF.9044).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.saving import Expected
from jobferry.errors import JobferryError
from jobferry.package.approvals import sign_statement
from jobferry.package.keys import KeyPair, generate_key_pair
from jobferry.services.approving import Signed
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.releases.approval_keys import parse_key
from jobferry.storage import audit as audit_repo
from support.audits import entries_since, last_entry
from support.clients import PROJECT_ID
from support.console import admin_actor
from support.import_stories import definition, generated
from support.route_model import (
    BOSS,
    DENIED,
    FAR,
    GHOST,
    INVALID,
    NOT_FOUND,
    PADMIN,
    ROLES,
    TARGET,
    Line,
    Model,
    Places,
    Plan,
)
from support.route_stories import (
    APPROVAL_ROUTE,
    BAD_NAMES,
    PLACES,
    Step,
    admins_approve,
    ap_document,
    approvals_of_two_plans,
    approver_struck_off,
    fill,
    no_approvals_from_strangers,
    route_stories,
    same_workspace_by_id,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
_SKIPPED = "skipped"


class Told:
    """A story's three workspaces (profile ``staging`` in the first, ``prod`` in the second, a
    script in the first for the approvals route to carry), two project admins, a user of each
    role in the first two workspaces, one in the third alone, and their approval keys."""

    def __init__(self, services: Services) -> None:
        self.services = services
        boss = admin_actor(services)
        n, accounts = next(_SERIAL), services.accounts
        self.serial = n
        ids = {p: accounts.create_workspace(boss, PROJECT_ID, f"rt{n}{p}") for p in PLACES}
        accounts.create_user(boss, PROJECT_ID, f"rt{n}padm", True)
        self.users: dict[str, Actor] = {BOSS: boss, PADMIN: self._actor(f"rt{n}padm")}
        for who in (*ROLES, FAR):
            accounts.create_user(boss, PROJECT_ID, f"rt{n}{who}", False)
            for place in ("w2",) if who == FAR else ("w0", "w1"):
                accounts.set_role(boss, PROJECT_ID, f"rt{n}{who}", ids[place], _role(who))
            self.users[who] = self._actor(f"rt{n}{who}")
        self.keys = {who: self._key(actor) for who, actor in self.users.items()}
        self.names = {who: actor.name for who, actor in self.users.items()}
        self.words = {f"{{{who}}}": name for who, name in self.names.items()}
        self.words[f"{{{GHOST}}}"] = f"rt{n}{GHOST}"
        for place, ws in ids.items():
            self.words[f"{{{place}}}"], self.words[f"{{{place}#}}"] = f"rt{n}{place}", ws
        admins = {self.names[BOSS], self.names[PADMIN]}
        roles = {self.names[r] for r in ROLES}
        self.places = Places(
            {p: f"rt{n}{p}" for p in PLACES},
            ids,
            {"w0": frozenset(admins | roles), "w1": frozenset(admins | roles)}
            | {"w2": frozenset(admins | {self.names[FAR]})},
            {"w0": frozenset({"staging"}), "w1": frozenset({"prod"}), "w2": frozenset()},
        )
        services.profiles.put(self.scope(BOSS, "w0"), "staging", {"description": "s"})
        services.profiles.put(self.scope(BOSS, "w1"), "prod", {"description": "p"})
        services.scripts.create(self.scope(BOSS, "w0"), definition("script", "carried", 9))

    @property
    def ap(self) -> str:
        """The story's approvals route."""
        return self.route(APPROVAL_ROUTE)

    def route(self, name: str) -> str:
        """The route ``name`` of the story's steps, as the story's own (routes belong to
        the project, which every story of a test shares)."""
        return name if name in BAD_NAMES else f"s{self.serial}{name}"[:128]

    def _actor(self, name: str) -> Actor:
        key = self.services.accounts.issue_credential(admin_actor(self.services), PROJECT_ID, name)
        return self.services.accounts.actor_for(key.access_key)

    def _key(self, actor: Actor) -> KeyPair:
        pair = generate_key_pair()
        self.services.approval_keys.register(actor, parse_key({"publicKey": pair.public_key}))
        return pair

    def scope(self, who: str, place: str) -> Scope:
        return self.services.accounts.scope(self.users[who], PROJECT_ID, self.places.ids[place])

    def signed(self, who: str, plan_id: str) -> Signed:
        """``who``'s signature of the plan's statement (read by the project admin)."""
        found = self.services.route_approvals.approvals(self.users[BOSS], self.ap, plan_id)
        document = found.document()
        pair = self.keys[who]
        signature = sign_statement(pair.private_pem, document["statement"])
        return Signed(pair.key_id, document["planHash"], signature)


def _role(who: str) -> str:
    return "developer" if who == FAR else who


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


def _take(told: Told, model: Model, step: Step) -> tuple[Any, Any]:
    """Take ``step`` through the services; what the model predicts and what was answered (a
    refusal's code, or the answer)."""
    model.audit, model.audit_at = None, set()
    predicted: Any = None
    try:
        if step.act in ("put", "rule"):
            if step.act == "rule":
                rule, place = step.args
                caller, name, document, condition = BOSS, APPROVAL_ROUTE, ap_document(rule), None
            else:
                caller, place, name, document, condition = step.args
            name = told.route(name)
            filled, actor = fill(document, told.words), told.names[caller]
            expected, expects = _expected(condition, model.newest(name))
            sent = None if name in BAD_NAMES else filled
            predicted = model.put(caller, actor, place, name, sent, expects)
            scope = told.scope(caller, place)
            return predicted, told.services.routes.put(scope, name, filled, expected)
        if step.act == "renames":
            caller, place, name, renames = step.args
            name = told.route(name)
            predicted = model.add_renames(caller, told.names[caller], place, name, renames)
            scope = told.scope(caller, place)
            saved = told.services.routes.add_renames(scope, name, renames)
            return predicted, (saved.version if saved.added else None)
        if step.act == "remove":
            caller, place, name, condition = step.args
            name = told.route(name)
            newest = model.newest(name)
            expects = {None: None, "read": newest or 1, "stale": newest + 1}[condition]
            predicted = model.remove(caller, told.names[caller], place, name, expects)
            wanted = None if expects is None else Expected(expects)
            return predicted, told.services.routes.delete(told.scope(caller, place), name, wanted)
        if step.act in ("show", "versions", "list"):
            predicted = _read_refusal(told, model, step)
            return predicted, _read(told, model, step)
        return _approvals_step(told, model, step)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code


def _read_refusal(told: Told, model: Model, step: Step) -> str | None:
    """The code a read step is refused with (None: it answers)."""
    caller, place, *args = step.args
    if not model.may_read(told.names[caller], place):
        return "DLF.6888"
    if step.act == "show" and model.shown(told.route(args[0]), args[1]) is None:
        return NOT_FOUND
    if step.act == "versions" and not model.newest(told.route(args[0])):
        return NOT_FOUND
    return None


def _read(told: Told, model: Model, step: Step) -> None:
    """Take a read step, checking what it answers against the model."""
    caller, place, *args = step.args
    scope = told.scope(caller, place)
    if step.act == "show":
        name, version = told.route(args[0]), args[1]
        shown = told.services.routes.get(scope, name, version)
        number = version or model.newest(name)
        got = (shown.route.document(), shown.updated_by)
        assert (shown.version, got) == (number, model.shown(name, version))
    elif step.act == "versions":
        _check_versions(told, model, told.route(args[0]), scope)
    else:
        _check_list(told, model, scope)


def _approvals_step(told: Told, model: Model, step: Step) -> tuple[Any, Any]:
    """Take a step of the approvals route (skipped once its plan was applied, or before one
    was made)."""
    services, boss = told.services, told.users[BOSS]
    if model.applied or (step.act in ("approve", "apply") and not model.plans):
        return _SKIPPED, None
    if step.act == "plan":
        planner, overrides = step.args
        basis = model.basis(overrides)
        refusal = DENIED if told.names[planner] not in model.members[TARGET] else None
        made = _answer(
            lambda: services.route_plans.plan(told.scope(planner, TARGET), told.ap, overrides)
        )
        if refusal or basis is None:
            return refusal or INVALID, made
        assert made.plan is not None
        model.plans.append(Plan(made.plan.plan_id, told.names[planner], basis))
        return None, made
    if step.act == "approve":
        who, which = step.args
        plan = model.plans[-1] if which == "newest" else model.plans[0]
        signed = told.signed(who, plan.plan_id)
        predicted = model.approve(told.names[who], plan, told.ap)
        return predicted, _answer(
            services.route_approvals.approve, told.users[who], told.ap, plan.plan_id, signed
        )
    if step.act == "apply" and told.names[step.args[0]] in model.members[TARGET]:
        if told.names[step.args[0]] not in model.members[TARGET]:
            return DENIED, _answer(told.scope, step.args[0], TARGET)
        predicted = model.apply(model.plans[-1], told.ap)
        scope = told.scope(step.args[0], TARGET)
        plan_id = model.plans[-1].plan_id
        return predicted, _answer(services.route_plans.apply, scope, told.ap, plan_id)
    ws, name = told.places.ids[TARGET], told.names.get(step.args[0] if step.args else BOSS)
    held = model.members[TARGET]
    if step.act == "revoke" and name in held:
        services.accounts.remove_role(boss, PROJECT_ID, str(name), ws)
        held.discard(str(name))
    elif step.act == "restore" and name not in held:
        services.accounts.set_role(boss, PROJECT_ID, str(name), ws, "developer")
        held.add(str(name))
    elif step.act == "move":
        # The script the route carries, changed in the target: its plans read it.
        script, scope = definition("script", "carried", 10 + model.moved), told.scope(BOSS, TARGET)
        if model.moved:
            services.scripts.update(scope, "carried", script)
        else:
            services.scripts.create(scope, script)
        model.moved += 1
    return None, None


def _answer(call: Any, *args: Any) -> Any:
    """What ``call`` answers, or its refusal's code."""
    try:
        return call(*args)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return exc.code


def _check_versions(told: Told, model: Model, name: str, scope: Scope) -> None:
    listed = told.services.routes.versions(scope, name)
    held = model.routes[name]
    assert [v.version for v in listed] == list(range(len(held), 0, -1)), name
    assert [(v.route.document(), v.updated_by) for v in listed] == held[::-1], name


def _check_list(told: Told, model: Model, scope: Scope) -> None:
    listed = told.services.routes.list_all(scope)
    mine = [r for r in listed if r.route.name in model.routes]
    assert [(r.route.name, r.version) for r in mine] == [
        (n, len(model.routes[n])) for n in sorted(model.routes)
    ]


def _check_project(told: Told, model: Model) -> None:
    """The project holds what the model says; the approvals route's newest plan counts the
    approvals the model counts."""
    scope = told.scope(BOSS, "w0")
    _check_list(told, model, scope)
    for name in model.routes:
        _check_versions(told, model, name, scope)
    if model.plans and not model.applied:
        plan = model.plans[-1]
        found = told.services.route_approvals.approvals(
            told.users[BOSS], told.ap, plan.plan_id
        ).document()
        counting = sorted(a["user"] for a in found["approvals"] if a["counts"])
        assert counting == model.counted(plan, told.ap), found["approvals"]


def _entries_in(told: Told, place: str, last: int) -> list[Line]:
    """The audit entries of ``place``'s workspace after entry ``last``, oldest first."""
    with told.services.db.transaction(readonly=True) as tx:
        ws = told.places.ids[place]
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, ws, limit=100, offset=0)
    found = [(r.actor, r.action, r.object_kind, r.object_name) for i, r in rows if i > last]
    return found[::-1]


def _check_audit(told: Told, model: Model, step: Step, before: int) -> None:
    """The entries the step wrote: those the model says, one in each place it names."""
    assert model.audit is not None
    assert entries_since(told.services, before) == model.audit, step
    for place in PLACES:
        expected = model.audit[:1] if place in model.audit_at else []
        assert _entries_in(told, place, before) == expected, (step, place)


def _refusal_entries(told: Told, model: Model, step: Step, before: int) -> list[Line]:
    """What a refused step wrote to the audit log, but the entry of an apply refused before
    its import was queued (docs/operations.md: ``import.refused``, its package as object)."""
    found = entries_since(told.services, before)
    if step.act == "apply" and told.names[step.args[0]] in model.members[TARGET]:
        refused = [
            e for e in found if e[:3] == (told.names[step.args[0]], "import.refused", "package")
        ]
        assert len(refused) == 1, found
        found = [e for e in found if e not in refused]
    return found


@GENERATED
@given(story=route_stories())
@example(story=admins_approve())
@example(story=same_workspace_by_id())
@example(story=approver_struck_off())
@example(story=no_approvals_from_strangers())
@example(story=approvals_of_two_plans())
def test_routes_and_their_approvals_keep_their_promises(
    services: Services, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services)
    model = Model(told.places)
    for step in story:
        before = last_entry(services)
        predicted, answered = _take(told, model, step)
        event(f"{step.act}: {predicted if isinstance(predicted, str) else 'taken'}")
        if predicted == _SKIPPED:
            continue
        if isinstance(predicted, str):
            assert answered == predicted, step
            assert _refusal_entries(told, model, step, before) == [], step
        else:
            assert not isinstance(answered, str), (step, answered)  # not refused
            if step.act == "renames":
                assert answered == predicted, step
                model.audit = [] if predicted is None else model.audit
            if step.act in ("put", "rule"):
                assert answered.version == predicted, step
                assert answered.route.document() == model.routes[answered.route.name][-1][0]
            if model.audit is not None:
                _check_audit(told, model, step, before)
        _check_project(told, model)
