"""Generated stories of who may do what (``tests/unit/services/test_generated_access.py``): a
workspace (simple, or in enterprise mode with its production side) with jobs ``ja`` (submitted)
and its script, three users of the project with a key each and no role, then drawn steps —
roles given, changed and taken away, access keys issued and revoked, by the project admin, by
a user for themselves or for another (in enterprise mode on the production side too), and each
user calling through their newest key: reading jobs and the members, saving and deleting a job,
starting and stopping ``ja``, exporting it, locking and unlocking it, importing a package of
``ja`` (skipping what the workspace holds), writing an environment variable, a tag, the
workspace's settings, reading the audit log, on the development side or the production side;
in enterprise mode approving, deploying and cancelling the package of ``ja`` the project admin
made. :class:`~support.access_model.Model` says which are refused and with what.
"""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from jobferry.domain.enums import LockPolicy, Role, TaskStatus
from jobferry.domain.releases import StartupMode
from jobferry.package.keys import KeyPair
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.importing.request import parse_import_request
from jobferry.services.releases.records import DeployRequest
from jobferry.services.workspaces.settings import WorkspaceSettings
from jobferry.storage import tables
from jobferry.storage.approvals import plan_approvals
from jobferry.storage.importing.tables import deletions, promotion_ledger
from jobferry.storage.releases import release_items, release_packages
from support.access_model import BOSS, GHOST, RULES, USERS, Model
from support.definition_stories import JobSpec, job_body
from support.release_stories import Step

ROLES = (*(r.value for r in Role), "owner")
"""The roles a grant names: every role, and one that is none."""
ACTORS = (BOSS, *USERS, *USERS)
KINDS = tuple(RULES)
NO_KEY = "NOSUCHACCESSKEY00000"
"""The key an ``unkey`` step names when the user it picks never had one."""


@st.composite
def steps(draw: st.DrawFn, enterprise: bool) -> Step:
    """One step of a story (a call on the production side only in enterprise mode)."""
    releasing = ["approve", "deploy", "cancel"] if enterprise else []
    act = draw(
        st.sampled_from(["grant"] * 4 + ["revoke", "key", "unkey", *releasing] + ["call"] * 8)
    )
    actor = draw(st.sampled_from(ACTORS))
    if act in releasing:
        return Step(act, (actor,))
    user = draw(st.sampled_from((*USERS, *USERS, GHOST)))
    production = enterprise and draw(st.sampled_from((False, False, False, True)))
    if act == "grant":
        return Step(act, (actor, user, draw(st.sampled_from(ROLES)), production))
    if act == "revoke":
        return Step(act, (actor, user, production))
    if act == "key":
        return Step(act, (actor, user))
    if act == "unkey":
        whose = draw(st.sampled_from((user, *USERS)))
        return Step(act, (actor, user, whose, draw(st.integers(0, 3))))
    production = enterprise and draw(st.booleans())
    return Step(act, (actor, draw(st.sampled_from(KINDS)), production))


@st.composite
def access_stories(draw: st.DrawFn, max_steps: int = 20) -> tuple[bool, tuple[Step, ...]]:
    """Whether the workspace is in enterprise mode, and the steps: the project admin first
    gives each user a role (or none), then the drawn steps."""
    enterprise = draw(st.booleans())
    first = []
    for user in USERS:
        role = draw(st.sampled_from((None, *(r.value for r in Role))))
        first += [Step("grant", (BOSS, user, role))] if role else []
    drawn = draw(st.lists(steps(enterprise), min_size=6, max_size=max_steps))
    return enterprise, (*first, *drawn)


def resolve(model: Model, step: Step) -> Step:
    """``step`` with the keys it names: a step whose acting user holds no live key is
    ``keyless`` (nothing can be called with it); an ``unkey`` names the ``pick``-th key ever
    issued to the user it picks (live or revoked)."""
    actor = step.args[0]
    if actor != BOSS and model.key_of(actor) is None:
        return Step("keyless", (actor,))
    if step.act != "unkey":
        return step
    _, user, whose, pick = step.args
    issued = [*model.keys.get(whose, []), *(k for k, u in model.revoked.items() if u == whose)]
    return Step("unkey", (actor, user, issued[pick % len(issued)] if issued else NO_KEY))


class Story:
    """The story's workspace and users, and how a step is taken through the services."""

    def __init__(self, services: Services, boss: Actor, workspace: str, names: dict[str, str]):
        self.services, self.boss, self.workspace = services, boss, workspace
        self.names = {BOSS: boss.name, GHOST: GHOST, **names}
        """Each user of the model by their name in the project (unique to the story)."""
        scope = self.scope(boss, False)
        self.production = scope.workspace.production_id
        self.sides = {scope.workspace.name}
        """The names of the workspace's sides."""
        if self.production is not None:
            self.sides.add(self.scope(boss, True).workspace.name)
        exported = services.exports.export_job(scope, "ja", ExportRequest()).data
        assert exported is not None
        self.upload = services.imports.upload(scope, io.BytesIO(exported), "ja.zip").path
        """A package of ``ja`` kept for the story's imports (which skip what it holds)."""
        self.package: int | None = None
        """The release package of an enterprise workspace's story."""
        self.pairs: dict[str, KeyPair] = {}
        """Each user's approval key, by their name in the project."""

    def scope(self, actor: Actor, production: bool) -> Scope:
        """``actor`` in the story's workspace, or its production side: their role now."""
        ws = self.production if production else self.workspace
        return self.services.accounts.scope(actor, actor.project_id, ws)

    def actor(self, model: Model, user: str) -> Actor:
        """Who ``user`` is, by the key they call with."""
        if user == BOSS:
            return self.boss
        key = model.key_of(user)
        assert key is not None
        actor = self.services.accounts.actor_for(key)
        assert actor.name == self.names[user]
        return actor

    def act(self, model: Model, step: Step) -> Any:
        """Take ``step`` (resolved: :func:`resolve`); what its call answered."""
        accounts, pid = self.services.accounts, self.boss.project_id
        if step.act == "keyless":
            return None
        actor = self.actor(model, step.args[0])
        if step.act == "grant":
            _, user, role, *production = step.args
            ws = self.production if any(production) else self.workspace
            return accounts.set_role(actor, pid, self.names[user], ws, role)
        if step.act == "revoke":
            _, user, *production = step.args
            ws = self.production if any(production) else self.workspace
            return accounts.remove_role(actor, pid, self.names[user], ws)
        if step.act == "key":
            return accounts.issue_credential(actor, pid, self.names[step.args[1]]).access_key
        if step.act == "unkey":
            _, user, key = step.args
            return accounts.revoke_credential(actor, pid, self.names[user], key)
        if step.act in ("approve", "deploy", "cancel"):
            return self.release(step.act, actor, self.scope(actor, False))
        _, kind, production = step.args
        return self.call(actor, kind, self.scope(actor, production))

    def release(self, act: str, actor: Actor, scope: Scope) -> Any:
        """Approve, deploy (and run its release) or cancel the story's package."""
        from support.releases import approve_package, run_release  # heavy at import

        assert self.package is not None
        if act == "approve":
            return approve_package(self.services, scope, self.package, self.pairs[actor.name])
        if act == "cancel":
            return self.services.releases.cancel(scope, (self.package,))
        deployed = self.services.releases.deploy(
            scope, DeployRequest((self.package,), StartupMode.LEAVE)
        )
        run_release(self.services)
        return deployed

    def call(self, actor: Actor, kind: str, scope: Scope) -> Any:
        """One call of ``kind`` by ``actor`` in ``scope``."""
        services = self.services
        if kind == "read":
            return services.jobs.list_jobs(
                scope, job_type=None, job_name=None, tags=None, limit=10, offset=0
            )
        if kind == "members":
            return services.studio_workspaces.members(scope, 100, 0)
        if kind == "save":
            body = {**job_body("jx", JobSpec("sa", None, (), 0, "UTC"), scope.workspace.name)}
            body["targetStatus"] = "SUBMITTED"
            if any(j.name == "jx" for j in self.call(actor, "read", scope)[1]):
                return services.jobs.update(scope, "jx", body)
            return services.jobs.create(scope, body)
        if kind == "delete":
            return services.jobs.delete(scope, "jx")
        if kind in ("start", "stop"):
            return getattr(services.jobs, kind)(scope, "ja")
        if kind == "export":
            return services.exports.export_job(scope, "ja", ExportRequest())
        if kind == "import":
            asked = parse_import_request({"path": self.upload, "sameNamePolicy": "SKIP"})
            prepared = services.imports.prepare(scope, asked)
            services.imports.run(prepared)
            task = services.tasks.show(scope, prepared.task_id)
            assert task.status == TaskStatus.SUCCESSFUL, task.message
            return task
        if kind == "lock":
            return services.governance.acquire(scope, "job", "ja")
        if kind == "unlock":
            return services.governance.release(scope, "job", "ja")
        if kind == "variable":
            return services.variables.save(scope, {"params": [{"name": "v", "value": "1"}]})
        if kind == "tag":
            # a tag no job of the story carries: a locked tag's jobs cannot change (DLF.9091),
            # which is the governance stories' to tell, not who may lock one
            return services.governance.put_tag(scope, "t9", True)
        if kind == "settings":
            change = WorkspaceSettings(lock_policy=LockPolicy.SOFT)
            return services.accounts.update_workspace(
                actor, actor.project_id, scope.workspace.id, change
            )
        assert kind == "audit"
        return services.audit.list_entries(scope, 10, 0)


WHOLE = (
    tables.workspaces,
    tables.users,
    tables.credentials,
    tables.role_bindings,
    tables.tags,
    tables.locks,
    tables.workspace_variables,
    tables.downloads,
    tables.system_tasks,
    tables.uploads,
    tables.jobs,
    tables.job_versions,
    tables.job_refs,
    tables.scripts,
    tables.script_versions,
    tables.resources,
    deletions,
    promotion_ledger,
    release_packages,
    release_items,
    plan_approvals,
)
"""The tables a refused step must leave as they were, read whole (the audit log: its newest
line, as :func:`audit_since` reads the lines a step wrote)."""


def access_state(services: Services) -> dict[str, Any]:
    """Every row of :data:`WHOLE`, in one transaction."""
    held: dict[str, Any] = {}
    with services.db.transaction(readonly=True) as tx:
        for table in WHOLE:
            rows = tx.conn.execute(sa.select(table)).all()
            held[table.name] = sorted(tuple(map(repr, row)) for row in rows)
        held["audit"] = tx.conn.execute(sa.select(sa.func.max(tables.audit_log.c.id))).scalar()
    return held


def audit_since(services: Services, last: int) -> list[tuple[int, str, str]]:
    """The audit lines written after line ``last``: (id, actor, action)."""
    log = tables.audit_log
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.select(log.c.id, log.c.actor, log.c.action).where(log.c.id > last)
        ).all()
    return sorted((int(i), str(a), str(act)) for i, a, act in rows)
