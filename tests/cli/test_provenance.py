"""``jobferry jobs show`` says where a job came from (#37): the source, package, import task,
who and when, and whether it drifted since; ``--json`` carries show_job's ``provenance``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from support.builders import make_job
from support.cli import Cli


def test_jobs_show_names_the_import_a_job_came_from_and_its_drift(cli: Cli, package: Path) -> None:
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    imported = cli.imported(package, workspace=prod)
    task_id = imported["task"]["id"]
    source = cli.remote.workspace_name(cli.workspace)

    shown = cli.json("jobs", "show", "daily_sales", workspace=prod)["provenance"]
    assert shown["sourceWorkspaceId"] == cli.workspace
    assert shown["sourceWorkspace"] == source
    assert shown["importTaskId"] == task_id
    assert shown["packageSha256"] == hashlib.sha256(package.read_bytes()).hexdigest()
    human = cli("jobs", "show", "daily_sales", workspace=prod)
    assert human.exit_code == 0, human.output
    lines = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in human.stdout.splitlines()
        if ":" in line
    }
    assert lines["came from"] == f"job daily_sales of workspace {source} ({cli.workspace})"
    assert lines["package"] == f"sha256 {shown['packageSha256']}"
    assert lines["import task"].startswith(f"{task_id} by {shown['importedBy']}, ")
    assert lines["drifted"] == "no"
    assert lines["owner"] == "alice"

    ownerless = make_job("no_owner", basicConfig={"priority": 0})
    assert cli.remote.call("POST", "/jobs", ownerless, workspace=prod).status_code == 204
    shown_ownerless = cli("jobs", "show", "no_owner", workspace=prod).stdout
    assert "owner:" in shown_ownerless
    assert "not named (its creator owns it" in shown_ownerless

    job = make_job("daily_sales", description="hot fix")
    assert cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=prod).status_code == 204
    human = cli("jobs", "show", "daily_sales", workspace=prod)
    assert "drifted" in human.stdout
    assert "yes: changed in this workspace since that import" in human.stdout


def test_jobs_show_says_a_job_created_in_its_workspace_was_not_imported(
    cli: Cli, package: Path
) -> None:
    assert cli.json("jobs", "show", "daily_sales")["provenance"] is None
    human = cli("jobs", "show", "daily_sales")
    assert human.exit_code == 0, human.output
    assert "not imported from another workspace" in human.stdout
