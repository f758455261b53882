"""``jobferry apply -f DIR --prune``: the folder is the whole workspace; what the workspace holds
beside it becomes DELETEs of the plan, shown before anything is applied, with the import's own
problems (a scheduled job, a remaining job using the object), and undone by a rollback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.builders import make_job, make_script
from support.cli import Cli, register


def _write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def _folder(root: Path, *jobs: str) -> Path:
    """A folder of ``jobs``, each with the two scripts it runs."""
    for job in jobs:
        _write(root / "jobs" / f"{job}.json", make_job(job))
        _write(root / "scripts" / f"{job}_sql.json", make_script(f"{job}_sql"))
        _write(root / "scripts" / f"{job}_sh.json", make_script(f"{job}_sh", type="Shell"))
    return root


def _actions(plan: dict[str, Any]) -> dict[str, str]:
    return {f"{o['kind']}:{o['name']}": o["action"] for o in plan["objects"]}


def _names(cli: Cli, kind: str) -> set[str]:
    listed = cli.remote.call("GET", f"/{kind}s", workspace=cli.workspace).json()
    return {item["name"] for item in listed[f"{kind}s"]}


def test_a_removed_file_is_a_delete_of_the_plan_shown_first_then_applied_and_rolled_back(
    cli: Cli,
) -> None:
    register(cli.remote, cli.workspace, "dws_conn", "ssh_conn")
    root = _folder(cli.cwd / "defs", "daily_sales", "weekly_sales")
    assert cli("apply", "-f", str(root), "--yes").exit_code == 0
    handmade = make_script("handmade")
    assert cli.remote.call("POST", "/scripts", handmade, workspace=cli.workspace).status_code == 204
    for name in ("weekly_sales.json",):
        (root / "jobs" / name).unlink()
    for name in ("weekly_sales_sql.json", "weekly_sales_sh.json"):
        (root / "scripts" / name).unlink()

    kept = cli.json("apply", "-f", str(root), "--yes")  # without --prune: left alone
    assert "DELETE" not in _actions(kept["plan"]).values()
    assert "weekly_sales" in _names(cli, "job")

    planned = cli.json("apply", "-f", str(root), "--prune", "--dry-run", code=4)
    deletes = {k for k, a in _actions(planned["plan"]).items() if a == "DELETE"}
    assert deletes == {
        "job:weekly_sales",
        "script:weekly_sales_sql",
        "script:weekly_sales_sh",
        "script:handmade",
    }
    assert planned["plan"]["problems"] == []
    human = cli("apply", "-f", str(root), "--prune", "--dry-run")
    assert human.exit_code == 4, human.output
    assert "DELETE" in human.stdout
    assert "4 to delete" in human.stdout
    assert "weekly_sales" in _names(cli, "job")  # a dry run deletes nothing

    applied = cli.json("apply", "-f", str(root), "--prune", "--yes")
    assert applied["task"]["status"] == "SUCCESSFUL"
    assert _names(cli, "job") == {"daily_sales"}
    assert _names(cli, "script") == {"daily_sales_sql", "daily_sales_sh"}
    messages = [s["message"] for s in applied["task"]["subtasks"] if s["action"] == "DELETE"]
    assert "Deleted job 'weekly_sales': not in the package." in messages

    undone = cli.json("rollback", applied["task"]["id"], "--yes")
    assert undone["rolledBack"] == 4
    assert _names(cli, "job") == {"daily_sales", "weekly_sales"}
    assert "handmade" in _names(cli, "script")


def test_a_pruned_job_that_is_scheduled_or_still_used_is_a_problem_and_nothing_is_deleted(
    cli: Cli,
) -> None:
    register(cli.remote, cli.workspace, "dws_conn", "ssh_conn")
    root = _folder(cli.cwd / "defs", "daily_sales")
    assert cli("apply", "-f", str(root), "--yes").exit_code == 0
    extra = make_job("extra", targetStatus="SUBMITTED")
    for node in extra["nodes"]:  # runs daily_sales' scripts, which the folder keeps
        node["properties"] = [p for p in node["properties"] if p["name"] != "scriptName"]
        node["properties"].append({"name": "scriptName", "value": "daily_sales_sql"})
    assert cli.remote.call("POST", "/jobs", extra, workspace=cli.workspace).status_code == 204
    started = cli.remote.call("POST", "/jobs/extra/start", {}, workspace=cli.workspace)
    assert started.status_code == 204, started.text
    (root / "scripts" / "daily_sales_sh.json").unlink()  # daily_sales still runs it

    refused = cli.json("apply", "-f", str(root), "--prune", "--yes", code=3)
    reasons = {(p["name"], p["reason"]) for p in refused["plan"]["problems"]}
    assert ("extra", "scheduled") in reasons
    assert ("daily_sales_sh", "in_use") in reasons
    assert refused["task"] is None
    assert "extra" in _names(cli, "job")
    assert "daily_sales_sh" in _names(cli, "script")


def test_prune_takes_a_folder_not_one_file(cli: Cli) -> None:
    root = _folder(cli.cwd / "defs", "daily_sales")
    one = cli("apply", "-f", str(root / "jobs" / "daily_sales.json"), "--prune", "--yes")
    assert one.exit_code == 2
    assert "give the folder of every definition" in one.stderr
