"""``jobferry releases ledger|restore|rollback`` against a real server: the ledger shown,
exported as CSV and read at a moment between releases; an older release restored through a
reviewed plan (exit 4 for the dry run, as ``promote``); a rollback of a restore refused (exit
1) and of the last release done."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

from support.cli import Cli
from support.cli_releases import as_user, submit, table_cell
from support.releases import studio_person


def _enterprise(cli: Cli, tmp_path: Path) -> tuple[Cli, Cli, str]:
    ws, suffix = cli.workspace, uuid.uuid4().hex[:6]
    for name in ("dws_conn", "ssh_conn"):
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        cli.remote.call("PUT", f"/environment/connection/{name}", body, workspace=ws)
    switched = cli.remote.call(
        "PUT",
        f"/{cli.server.project_id}/workspace/{ws}",
        {"name": cli.remote.workspace_name(ws), "mode": "1"},
    )
    assert switched.status_code == 200, switched.text
    dev = studio_person(cli.server, ws, f"dev_{suffix}", "developer")
    dep = studio_person(cli.server, ws, f"dep_{suffix}", "deployer")
    return (
        as_user(cli, "dev", dev.ak, dev.sk, tmp_path),
        as_user(cli, "dep", dep.ak, dep.sk, tmp_path),
        suffix,
    )


def _release(cli: Cli, developer: Cli, deployer: Cli, suffix: str, job: str) -> str:
    submit(cli, job)
    made = developer.json("releases", "create", job, "--all", "--approver", f"dep_{suffix}")
    package = str(made["release_package_id"])
    deployed = deployer("releases", "deploy", package, "--no-start", "--yes")
    assert deployed.exit_code == 0, (deployed.stdout, deployed.stderr)
    return package


def test_the_ledger_a_restore_and_a_rollback(cli: Cli, tmp_path: Path) -> None:
    developer, deployer, suffix = _enterprise(cli, tmp_path)
    first = _release(cli, developer, deployer, suffix, "led_a")
    second = _release(cli, developer, deployer, suffix, "led_b")

    shown = deployer("releases", "ledger")
    assert shown.exit_code == 0, shown.output
    assert "led_a" in shown.stdout
    assert "led_b" in shown.stdout
    assert "The newest" not in shown.stdout  # every entry shown
    newest = deployer("releases", "ledger", "--limit", "1", env={"COLUMNS": "200"})
    assert newest.exit_code == 0, newest.output
    assert f"{second} led_b" in newest.stdout
    assert f"{first} led_a" not in newest.stdout  # an older entry, past the limit
    assert "The newest 1 of 2 entries; --limit shows up to 100" in " ".join(newest.stdout.split())
    exported = deployer("releases", "ledger", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert {(r["kind"], r["name"]) for r in rows} >= {("job", "led_a"), ("job", "led_b")}
    assert {r["package_id"] for r in rows} == {first, second}
    # A file is for a spreadsheet: it starts with a byte order mark, so that Excel reads its
    # names as UTF-8; standard output, for other commands, has none.
    written = deployer("releases", "ledger", "--format", "csv", "-o", str(tmp_path / "l.csv"))
    assert written.exit_code == 0, written.output
    assert (tmp_path / "l.csv").read_bytes() == b"\xef\xbb\xbf" + exported.stdout.encode()
    assert not exported.stdout.startswith("\ufeff")
    ledger = deployer.json("releases", "ledger")
    at = ledger["entries"][-1]["at"]  # the first release (newest first)
    then = deployer.json("releases", "ledger", "--at", str(at))
    assert {o["name"] for o in then["production"] if o["kind"] == "job"} == {"led_a"}

    planned = deployer("releases", "restore", first, "--dry-run", env={"COLUMNS": "250"})
    assert planned.exit_code == 4, (planned.stdout, planned.stderr)
    assert "led_b" in planned.stdout
    # The restore's package is made here from the ledger: not asked to be signed.
    assert "sign it with" not in planned.stdout
    assert "unsigned: written here from production's own definitions" in planned.stdout
    assert "into: the production of workspace" in planned.stdout
    # the command that applies it acts in this workspace, wherever a context points
    assert re.search(
        r"apply it with: jobferry releases restore \S+ --plan \w+ -w \S+\.", planned.stdout
    )
    plan_id = deployer.json("releases", "restore", first, "--dry-run", code=4)["plan_id"]
    restored = deployer("releases", "restore", first, "--plan", plan_id, "--yes")
    assert restored.exit_code == 0, (restored.stdout, restored.stderr)
    assert "Restored" in restored.stdout
    now = deployer.json("releases", "ledger")
    assert {o["name"] for o in now["production"] if o["kind"] == "job"} == {"led_a"}
    assert now["entries"][0]["action"] == "restore"
    again = deployer("releases", "restore", first, "--dry-run")
    assert again.exit_code == 0, (again.stdout, again.stderr)

    refused = deployer("releases", "rollback", "--last", "--yes")
    assert refused.exit_code == 1
    assert "not a release" in refused.stderr

    third = _release(cli, developer, deployer, suffix, "led_c")
    rolled = deployer("releases", "rollback", "--last", "--yes")
    assert rolled.exit_code == 0, (rolled.stdout, rolled.stderr)
    assert f"Rolled back release package {third}" in rolled.stdout
    assert "object(s) back as they were (ledger entry " in rolled.stdout
    shown_package = deployer.json("releases", "show", third)["release_package"]
    assert shown_package["deploy_status"] == 2
    assert shown_package["rolled_back"]["by"] == f"dep_{suffix}"
    shown = deployer("releases", "show", third).stdout  # said as the console says it
    assert "released · rolled back" in shown
    assert f"by dep_{suffix}: production holds again what it held before this release" in shown
    state = table_cell(deployer("releases", "list").stdout, "led_c", 2)
    assert state == "released · rolled back"


def test_a_release_rolled_back_then_restored_to_says_so_in_show_and_list(
    cli: Cli, tmp_path: Path
) -> None:
    developer, deployer, suffix = _enterprise(cli, tmp_path)
    package = _release(cli, developer, deployer, suffix, "led_r")
    assert deployer("releases", "rollback", package, "--yes").exit_code == 0
    restored = deployer("releases", "restore", package, "--yes")
    assert restored.exit_code == 0, (restored.stdout, restored.stderr)

    answer = deployer.json("releases", "show", package)["release_package"]
    entry = deployer.json("releases", "ledger")["entries"][0]
    assert entry["action"] == "restore"
    assert answer["restored"] == {
        "at": entry["at"],
        "by": f"dep_{suffix}",
        "entry_id": entry["entry_id"],
    }
    shown = " ".join(deployer("releases", "show", package, env={"COLUMNS": "250"}).stdout.split())
    assert "state: released · rolled back, then restored" in shown
    assert "production holds again what it held before" not in shown
    assert (
        f"by dep_{suffix}: production was restored to this release (ledger entry "
        f"{entry['entry_id']})"
    ) in shown
    listed = deployer("releases", "list", env={"COLUMNS": "250"}).stdout
    assert table_cell(listed, "led_r", 2) == "released · rolled back, then restored"
