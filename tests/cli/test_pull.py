"""jobferry pull -w WS DIR: a workspace written as the folder apply reads, one file an object;
pulling twice writes the same bytes, and applying what was pulled changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobferry.cli.client import ApiClient, ApiError
from jobferry.package.pulled import RECORD
from support.builders import make_job, make_script
from support.cli import Cli, register
from support.exporting import seed


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path (but the pull's record of what it wrote)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != RECORD
    }


def seeded(cli: Cli) -> Cli:
    """daily_sales and weekly_sales with their scripts, udf_jar and dws_conn."""
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    return cli


def test_pull_writes_one_file_an_object_without_server_fields(cli: Cli) -> None:
    seeded(cli)
    result = cli.json("pull", "wsdir")
    root = cli.cwd / "wsdir"
    assert sorted(files(root)) == [
        "jobs/daily_sales.json",
        "jobs/weekly_sales.json",
        "resources/udf_jar.json",
        "scripts/daily_sales_sh.json",
        "scripts/daily_sales_sql.json",
        "scripts/weekly_sales_sh.json",
        "scripts/weekly_sales_sql.json",
    ]
    assert result["written"] == sorted(files(root))
    text = (root / "jobs" / "daily_sales.json").read_text(encoding="utf-8")
    job = json.loads(text)
    assert text == json.dumps(job, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert not {"id", "createTime", "createUser", "lastUpdateUser"} & set(job)
    assert job["nodes"][0]["name"] == "load"


def test_pull_twice_writes_identical_bytes_and_removes_stale_files(cli: Cli) -> None:
    seeded(cli)
    root = cli.cwd / "wsdir"
    cli.json("pull", str(root))
    first = files(root)
    (root / "jobs" / "gone.json").write_text(json.dumps(make_job("gone")), encoding="utf-8")
    (root / "jobs" / "extra").mkdir()
    (root / "jobs" / "extra" / "old.job").write_text("{}", encoding="utf-8")
    (root / "README.md").write_text("kept\n", encoding="utf-8")
    refused = cli("pull", str(root))  # the two files made since would be lost
    assert refused.exit_code == 1, (refused.stdout, refused.stderr)
    assert "error local_edits: 2 file(s)" in refused.stderr
    assert "added    jobs/extra/old.job" in refused.stderr
    assert "added    jobs/gone.json" in refused.stderr
    assert "pull with --force" in refused.stderr
    assert len(files(root)) == len(first) + 3  # nothing written or removed
    second = cli("pull", str(root), "--force")
    assert second.exit_code == 0, (second.stdout, second.stderr)
    assert "removed  jobs/extra/old.job" in second.stdout
    assert "removed  jobs/gone.json" in second.stdout
    assert "0 written, 7 unchanged, 2 removed" in second.stdout
    assert files(root) == {**first, "README.md": b"kept\n"}


def test_a_pull_leaves_no_package_in_the_download_center(cli: Cli) -> None:
    # its export is the pull's means: a pull an hour kept a workspace's package an hour there
    seeded(cli)
    pulled = cli.json("pull", "defs")
    assert pulled["taskId"]
    assert cli.json("downloads", "list")["downloads"] == []
    again = cli("pull", "defs", "--json")  # nothing changed: a pull that writes nothing
    assert again.exit_code == 0, (again.stdout, again.stderr)
    assert cli.json("downloads", "list")["downloads"] == []
    exported = cli.json("export", "--workspace-all", "-o", "all.zip")  # an export's stays
    [kept] = cli.json("downloads", "list")["downloads"]
    assert kept["id"] == exported["downloadId"]


def test_a_package_the_pull_cannot_delete_is_said_and_the_pull_goes_on(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(cli)
    real = ApiClient.call

    def refusing(self: ApiClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method == "DELETE":
            raise ApiError(503, "DLF.9071", "The server is stopping.", {})
        return real(self, method, path, *args, **kwargs)

    monkeypatch.setattr(ApiClient, "call", refusing)
    pulled = cli("pull", "defs")
    assert pulled.exit_code == 0, (pulled.stdout, pulled.stderr)
    said = " ".join(pulled.stderr.split())
    assert "stays in the download center until it expires: The server is stopping." in said
    assert (cli.cwd / "defs" / "jobs").is_dir()
    monkeypatch.undo()
    assert len(cli.json("downloads", "list")["downloads"]) == 1


def test_pull_then_apply_plans_everything_unchanged(cli: Cli) -> None:
    seeded(cli)
    root = cli.cwd / "wsdir"
    cli.json("pull", str(root))
    applied = cli.json("apply", "-f", str(root), "--yes")
    actions: dict[str, Any] = {
        f"{o['kind']}:{o['name']}": o["action"] for o in applied["plan"]["objects"]
    }
    assert len(actions) == 7
    assert set(actions.values()) == {"UNCHANGED"}
    assert applied["task"] is None


def test_a_pulled_file_edited_is_overwritten_by_apply_and_pulled_back(cli: Cli) -> None:
    seeded(cli)
    root = cli.cwd / "wsdir"
    cli.json("pull", str(root))
    path = root / "scripts" / "daily_sales_sql.json"
    script = json.loads(path.read_text(encoding="utf-8"))
    script["content"] = "select 42;"
    path.write_text(json.dumps(script), encoding="utf-8")
    applied = cli.json("apply", "-f", str(root), "--yes")
    changed = [o["name"] for o in applied["plan"]["objects"] if o["action"] != "UNCHANGED"]
    assert changed == ["daily_sales_sql"]
    again = cli.json("pull", str(root))
    assert again["written"] == ["scripts/daily_sales_sql.json"]
    assert json.loads(path.read_text(encoding="utf-8"))["content"] == "select 42;"
    assert (
        cli.remote.call(
            "POST", "/scripts", make_script("extra_sql"), workspace=cli.workspace
        ).status_code
        == 204
    )
    assert cli.json("pull", str(root))["written"] == ["scripts/extra_sql.json"]


def test_pull_into_a_file_is_refused(cli: Cli) -> None:
    (cli.cwd / "taken").write_text("x", encoding="utf-8")
    result = cli("pull", str(cli.cwd / "taken"))
    assert result.exit_code == 2
    assert "is a file" in result.stderr


def test_pull_of_an_empty_workspace_writes_nothing_and_removes_what_it_held(cli: Cli) -> None:
    root = cli.cwd / "wsdir"
    (root / "jobs").mkdir(parents=True)
    (root / "jobs" / "gone.json").write_text(json.dumps(make_job("gone")), encoding="utf-8")
    result = cli("pull", str(root))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "removed  jobs/gone.json" in result.stdout
    assert "0 written, 0 unchanged, 1 removed" in result.stdout
    assert files(root) == {}


def test_a_file_at_another_path_is_said_moved_to_its_object_s_file(cli: Cli) -> None:
    seeded(cli)
    root = cli.cwd / "wsdir"
    (root / "jobs" / "etl").mkdir(parents=True)
    job = json.dumps(make_job("daily_sales"))
    (root / "jobs" / "etl" / "daily_sales.json").write_text(job, encoding="utf-8")
    result = cli("pull", str(root))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "moved    jobs/etl/daily_sales.json → jobs/daily_sales.json" in result.stdout
    assert "no longer in the workspace" not in result.stdout
    assert "7 written, 0 unchanged, 0 removed, 1 moved." in result.stdout
    assert cli.json("pull", str(root))["moved"] == {}


def test_pull_of_an_empty_workspace_creates_the_missing_folder(cli: Cli) -> None:
    """``DIR``: "created when missing", an empty workspace's too (apply -f then says the
    folder holds no definition, not that it does not exist)."""
    result = cli("pull", "fresh")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert (cli.cwd / "fresh").is_dir()


def test_a_pulled_job_saved_but_not_submitted_is_submitted_by_apply_unless_status_saved(
    cli: Cli,
) -> None:
    """docs/cli.md: an unchanged pulled folder plans everything UNCHANGED, but an object the
    workspace holds saved and not submitted since, which ``apply`` submits (its default
    ``--status submitted``): ``--status saved`` leaves it as it is."""
    seeded(cli)
    register(cli.remote, cli.workspace, "ssh_conn")
    saved = {**make_job("daily_sales"), "params": [], "targetStatus": "SAVED"}
    answer = cli.remote.call("PUT", "/jobs/daily_sales", saved, workspace=cli.workspace)
    assert answer.status_code == 204, answer.text
    root = cli.cwd / "wsdir"
    cli.json("pull", str(root))
    planned = cli.json("apply", "-f", str(root), "--dry-run", code=4)["plan"]["objects"]
    changed = {o["name"]: o["action"] for o in planned if o["action"] != "UNCHANGED"}
    assert changed == {"daily_sales": "OVERWRITE"}
    kept = cli.json("apply", "-f", str(root), "--dry-run", "--status", "saved")["plan"]["objects"]
    assert {o["action"] for o in kept} == {"UNCHANGED"}


def test_a_file_where_pull_writes_a_folder_refuses_the_pull_before_it_writes(cli: Cli) -> None:
    seeded(cli)
    root = cli.cwd / "wsdir"
    root.mkdir()
    (root / "jobs").write_text("not a folder\n", encoding="utf-8")
    result = cli("pull", str(root))
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "error file: Cannot write the workspace" in result.stderr
    assert "jobs stands where a folder or a definition file goes" in result.stderr
    assert files(root) == {"jobs": b"not a folder\n"}  # nothing written, no record either
    assert not (root / RECORD).exists()
