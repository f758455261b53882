"""jobferry apply -f: definitions in files created, updated or left alone; bad files refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.builders import make_job, make_resource, make_script
from support.cli import Cli, write_config


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def definitions(root: Path) -> Path:
    """A folder laid out like an export package, with a file apply ignores."""
    write(root / "jobs" / "daily_sales.json", make_job("daily_sales"))
    write(root / "jobs" / "extra" / "weekly_sales.job", make_job("weekly_sales"))
    write(root / "scripts" / "daily_sales_sql.json", make_script("daily_sales_sql"))
    write(root / "scripts" / "daily_sales_sh.script", make_script("daily_sales_sh", type="Shell"))
    write(root / "resources" / "udf_jar.json", make_resource("udf_jar"))
    (root / "README.md").write_text("not a definition\n", encoding="utf-8")
    return root


def test_apply_creates_then_leaves_alone_then_updates(cli: Cli) -> None:
    root = definitions(cli.cwd / "defs")
    first = cli("apply", "-f", str(root))
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["created", "script", "daily_sales_sh"],
        ["created", "script", "daily_sales_sql"],
        ["created", "resource", "udf_jar"],
        ["created", "job", "daily_sales"],
        ["created", "job", "weekly_sales"],
    ]
    assert "(jobs/daily_sales.json)" in lines[3]
    assert "5 created, 0 updated, 0 unchanged" in first.stderr
    job = cli.remote.call("GET", "/jobs/weekly_sales", workspace=cli.workspace).json()
    assert job["schedule"]["cron"]["expression"] == "0 30 2 * * ?"

    again = cli.json("apply", "-f", str(root))
    assert {o["action"] for o in again["objects"]} == {"unchanged"}
    assert again["unchanged"] == 5

    write(root / "scripts" / "daily_sales_sql.json", make_script(content="select 2;"))
    changed = cli.json("apply", "-f", str(root))
    actions = {o["name"]: o["action"] for o in changed["objects"]}
    assert actions["daily_sales_sql"] == "updated"
    assert [a for a in actions.values() if a != "unchanged"] == ["updated"]
    script = cli.remote.call("GET", "/scripts/daily_sales_sql", workspace=cli.workspace).json()
    assert script["content"] == "select 2;"


def test_apply_updates_a_resource_by_name(cli: Cli) -> None:
    path = write(cli.cwd / "udf_jar.resource", make_resource("udf_jar"))
    assert cli.json("apply", "-f", str(path))["created"] == 1
    write(path, make_resource("udf_jar", desc="new UDFs"))
    assert cli.json("apply", "-f", str(path))["updated"] == 1
    listed = cli.remote.call("GET", "/resources", workspace=cli.workspace).json()
    assert [r["desc"] for r in listed["resources"]] == ["new UDFs"]


def test_an_invalid_file_is_named_with_its_field_and_nothing_is_applied(cli: Cli) -> None:
    root = definitions(cli.cwd / "defs")
    broken = make_job("broken_job")
    broken["nodes"][1]["preNodeName"] = ["nowhere"]
    write(root / "jobs" / "broken_job.job", broken)
    (root / "scripts" / "bad.json").write_text("{not json", encoding="utf-8")
    result = cli("apply", "-f", str(root))
    assert result.exit_code == 3
    assert "nothing was applied" in result.stderr
    assert "jobs/broken_job.job: job nodes[1].preNodeName" in result.stderr
    assert "scripts/bad.json: not valid JSON" in result.stderr
    error = cli.json("apply", "-f", str(root), code=3)["error"]
    assert len(error["problems"]) == 2
    for path in ("/jobs", "/scripts", "/resources"):
        listed = cli.remote.call("GET", path, workspace=cli.workspace).json()
        assert listed["total"] == 0, path


def test_a_json_file_outside_a_kind_folder_is_refused_with_the_fix(cli: Cli) -> None:
    path = write(cli.cwd / "misc" / "thing.json", make_job("thing"))
    result = cli("apply", "-f", str(path.parent))
    assert result.exit_code == 3
    assert "thing.json: cannot tell a job from a script or a resource" in result.stderr
    assert "jobs/, scripts/ or resources/" in result.stderr
    missing = cli("apply", "-f", str(cli.cwd / "none"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


def test_a_refusal_by_the_server_names_the_file_and_stops(cli: Cli) -> None:
    remote = cli.remote
    assert remote.call("POST", "/users", {"name": "vic_viewer"}).status_code == 200
    keys = remote.call("POST", "/users/vic_viewer/credentials").json()
    role = {"role": "viewer"}
    assert remote.call("PUT", f"/users/vic_viewer/roles/{cli.workspace}", role).status_code == 204
    config = write_config(cli.cwd / "viewer.toml", cli.server, cli.workspace)
    text = config.read_text().replace(cli.server.ak, keys["accessKey"])
    config.write_text(text.replace(cli.server.sk, keys["secretKey"]), encoding="utf-8")
    root = definitions(cli.cwd / "defs")
    viewer = Cli(cli.server, remote, cli.workspace, config, cli.cwd)
    result = viewer("apply", "-f", str(root))
    assert result.exit_code == 1
    refused = "scripts/daily_sales_sh.script: the server refused script 'daily_sales_sh'"
    assert refused in result.stderr
    assert "Nothing after it was applied" in result.stderr
    assert remote.call("GET", "/scripts", workspace=cli.workspace).json()["total"] == 0
