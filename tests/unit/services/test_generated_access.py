"""Generated stories of who may do what (``support/access_stories.py``): roles given, changed
and taken away in a workspace (simple, or in enterprise mode), access keys issued and revoked,
and each user calling through their key — reading, saving and deleting jobs, starting and
stopping them, exporting, locking, writing an environment variable, a tag, the workspace's
settings, reading the audit log — on the development side or the production side. Whatever
the story, the calls keep the promises of docs/api.md (``support/access_model.py``, written
from the docs):

- a refused step changes nothing (users, keys, roles, locks, variables, tags, the workspace's
  settings, downloads, uploads, tasks, release packages and every definition, compared
  whole), writes no audit line (but ``import.refused`` for an import refused to a member of
  the workspace, which docs/operations.md promises), and is
  refused with the documented code: a role that does not allow the call ``DLF.6888``, naming
  the workspace (and the role the caller holds, or that they hold none); a write of a
  production side's definitions ``DLF.9070``; a key or role not there ``DLF.9003``;
- a step the docs allow is never refused, and every change it makes is audited under the
  name of the user who made it;
- a revoked key authenticates nothing, a live one its own user.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import Role
from jobferry.errors import JobferryError, PermissionDeniedError
from jobferry.package.keys import generate_key_pair
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.records import PackageRequest
from support.access_model import BOSS, USERS, Model
from support.access_stories import Story, access_state, access_stories, audit_since, resolve
from support.console import admin_actor
from support.definition_stories import JobSpec, job_body
from support.import_stories import definition, generated
from support.release_stories import Step
from support.releases import Team, pending_items, register_connections

pytestmark = pytest.mark.fuzz
GENERATED = generated(6)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


def _begin(services: Services, enterprise: bool) -> tuple[Story, Model]:
    """A workspace of the story's own with script ``sa`` and job ``ja`` (submitted), in
    enterprise mode or not; the story's users, each with a key and no role. In enterprise
    mode, the project admin has packaged ``ja`` and its script, naming every user of the
    story its approver (each holding deployer then, with an approval key)."""
    boss = admin_actor(services)
    pid, n = boss.project_id, next(_SERIAL)
    ws = services.accounts.create_workspace(boss, pid, f"access{n}")
    scope = services.accounts.scope(boss, pid, ws)
    if enterprise:
        services.releases.update_workspace(scope, {"name": scope.workspace.name, "mode": "1"})
        scope = services.accounts.scope(boss, pid, ws)
        register_connections(services, Team(scope, scope, scope))
    services.scripts.create(scope, {**definition("script", "sa", 0), "targetStatus": "SUBMITTED"})
    body = job_body("ja", JobSpec("sa", None, (), 0, "UTC"), scope.workspace.name)
    services.jobs.create(scope, {**body, "targetStatus": "SUBMITTED"})
    names = {user: f"{user}{n}" for user in USERS}
    model = Model(enterprise)
    for user, name in names.items():
        services.accounts.create_user(boss, pid, name, False)
        model.keys[user] = [services.accounts.issue_credential(boss, pid, name).access_key]
    story = Story(services, boss, ws, names)
    if enterprise:
        _package(services, story, model, scope)
        model.package = "waiting"
    return story, model


def _package(services: Services, story: Story, model: Model, scope: Scope) -> None:
    """The project admin packages what is pending, every user of the story its approver."""
    pid = scope.actor.project_id
    people = [story.actor(model, user) for user in USERS]
    for actor in (scope.actor, *people):
        if actor is not scope.actor:
            services.accounts.set_role(scope.actor, pid, actor.name, story.workspace, "deployer")
        pair = generate_key_pair()
        services.approval_keys.register(actor, parse_key({"publicKey": pair.public_key}))
        story.pairs[actor.name] = pair
    items = tuple(str(i.id) for i in pending_items(services, scope))
    ids = tuple(str(actor.user_id) for actor in people)
    request = PackageRequest(str(scope.actor.user_id), "access", items, ids)
    story.package = services.releases.create(scope, request, []).package_id
    for actor in people:
        services.accounts.remove_role(scope.actor, pid, actor.name, story.workspace)


def _check_keys(services: Services, story: Story, model: Model) -> None:
    """Each live key is its user's; each revoked one authenticates nothing."""
    for user, keys in model.keys.items():
        for key in keys:
            assert services.accounts.actor_for(key).name == story.names[user]
    for key in model.revoked:
        assert services.accounts.secret_for(key) is None
        with pytest.raises(PermissionDeniedError):
            services.accounts.actor_for(key)


def _check_refusal(story: Story, model: Model, step: Step, refused: JobferryError) -> None:
    """A role's refusal names the workspace and the caller's role (or that they hold none)."""
    if type(refused) is not PermissionDeniedError or step.act in ("key", "unkey"):
        return
    role = model.role(step.args[0])
    assert refused.context.get("workspace") in story.sides, refused.context
    if role is not None:
        assert refused.context.get("role") == role.value, refused.context
        assert f"'{role.value}'" in str(refused)
    else:
        assert "has no role" in str(refused)


def _check_members(story: Story, model: Model, page: Any) -> None:
    """The members listed: each user holding a role, with it, and the project admin."""
    listed = {(member.name, member.role) for member in page.items}
    held = {(story.names[user], role) for user, role in model.roles.items()}
    assert listed == {*held, (story.boss.name, Role.ADMIN)}, listed


def _refusal_audited(story: Story, model: Model, step: Step) -> list[tuple[str, str]]:
    """The audit lines a refused step writes: none, but an import refused to a caller with a
    role in the workspace (docs/operations.md, "The audit log": ``import.refused``)."""
    caller = step.args[0] if step.act == "call" else None
    if caller is None or step.args[1] != "import" or model.role(caller) is None:
        return []
    return [(story.names[caller], "import.refused")]


def _tell(services: Services, enterprise: bool, steps: tuple[Step, ...]) -> None:
    story, model = _begin(services, enterprise)
    state = access_state(services)
    last = audit_since(services, 0)[-1][0]
    for drawn in steps:
        step = resolve(model, drawn)
        expected = model.refusal(step)
        what = f"{step.act} {step.args[1]}" if step.act == "call" else step.act
        event(f"{what}: {expected.__name__ if expected else 'taken'}")
        writes = model.writes(step)
        before = state
        refused: JobferryError | None = None
        try:
            answer = story.act(model, step)
        except JobferryError as error:
            refused = error
        state = access_state(services)
        lines = audit_since(services, last)
        if refused is None:
            assert expected is None, f"{step!r} was taken; expected {expected}"
            actor = story.names[step.args[0]]
            assert all(who == actor for _, who, _ in lines), (step, lines)
            assert bool(lines) == writes, (step, lines)
            if step.act == "call" and step.args[1] == "members":
                _check_members(story, model, answer)
            model.take(step, answer)
        else:
            note(f"{step!r} refused: {refused.code} {refused}")
            assert expected is not None, f"{step!r} was refused: {refused.code} {refused}"
            assert (type(refused), refused.code) == (expected, expected.code), step
            said = _refusal_audited(story, model, step)
            assert [(who, action) for _, who, action in lines] == said, (step, lines)
            changed = {k: (before[k], state[k]) for k in state if state[k] != before[k]}
            assert {**state, "audit": None} == {**before, "audit": None}, (step, changed)
            _check_refusal(story, model, step, refused)
        last = lines[-1][0] if lines else last
        if step.act in ("key", "unkey", "keyless"):
            _check_keys(services, story, model)
    _check_keys(services, story, model)


def viewer_keeps_to_reading() -> tuple[bool, tuple[Step, ...]]:
    """ua a viewer: every write refused; then a developer, a lock taken, then a viewer again:
    the lock is released by an admin only."""
    calls = ("save", "delete", "start", "stop", "export", "import", "lock", "variable", "tag")
    return False, (
        Step("grant", (BOSS, "ua", "viewer")),
        *(Step("call", ("ua", kind, False)) for kind in ("read", *calls)),
        Step("grant", (BOSS, "ua", "developer")),
        Step("call", ("ua", "import", False)),
        Step("call", ("ua", "lock", False)),
        Step("grant", (BOSS, "ua", "viewer")),
        Step("call", ("ua", "unlock", False)),
        Step("call", ("ub", "unlock", False)),
        Step("call", (BOSS, "unlock", False)),
    )


def developer_reads_production() -> tuple[bool, tuple[Step, ...]]:
    """An enterprise workspace: a developer, an operator and a deployer on the production
    side."""
    kinds = ("read", "members", "save", "delete", "import", "start", "stop", "lock", "variable")
    return True, (
        Step("grant", (BOSS, "ua", "developer")),
        Step("grant", (BOSS, "ub", "operator")),
        Step("grant", (BOSS, "uc", "deployer")),
        *(Step("call", (user, kind, True)) for user in USERS for kind in kinds),
    )


def keys_revoked() -> tuple[bool, tuple[Step, ...]]:
    """ua an admin of the workspace: grants ub, cannot revoke ub's key; ub revokes their own
    and calls no more."""
    return False, (
        Step("grant", (BOSS, "ua", "admin")),
        Step("grant", ("ua", "ub", "operator")),
        Step("unkey", ("ua", "ub", "ub", 0)),
        Step("key", ("ub", "ub")),
        Step("unkey", ("ub", "ub", "ub", 0)),
        Step("call", ("ub", "start", False)),
        Step("unkey", ("ub", "ub", "ub", 1)),
        Step("call", ("ub", "read", False)),
        Step("revoke", ("ua", "ub")),
        Step("revoke", ("ua", "ub")),
    )


def released_by_its_approver() -> tuple[bool, tuple[Step, ...]]:
    """An enterprise workspace: the applicant, a viewer and a developer may not deploy; an
    operator may not approve, a deployer does; the operator deploys; then production's job
    is started by the operator (not the developer) and locked by the admin alone; a role
    given or taken on the production side is refused (it is the development workspace's)."""
    return True, (
        Step("grant", (BOSS, "ua", "operator")),
        Step("grant", (BOSS, "ub", "developer")),
        Step("grant", (BOSS, "uc", "viewer")),
        *(Step("deploy", (user,)) for user in (BOSS, "uc", "ub")),
        Step("cancel", ("uc",)),
        *(Step("approve", (user,)) for user in ("ua", BOSS, "uc")),
        Step("grant", (BOSS, "uc", "deployer")),
        Step("approve", ("uc",)),
        Step("deploy", ("ua",)),
        *(Step("call", (user, "start", True)) for user in ("ua", "ub", "uc")),
        *(Step("call", (user, "lock", True)) for user in ("ub", BOSS, "ua")),
        Step("call", ("ua", "unlock", True)),
        Step("call", (BOSS, "unlock", True)),
        Step("cancel", ("ub",)),
        Step("approve", ("uc",)),
        Step("deploy", ("uc",)),
        Step("grant", (BOSS, "ub", "operator", True)),
        Step("revoke", (BOSS, "ua", True)),
        Step("call", ("ub", "stop", True)),
    )


@GENERATED
@given(story=access_stories())
@example(story=released_by_its_approver())
@example(story=viewer_keeps_to_reading())
@example(story=developer_reads_production())
@example(story=keys_revoked())
def test_access_stories_keep_the_docs_promises(
    services: Services, story: tuple[bool, tuple[Step, ...]]
) -> None:
    note(repr(story))
    _tell(services, *story)
