"""jobferry apply -f: a folder of definitions packed, planned (OVERWRITE, atomic) and imported
through the import pipeline, with a plan id and a rollback; bad files refused before any call;
a script's connection checked against the workspace as a job's is."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobferry.cli import terminal
from jobferry.package.pulled import RECORD
from support.builders import make_job, make_resource, make_script
from support.cli import Cli, member, register


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def definitions(root: Path) -> Path:
    """A folder laid out like an export package, with a file apply ignores."""
    write(root / "jobs" / "daily_sales.json", make_job("daily_sales"))
    write(root / "jobs" / "extra" / "weekly_sales.job", make_job("weekly_sales"))
    for job in ("daily_sales", "weekly_sales"):
        write(root / "scripts" / f"{job}_sql.json", make_script(f"{job}_sql"))
        write(root / "scripts" / f"{job}_sh.script", make_script(f"{job}_sh", type="Shell"))
    write(root / "resources" / "udf_jar.json", make_resource("udf_jar"))
    (root / "README.md").write_text("not a definition\n", encoding="utf-8")
    return root


def actions(plan: dict[str, Any]) -> dict[str, str]:
    """``kind:name`` → the plan's action of every object."""
    return {f"{o['kind']}:{o['name']}": o["action"] for o in plan["objects"]}


def connected(cli: Cli) -> Cli:
    """The CLI's workspace with the connections the jobs of :func:`definitions` name."""
    register(cli.remote, cli.workspace, "dws_conn", "ssh_conn")
    return cli


def test_apply_creates_then_plans_everything_unchanged_then_overwrites_an_edit(cli: Cli) -> None:
    root = definitions(cli.cwd / "defs")
    connected(cli)
    first = cli("apply", "-f", str(root), "--yes")
    assert first.exit_code == 0, (first.stdout, first.stderr)
    assert "Plan " in first.stdout
    assert "7 to create, 0 to overwrite" in first.stdout
    # a folder packed here: no key to sign it with, and no nudge to
    assert "signature: unsigned: packed here from the folder's files" in first.stdout
    assert "sign it with the source workspace's key" not in first.stdout
    assert "Roll it back with:" in first.stdout
    assert "rollback" in first.stdout.splitlines()[-1]
    job = cli.remote.call("GET", "/jobs/weekly_sales", workspace=cli.workspace).json()
    assert job["schedule"]["cron"]["expression"] == "0 30 2 * * ?"

    again = cli.json("apply", "-f", str(root), "--yes")
    assert set(actions(again["plan"]).values()) == {"UNCHANGED"}
    assert len(again["plan"]["objects"]) == 7
    assert again["task"] is None
    human = cli("apply", "-f", str(root), "--yes")
    assert human.exit_code == 0
    assert "Nothing to import." in human.stdout

    write(root / "scripts" / "daily_sales_sql.json", make_script(content="select 2;"))
    changed = cli.json("apply", "-f", str(root), "--yes")
    planned = actions(changed["plan"])
    assert planned.pop("script:daily_sales_sql") == "OVERWRITE"
    assert set(planned.values()) == {"UNCHANGED"}
    assert changed["task"]["status"] == "SUCCESSFUL"
    script = cli.remote.call("GET", "/scripts/daily_sales_sql", workspace=cli.workspace).json()
    assert script["content"] == "select 2;"


def test_apply_then_rollback_restores_the_workspace(cli: Cli) -> None:
    root = definitions(cli.cwd / "defs")
    connected(cli)
    cli.json("apply", "-f", str(root), "--yes")
    write(root / "resources" / "udf_jar.json", make_resource("udf_jar", desc="new UDFs"))
    write(root / "scripts" / "new_sql.json", make_script("new_sql"))
    applied = cli.json("apply", "-f", str(root), "--yes")
    assert actions(applied["plan"])["resource:udf_jar"] == "OVERWRITE"
    assert actions(applied["plan"])["script:new_sql"] == "CREATE"
    task_id = applied["task"]["id"]
    name = cli.remote.workspace_name(cli.workspace)
    assert applied["rollback"].endswith(f"rollback {task_id} -w {name}")

    undone = cli.json("rollback", task_id, "--yes")
    assert undone["rolledBack"] == 2
    listed = cli.remote.call("GET", "/resources", workspace=cli.workspace).json()
    assert [r.get("desc", "") for r in listed["resources"]] == [make_resource()["desc"]]
    gone = cli.remote.call("GET", "/scripts/new_sql", workspace=cli.workspace)
    assert gone.status_code == 400
    assert gone.json()["error_code"] == "DLF.6201"


def test_a_dry_run_shows_the_plan_and_imports_nothing(cli: Cli) -> None:
    root = definitions(cli.cwd / "defs")
    connected(cli)
    result = cli("apply", "-f", str(root), "--dry-run")
    assert result.exit_code == 4, (result.stdout, result.stderr)  # changes pending, as plan
    assert "CREATE" in result.stdout
    assert cli.remote.call("GET", "/jobs", workspace=cli.workspace).json()["total"] == 0


def test_apply_asks_for_confirmation_and_refuses_without_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = definitions(cli.cwd / "defs")
    connected(cli)
    result = cli("apply", "-f", str(root))
    assert result.exit_code == 2
    assert "apply asks for confirmation" in result.stderr
    assert "--yes" in result.stderr
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("apply", "-f", str(root), input="n\n")
    assert declined.exit_code == 1
    assert "7 to create, 0 to overwrite" in declined.stderr
    assert "Cancelled; nothing was imported." in declined.stdout
    assert cli.remote.call("GET", "/scripts", workspace=cli.workspace).json()["total"] == 0


def test_an_invalid_file_is_named_with_its_field_and_nothing_is_applied(cli: Cli) -> None:
    root = definitions(cli.cwd / "defs")
    connected(cli)
    broken = make_job("broken_job")
    broken["nodes"][1]["preNodeName"] = ["nowhere"]
    write(root / "jobs" / "broken_job.job", broken)
    (root / "scripts" / "bad.json").write_text("{not json", encoding="utf-8")
    result = cli("apply", "-f", str(root), "--yes")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: 2 problem(s) in the definition files")
    assert "nothing was applied" in result.stderr
    assert "jobs/broken_job.job: job nodes[1].preNodeName" in result.stderr
    assert "scripts/bad.json: not valid JSON" in result.stderr
    error = cli.json("apply", "-f", str(root), "--yes", code=3)["error"]
    assert error["code"] == "problems"  # docs/cli.md: the kind of failure of exit 3
    assert len(error["problems"]) == 2
    for path in ("/jobs", "/scripts", "/resources"):
        listed = cli.remote.call("GET", path, workspace=cli.workspace).json()
        assert listed["total"] == 0, path


def test_a_plan_with_problems_imports_nothing(cli: Cli) -> None:
    """The jobs name connections the workspace does not have: the plan lists the problems,
    and the atomic import writes none of the objects that are fine."""
    root = definitions(cli.cwd / "defs")
    result = cli.json("apply", "-f", str(root), "--yes", code=3)
    assert result["plan"]["problems"]
    assert result["task"] is None
    assert cli.remote.call("GET", "/scripts", workspace=cli.workspace).json()["total"] == 0
    human = cli("apply", "-f", str(root), "--yes")
    assert human.exit_code == 3
    # One problem per missing connection, each with the command that registers it.
    assert len(result["plan"]["problems"]) == 2
    for name in ("dws_conn", "ssh_conn"):
        # a folder's package has no manifest to say the type and secrets: asked for each
        assert f"jobferry env put connection {name} --type … --secret KEY=@FILE -w " in human.stdout
    assert "or change the files to use one that exists" in human.stdout
    assert "--replace" not in human.stdout  # an option of import, which apply has not
    assert "PUT /environment" not in human.stdout  # the API's words stay in the API


def test_a_json_file_outside_a_kind_folder_is_refused_with_the_fix(cli: Cli) -> None:
    path = write(cli.cwd / "misc" / "thing.json", make_job("thing"))
    result = cli("apply", "-f", str(path.parent), "--yes")
    assert result.exit_code == 3
    assert "thing.json: cannot tell a job from a script or a resource" in result.stderr
    assert "jobs/, scripts/ or resources/" in result.stderr
    missing = cli("apply", "-f", str(cli.cwd / "none"), "--yes")
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_one_definition_file_is_applied_alone(cli: Cli) -> None:
    path = write(cli.cwd / "udf_jar.resource", make_resource("udf_jar"))
    assert actions(cli.json("apply", "-f", str(path), "--yes")["plan"]) == {
        "resource:udf_jar": "CREATE"
    }
    write(path, make_resource("udf_jar", desc="new UDFs"))
    assert actions(cli.json("apply", "-f", str(path), "--yes")["plan"]) == {
        "resource:udf_jar": "OVERWRITE"
    }
    listed = cli.remote.call("GET", "/resources", workspace=cli.workspace).json()
    assert [r["desc"] for r in listed["resources"]] == ["new UDFs"]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_examples_folder_applies_and_pulls_back_byte_for_byte(cli: Cli) -> None:
    """examples/ (what the README's quickstart loads) passes the server's checks once dws_conn
    is registered, and pulling the workspace writes its files back unchanged: it is in the
    very format pull writes, so a newcomer's pull/edit/apply starts from what they know."""
    register(cli.remote, cli.workspace, "dws_conn")
    applied = cli.json("apply", "-f", str(EXAMPLES), "--yes")
    assert actions(applied["plan"]) == {
        "script:load_orders_sql": "CREATE",
        "script:daily_revenue_sql": "CREATE",
        "script:top_customers_sql": "CREATE",
        "job:load_orders": "CREATE",
        "job:daily_revenue": "CREATE",
    }
    assert applied["task"]["status"] == "SUCCESSFUL"
    job = cli.remote.call("GET", "/jobs/daily_revenue", workspace=cli.workspace).json()
    assert job["schedule"]["cron"]["dependJobs"]["jobs"] == ["load_orders"]
    assert [node["preNodeName"] for node in job["nodes"]] == [[], ["revenue"]]

    cli.json("pull", "pulled")
    pulled = cli.cwd / "pulled"
    files = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.json"))
    kept = [p for p in pulled.rglob("*.json") if p.name != RECORD]  # but the pull's record
    assert sorted(p.relative_to(pulled).as_posix() for p in kept) == files
    for name in files:
        assert (pulled / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_a_pending_dry_run_names_the_apply_that_imports_it(cli: Cli) -> None:
    """``apply --dry-run``'s closing line names the apply to run, folder and options as given
    (the package it planned is a temporary file, gone once it ends)."""
    bare = cli.remote.new_workspace("applied", "dws_conn")
    human = cli(
        "apply",
        "-f",
        str(EXAMPLES),
        "--dry-run",
        "--scheduling",
        "pause-and-restore",
        workspace=bare,
    )
    assert human.exit_code == 4, (human.stdout, human.stderr)
    assert human.stdout.strip().splitlines()[-1] == (
        f"Changes pending: 5 object(s) to write; apply them with: jobferry --config {cli.config} "
        f"apply -f {EXAMPLES} --scheduling pause-and-restore -w {cli.remote.workspace_name(bare)}"
    )


def test_a_dry_run_counts_the_scripts_among_the_users_of_a_missing_connection(cli: Cli) -> None:
    """A folder's package requires nothing in its manifest: each script's connection is
    checked against the workspace from the script itself, as for an exported package."""
    human = cli("apply", "-f", str(EXAMPLES), "--dry-run")
    assert human.exit_code == 3, (human.stdout, human.stderr)
    assert "connection 'dws_conn' does not exist" in human.stdout
    assert "5 object(s) use it" in human.stdout  # the two jobs and their three scripts
    [missing] = cli.json("apply", "-f", str(EXAMPLES), "--dry-run", code=3)["plan"]["problems"]
    assert sorted((user["kind"], user["name"]) for user in missing["usedBy"]) == [
        ("job", "daily_revenue"),
        ("job", "load_orders"),
        ("script", "daily_revenue_sql"),
        ("script", "load_orders_sql"),
        ("script", "top_customers_sql"),
    ]

    register(cli.remote, cli.workspace, "dws_conn")
    root = cli.cwd / "sales"
    shutil.copytree(EXAMPLES, root)
    write(root / "scripts" / "spark_sql.json", make_script("spark_sql", connectionName="mrs-spark"))
    refused = cli.json("apply", "-f", str(root), "--yes", code=3)
    assert [(p["name"], p["usedBy"]) for p in refused["plan"]["problems"]] == [
        ("mrs-spark", [{"kind": "script", "name": "spark_sql"}])
    ]
    assert cli.remote.call("GET", "/scripts", workspace=cli.workspace).json()["total"] == 0


def test_a_change_past_the_plans_first_lines_is_the_first_one_on_screen(cli: Cli) -> None:
    # apply -f of a folder larger than the lines a plan answers (2,000), with one edit in the
    # last object written: the plan lists it first, so it is on screen.
    root = cli.cwd / "defs"
    for i in range(2002):
        write(root / "scripts" / f"s_{i:04}.json", make_script(f"s_{i:04}", type="Shell"))
    connected(cli)
    first = cli("apply", "-f", str(root), "--yes")
    assert first.exit_code == 0, (first.stdout, first.stderr)
    write(root / "scripts" / "s_2001.json", make_script("s_2001", type="Shell", content="ls"))

    result = cli("apply", "-f", str(root), "--dry-run")

    assert result.exit_code == 4, (result.stdout, result.stderr)
    rows = [line.split("│") for line in result.stdout.splitlines() if "│" in line]
    assert [cell.strip() for cell in rows[0][:3]] == ["OVERWRITE", "script", "s_2001"]
    assert "~ content: 'select 1;' → 'ls'" in result.stdout
    assert "Showing 40 of 2002 objects, those to change first" in result.stdout


def test_the_import_task_and_the_audit_log_name_the_folder_applied_not_a_temporary_zip(
    cli: Cli,
) -> None:
    root = definitions(cli.cwd / "my exämples")  # a space and a non-ASCII letter, kept as is
    connected(cli)
    applied = cli("apply", "-f", str(root), "--yes")
    assert applied.exit_code == 0, (applied.stdout, applied.stderr)
    assert "Import the jobs from folder my exämples." in applied.stdout
    listed = cli.json("tasks", "list")["tasks"]
    assert [t["name"] for t in listed] == ["Import the jobs from folder my exämples."]

    # An import the server refuses is audited naming the package as uploaded: the folder.
    path = cli.json("apply", "-f", str(root), "--yes")["path"]
    now = datetime.now(UTC)  # in a freeze window
    window = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    write(cli.cwd / "freeze.json", {"freeze": [window]})
    assert cli.json("policies", "put", "-f", str(cli.cwd / "freeze.json"))["version"] == 1
    body = {"path": path, "sameNamePolicy": "OVERWRITE"}
    refused = cli.remote.call("POST", "/jobs/import", body, workspace=cli.workspace)
    assert refused.status_code == 400, refused.text
    entries = cli.json("audit", "--kind", "package")["entries"]
    assert "folder my exämples" in [e["objectName"] for e in entries], entries
    said = json.dumps([entries, listed], ensure_ascii=False) + applied.stdout + refused.text
    assert ".zip" not in said
    assert str(cli.cwd) not in said.replace(f"--config {cli.cwd}", "")  # no path of this machine


def test_apply_over_another_user_s_lock_says_so_in_the_plan_and_the_result(
    cli: Cli, tmp_path: Path
) -> None:
    # The workspace's soft lock policy only warns: the plan said whose lock an object's change
    # passes over, and the import's result said nothing of it.
    root = definitions(cli.cwd / "defs")
    connected(cli)
    first = cli("apply", "-f", str(root), "--yes")
    assert first.exit_code == 0, (first.stdout, first.stderr)
    locked = cli.remote.call("POST", "/locks/job/daily_sales", workspace=cli.workspace)
    assert locked.status_code == 200, locked.text
    holder = locked.json()["holder"]
    write(root / "jobs" / "daily_sales.json", make_job("daily_sales", description="changed"))
    dev = member(cli, "developer", tmp_path / "dev.toml")

    applied = dev("apply", "-f", str(root), "--yes")

    assert applied.exit_code == 0, (applied.stdout, applied.stderr)
    said = (
        "Locked by another user, changed anyway (this workspace's locks only warn): job "
        f"'daily_sales' (locked by {holder})."
    )
    plan, result = applied.stdout.split("\ntask: ", 1)
    assert said in " ".join(plan.split())
    assert said in " ".join(result.split())  # the import's result says it as the plan did
    row = next(line for line in result.splitlines() if "job:daily_sales" in line)
    assert f"job:daily_sales (locked by {holder})" in row


def test_a_shown_job_edited_and_applied_back_leaves_show_answering_its_real_version(
    cli: Cli,
) -> None:
    # `jobs show --json > f.json`, edit, `apply -f`: the answer's version goes back with the
    # file and is the server's, so show answers each new version rather than the one saved.
    root = definitions(cli.cwd / "defs")
    connected(cli)
    assert cli("apply", "-f", str(root), "--yes").exit_code == 0
    for number, description in ((2, "edited"), (3, "again")):
        shown = cli.json("jobs", "show", "daily_sales")
        write(root / "jobs" / "daily_sales.json", shown | {"description": description})
        applied = cli("apply", "-f", str(root), "--yes")
        assert applied.exit_code == 0, (applied.stdout, applied.stderr)
        assert cli.json("jobs", "show", "daily_sales")["version"] == str(number)

    plan = cli.json("apply", "-f", str(root), "--dry-run")["plan"]
    assert actions(plan)["job:daily_sales"] == "UNCHANGED"
