"""``jobferry promote ROUTE`` when the server plans the promotion as a task (past its budget:
the first promotion of a remote of tens of thousands of jobs): the command follows the task
as it follows an import and then shows the plan as if it had been answered at once, with the
same exit codes; a promotion refused in its task is the refusal the call would have been.

The server's budget is left out here (``wait=0`` in the command's ``Prefer``): every plan is a
task, however quick, which is what a long one becomes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import orjson
import pytest

from jobferry.cli import promotion_task
from support.cli import Cli
from support.exporting import seed
from support.gateway import Gateway
from support.remotes import seeded_workspace
from support.server import ServerProcess, new_workspace


@pytest.fixture(autouse=True)
def _no_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(promotion_task, "PREFER", {"Prefer": "respond-async, wait=0"})


def _route(cli: Cli, target: str) -> str:
    name = f"promote-{uuid.uuid4().hex[:8]}"
    made = cli("routes", "create", name, "--from", cli.workspace, "--to", target)
    assert made.exit_code == 0, made.output
    return name


def _tasks(cli: Cli, workspace: str) -> list[dict[str, object]]:
    listed = cli.json("tasks", "list", "--kind", "promotion", workspace=workspace)
    tasks: list[dict[str, object]] = listed["tasks"]
    return tasks


def test_a_promotion_planned_as_a_task_is_followed_then_shown_and_imported(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)

    planned = cli.json("promote", route, code=4)  # changes pending, as answered at once

    assert planned["promotion"]["jobs"] == 2
    actions = {o["name"]: o["action"] for o in planned["plan"]["objects"] if o["kind"] == "job"}
    assert actions == {"daily_sales": "CREATE", "weekly_sales": "CREATE"}
    task = planned["promotionTask"]
    assert [(t["id"], t["status"]) for t in _tasks(cli, prod)] == [(task, "SUCCESSFUL")]

    human = cli("promote", route, "--apply", "--yes")
    assert human.exit_code == 0, (human.stdout, human.stderr)
    assert "Imported." in human.stdout.splitlines()
    listed = cli.remote.call("GET", "/jobs", workspace=prod).json()
    assert listed["total"] == 2

    again = cli("promote", route)
    assert again.exit_code == 0, (again.stdout, again.stderr)
    said = " ".join(again.stdout.split())
    source = cli.remote.workspace_name(cli.workspace)
    assert f"Nothing changed in workspace '{source}' since the last promotion" in said


def test_a_promotion_refused_in_its_task_exits_as_the_refused_call(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    package = tmp_path / "carried.zip"
    package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # the route's source is here: refused

    in_task = cli("promote", route, "--in", str(package))
    monkeypatch.undo()
    at_once = cli("promote", route, "--in", str(package))

    assert in_task.exit_code == at_once.exit_code != 0, (in_task.output, at_once.output)
    assert "takes its packages from workspace" in in_task.stderr
    # The first ran as a task the command followed; the second ended within the server's
    # budget, answered at once, and left no task.
    tasks = _tasks(cli, prod)
    assert [t["status"] for t in tasks] == ["FAILED"]
    # Said alike; the task's failure ends with the task's id (the server's log names the task
    # by it), the refusal answered at once with its call's request id.
    task_said, call_said = in_task.stderr.split("Error:")[-1], at_once.stderr.split("Error:")[-1]
    said = task_said.removesuffix(f"task: {tasks[0]['id']}\n")
    assert said != task_said, task_said
    assert re.fullmatch(re.escape(said) + r"request id: [0-9a-f]{32}\n", call_said), (
        task_said,
        call_said,
    )


def test_a_promotion_refused_in_its_task_names_the_task_in_json(cli: Cli, tmp_path: Path) -> None:
    """``--json``'s error carries the failed task's id beside the refusal's own keys."""
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    package = tmp_path / "carried.zip"
    package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)

    refused = cli("promote", route, "--in", str(package), "--json")

    assert refused.exit_code != 0, refused.output
    error = orjson.loads(refused.stdout)["error"]
    (task,) = _tasks(cli, prod)
    assert error["task_id"] == task["id"]
    assert "takes its packages from workspace" in error["message"]
    assert "task:" not in refused.stderr  # a person's line only


def _dataarts_route(cli: Cli, gateway: Gateway, server: ServerProcess, tmp_path: Path) -> str:
    """A route between two remotes (DataArts test, with three jobs, and prod) behind the
    contract filter; its name (the target's shadow workspace is named as the prod remote)."""
    tag = uuid.uuid4().hex[:8]
    secret = tmp_path / "remote.sk"
    secret.write_text(server.sk, encoding="utf-8")
    ends = {
        f"dtest-{tag}": seeded_workspace(server, "dtest", ("orders", "customers", "legacy")),
        f"dprod-{tag}": new_workspace(server, f"dprod_{tag}", "dws_conn", "ssh_conn"),
    }
    for remote, ws in ends.items():
        added = cli(
            "remotes", "add", remote, "--endpoint", gateway.url, "--project-id",
            server.project_id, "--workspace", ws, "--access-key", server.ak,
            "--secret-key", f"@{secret}",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
    route = f"d2d-{tag}"
    made = cli("routes", "create", route, "--from", f"dtest-{tag}", "--to", f"dprod-{tag}")
    assert made.exit_code == 0, made.output
    return route


def test_a_first_dataarts_promotion_past_the_wait_timeout_exits_124_and_goes_on(
    cli: Cli, gateway: Gateway, remote_server: ServerProcess, tmp_path: Path
) -> None:
    """The source's refresh reads the remote call by call (each 0.3 s late here): the command
    stops following at its --wait-timeout, the task goes on, ends with its plan (after the
    target's own refresh, a planning task of its own), which --plan then shows."""
    route = _dataarts_route(cli, gateway, remote_server, tmp_path)
    prod = route.replace("d2d-", "dprod-")
    gateway.latency = 0.3

    late = cli("promote", route, env={"JOBFERRY_WAIT_TIMEOUT": "0.2"})

    assert late.exit_code == 124, (late.stdout, late.stderr)
    text = " ".join(late.stderr.split())
    task_id = text.split("Stopped waiting for promotion task ", 1)[1].split()[0]
    assert "the promotion goes on in the server (last seen: RUNNING" in text
    assert f"show it with: jobferry promote {route} --plan PLAN_ID" in text
    gateway.latency = 0.0
    ended = cli.json("tasks", "show", task_id, "--wait", workspace=prod)
    assert ended["status"] == "SUCCESSFUL", ended
    plan_id = ended["result"]["planId"]
    assert f"plan {plan_id}" in ended["message"]

    shown = cli.json("promote", route, "--plan", plan_id, code=4)
    actions = {o["name"]: o["action"] for o in shown["plan"]["objects"] if o["kind"] == "job"}
    assert actions == {"orders": "CREATE", "customers": "CREATE", "legacy": "CREATE"}
    assert gateway.refused() == []
