"""``jobferry workspaces settings WS --enterprise``: a workspace admin switches a workspace to
enterprise mode with DataArts' own call, once confirmed (there is no way back), and the
release commands of a workspace in simple mode name that command — against a real server."""

from __future__ import annotations

import shlex
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobferry.cli import terminal
from support.builders import make_job
from support.cli import Cli
from support.cli_releases import as_user, submit
from support.exporting import seed
from support.releases import studio_person


def _settings(cli: Cli) -> dict[str, Any]:
    """The workspace's settings as the server has them."""
    known = cli.remote.call("GET", "/workspaces").json()["workspaces"]
    return dict(next(w for w in known if w["id"] == cli.workspace))


def _said(result: Any) -> str:
    return " ".join((result.stdout + result.stderr).split())


def _as_released(cli: Cli, said: str, tmp_path: Path) -> str:
    """Run the export and the import as released that ``said`` prints ("as released (EXPORT,
    then IMPORT)"), as printed, FILE a file of ``tmp_path``: that file."""
    export, load = said.split("as released (", 1)[1].split(").", 1)[0].split(", then ")
    package = str(tmp_path / "submitted.zip")
    for line in (export, load):
        words = [package if word == "FILE" else word for word in shlex.split(line)]
        ran = cli(*words[1:], "--yes") if words[1] == "import" else cli(*words[1:])
        assert ran.exit_code == 0, _said(ran)
    return package


def test_settings_enterprise_asks_says_it_cannot_be_undone_then_creates_the_production_side(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = cli.remote.workspace_name(cli.workspace)
    unasked = cli("workspaces", "settings", name, "--enterprise")
    assert unasked.exit_code == 2, _said(unasked)
    assert "pass --yes to switch it without asking" in _said(unasked)
    assert _settings(cli)["productionWorkspaceId"] is None

    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("workspaces", "settings", name, "--enterprise", input="n\n")
    assert declined.exit_code == 1, _said(declined)
    question = " ".join(declined.stderr.split())
    assert f"Switch workspace {name} ({cli.workspace})" in question
    assert f"It creates its production side '{name} (production)'" in question
    assert "cannot be undone: there is no way back to simple mode" in question
    assert "Cancelled; nothing changed." in declined.stdout
    assert _settings(cli)["productionWorkspaceId"] is None

    switched = cli("workspaces", "settings", name, "--enterprise", input="y\n")
    assert switched.exit_code == 0, _said(switched)
    production = _settings(cli)["productionWorkspaceId"]
    assert production
    said = " ".join(switched.stdout.split())
    assert f"mode: enterprise (production side {name} (production) ({production}))" in said
    assert f"Workspace '{name}' is in enterprise mode: its production side is" in said

    again = cli.json("workspaces", "settings", name, "--enterprise", "--yes")
    assert (again["mode"], again["productionWorkspaceId"]) == ("1", production)


def test_the_switch_says_how_to_bring_what_was_submitted_before_into_production(
    cli: Cli, tmp_path: Path
) -> None:
    # the production side starts empty, and nothing the workspace held has a pending item
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    assert cli("env", "put", "connection", "ssh_conn", "--type", "SSH").exit_code == 0
    name = cli.remote.workspace_name(cli.workspace)
    switched = cli("workspaces", "settings", name, "--enterprise", "--yes")
    assert switched.exit_code == 0, _said(switched)
    said = _said(switched)
    assert f"its production side is '{name} (production)', created empty." in said
    assert "What it held before has no pending item" in said
    package = _as_released(cli, said, tmp_path)
    planned = cli("plan", package, "--status", "production")  # says where it went
    header = " ".join(planned.stdout.split())
    production = _settings(cli)["productionWorkspaceId"]
    into = f"into: {name} (production) ({production}), as released from workspace {name}"
    assert into in header, header
    listed = cli.json("jobs", "list", "-w", f"{name} (production)")
    assert [job["name"] for job in listed["jobs"]] == ["daily_sales"]
    assert cli.json("releases", "pending")["data"] == []


def test_releases_of_a_workspace_in_simple_mode_name_the_switch_command(cli: Cli) -> None:
    name = cli.remote.workspace_name(cli.workspace)
    refused = cli("releases", "pending")
    assert refused.exit_code == 1, _said(refused)
    said = _said(refused)
    assert f"Workspace '{name}' is in simple mode: it has no production side" in said
    assert f"jobferry workspaces settings {name} --enterprise" in said
    assert "cannot be undone" in said
    assert "update_work_space_old" not in said
    assert 'mode "1"' not in said


def test_a_developer_cannot_switch_the_workspace_and_nothing_changes(
    cli: Cli, tmp_path: Path
) -> None:
    name = cli.remote.workspace_name(cli.workspace)
    dev = studio_person(cli.server, cli.workspace, f"dev_{uuid.uuid4().hex[:6]}", "developer")
    developer = as_user(cli, "dev", dev.ak, dev.sk, tmp_path)
    refused = developer("workspaces", "settings", name, "--enterprise", "--yes")
    assert refused.exit_code == 1, _said(refused)
    assert "switch the workspace to enterprise mode" in _said(refused)
    assert _settings(cli)["productionWorkspaceId"] is None


def test_the_switch_with_approval_on_is_refused_naming_the_option_that_turns_it_off(
    cli: Cli,
) -> None:
    name = cli.remote.workspace_name(cli.workspace)
    both = cli("workspaces", "settings", name, "--enterprise", "--approval", "--yes")
    assert both.exit_code == 2, _said(both)
    assert "--enterprise and --approval do not go together" in _said(both)
    assert _settings(cli)["approvalEnabled"] is False

    assert cli("workspaces", "settings", name, "--approval").exit_code == 0
    refused = cli("workspaces", "settings", name, "--enterprise", "--yes")
    assert refused.exit_code == 1, _said(refused)
    said = _said(refused)
    assert "has approval switched on" in said
    assert f"jobferry workspaces settings {name} --no-approval" in said
    assert "approvalEnabled" not in said
    assert _settings(cli)["productionWorkspaceId"] is None

    done = cli("workspaces", "settings", name, "--no-approval", "--enterprise", "--yes")
    assert done.exit_code == 0, _said(done)
    assert _settings(cli)["productionWorkspaceId"]


def test_a_production_side_is_not_switched_and_says_it_is_part_of_an_enterprise_workspace(
    cli: Cli,
) -> None:
    name = cli.remote.workspace_name(cli.workspace)
    assert cli("workspaces", "settings", name, "--enterprise", "--yes").exit_code == 0
    side = cli("workspaces", "settings", f"{name} (production)", "--enterprise", "--yes")
    assert side.exit_code == 2, _said(side)
    said = _said(side)
    assert f"Workspace '{name} (production)' is the production side of enterprise workspace" in said
    assert "nothing to switch" in said
    assert "GET /v1" not in said


def test_a_release_missing_what_was_submitted_before_the_switch_says_the_commands_that_bring_it(
    cli: Cli, tmp_path: Path
) -> None:
    ws, suffix = cli.workspace, uuid.uuid4().hex[:6]
    for name in ("dws_conn", "ssh_conn"):
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        cli.remote.call("PUT", f"/environment/connection/{name}", body, workspace=ws)
    submit(cli, "daily")  # the job and its two scripts, before the switch
    name = cli.remote.workspace_name(ws)
    assert cli("workspaces", "settings", name, "--enterprise", "--yes").exit_code == 0
    dev = studio_person(cli.server, ws, f"dev_{suffix}", "developer")
    studio_person(cli.server, ws, f"dep_{suffix}", "deployer")
    developer = as_user(cli, "dev", dev.ak, dev.sk, tmp_path)
    changed = cli.remote.call(
        "PUT", "/jobs/daily", make_job("daily", description="changed"), workspace=ws
    )
    assert changed.status_code == 204, changed.text
    refused = developer("releases", "create", "v1", "--all", "--approver", f"dep_{suffix}")
    assert refused.exit_code != 0
    said = _said(refused)
    # each problem with its fix in the CLI's commands, once; no API word
    for script in ("daily_sql", "daily_sh"):
        assert (
            f"references script '{script}', which does not exist in the package or in workspace "
            f"'{name} (production)' — package the pending item of script '{script}' too "
            f"(jobferry releases pending -w {name} lists them), or release it first"
        ) in said
    assert said.count("submitted before its switch to enterprise mode") == 1
    for api_word in ("targetStatus", "exportDepend", "PRODUCTION", "/v1/", "/v2/"):
        assert api_word not in said
    _as_released(cli, said, tmp_path)
    made = developer.json("releases", "create", "v1", "--all", "--approver", f"dep_{suffix}")
    assert made["release_package_id"]
