"""The enterprise workspace a generated story of the console's release pages is told in
(``tests/console/test_generated_release_pages.py``): its six people (scopes, approval keys,
signed-in browsers), the scripts and jobs of the story released first, the model
(``support/console_release_model.py``), and what a refused post must leave as it was."""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobferry.domain.releases import StartupMode
from jobferry.package.keys import KeyPair
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.records import PackageQuery
from jobferry.storage import ledger as ledger_repo
from jobferry.storage.approvals import plan_approvals
from support.builders import make_job, make_script
from support.console import PASSWORD, Browser, admin_actor
from support.console_release_model import PEOPLE, SIGNERS, Entry, Package, ReleaseModel
from support.console_release_stories import JOBS
from support.releases import (
    connected_team,
    pending_items,
    person,
    production_of,
    register_key,
    release,
)
from support.workspace_state import workspace_state

_SERIAL = itertools.count()


class Told:
    """A story's enterprise workspace: its people's scopes, keys and browsers, its first
    release (the jobs of the story and their scripts), and the model."""

    def __init__(self, services: Services, client: TestClient, required: int) -> None:
        n = next(_SERIAL)
        team = connected_team(services, f"rp{n}")
        ws = team.workspace_id
        self.services, self.workspace_id = services, ws
        self.scopes: dict[str, Scope] = {
            "admin": team.admin,
            "developer": team.developer,
            "deployer": team.deployer,
            **{
                who: person(services, ws, f"rp{n}_{who}", PEOPLE[who])
                for who in ("second", "operator", "viewer")
            },
        }
        for job in JOBS:  # the scripts released first: the jobs' release may be rolled back
            for script in (make_script(f"{job}_sql"), make_script(f"{job}_sh", type="Shell")):
                services.scripts.create(team.developer, script)
        scripts = release(services, team, "scripts", StartupMode.LEAVE)
        for job in JOBS:
            services.jobs.create(team.developer, make_job(job, description="v0"))
        base = release(services, team, "base", StartupMode.LEAVE)
        self.base = Package(base, "developer", ("deployer",), dict.fromkeys(JOBS, 0), {})
        self.base.state, self.base.name = "released", "base"
        self.first = (scripts, base)
        """The packages released before the story: the scripts', the jobs'."""
        if required:
            services.release_approvals.set_rule(team.admin, {"requireApprovals": required})
        self.keys: dict[str, KeyPair] = {
            who: register_key(services, self.scopes[who]) for who in SIGNERS
        }
        self.browsers = {who: self._signed_in(client, who) for who in PEOPLE}
        self.model = ReleaseModel(required, dict.fromkeys(JOBS, 0), {})
        self.model.ledger.append(Entry("deploy", base, {}, dict.fromkeys(JOBS, 0)))
        self.production = production_of(services, team).workspace.id
        self.tags = itertools.count(1)

    def prod_scope(self) -> Scope:
        """The production side, as the admin."""
        actor = self.scopes["admin"].actor
        return self.services.accounts.scope(actor, actor.project_id, self.production)

    def _signed_in(self, client: TestClient, who: str) -> Browser:
        scope = self.scopes[who]
        if who != "admin":
            self.services.signin.set_password(
                admin_actor(self.services), scope.actor.name, PASSWORD
            )
        browser = Browser(TestClient(client.app, follow_redirects=False))
        assert browser.sign_in(scope.actor.name).status_code == 303
        return browser

    def url(self, path: str) -> str:
        return f"/console/w/{self.workspace_id}{path}"

    def whole(self) -> Any:
        """Everything a refused post must leave as it was."""
        admin = self.scopes["admin"]
        _, listed = self.services.releases.packages(admin, PackageQuery(limit=100))
        packages = [
            (v.record.id, v.status, v.record.plan_id, v.record.delete_flag, v.record.task_id)
            for v in listed
        ]
        with self.services.db.transaction(readonly=True) as tx:
            signed = tx.conn.execute(
                sa.select(sa.func.count())
                .select_from(plan_approvals)
                .where(plan_approvals.c.workspace_id == self.workspace_id)
            ).scalar()
            entries = ledger_repo.count_entries(tx, self.workspace_id, None)
        items = sorted((i.id, i.pending_version) for i in self.items())
        return packages, signed, entries, workspace_state(self.services, self.production), items

    def items(self) -> list[Any]:
        return pending_items(self.services, self.scopes["developer"])

    def held(self) -> dict[str, int]:
        """The tag of each job production holds."""
        state = workspace_state(self.services, self.production)
        return {
            name: int(value["document"]["description"][1:])
            for (kind, name), value in state.items()
            if kind == "job"
        }

    def running(self) -> set[str]:
        """The jobs production schedules."""
        state = workspace_state(self.services, self.production)
        return {n for (k, n), v in state.items() if k == "job" and v["status"] == "SCHEDULING"}
