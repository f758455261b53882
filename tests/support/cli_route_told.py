"""The two workspaces a generated story of the command line's route commands is told in
(``tests/cli/test_generated_route_commands.py``): ``dev``, seeded through signed calls, and an
empty ``prod``; the project admin's CLI and dana's (a developer of dev, a viewer of prod), the
story's route names, the model (``support/cli_route_model.py``), the changes made in dev, and
what the server holds, read back through the API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import requests
from typer.testing import Result

from support.builders import make_script
from support.cli import Cli, Remote, write_config
from support.cli_releases import as_user
from support.cli_route_model import Model
from support.cli_route_stories import NOPE, ROUTE, SCRIPTS, SEEDED, Step
from support.releases import studio_person
from support.server import ServerProcess


def job_body(name: str, tag: int) -> dict[str, Any]:
    """A job of one dummy node, saved submitted, its description naming its tag."""
    node = {
        "name": "run",
        "type": "Dummy",
        "location": {"x": "10", "y": "20"},
        "preNodeName": [],
        "properties": [],
    }
    cron = {
        "startTime": "2025-01-01T00:00:00+08",
        "expression": "0 30 2 * * ?",
        "expressionTimeZone": "GMT+08:00",
    }
    return {
        "name": name,
        "nodes": [node],
        "schedule": {"type": "CRON", "cron": cron},
        "processType": "BATCH",
        "directory": "/stories",
        "description": f"v{tag}",
    }


class Told:
    """A story's dev and prod, its people's CLIs, its route names and the model."""

    def __init__(self, server: ServerProcess, folder: Path) -> None:
        self.server, self.remote = server, Remote(server)
        self.dev = self.remote.new_workspace("dev", "dws_conn")
        self.prod = self.remote.new_workspace("prod", "dws_conn")
        self.dev_name = self.remote.workspace_name(self.dev)
        self.prod_name = self.remote.workspace_name(self.prod)
        for script in SCRIPTS:
            self._ok(self.remote.call("POST", "/scripts", make_script(script), workspace=self.dev))
        self.model = Model(dict.fromkeys(SEEDED, 0), SCRIPTS)
        for job in SEEDED:
            self._ok(self.remote.call("POST", "/jobs", job_body(job, 0), workspace=self.dev))
        config = write_config(folder / "admin.toml", server, self.dev)
        admin = Cli(server, self.remote, self.dev, config, folder)
        tag = uuid.uuid4().hex[:8]
        dana = studio_person(server, self.dev, f"dana_{tag}", "developer")
        viewer = self.remote.call("PUT", f"/users/dana_{tag}/roles/{self.prod}", {"role": "viewer"})
        self._ok(viewer)
        self.clis = {"admin": admin, "dana": as_user(admin, "dana", dana.ak, dana.sk, folder)}
        self.names = {ROUTE: f"r-{tag}", NOPE: f"n-{tag}"}
        self.model.route_name = self.route

    @staticmethod
    def _ok(answer: requests.Response) -> None:
        assert answer.status_code in (200, 204), answer.text

    @property
    def route(self) -> str:
        return self.names[ROUTE]

    def run(self, step: Step, *args: str) -> Result:
        """``jobferry <args>`` as the step's person, with ``--json`` when it asks for it."""
        return self.clis[step.who](*args, *(["--json"] if step.json else []))

    def create_args(self, jobs: tuple[str, ...], known: bool) -> list[str]:
        source = self.dev_name if known else "nope_ws"
        picked = [part for job in jobs for part in ("--job", job)] or ["--all"]
        return ["routes", "create", self.route, "--from", source, "--to", self.prod_name, *picked]

    # -- dev, changed through signed calls -----------------------------------------------------

    def change_dev(self, step: Step) -> None:
        """A new job in dev, a job changed there, or one deleted (none when dev has none); or
        a job of prod changed there by hand (none when prod has none)."""
        model = self.model
        if step.act == "new":
            tag = model.bump()
            name = f"n{tag}_job"
            self._ok(self.remote.call("POST", "/jobs", job_body(name, tag), workspace=self.dev))
            model.dev[name] = tag
            return
        if not model.dev:
            return
        name = sorted(model.dev)[step.args[0] % len(model.dev)]
        if step.act == "hotfix":
            if model.prod:
                name = sorted(model.prod)[step.args[0] % len(model.prod)]
                model.hot_fix(name)
                body = job_body(name, model.prod[name])
                self._ok(self.remote.call("PUT", f"/jobs/{name}", body, workspace=self.prod))
            return
        if step.act == "change":
            tag = model.bump()
            body = job_body(name, tag)
            self._ok(self.remote.call("PUT", f"/jobs/{name}", body, workspace=self.dev))
            model.dev[name] = tag
        else:
            self._ok(self.remote.call("DELETE", f"/jobs/{name}", workspace=self.dev))
            model.deleted(name)

    # -- what the server holds -----------------------------------------------------------------

    def get(self, path: str, workspace: str | None = None, query: str = "") -> Any:
        """A signed read of the API (``path`` under /v1/{project_id}): its status and body."""
        server = self.server
        raw_path = f"/v1/{server.project_id}{path}"
        headers = {"Host": server.url.removeprefix("http://"), "X-Project-Id": server.project_id}
        if workspace is not None:
            headers["workspace"] = workspace
        headers.update(
            server.signer.sign("GET", raw_path, query, headers, b"", server.ak, server.sk)
        )
        url = server.url + raw_path + (f"?{query}" if query else "")
        answer = requests.get(url, headers=headers, timeout=30)
        return answer.status_code, answer.json()

    def held(self) -> dict[str, int]:
        """The tag of each job prod holds."""
        status, listed = self.get("/jobs", self.prod, "limit=100")
        assert status == 200, listed
        tags = {}
        for job in listed["jobs"]:
            status, shown = self.get(f"/jobs/{job['name']}", self.prod)
            assert status == 200, shown
            tags[job["name"]] = int(shown["description"][1:])
        return tags

    def prod_scripts(self) -> list[str]:
        status, listed = self.get("/scripts", self.prod, "limit=100")
        assert status == 200, listed
        return sorted(s["name"] for s in listed["scripts"])

    def routes(self) -> dict[str, int]:
        """The story's routes the project holds, with their newest version."""
        status, listed = self.get("/routes")
        assert status == 200, listed
        mine = set(self.names.values())
        return {r["name"]: int(r["version"]) for r in listed["routes"] if r["name"] in mine}

    def promotions(self) -> list[dict[str, Any]]:
        """The route's history (none when there is no route), newest first."""
        status, listed = self.get(f"/routes/{self.route}/promotions", query="limit=100")
        return list(listed["promotions"]) if status == 200 else []

    def whole(self) -> Any:
        """Everything a refused command must leave as it was."""
        history = [(p["id"], p["taskId"]) for p in self.promotions()]
        return self.routes(), self.held(), self.prod_scripts(), history

    def check_held(self) -> None:
        """Prod, the route and its history are what the model says."""
        model = self.model
        assert self.held() == model.prod
        assert self.prod_scripts() == (sorted(model.scripts) if model.prod_scripts else [])
        route = model.route
        assert self.routes() == ({self.route: route.version} if route else {})
        history = self.promotions()
        said = [(p["jobs"], p["overrides"] is not None, p["taskStatus"]) for p in history]
        expected = [
            (p.jobs, p.overrode, "FAILED" if p.failed else "SUCCESSFUL")
            for p in reversed(route.history if route else [])
        ]
        assert said == expected, history
        created = [p["createTime"] for p in history]
        assert created == sorted(created, reverse=True), history
