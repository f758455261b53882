"""plan and import exit 3 for every refusal of the package itself, as package verify does
(a corrupt zip, an entry that does not match its manifest, a signature the workspace does not
accept); exit 1 stays for failures to reach or to be served."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson

from jobferry.cli.exits import ExitCode
from jobferry.cli.tasks import task_exit
from support.cli import Cli
from support.server import upload_package


def altered(package: Path, out: Path) -> Path:
    """``package`` with one byte of a definition changed (its size kept) and its manifest
    kept: the entry's hash no longer matches."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(out, "w") as copy:
        names = source.namelist()
        victim = next(n for n in names if not n.startswith("manifest"))
        for name in names:
            data = source.read(name)
            if name == victim:
                at = data.index(b":")
                data = data[:at] + b";" + data[at + 1 :]
            copy.writestr(name, data)
    return out


def test_plan_and_import_of_a_corrupt_zip_exit_3_naming_the_refusal(cli: Cli) -> None:
    broken = cli.cwd / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a zip archive")
    target = cli.remote.new_workspace("target")
    planned = cli("plan", str(broken), workspace=target)
    assert planned.exit_code == ExitCode.PROBLEMS, planned.output
    assert "DLF.9020" in planned.stderr
    imported = cli("import", str(broken), "--yes", workspace=target)
    assert imported.exit_code == ExitCode.PROBLEMS, imported.output
    answer = cli.json("plan", str(broken), workspace=target, code=3)
    assert answer["error"]["code"] == "DLF.9020"
    # no task was started, but the audit log shows each refused attempt
    assert cli.json("tasks", "list", workspace=target)["total"] == 0
    wide = {"COLUMNS": "200"}
    logged = cli("audit", "--action", "import.refused", workspace=target, env=wide)
    assert logged.exit_code == 0, logged.output
    text = " ".join(logged.stdout.split())
    assert text.count("package broken.zip") == 3  # plan, import (its plan first), plan --json
    entries = cli.json("audit", "--action", "import.refused", workspace=target)["entries"]
    assert [(e["objectName"], e["detail"]["size"]) for e in entries] == [
        ("broken.zip", broken.stat().st_size)
    ] * 3
    assert "not a readable zip archive" in entries[0]["detail"]["reason"]


def test_plan_of_an_entry_that_does_not_match_its_manifest_exits_3(cli: Cli, package: Path) -> None:
    tampered = altered(package, cli.cwd / "tampered.zip")
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    verified = cli("package", "verify", str(tampered))
    planned = cli("plan", str(tampered), workspace=target)
    imported = cli("import", str(tampered), "--yes", workspace=target)
    assert verified.exit_code == planned.exit_code == imported.exit_code == ExitCode.PROBLEMS
    assert "manifest.hash" in planned.stderr
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0


def test_an_unsigned_package_is_refused_with_exit_3_in_every_mode(cli: Cli, package: Path) -> None:
    target = cli.remote.new_workspace("signed", "dws_conn", "ssh_conn")
    settings = {"requireSigned": True}
    assert cli.remote.call("PUT", f"/workspaces/{target}", settings).status_code == 200
    for mode in ("atomic", "per-object"):
        done = cli("import", str(package), "--yes", "--mode", mode, workspace=target)
        assert done.exit_code == ExitCode.PROBLEMS, (mode, done.output)
        assert "jobferry package sign" in done.stdout
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0
    tasks = cli.json("tasks", "list", workspace=target)
    assert tasks["total"] == 0  # refused before any import task was started


def test_an_import_task_that_failed_on_the_package_exits_3_when_followed(cli: Cli) -> None:
    broken = cli.cwd / "broken.zip"
    broken.write_bytes(b"not a zip at all")
    target = cli.remote.new_workspace("target")
    uploaded = upload_package(cli.server, broken.read_bytes(), target)
    started = cli.remote.call("POST", "/jobs/import", {"path": uploaded}, workspace=target)
    assert started.status_code == 200, started.text
    task_id = started.json()["taskId"]
    followed = cli("tasks", "show", task_id, "--wait", workspace=target)
    assert followed.exit_code == ExitCode.PROBLEMS, followed.output
    task = orjson.loads(cli("tasks", "show", task_id, "--json", workspace=target).stdout)
    assert task["status"] == "FAILED"
    assert task["result"]["errorCode"] == "DLF.9020"


def test_a_task_that_failed_otherwise_exits_1() -> None:
    failed = {"status": "FAILED", "result": {"errorCode": "DLF.9503"}}
    assert task_exit(failed) == ExitCode.FAILED
    assert task_exit({"status": "FAILED"}) == ExitCode.FAILED
    refused = {"status": "FAILED", "result": {"errorCode": "DLF.9020"}}
    assert task_exit(refused) == ExitCode.PROBLEMS
