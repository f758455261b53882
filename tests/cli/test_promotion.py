"""Promotion from a terminal: profiles and time-zone moves on import, offline transforms,
signatures, rollback — and the end-to-end flow test → prod, compared job by job."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from jobferry.cli import terminal
from jobferry.domain.diff import diff
from support.builders import SERVER_FIELDS, editable, make_job
from support.cli import Cli, Remote, invoke
from support.exporting import seed
from support.packages import write_package

PROFILE = {
    "description": "production",
    "renames": {"connection": {"dws_conn": "dws_prod"}},
    "params": {"bizdate": "${yyyy-MM-dd}"},
    "executeUser": "etl_prod",
    "directory": {"from": "/sales", "to": "/prod/sales"},
    "timeZone": {"zone": "Europe/Berlin", "mode": "keepWallClock"},
}


def put_profile(remote: Remote, workspace: str, name: str, document: dict[str, Any]) -> None:
    response = remote.call("PUT", f"/profiles/{name}", document, workspace=workspace)
    assert response.status_code == 200, response.text


def job(remote: Remote, workspace: str, name: str = "daily_sales") -> dict[str, Any]:
    found: dict[str, Any] = remote.call("GET", f"/jobs/{name}", workspace=workspace).json()
    return found


def mapped(source: dict[str, Any]) -> dict[str, Any]:
    """What PROFILE makes of a test job: the expectation for prod."""
    expected = copy.deepcopy(source)
    for node in expected["nodes"]:
        for prop in node["properties"]:
            if prop["name"] == "connectionName" and prop["value"] == "dws_conn":
                prop["value"] = "dws_prod"
    expected["params"][0]["value"] = "${yyyy-MM-dd}"
    expected["basicConfig"]["executeUser"] = "etl_prod"
    expected["directory"] = "/prod/sales"
    expected["schedule"]["cron"]["expressionTimeZone"] = "Europe/Berlin"
    return expected


@pytest.fixture
def prod(cli: Cli) -> str:
    ws = cli.remote.new_workspace("prod", "dws_prod", "ssh_conn")
    put_profile(cli.remote, ws, "prod", PROFILE)
    return ws


def test_promotion_from_test_to_prod_end_to_end(cli: Cli, prod: str, tmp_path: Path) -> None:
    remote = cli.remote
    source_key = remote.call("POST", "/signing-key", workspace=cli.workspace).json()
    seed(remote, ("daily_sales",), workspace=cli.workspace)
    # test: export, signed by the workspace's key
    exported = cli.json("export", "daily_sales", "-o", "from-test.zip")
    package = Path(exported["file"])
    verified = cli.json("package", "verify", str(package), "--key", source_key["publicKey"])
    assert verified["signature"]["state"] == "valid"
    # prod accepts signed packages only, from the release key
    release = cli.json("package", "keygen", str(tmp_path / "release"))
    trusted = {"name": "release", "publicKey": release["publicKey"]}
    assert remote.call("POST", "/trusted-keys", trusted, workspace=prod).status_code == 200
    settings = {"requireSigned": True}
    assert remote.call("PUT", f"/workspaces/{prod}", settings).status_code == 200
    refused = cli.json("plan", str(package), "--profile-map", "prod", workspace=prod, code=3)
    assert "signature" in {p["reason"] for p in refused["plan"]["problems"]}
    # transform offline with prod's stored profile, sign with the release key
    transformed = cli.json(
        "package",
        "transform",
        str(package),
        "--profile",
        "prod",
        "--sign-key",
        str(tmp_path / "release.pem"),
        "-o",
        "to-prod.zip",
        workspace=prod,
    )
    assert transformed["signed"] is True
    assert transformed["transform"]["profile"] == "prod"
    assert transformed["transform"]["version"] == 1
    promoted = Path(transformed["file"])
    again = cli.json("package", "verify", str(promoted), "--key", str(tmp_path / "release.pub"))
    assert again["signature"]["state"] == "valid"
    # plan and import into prod
    plan = cli.json("plan", str(promoted), workspace=prod, code=4)["plan"]
    assert plan["problems"] == []
    assert plan["signature"]["state"] == "valid"
    assert plan["summary"]["CREATE"] == 4
    imported = cli.json("import", str(promoted), "--yes", workspace=prod)
    assert imported["task"]["status"] == "SUCCESSFUL", imported["task"]
    # prod's job is test's job up to the mapping
    changes = diff(mapped(job(remote, cli.workspace)), job(remote, prod), ignore=SERVER_FIELDS)
    assert changes == []
    script = remote.call("GET", "/scripts/daily_sales_sql", workspace=prod).json()
    assert script["connectionName"] == "dws_prod"
    assert script["directory"] == "/prod/sales"


def test_profile_at_import_equals_the_offline_transform(cli: Cli, package: Path, prod: str) -> None:
    other = cli.remote.new_workspace("prod2", "dws_prod", "ssh_conn")
    put_profile(cli.remote, other, "prod", PROFILE)
    at_import = cli.imported(package, "--profile-map", "prod", workspace=prod)
    assert at_import["plan"]["profile"]["name"] == "prod"
    transformed = cli.json(
        "package", "transform", str(package), "--profile", "prod", workspace=prod
    )
    cli.imported(Path(transformed["file"]), workspace=other)
    assert diff(job(cli.remote, prod), job(cli.remote, other), ignore=SERVER_FIELDS) == []


def test_profile_map_from_a_yaml_file_and_plan_shows_the_schedule_move(
    cli: Cli, package: Path, tmp_path: Path
) -> None:
    target = cli.remote.new_workspace("yaml", "dws_prod", "ssh_conn")
    profile = tmp_path / "prod.yaml"
    profile.write_text(
        "renames:\n  connection: {dws_conn: dws_prod}\n"
        "timeZone: {zone: Asia/Tokyo, mode: keepInstant}\n",
        encoding="utf-8",
    )
    view = cli.json("plan", str(package), "--profile-map", str(profile), workspace=target, code=4)
    line = next(o for o in view["plan"]["objects"] if o["kind"] == "job")
    move = line["schedule"][0]
    assert move["before"]["expression"] == "0 30 2 * * ?"
    assert move["after"]["expression"] == "0 30 3 * * ?"
    assert move["after"]["timeZone"] == "Asia/Tokyo"
    human = cli("plan", str(package), "--profile-map", str(profile), workspace=target)
    assert "0 30 2 * * ? GMT+08:00 → 0 30 3 * * ? Asia/Tokyo" in human.stdout


def test_timezone_options_on_import(cli: Cli, package: Path, tmp_path: Path) -> None:
    target = cli.remote.new_workspace("tz", "dws_conn", "ssh_conn")
    cli.imported(package, "--timezone", "Asia/Tokyo", "--keep-wall-clock", workspace=target)
    cron = job(cli.remote, target)["schedule"]["cron"]
    assert (cron["expression"], cron["expressionTimeZone"]) == ("0 30 2 * * ?", "Asia/Tokyo")
    neither = cli("plan", str(package), "--timezone", "Asia/Tokyo", workspace=target)
    assert neither.exit_code == 2
    assert "exactly one of --keep-instant" in neither.stderr
    stray = cli("plan", str(package), "--keep-instant", workspace=target)
    assert stray.exit_code == 2


def test_bad_profile_file_is_a_usage_error(cli: Cli, package: Path, tmp_path: Path) -> None:
    profile = tmp_path / "typo.yaml"
    profile.write_text("rename:\n  connection: {a: b}\n", encoding="utf-8")
    result = cli("plan", str(package), "--profile-map", str(profile))
    assert result.exit_code == 2
    assert "unknown key(s) rename" in result.stderr


def test_unknown_stored_profile_is_reported_by_the_server(cli: Cli, package: Path) -> None:
    result = cli("plan", str(package), "--profile-map", "nope")
    assert result.exit_code == 1
    assert "'nope' does not exist" in result.stderr


def test_rollback_undoes_an_import_once(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = cli.remote.new_workspace("rb", "dws_conn", "ssh_conn")
    imported = cli.imported(package, workspace=target)
    task_id = imported["task"]["id"]
    needs_yes = cli("rollback", task_id, workspace=target)
    assert needs_yes.exit_code == 2
    rolled = cli.json("rollback", task_id, "--yes", workspace=target)
    assert rolled["rolledBack"] == 4
    assert rolled["taskId"] == task_id  # the import's, and the rollback's own task:
    rollback_task = cli.json("tasks", "show", rolled["rollbackTaskId"], workspace=target)
    assert rollback_task["kind"] == "rollback"
    assert {o["action"] for o in rolled["objects"]} == {"DELETED"}
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0
    tasks = cli.remote.call("GET", "/system-tasks", workspace=target).json()["tasks"]
    ran = [t for t in tasks if t["kind"] == "rollback"]  # as a task of its own, followed
    assert [(t["status"], t["name"]) for t in ran] == [
        ("SUCCESSFUL", f"Roll back import {task_id}.")
    ]
    shown = cli("tasks", "show", ran[0]["id"], workspace=target)  # what it undid
    assert "rollback" in shown.stdout
    assert re.search(r"job\W+daily_sales\W+DELETED", shown.stdout), shown.stdout
    # Run again (a pipeline's step retried), there is nothing left to do: said, exit 0.
    again = cli("rollback", task_id, "--yes", workspace=target)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"Nothing to do: import {task_id} was rolled back already (")
    before = cli.json("rollback", task_id, "--yes", workspace=target)
    assert (before["taskId"], before["rolledBack"]) == (task_id, 0)
    assert again.stdout.rstrip().endswith(f" UTC by {before['rolledBackBefore']['by']}).")
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    asked = cli("rollback", task_id, workspace=target, input="y\n")  # said, not asked
    assert asked.exit_code == 0
    assert "was rolled back already" in asked.stdout
    assert "Roll back import" not in asked.stderr


def test_rollback_refused_lists_the_objects_changed_since(cli: Cli, package: Path) -> None:
    target = cli.remote.new_workspace("rb2", "dws_conn", "ssh_conn")
    task_id = cli.imported(package, workspace=target)["task"]["id"]
    edited = editable(job(cli.remote, target))
    edited["description"] = "changed by hand"
    assert cli.remote.call("PUT", "/jobs/daily_sales", edited, workspace=target).status_code == 204
    refused = cli.json("rollback", task_id, "--yes", workspace=target, code=1)
    assert refused["error"]["code"] == "DLF.9016"
    assert refused["error"]["rule"] == "changed"  # from the rollback's task, as the call's
    assert any("daily_sales" in c for c in refused["error"]["conflicts"])
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 1


# -- offline transform --------------------------------------------------------------------


def test_transform_with_a_profile_file_writes_a_new_package(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg.zip")
    profile = tmp_path / "prod.json"
    profile.write_text(json.dumps(PROFILE), encoding="utf-8")
    result = invoke(["package", "transform", str(source), "--profile", str(profile), "--json"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    target = Path(view["file"])
    assert target.name == "pkg-prod.zip"
    inspected = json.loads(invoke(["package", "inspect", str(target), "--json"]).stdout)
    manifest = inspected["manifest"]
    assert manifest["options"]["transform"]["profile"] == "prod.json"
    assert {"kind": "connection", "name": "dws_prod", "type": "DWS", "secrets": ["password"]} in (
        manifest["requires"]
    )
    compared = json.loads(invoke(["package", "diff", str(source), str(target), "--json"]).stdout)
    job_line = next(o for o in compared["objects"] if o["kind"] == "job")
    paths = {c["path"] for c in job_line["diff"]}
    assert "nodes[load].properties[connectionName].value" in paths
    assert "schedule.cron.expressionTimeZone" in paths
    assert "directory" in paths


def test_transform_refuses_to_write_over_the_package_it_transforms(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg.zip")
    before = source.read_bytes()
    profile = tmp_path / "prod.json"
    profile.write_text(json.dumps(PROFILE), encoding="utf-8")
    same = str(tmp_path / "." / "pkg.zip")
    result = invoke(["package", "transform", str(source), "--profile", str(profile), "-o", same])
    assert result.exit_code == 2, result.output
    assert "is the package being transformed; write the new package to another file" in (
        result.stderr
    )
    assert source.read_bytes() == before


def test_transform_refuses_a_schedule_that_cannot_move(tmp_path: Path) -> None:
    odd = make_job("daily_sales")
    odd["schedule"]["cron"]["expression"] = "0 30 2 L * ?"
    source = write_package(tmp_path / "pkg.zip", [odd])
    result = invoke(
        [
            "package",
            "transform",
            str(source),
            "--timezone",
            "America/New_York",
            "--keep-instant",
            "--json",
        ]
    )
    assert result.exit_code == 3
    view = json.loads(result.stdout)
    assert view["problems"][0]["reason"] == "time_zone"
    assert not (tmp_path / "pkg-America_New_York.zip").exists()


def test_transform_needs_something_to_apply(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg.zip")
    assert invoke(["package", "transform", str(source)]).exit_code == 2
    bad_zone = invoke(
        ["package", "transform", str(source), "--timezone", "Mars/Base", "--keep-instant"]
    )
    assert bad_zone.exit_code == 2


def test_transform_keeping_instants_across_daylight_saving_says_until_when_and_records_it(
    tmp_path: Path,
) -> None:
    source = write_package(tmp_path / "pkg.zip")  # daily_sales: GMT+08:00, no endTime
    args = ["package", "transform", str(source), "--timezone", "Europe/Berlin", "--keep-instant"]
    human = invoke(args)
    assert human.exit_code == 0, human.output
    said = " ".join(human.stdout.split())
    assert "note: " in said
    assert " keeps the same instants until " in said
    assert re.search(r"'Europe/Berlin' moves its clocks (forward|back) for daylight saving", said)

    view = json.loads(invoke([*args, "--json", "-o", str(tmp_path / "moved.zip")]).stdout)
    job = next(o for o in view["objects"] if o["kind"] == "job")
    note = job["notes"][0]["note"]
    assert note.startswith("keeps the same instants until ")
    inspected = json.loads(invoke(["package", "inspect", view["file"], "--json"]).stdout)
    recorded = inspected["manifest"]["options"]["transform"]["notes"]
    field = job["notes"][0]["field"]
    assert recorded == [{"kind": "job", "name": "daily_sales", "field": field, "note": note}]
