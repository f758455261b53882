"""The enterprise workspace a generated story of the command line's release commands is told
in (``tests/cli/test_generated_release_commands.py``): its six people (a CLI of their own
each, approval keys made and registered with ``jobferry users keys``), the story's jobs and
their scripts released first with the CLI, the model (``support/cli_release_model.py``),
what a refused command must leave as it was, and what the server holds, read back through
the API."""

from __future__ import annotations

import itertools
import re
import uuid
from pathlib import Path
from typing import Any

import orjson
from typer.testing import Result

from support.builders import make_job, make_script
from support.cli import Cli, Remote, write_config
from support.cli_release_model import CliReleaseModel
from support.cli_release_stories import APPROVERS, JOBS, Step
from support.cli_releases import as_user
from support.console_release_model import PEOPLE, SIGNERS, Entry, Package, ReleaseModel
from support.releases import studio_person
from support.server import ServerProcess

STATUS = {1: "waiting for approval", 2: "released", 3: "failed", 5: "releasing"}
"""A release package's ``deploy_status`` (docs/api.md) in the words of the model."""


class Told:
    """A story's enterprise workspace, its people's CLIs and keys, and the model."""

    def __init__(self, server: ServerProcess, folder: Path, required: int) -> None:
        self.server, self.remote = server, Remote(server)
        ws = self.remote.new_workspace("rel", "dws_conn", "ssh_conn")
        self.workspace = ws
        mode = {"name": self.remote.workspace_name(ws), "mode": "1"}
        switched = self.remote.call("PUT", f"/{server.project_id}/workspace/{ws}", mode)
        assert switched.status_code == 200, switched.text
        admin = Cli(
            server, self.remote, ws, write_config(folder / "admin.toml", server, ws), folder
        )
        me = self.remote.call("GET", "/users/me").json()
        self.names = {"admin": str(me["name"])}
        self.clis = {"admin": admin}
        tag = uuid.uuid4().hex[:6]
        for who, role in PEOPLE.items():
            if who != "admin":
                name = f"{who}_{tag}"
                made = studio_person(server, ws, name, role.value)
                self.names[who] = name
                self.clis[who] = as_user(admin, who, made.ak, made.sk, folder)
        self.keys: dict[str, Path] = {}
        for who in SIGNERS:
            key = folder / f"{who}.key"
            assert self.clis[who]("users", "keys", "new", str(key)).exit_code == 0
            added = self.clis[who]("users", "keys", "add", f"{key}.pub")
            assert added.exit_code == 0, added.output
            self.keys[who] = key
        for job in JOBS:  # the scripts released first: the jobs' release may be rolled back
            for script in (make_script(f"{job}_sql"), make_script(f"{job}_sh", type="Shell")):
                self._ok(self.remote.call("POST", "/scripts", script, workspace=ws))
        self._released_first("scripts")
        for job in JOBS:
            self._ok(
                self.remote.call("POST", "/jobs", make_job(job, description="v0"), workspace=ws)
            )
        base = self._released_first("base")
        if required:
            ruled = admin("releases", "rule", "--require-approvals", str(required))
            assert ruled.exit_code == 0, ruled.output
        carried = dict.fromkeys(JOBS, 0)
        first = Package(base, "developer", ("deployer",), carried, dict.fromkeys(JOBS, -1))
        first.state, first.name = "released", "base"
        self.model = ReleaseModel(required, dict(carried), {})
        self.model.ledger.append(Entry("deploy", base, {}, dict(carried)))
        self.cli_model = CliReleaseModel(self.model, first)
        listed = self.remote.call("GET", "/workspaces").json()["workspaces"]
        self.production = next(w for w in listed if w["id"] == ws)["productionWorkspaceId"]
        self.tags = itertools.count(1)
        self.entries: list[tuple[int, str, int]] = []

    @staticmethod
    def _ok(answer: Any) -> None:
        assert answer.status_code in (200, 204), answer.text

    def _released_first(self, name: str) -> int:
        """The pending items packaged by the developer naming the deployer, who deploys them
        leaving their jobs stopped; the package's id."""
        made = self.clis["developer"].json(
            "releases", "create", name, "--all", "--approver", self.names["deployer"]
        )
        package = str(made["release_package_id"])
        deployed = self.clis["deployer"]("releases", "deploy", package, "--no-start", "--yes")
        assert deployed.exit_code == 0, deployed.output
        return int(package)

    # -- the commands ------------------------------------------------------------------------

    def run(self, step: Step, who: str, *args: Any) -> Result:
        """``jobferry <args>`` as ``who``, with ``--json`` when the step asks for it."""
        return self.clis[who](*map(str, args), *(["--json"] if step.json else []))

    def approvers(self, who: str, named: str) -> tuple[str, ...]:
        return tuple(who if a == "self" else a for a in APPROVERS[named])

    def create_args(self, approvers: tuple[str, ...]) -> list[str]:
        name = f"p{len(self.model.packages)}"
        named = [part for a in approvers for part in ("--approver", self.names[a])]
        return ["releases", "create", name, "--all", *named]

    def rollback_last(self) -> list[str]:
        return ["releases", "rollback", "--last", "--yes"]

    def submit(self, job: str) -> None:
        """A new version of ``job`` submitted in development: its pending item waits."""
        tag = next(self.tags)
        body = make_job(job, description=f"v{tag}")
        self._ok(self.remote.call("PUT", f"/jobs/{job}", body, workspace=self.workspace))
        self.model.pending[job] = tag

    def toggle(self, job: str) -> None:
        """``job`` started or stopped by hand in production (when production holds it)."""
        if job not in self.model.prod:
            return
        act = "stop" if job in self.model.running else "start"
        self._ok(self.remote.call("POST", f"/jobs/{job}/{act}", {}, workspace=self.production))
        self.model.toggled(job)

    def created(self, step: Step, body: Any, out: str) -> None:
        """The package ``create`` said it made (nothing, when nothing was pending)."""
        model = self.model
        if not model.pending:
            assert (body or {}).get("nothingPending") or "Nothing to do" in out, out
            return
        if body is not None:
            made = int(body["release_package_id"])
        else:
            made = int(re.findall(r"Created release package (\d+) ", out)[0])
        who, named = step.args
        package = Package(made, who, self.approvers(who, named), dict(model.pending), {})
        model.planned(package)
        model.pending = {}
        model.packages.append(package)

    def rolled_back(self, pick: int | None) -> None:
        last = self.model.ledger[-1]
        self.model.rolled_back(self.cli_model.by_id(last.package))
        del pick

    # -- what the server holds -----------------------------------------------------------------

    def factory(self, method: str, path: str, body: Any = None) -> Any:
        data = b"" if body is None else orjson.dumps(body)
        answer = self.server.call(
            method, f"/factory{path}", data, workspace=self.workspace, api="v2"
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def packages(self) -> list[Any]:
        listed = self.factory("POST", "/release-packages", {"limit": 100})["data"]
        return sorted(listed, key=lambda p: int(p["package_id"]))

    def whole(self) -> Any:
        """Everything a refused command must leave as it was."""
        packages = [
            (p["package_id"], p["deploy_status"], p["delete_flag"], p.get("rolled_back"))
            for p in self.packages()
        ]
        signed = [
            self.factory("GET", f"/release-packages/{p.id}/approvals").get("approvals")
            for p in self.model.packages
            if p.waiting
        ]
        ledger = self.factory("GET", "/release-ledger")
        self.entries = sorted(
            (int(e["entry_id"]), e["action"], int(e["package_id"])) for e in ledger["entries"]
        )
        pending = self.factory("GET", "/pending-items")
        items = sorted((i["item_name"], i["pending_version"]) for i in pending["data"])
        return packages, signed, ledger["total"], self.held(), items

    def held(self) -> tuple[dict[str, int], set[str]]:
        """The tag of each job production holds, and those it schedules."""
        answer = self.remote.call("GET", "/jobs", workspace=self.production)
        assert answer.status_code == 200, answer.text
        tags, running = {}, set()
        for job in answer.json()["jobs"]:
            shown = self.remote.call("GET", f"/jobs/{job['name']}", workspace=self.production)
            tags[job["name"]] = int(shown.json()["description"][1:])
            if job["status"] == "SCHEDULING":
                running.add(job["name"])
        return tags, running

    def check_held(self) -> None:
        """Production, the packages' states and the ledger are what the model says."""
        model = self.model
        assert self.held() == (model.prod, model.running)
        states = {int(p["package_id"]): self._state(p) for p in self.packages()}
        for package in model.packages:
            assert states[package.id] == package.state, (package, states)
        self.whole()
        written = [(action, package) for _, action, package in self.entries[1:]]
        assert written == [(e.action, e.package) for e in model.ledger], self.entries

    @staticmethod
    def _state(listed: Any) -> str:
        if listed["delete_flag"] == 1:
            return "cancelled"
        return STATUS[int(listed["deploy_status"])]

    def check_read(self, step: Step, body: Any, out: str) -> None:
        """What a read command shows is what the model holds."""
        model = self.model
        if step.act == "pending":
            if body is not None:
                assert sorted(i["item_name"] for i in body["data"]) == sorted(model.pending)
            for job in model.pending:
                assert body is not None or job in out, out
        elif step.act == "ledger" and body is not None:
            assert body["total"] == len(model.ledger) + 1, body  # and the scripts' release
        elif step.act == "list" and body is not None:
            listed = {int(p["package_id"]): self._state(p) for p in body["data"]}
            assert {p.id: p.state for p in model.packages}.items() <= listed.items(), body
        elif step.act in ("show", "approvals"):
            package = model.packages[step.args[0] % len(model.packages)]
            (self._check_shown if step.act == "show" else self._check_approvals)(package, body, out)

    def _check_shown(self, package: Package, body: Any, out: str) -> None:
        """``releases show``: its state, ``released · rolled back`` once rolled back."""
        if body is not None:
            shown = body["release_package"]
            assert self._state(shown) == package.state, (package, shown)
            assert bool(shown.get("rolled_back")) == package.rolled_back, (package, shown)
            return
        assert package.state in out, (package, out)
        assert ("released · rolled back" in out) == package.rolled_back, (package, out)

    def _check_approvals(self, package: Package, body: Any, out: str) -> None:
        """``releases approvals``: the rule's number, and how many approvals count while the
        package waits."""
        if body is None:
            assert str(package.id) in out, out
            return
        assert body["required"] == self.model.required, body
        if package.waiting:
            assert body["counted"] == self.model.counted(package), (package, body)
