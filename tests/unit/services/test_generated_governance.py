"""Generated stories of tags, locks and the lock policy (``support/governance_stories.py``):
users of each role switch a workspace's lock policy, write tags, take and release locks on
jobs and scripts, and create, save, rename and delete them, in two workspaces. After every
step, whatever the story, they keep the promises of docs/api.md
(``support/governance_model.py`` says them):

- only a workspace admin changes the lock policy, the approval switch and the signed-packages
  rule, and writes tags (DLF.6888 for the others); a tag name breaking the name rule is
  refused (DLF.3051), in a tag's call or a job's tags; with approval switched on, a save
  without ``targetStatus`` is refused (DLF.0802);
- admins and developers take locks (on a job or script that exists: DLF.0100, DLF.6201), one
  holder each (another's lock: DLF.9012; the holder's own again: taken, nothing written); the
  holder or an admin releases one (another developer: DLF.6888; no lock: DLF.3051);
- under the hard policy another user's lock refuses the update, delete and rename of what it
  locks (DLF.9012), under the soft one nothing; a delete takes the lock with it (a job or
  script made again under the name is nobody's), a rename carries it to the new name;
- a job saved naming a tag the workspace lacks creates the tag, unlocked, and a locked tag
  stays locked; a job carrying a locked tag, or given one, is not created, saved, deleted or
  renamed (DLF.9091), as an import does not write it; an admin deletes a tag no job carries
  (DLF.9013) and not locked (DLF.9091), one the workspace has (DLF.3051);
- a refused step changes nothing; every change writes its one audit entry under its caller,
  in its workspace's log, and nothing of one workspace is seen in the other.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import LockPolicy, Role
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.audits import entries_since, last_entry
from support.builders import make_job, make_script
from support.console import admin_actor
from support.governance_model import ROLE_OF, USERS, Line, Model
from support.governance_stories import JOBS, PLACES, SCRIPTS, Step, governance_stories
from support.import_stories import generated

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


class Told:
    """A story's two workspaces, each holding jobs ``ja`` and ``jb`` and script ``sa``, and
    its users, each with the same role in both."""

    def __init__(self, services: Services, model: Model | None = None) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        self.ids = {p: accounts.create_workspace(boss, pid, f"gv{n}{p}") for p in PLACES}
        self.boss = {p: accounts.scope(boss, pid, ws) for p, ws in self.ids.items()}
        self.names = {user: f"gv{n}{user}" for user in USERS}
        self.users = {}
        for user, name in self.names.items():
            accounts.create_user(boss, pid, name, False)
            for ws in self.ids.values():
                accounts.set_role(boss, pid, name, ws, Role(ROLE_OF[user]))
            key = accounts.issue_credential(boss, pid, name).access_key
            self.users[user] = accounts.actor_for(key)
        for scope in self.boss.values():
            for job in ("ja", "jb"):
                services.jobs.create(scope, _body("job", job, ("daily",)))
            services.scripts.create(scope, _body("script", "sa", ()))
        self.model = Model({p: s.workspace.name for p, s in self.boss.items()})
        for place in PLACES:
            for job in ("ja", "jb"):
                self.model.created(place, "job", job, ("daily",))
            self.model.created(place, "script", "sa", ())

    def come_back(self, user: str) -> None:
        """The project admin removes ``user`` and makes them again, with the roles they had."""
        accounts, name = self.services.accounts, self.names[user]
        boss = admin_actor(self.services)
        pid = boss.project_id
        self.services.users.remove(boss, pid, name)
        accounts.create_user(boss, pid, name, False)
        for place, ws in self.ids.items():
            accounts.set_role(boss, pid, name, ws, self.model.places[place].roles[user])
        self.users[user] = accounts.actor_for(accounts.issue_credential(boss, pid, name).access_key)

    def scope(self, place: str, user: str) -> Scope:
        actor = self.users[user]
        return self.services.accounts.scope(actor, actor.project_id, self.ids[place])

    def lines(self, lines: list[Line]) -> list[Line]:
        """The model's entries with each user's real name (the actor's, and a user's as the
        object)."""
        named = self.names
        return [
            (named[a], action, k, named[n] if k == "user" and n else n) for a, action, k, n in lines
        ]


def _body(kind: str, name: str, tags: tuple[str, ...]) -> dict[str, Any]:
    if kind == "script":
        return make_script(name)
    job = make_job(name)
    job["basicConfig"]["tags"] = list(tags)
    return job


def _take(told: Told, step: Step) -> tuple[str | None, str | None]:
    """Take ``step`` through the services: what the model predicts (a refusal's code, or
    None) and what was answered (a refusal's code, or None)."""
    services, model, (place, user, *args) = told.services, told.model, step.args
    scope = told.scope(place, user)
    model.audit = []
    act = step.act
    predicted = getattr(model, {"tag": "put_tag"}.get(act, act))(place, user, *args)
    try:
        if act == "settings":
            actor = told.users[user]
            policy = None if args[0] is None else LockPolicy(args[0])
            change = WorkspaceSettings(policy, args[1], args[2])
            services.accounts.update_workspace(actor, actor.project_id, told.ids[place], change)
        elif act == "tag":
            services.governance.put_tag(scope, args[0], args[1])
        elif act == "untag":
            services.governance.delete_tag(scope, args[0])
        elif act == "lock":
            lock = services.governance.acquire(scope, *args)
            assert (lock.holder, lock.name) == (told.names[user], args[1]), step
        elif act == "unlock":
            services.governance.release(scope, *args)
        elif act == "rename":
            services.jobs.rename(scope, *args)
        elif act == "role":
            actor = told.users[user]
            who, role = told.names[args[0]], args[1]
            services.accounts.set_role(actor, actor.project_id, who, told.ids[place], role)
        elif act == "leave":
            told.come_back(args[0])
        else:
            _write(services, scope, act, *args)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code
    return predicted, None


def _write(services: Services, scope: Scope, act: str, kind: str, name: str, *saved: Any) -> None:
    writer = services.jobs if kind == "job" else services.scripts
    if act == "delete":
        writer.delete(scope, name)
        return
    tags, status = saved
    body = _body(kind, name, tags) | ({} if status is None else {"targetStatus": status})
    if act == "create":
        writer.create(scope, body)
    else:
        writer.update(scope, name, body)


def _check_places(told: Told) -> None:
    """Every workspace holds what the model says, and nothing of the other."""
    services = told.services
    for place, held in told.model.places.items():
        boss = told.boss[place].actor
        scope = services.accounts.scope(boss, boss.project_id, told.ids[place])
        ws = scope.workspace
        assert (ws.lock_policy, ws.approval_enabled, ws.require_signed) == (
            held.policy,
            held.approval,
            held.signed_only,
        ), place
        locks = {
            (lk.kind.value, lk.name): lk.holder for lk in services.governance.list_locks(scope)
        }
        assert locks == {key: told.names[u] for key, u in held.locks.items()}, place
        tags = {t.name: t.locked for t in services.governance.list_tags(scope)}
        assert tags == held.tags, place
        assert _objects(services, scope) == held.objects, place


def _objects(services: Services, scope: Scope) -> dict[tuple[str, str], tuple[str, ...]]:
    """The jobs (with their tags) and scripts of the stories' names the workspace holds."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    _, jobs = services.jobs.list_jobs(
        scope, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    for job in jobs:
        assert job.name in JOBS, job.name
        shown = services.jobs.show(scope, job.name).document
        found[("job", job.name)] = tuple(shown["basicConfig"]["tags"])
    _, scripts = services.scripts.list_scripts(scope, script_name=None, limit=100, offset=0)
    for script in scripts:
        assert script.name in SCRIPTS, script.name
        found[("script", script.name)] = ()
    return found


@GENERATED
@given(story=governance_stories())
@example(
    story=(
        Step("settings", ("w0", "admin", "hard", None, None)),
        Step("lock", ("w0", "dev", "job", "jb")),
        Step("delete", ("w0", "dev", "job", "jb")),
        Step("create", ("w0", "admin", "job", "jb", ("weekly",), None)),
        Step("update", ("w0", "dev2", "job", "jb", (), None)),
    )
)
@example(
    story=(
        Step("tag", ("w0", "admin", "daily", True)),
        Step("update", ("w0", "dev", "job", "ja", (), None)),
        Step("rename", ("w0", "admin", "jb", "jc")),
        Step("create", ("w0", "dev", "job", "jc", ("weekly", "daily"), None)),
        Step("tag", ("w0", "admin", "daily", False)),
        Step("update", ("w0", "dev", "job", "ja", (), None)),
        Step("delete", ("w0", "dev", "job", "jb")),
    )
)
@example(
    story=(
        Step("untag", ("w0", "admin", "daily")),
        Step("tag", ("w1", "admin", "daily", True)),
        Step("untag", ("w1", "admin", "daily")),
        Step("untag", ("w0", "admin", "weekly")),
        Step("update", ("w0", "dev", "job", "ja", ("weekly",), None)),
        Step("update", ("w0", "dev", "job", "jb", (), None)),
        Step("untag", ("w0", "dev", "daily")),
        Step("untag", ("w0", "admin", "daily")),
        Step("create", ("w0", "dev", "job", "jc", ("daily",), None)),
    )
)
def test_tags_locks_and_the_lock_policy_keep_their_promises(
    services: Services, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services)
    for step in story:
        before = last_entry(services)
        predicted, answered = _take(told, step)
        event(f"{step.act}: {predicted or 'taken'}")
        assert answered == predicted, step
        if told.model.audit is not None:
            wrote = told.lines(told.model.audit) if predicted is None else []
            assert entries_since(services, before) == wrote, step
        _check_places(told)
