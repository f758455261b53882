"""plan and import against a real server: plans with diffs, confirmation, check refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.cli import terminal
from support.builders import editable
from support.cli import Cli
from support.importing import DRIFTED_CONNECTION


@pytest.fixture
def target(cli: Cli) -> str:
    """An empty workspace to import into, with the connections the jobs use."""
    ws = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    return ws


def test_plan_into_an_empty_workspace_creates_everything(
    cli: Cli, package: Path, target: str
) -> None:
    view = cli.json("plan", str(package), workspace=target, code=4)  # changes pending
    plan = view["plan"]
    assert view["path"].startswith("upload://")
    assert plan["summary"]["CREATE"] == 4
    assert plan["problems"] == []
    human = cli("plan", str(package), workspace=target)
    assert human.exit_code == 4, human.output
    assert "4 to create, 0 to overwrite" in human.stdout
    # the closing line names the command that imports what the plan showed, with its options
    assert human.stdout.strip().splitlines()[-1] == (
        f"Changes pending: 4 object(s) to write; import them with: jobferry --config "
        f"{cli.config} import {package} -w {cli.remote.workspace_name(target)}"
    )
    into = next(line for line in human.stdout.splitlines() if line.startswith("into: "))
    assert f"({target})" in into  # the workspace it plans into, by name and id


def test_a_pending_plan_names_the_import_with_the_options_it_was_planned_with(
    cli: Cli, package: Path, target: str
) -> None:
    """Following the closing line imports what was planned: without the plan's options it
    would plan something else."""
    human = cli(
        "plan",
        str(package),
        "--policy",
        "overwrite",
        "--on-drift",
        "keep-target",
        "--scheduling",
        "pause-and-restore",
        "--propagate-deletes",
        "--param",
        "env=prod",
        "--replace",
        "DWS_CONNECTION:dws_conn=dws_conn",
        "--target-dir",
        "/release",
        workspace=target,
    )
    assert human.exit_code == 4, (human.stdout, human.stderr)
    last = human.stdout.strip().splitlines()[-1]
    assert last == (
        f"Changes pending: 4 object(s) to write; import them with: jobferry --config "
        f"{cli.config} import {package} --policy overwrite --target-dir /release --param "
        "env=prod --replace DWS_CONNECTION:dws_conn=dws_conn --propagate-deletes --on-drift "
        f"keep-target --scheduling pause-and-restore -w {cli.remote.workspace_name(target)}"
    ), last
    dry = cli("import", str(package), "--dry-run", "--mode", "per-object", workspace=target)
    assert dry.exit_code == 4, (dry.stdout, dry.stderr)
    assert (
        dry.stdout.strip()
        .splitlines()[-1]
        .endswith(
            f"import them with: jobferry --config {cli.config} import {package} --mode per-object "
            f"-w {cli.remote.workspace_name(target)}"
        )
    )


def test_plan_with_problems_exits_3_and_shows_the_fix(cli: Cli, package: Path) -> None:
    bare = cli.remote.new_workspace("bare", "dws_conn")
    view = cli.json("plan", str(package), workspace=bare, code=3)
    problems = view["plan"]["problems"]
    assert [p["reason"] for p in problems] == ["missing_reference"]
    assert "ssh_conn" in problems[0]["detail"]
    human = cli("plan", str(package), workspace=bare)
    assert human.exit_code == 3
    assert "ssh_conn" in human.stdout
    assert "fix:" in human.stdout
    assert "the import would be refused" in human.stdout


def test_import_with_yes_imports_and_a_second_import_changes_nothing(
    cli: Cli, package: Path, target: str
) -> None:
    result = cli.imported(package, workspace=target)
    assert result["plan"]["summary"]["CREATE"] == 4
    job = cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json()
    assert job["name"] == "daily_sales"
    again = cli("import", str(package), "--yes", workspace=target)
    assert again.exit_code == 0, again.output
    assert "Nothing to import." in again.stdout
    assert "4 unchanged" in again.stdout


def test_import_refused_by_the_check_imports_nothing(cli: Cli, package: Path) -> None:
    bare = cli.remote.new_workspace("bare")
    result = cli("import", str(package), "--yes", workspace=bare)
    assert result.exit_code == 3
    assert "nothing was imported" in result.stdout
    listed = cli.remote.call("GET", "/jobs", workspace=bare).json()
    assert listed["total"] == 0


def test_import_asks_for_confirmation_only_on_a_terminal(
    cli: Cli, package: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = cli("import", str(package), workspace=target)
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("import", str(package), workspace=target, input="n\n")
    assert declined.exit_code == 1
    assert "Cancelled; nothing was imported." in declined.stdout
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0
    accepted = cli("import", str(package), workspace=target, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 1


def test_dry_run_shows_the_plan_and_imports_nothing(cli: Cli, package: Path, target: str) -> None:
    view = cli.json("import", str(package), "--dry-run", workspace=target, code=4)
    assert view["plan"]["summary"]["CREATE"] == 4
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0


def test_overwrite_plan_shows_field_diffs(cli: Cli, package: Path, target: str) -> None:
    cli.imported(package, workspace=target)
    job = editable(cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json())
    job["nodes"][0]["properties"][1]["value"] = "ssh_conn"
    assert cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=target).status_code == 204
    # The job was changed here since the import wrote it: a drift the plan refuses by default.
    drifted = cli("plan", str(package), "--policy", "overwrite", workspace=target)
    assert drifted.exit_code == 3, (drifted.stdout, drifted.stderr)
    assert "drift" in drifted.stdout
    take = ("--policy", "overwrite", "--on-drift", "take-package")
    view = cli.json("plan", str(package), *take, workspace=target, code=4)
    line = next(o for o in view["plan"]["objects"] if o["kind"] == "job")
    assert (line["action"], line["drift"]) == ("OVERWRITE", True)
    assert DRIFTED_CONNECTION in line["diff"]
    human = cli("plan", str(package), *take, workspace=target)
    assert "nodes[load].properties[connectionName].value: 'ssh_conn' → 'dws_conn'" in human.stdout
    assert "changed in this workspace since the last import" in human.stdout
    # Without --policy (auto), a repeated import overwrites too: the drift is a problem.
    plain = cli.json("plan", str(package), workspace=target, code=3)
    assert [p["reason"] for p in plain["plan"]["problems"]] == ["drift"]
    # A skipped difference is pending work, not "in sync".
    skipped = cli.json("plan", str(package), "--policy", "skip", workspace=target, code=4)
    assert next(o for o in skipped["plan"]["objects"] if o["kind"] == "job")["action"] == "SKIP"


def test_import_options_reach_the_server(cli: Cli, package: Path) -> None:
    prod = cli.remote.new_workspace("prod", "dws_prod", "ssh_conn")
    result = cli.imported(
        package,
        "--replace",
        "DWS_CONNECTION:dws_conn=dws_prod",
        "--param",
        "bizdate=20260101",
        "--target-dir",
        "/release",
        "--execute-user",
        "etl_prod",
        "--status",
        "saved",
        workspace=prod,
    )
    assert result["task"]["status"] == "SUCCESSFUL", result["task"]
    job = cli.remote.call("GET", "/jobs/daily_sales", workspace=prod).json()
    load = job["nodes"][0]["properties"]
    assert {"name": "connectionName", "value": "dws_prod"} in load
    assert job["params"][0]["value"] == "20260101"
    assert job["directory"] == "/release"
    assert job["basicConfig"]["executeUser"] == "etl_prod"
    versions = cli.remote.call("GET", "/jobs/daily_sales/versions", workspace=prod).json()
    assert versions["total"] == 0


def test_malformed_options_are_usage_errors(cli: Cli, package: Path, target: str) -> None:
    bad_param = cli("plan", str(package), "--param", "novalue", workspace=target)
    assert bad_param.exit_code == 2
    assert "NAME=VALUE" in bad_param.stderr
    bad_replace = cli("plan", str(package), "--replace", "dws_conn=x", workspace=target)
    assert bad_replace.exit_code == 2
    missing = cli("plan", "no-such.zip", workspace=target)
    assert missing.exit_code == 2
    assert "no-such.zip does not exist" in missing.stderr
    folder = cli("plan", str(package.parent), workspace=target)
    assert folder.exit_code == 2
    assert "is not a file" in folder.stderr
    assert f"jobferry apply -f {package.parent} (--dry-run plans it" in folder.stderr


def test_import_of_an_uploaded_path_skips_the_upload(cli: Cli, package: Path, target: str) -> None:
    first = cli.json("plan", str(package), workspace=target, code=4)
    again = cli.json("plan", first["path"], workspace=target, code=4)
    assert again["path"] == first["path"]
    assert again["plan"]["packageSha256"] == first["plan"]["packageSha256"]
