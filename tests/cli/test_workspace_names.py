"""-w/--workspace, ``workspace =`` and JOBFERRY_WORKSPACE take a workspace's name or its id."""

from __future__ import annotations

from pathlib import Path

from support.cli import Cli, invoke, write_config
from support.exporting import seed


def test_remote_commands_take_a_workspace_name(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    name = cli.remote.workspace_name(cli.workspace)
    other = cli.remote.new_workspace()
    listed = cli.json("jobs", "list", workspace=other)
    assert listed["total"] == 0
    by_name = cli.json("jobs", "list", "-w", name, workspace=other)
    assert [j["name"] for j in by_name["jobs"]] == ["daily_sales"]
    shown = cli("jobs", "show", "daily_sales", workspace=name)
    assert shown.exit_code == 0, shown.output
    assert "daily_sales" in shown.stdout


def test_the_config_file_and_the_environment_take_a_workspace_name(
    cli: Cli, tmp_path: Path
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    name = cli.remote.workspace_name(cli.workspace)
    config = write_config(tmp_path / "named.toml", cli.server, name)
    result = invoke(["--config", str(config), "jobs", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert '"daily_sales"' in result.stdout
    other = write_config(tmp_path / "other.toml", cli.server, cli.remote.new_workspace())
    env = {"JOBFERRY_WORKSPACE": name}
    result = invoke(["--config", str(other), "jobs", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"daily_sales"' in result.stdout


def test_an_unknown_workspace_name_is_refused_listing_the_known_names(cli: Cli) -> None:
    name = cli.remote.workspace_name(cli.workspace)
    result = cli("jobs", "list", workspace="no_such_workspace")
    assert result.exit_code == 2
    assert "Workspace 'no_such_workspace' is not one of your workspaces" in result.stderr
    assert name in result.stderr
    assert "jobferry workspaces list" in result.stderr
    error = cli.json("jobs", "list", workspace="no_such_workspace", code=2)["error"]
    assert error["code"] == "workspace"
    assert name in error["known"]


def test_a_workspace_id_is_sent_without_a_look_up(cli: Cli) -> None:
    # 32 hex digits are an id: the server, not the CLI, says it does not exist.
    result = cli("jobs", "list", workspace="0" * 32)
    assert result.exit_code == 1
    assert "DLF.0819" in result.stderr


def test_a_workspaces_settings_are_shown_and_changed_by_name(cli: Cli, package: Path) -> None:
    """``workspaces settings``: what a workspace takes, and --require-signed turned on from
    the command line (an unsigned package is then refused, exit 3)."""
    target = cli.remote.new_workspace("signed", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(target)
    shown = cli("workspaces", "settings", name, env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "mode: simple" in text
    assert "signed packages only: no" in text
    changed = cli.json("workspaces", "settings", name, "--require-signed", "--lock-policy", "hard")
    assert (changed["requireSigned"], changed["lockPolicy"]) == (True, "hard")
    assert cli.json("workspaces", "settings", target)["requireSigned"] is True  # by id
    refused = cli("plan", str(package), workspace=target)
    assert refused.exit_code == 3, refused.output
    listed = cli("workspaces", "list", env={"COLUMNS": "200"}).stdout
    assert "simple" in listed
