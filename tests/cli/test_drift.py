"""jobferry drift: what was changed in a workspace since the promotions that wrote it, with who
changed it and each field; exit 4 when anything was, 0 when nothing."""

from __future__ import annotations

from pathlib import Path

from support.builders import make_job
from support.cli import Cli


def test_drift_says_nothing_changed_then_names_the_object_who_and_the_field(
    cli: Cli, package: Path
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    task_id = cli.imported(package, workspace=target)["task"]["id"]
    clean = cli("drift", workspace=target)
    assert clean.exit_code == 0, clean.output
    assert "Nothing in workspace target" in clean.stdout
    assert "compared" in clean.stdout

    job = make_job("daily_sales", description="hot-fixed in prod")
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    edited = cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=target)
    assert edited.status_code == 204, edited.text
    drifted = cli("drift", workspace=target)
    assert drifted.exit_code == 4, drifted.output
    head = next(line for line in drifted.stdout.splitlines() if "DRIFTED" in line)
    assert "job daily_sales" in head
    assert "changed by admin" in head
    assert f"imported by task {task_id}" in head
    assert "+ description: 'hot-fixed in prod'" in drifted.stdout
    assert "1 of the" in drifted.stdout
    answer = cli.json("drift", workspace=target, code=4)
    assert [o["name"] for o in answer["objects"]] == ["daily_sales"]
    gone = cli.remote.call("DELETE", "/jobs/daily_sales", workspace=target)
    assert gone.status_code == 204, gone.text
    deleted = cli("drift", workspace=target)
    assert deleted.exit_code == 4, deleted.output
    head = next(line for line in deleted.stdout.splitlines() if "DELETED" in line)
    assert "job daily_sales" in head
    assert "deleted by admin" in head
    assert f"since it was imported by task {task_id}" in head
