"""DataArts to DataArts (issue #47): a route whose source is a remote's shadow (a DataArts
test workspace) and whose target is another remote's shadow (DataArts prod), jobferry in the
middle, through the CLI on SQLite and PostgreSQL.

A second jobferry server plays DataArts behind the contract filter; both DataArts workspaces
are on it. ``jobferry promote ROUTE --apply`` refreshes the source from its remote before it
cuts the package (never by hand): the first promotion creates everything in prod; then an edit,
a rename (the v2 call, the job's identity kept) and a deletion made in the DataArts test
workspace arrive in prod as an overwrite, a rename of the same job and a deletion, and an
unchanged source promotes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from support.builders import editable, release, released
from support.cli import Cli
from support.gateway import Gateway
from support.remotes import rename_remote_job, seeded_workspace
from support.server import ServerProcess, new_workspace

JOBS = ("orders", "customers", "legacy")


class Story:
    """Two remotes of the CLI's server (DataArts test and prod) and the route between them."""

    def __init__(self, cli: Cli, gateway: Gateway, server: ServerProcess) -> None:
        self.cli, self.gateway, self.server = cli, gateway, server
        tag = uuid.uuid4().hex[:8]
        self.test, self.prod, self.route = f"dtest-{tag}", f"dprod-{tag}", f"d2d-{tag}"
        self.test_ws = seeded_workspace(server, "dtest", JOBS)
        self.prod_ws = new_workspace(server, f"dprod_{tag}", "dws_conn", "ssh_conn")

    def add(self, name: str, ws: str, secret: str) -> None:
        added = self.cli(
            "remotes", "add", name, "--endpoint", self.gateway.url, "--project-id",
            self.server.project_id, "--workspace", ws, "--access-key", self.server.ak,
            "--secret-key", f"@{secret}",
        )  # fmt: skip
        assert added.exit_code == 0, added.output

    def applied(self) -> dict[str, Any]:
        """``promote ROUTE --apply --yes``, the push done."""
        result = self.cli("promote", self.route, "--apply", "--yes", "--json")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        done: dict[str, Any] = orjson.loads(result.stdout)
        assert done["task"]["status"] == "SUCCESSFUL", done["task"]
        assert f"Pushed to remote '{self.prod}'" in done["task"]["message"], done["task"]
        return done

    def jobs(self, ws: str) -> dict[str, dict[str, Any]]:
        listed = self.server.call("GET", "/jobs", workspace=ws).json()["jobs"]
        return {
            job["name"]: self.server.call("GET", f"/jobs/{job['name']}", workspace=ws).json()
            for job in listed
        }


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
    story.add(story.test, story.test_ws, str(secret))
    story.add(story.prod, story.prod_ws, str(secret))
    made = cli("routes", "create", story.route, "--from", story.test, "--to", story.prod)
    assert made.exit_code == 0, made.output
    careful = ["--propagate-deletes", "--scheduling", "pause-and-restore"]
    edited = cli("routes", "edit", story.route, *careful)
    assert edited.exit_code == 0, edited.output
    return story


def test_a_route_from_one_dataarts_workspace_to_another_carries_edits_renames_and_deletions(
    story: Story,
) -> None:
    # never refreshed by hand: the promotion refreshes its source, then plans into prod
    first = story.applied()
    assert jobs_planned(first) == [("CREATE", name) for name in sorted(JOBS)]
    assert set(story.jobs(story.prod_ws)) == set(JOBS)
    customers_id = story.jobs(story.prod_ws)["customers"]["id"]

    # in the DataArts test workspace: an edit, a rename (v2) and a deletion
    orders = {**editable(story.jobs(story.test_ws)["orders"]), "params": released("v2")}
    put = story.server.call("PUT", "/jobs/orders", orjson.dumps(orders), workspace=story.test_ws)
    assert put.status_code == 204, put.text
    rename_remote_job(story.server, story.test_ws, "customers", "clients")
    dropped = story.server.call("DELETE", "/jobs/legacy", workspace=story.test_ws)
    assert dropped.status_code == 204, dropped.text
    story.gateway.reset()

    second = story.applied()
    assert jobs_planned(second) == [
        ("DELETE", "legacy"),
        ("OVERWRITE", "orders"),
        ("RENAME", "clients", "customers"),
    ]
    prod = story.jobs(story.prod_ws)
    assert set(prod) == {"clients", "orders"}
    assert prod["clients"]["id"] == customers_id, "the same job, renamed with the v2 call"
    assert release(prod["orders"]) == "v2"
    assert {"update_factory_job_name", "delete_job", "update_job"} <= set(story.gateway.writes())

    # nothing changed in test since: nothing to promote (the source read again, all unchanged)
    story.gateway.reset()
    again = story.cli("promote", story.route, "--json")
    assert again.exit_code == 0, (again.stdout, again.stderr)
    assert "export_job_list" not in story.gateway.calls()
    assert story.gateway.writes() == []
    assert story.gateway.refused() == []
