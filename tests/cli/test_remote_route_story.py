"""The test → prod story of issue #38 with prod a remote DataArts workspace: one route from the
CLI's workspace to a remote's shadow, and ``jobferry promote ROUTE`` with no per-run options
but the drift override, on SQLite and PostgreSQL.

A second jobferry server plays DataArts behind the contract filter (only the published calls
pass). The story: the first promotion creates everything in the remote; an edit, a rename (the
v2 rename call) and a delete in test; a hot-fix made in the remote shows as drift in the next
plan with no refresh asked for (every plan reads the remote first), refused (exit 3) then
taken for one run; a job running on its schedule in the remote, paused and started again
around its write; and the last promotion rolled back in the remote. After each step the remote
holds exactly what the story says, and nothing but contract calls reached it. A second route
onto a remote that already holds everything records its first promotion as its baseline and
writes nothing to the remote.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
import pytest

from support.builders import editable, release, released
from support.cli import Cli
from support.exporting import seed
from support.gateway import Gateway
from support.server import ServerProcess, new_workspace

JOBS = ("orders", "customers", "legacy")


class Story:
    """The route from the CLI's workspace to the remote's shadow, and the remote itself."""

    def __init__(self, cli: Cli, gateway: Gateway, server: ServerProcess) -> None:
        self.cli, self.gateway, self.server = cli, gateway, server
        self.name = f"prod-{uuid.uuid4().hex[:8]}"
        self.route = f"to-{self.name}"
        self.ws = new_workspace(server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")

    def promote(self, *options: str, code: int) -> dict[str, Any]:
        """``jobferry promote ROUTE [options] --json``, exiting ``code``; its document."""
        result = self.cli("promote", self.route, *options, "--json")
        assert result.exit_code == code, (result.stdout, result.stderr)
        answer: dict[str, Any] = orjson.loads(result.stdout)
        return answer

    def applied(self, *options: str) -> dict[str, Any]:
        """``promote ROUTE --apply --yes``, the push done."""
        done = self.promote("--apply", "--yes", *options, code=0)
        assert done["task"]["status"] == "SUCCESSFUL", done["task"]
        assert "Pushed to remote" in done["task"]["message"], done["task"]
        return done

    def edit(self, name: str, value: str) -> None:
        """Save job ``name`` of the test workspace with a new value of its ``release``
        parameter (a field create_job and update_job carry: a job's description does not
        reach a remote)."""
        test = self.cli.workspace
        shown = self.cli.remote.call("GET", f"/jobs/{name}", workspace=test)
        assert shown.status_code == 200, shown.text
        changed = {**editable(shown.json()), "params": released(value)}
        answer = self.cli.remote.call("PUT", f"/jobs/{name}", changed, workspace=test)
        assert answer.status_code == 204, answer.text

    def remote_jobs(self) -> list[str]:
        listed = self.server.call("GET", "/jobs", workspace=self.ws).json()
        return sorted(j["name"] for j in listed["jobs"])

    def remote_job(self, name: str) -> dict[str, Any]:
        shown = self.server.call("GET", f"/jobs/{name}", workspace=self.ws)
        assert shown.status_code == 200, shown.text
        found: dict[str, Any] = shown.json()
        return found

    def remote_status(self, name: str) -> str:
        shown = self.server.call("GET", f"/jobs/{name}/status", workspace=self.ws)
        return str(shown.json()["status"])


def jobs_planned(result: dict[str, Any]) -> list[tuple[str, ...]]:
    """(action, name[, previous name]) of the plan's jobs, sorted."""
    out = []
    for obj in result["plan"]["objects"]:
        if obj["kind"] == "job":
            line = (obj["action"], obj["name"])
            out.append(line + ((obj["previousName"],) if "previousName" in obj else ()))
    return sorted(out)


@pytest.fixture
def story(cli: Cli, gateway: Gateway, remote_server: ServerProcess, tmp_path: Any) -> Story:
    story = Story(cli, gateway, remote_server)
    secret = tmp_path / "remote.sk"
    secret.write_text(remote_server.sk, encoding="utf-8")
    added = cli(
        "remotes", "add", story.name, "--endpoint", gateway.url, "--project-id",
        remote_server.project_id, "--workspace", story.ws, "--access-key", remote_server.ak,
        "--secret-key", f"@{secret}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    seed(cli.remote, JOBS, workspace=cli.workspace)
    careful = ["--propagate-deletes", "--scheduling", "pause-and-restore", "--on-drift", "fail"]
    made = cli("routes", "create", story.route, "--from", cli.workspace, "--to", story.name)
    assert made.exit_code == 0, made.output
    edited = cli("routes", "edit", story.route, *careful)
    assert edited.exit_code == 0, edited.output
    return story


def test_the_test_to_prod_story_with_prod_a_remote_dataarts_workspace(story: Story) -> None:
    first = story.promote(code=4)  # the shadow was never refreshed: the plan read the remote
    assert jobs_planned(first) == [("CREATE", name) for name in sorted(JOBS)]
    story.applied()
    assert story.remote_jobs() == sorted(JOBS)

    # an edit, a rename and a delete in test
    story.edit("orders", "v2")
    renamed = story.cli("jobs", "rename", "customers", "clients")
    assert renamed.exit_code == 0, renamed.output
    deleted = story.cli.remote.call("DELETE", "/jobs/legacy", workspace=story.cli.workspace)
    assert deleted.status_code == 204
    customers_id = story.remote_job("customers")["id"]
    story.gateway.reset()
    second = story.applied()
    assert jobs_planned(second) == [
        ("DELETE", "legacy"),
        ("OVERWRITE", "orders"),
        ("RENAME", "clients", "customers"),
    ]
    assert story.remote_jobs() == ["clients", "orders"]
    assert story.remote_job("clients")["id"] == customers_id, "renamed with the v2 call"
    assert release(story.remote_job("orders")) == "v2"
    assert {"update_factory_job_name", "delete_job", "update_job"} <= set(story.gateway.writes())

    # a hot-fix in the remote, and another edit in test: drift, with no refresh asked for
    hotfix = {**editable(story.remote_job("orders")), "params": released("hot-fix in prod")}
    put = story.server.call("PUT", "/jobs/orders", json.dumps(hotfix).encode(), workspace=story.ws)
    assert put.status_code == 204, put.text
    story.edit("orders", "v3 in test")
    refused = story.promote("--apply", "--yes", code=3)
    line = next(o for o in refused["plan"]["objects"] if o["name"] == "orders")
    assert (line["drift"], [p["reason"] for p in line["problems"]]) == (True, ["drift"])
    assert release(story.remote_job("orders")) == "hot-fix in prod", "nothing pushed"
    story.applied("--on-drift", "take-package")
    assert release(story.remote_job("orders")) == "v3 in test"

    # a job running on its schedule in the remote: paused, written, started again
    started = story.server.call("POST", "/jobs/clients/start", b"{}", workspace=story.ws)
    assert started.status_code == 204, started.text
    story.edit("clients", "v2 in test")
    story.gateway.reset()
    fourth = story.applied()
    assert jobs_planned(fourth) == [("OVERWRITE", "clients")]
    writes = story.gateway.writes()
    assert (writes[0], writes[-1]) == ("stop_job", "start_job"), writes
    assert release(story.remote_job("clients")) == "v2 in test"
    assert story.remote_status("clients") == "NORMAL"

    # the last promotion rolled back: pushed to the remote as its inverse
    assert fourth["rollback"].endswith(f"rollback {fourth['task']['id']} -w {story.name}")
    undone = story.cli("rollback", fourth["task"]["id"], "--yes", workspace=story.name)
    assert undone.exit_code == 0, undone.output
    assert release(story.remote_job("clients")) is None
    assert story.remote_status("clients") == "NORMAL"
    assert story.remote_jobs() == ["clients", "orders"]
    assert story.gateway.refused() == []


def test_a_new_route_onto_a_remote_that_holds_it_all_sets_its_baseline_and_pushes_nothing(
    story: Story,
) -> None:
    story.applied()
    second = f"again-{story.name}"
    made = story.cli("routes", "create", second, "--from", story.cli.workspace, "--to", story.name)
    assert made.exit_code == 0, made.output
    story.gateway.reset()

    held = story.cli("promote", second, "--apply", "--yes", "--json")
    assert held.exit_code == 0, (held.stdout, held.stderr)
    done = orjson.loads(held.stdout)
    assert {o["action"] for o in done["plan"]["objects"]} == {"UNCHANGED"}
    assert done["task"]["status"] == "SUCCESSFUL", done["task"]
    assert "rollback" not in done, "nothing was written"
    assert story.gateway.writes() == [], "nothing pushed to the remote"
    (promotion,) = story.cli.json("routes", "history", second)["promotions"]
    assert promotion["applied"] is True
    assert story.cli.json("promote", second)["promotion"] is None
    assert story.gateway.refused() == []
