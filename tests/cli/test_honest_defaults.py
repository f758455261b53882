"""Honest defaults from the command line (#37): ``import`` without ``--policy`` overwrites what
changed once the target received from the package's source, a first import says what it skips
and why, ``export --changed-since`` carries deletions (a deletions-only package imports), and an
export by names says what became of a renamed job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from support.builders import make_job
from support.cli import Cli


@pytest.fixture
def target(cli: Cli) -> str:
    """An empty workspace to import into, with the connections the jobs use."""
    ws = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    return ws


def job(name: str, **overrides: Any) -> dict[str, Any]:
    doc = make_job(name, **overrides)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    return doc


def edit_source(cli: Cli, description: str) -> None:
    answer = cli.remote.call(
        "PUT",
        "/jobs/daily_sales",
        job("daily_sales", description=description),
        workspace=cli.workspace,
    )
    assert answer.status_code == 204, answer.text


def test_a_second_import_without_policy_overwrites_what_changed(
    cli: Cli, package: Path, target: str
) -> None:
    cli.imported(package, workspace=target)
    edit_source(cli, "v2")
    again = Path(cli.json("export", "daily_sales", "-o", "pkg2.zip")["file"])
    result = cli("import", str(again), "--yes", workspace=target)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "--policy auto: overwrite (the target already holds objects imported" in result.stdout
    assert "0 to create, 1 to overwrite" in result.stdout
    shown = cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json()
    assert shown["description"] == "v2"


def test_an_import_of_nothing_the_target_holds_says_no_policy_it_did_not_need(
    cli: Cli, package: Path, target: str
) -> None:
    """Every object new to the target: no same-name policy chose anything, so none is said
    (a first plan of only creations read "--policy auto: skip (…)", which skipped nothing)."""
    result = cli("import", str(package), "--yes", workspace=target)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "to create" in result.stdout
    assert "--policy auto" not in result.stdout


def test_a_first_import_without_policy_skips_and_says_why_and_how(
    cli: Cli, package: Path, target: str
) -> None:
    cli.remote.call("POST", "/resources", {"name": "udf_jar", "type": "jar"}, workspace=target)
    made_here = job("daily_sales", description="made in the target")
    assert cli.remote.call("POST", "/jobs", made_here, workspace=target).status_code == 204
    result = cli("import", str(package), "--yes", "--mode", "per-object", workspace=target)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "--policy auto: skip (first import from the package's source" in result.stdout
    assert "skipped job 'daily_sales' differs from the target's" in " ".join(result.stdout.split())
    assert "to write it: --policy overwrite" in result.stdout
    shown = cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json()
    assert shown["description"] == "made in the target"


def test_a_changed_since_export_carries_deletions_and_imports(
    cli: Cli, package: Path, target: str
) -> None:
    cli.imported(package, workspace=target)
    since = str(int(time.time() * 1000))
    gone = cli.remote.call("DELETE", "/jobs/daily_sales", workspace=cli.workspace)
    assert gone.status_code == 204, gone.text
    exported = cli("export", "--changed-since", since, "-o", "gone.zip")
    assert exported.exit_code == 0, (exported.stdout, exported.stderr)
    assert "(0 job(s), 1 deletion(s)," in " ".join(exported.output.split())
    planned = cli("plan", "gone.zip", workspace=target)
    # A deletion left out is pending work (exit 4), and the plan names the option carrying it.
    assert planned.exit_code == 4, (planned.stdout, planned.stderr)
    assert "1 deletion(s) not applied (--propagate-deletes applies them)" in planned.stdout
    assert "Changes pending: 1 deletion(s) not applied." in planned.stdout
    imported = cli.imported(Path("gone.zip"), "--propagate-deletes", workspace=target)
    assert imported["plan"]["summary"]["DELETE"] == 1
    listed = cli.remote.call("GET", "/jobs", workspace=target).json()
    assert listed["total"] == 0


def test_an_export_by_names_says_a_job_was_renamed(cli: Cli, package: Path) -> None:
    renamed = cli("jobs", "rename", "daily_sales", "customers_daily")
    assert renamed.exit_code == 0, (renamed.stdout, renamed.stderr)
    refused = cli("export", "daily_sales", "-o", "old.zip")
    assert refused.exit_code != 0
    assert "renamed to customers_daily on" in " ".join(refused.stderr.split())
    Path("names.txt").write_text("daily_sales\n", encoding="utf-8")
    listed = cli("export", "--names-file", "names.txt", "-o", "old.zip")
    assert listed.exit_code != 0
    assert "was renamed to customers_daily on" in " ".join(listed.stderr.split())
