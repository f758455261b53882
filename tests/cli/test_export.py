"""export (every selection), downloads list/get/delete and tasks show, against a real server."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from support.cli import Cli
from support.exporting import entries, seed


def _files(path: Path) -> list[str]:
    return sorted(entries(path.read_bytes()))


def test_export_one_job_writes_dlf_zip(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    result = cli.json("export", "daily_sales")
    written = Path(result["file"])
    assert written.name == "DLF_daily_sales.zip"
    assert written.parent == cli.cwd
    assert hashlib.sha256(written.read_bytes()).hexdigest() == result["sha256"]
    assert _files(written) == [
        "jobs/daily_sales.job",
        "manifest.entries",
        "manifest.json",
        "resources/udf_jar.resource",
        "scripts/daily_sales_sh.script",
        "scripts/daily_sales_sql.script",
    ]


def test_export_several_jobs_is_a_batch_export(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    out = cli.cwd / "out" / "release.zip"
    human = cli("export", "daily_sales", "weekly_sales", "-o", str(out), "--no-manifest")
    assert human.exit_code == 0, human.output
    assert f"Exported to {out}" in human.stdout
    files = _files(out)
    assert "jobs/daily_sales/daily_sales.job" in files
    assert "jobs/weekly_sales/weekly_sales.job" in files
    assert "manifest.json" not in files


def test_export_by_names_file_runs_a_task_and_downloads_it(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales", "monthly_sales"), workspace=cli.workspace)
    names = cli.cwd / "names.txt"
    names.write_text("# release 42\ndaily_sales\n\nmonthly_sales\n", encoding="utf-8")
    result = cli.json("export", "--names-file", str(names), "-o", str(cli.cwd))
    assert result["jobs"] == 2
    files = _files(Path(result["file"]))
    assert "jobs/daily_sales.job" in files
    assert "jobs/monthly_sales.job" in files
    assert "jobs/weekly_sales.job" not in files
    task = cli.json("tasks", "show", result["taskId"])
    assert task["status"] == "SUCCESSFUL"
    assert task["result"]["downloadId"] == result["downloadId"]


def test_names_file_with_an_unknown_name_is_refused(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    names = cli.cwd / "names.txt"
    names.write_text("daily_sales\nDaily_Sale\n", encoding="utf-8")
    result = cli("export", "--names-file", str(names))
    assert result.exit_code == 1
    assert "Matched 1, failed 1" in result.stderr
    assert "Daily_Sale" in result.stderr
    assert "details" not in result.stderr  # the envelope's field, not a person's word


def test_export_workspace_all_then_changed_since_last(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    everything = cli.json("export", "--workspace-all")
    assert everything["jobs"] == 2
    nothing = cli.json("export", "--changed-since", "last", "-o", str(cli.cwd / "none.zip"))
    assert nothing["jobs"] == 0
    since = cli.json("export", "--changed-since", "2020-01-01T00:00:00+00:00", "-o", "x.zip")
    assert since["jobs"] == 2


def test_export_with_upstream_and_submitted_status(cli: Cli) -> None:
    seed(cli.remote, ("upstream_job", "downstream_job"), workspace=cli.workspace)
    job = cli.remote.call("GET", "/jobs/downstream_job", workspace=cli.workspace).json()
    job["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["upstream_job"],
        "dependPeriod": "SAME_PERIOD",
    }
    put = cli.remote.call("PUT", "/jobs/downstream_job", job, workspace=cli.workspace)
    assert put.status_code == 204, put.text
    result = cli.json("export", "downstream_job", "--with-upstream", "--status", "submit")
    files = _files(Path(result["file"]))
    assert "jobs/upstream_job.job" in files
    assert "jobs/downstream_job.job" in files


def test_export_needs_exactly_one_selection(cli: Cli) -> None:
    assert cli("export").exit_code == 2
    both = cli("export", "daily_sales", "--workspace-all")
    assert both.exit_code == 2
    assert "exactly one way" in both.stderr


def test_downloads_list_get_delete(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    exported = cli.json("export", "--workspace-all", "-o", "first.zip")
    listed = cli.json("downloads", "list")
    assert [d["id"] for d in listed["downloads"]] == [exported["downloadId"]]
    human = cli("downloads", "list")
    assert exported["downloadId"] in human.stdout
    got = cli.json("downloads", "get", exported["downloadId"], "-o", "again.zip")
    assert got["sha256"] == exported["sha256"]
    assert (cli.cwd / "again.zip").read_bytes() == (cli.cwd / "first.zip").read_bytes()
    assert cli.json("downloads", "delete", exported["downloadId"])["deleted"]
    gone = cli("downloads", "get", exported["downloadId"])
    assert gone.exit_code == 1
    assert "DLF.9005" in gone.stderr


def test_tasks_show_waits_and_reports(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    started = cli.remote.call("POST", "/exports", {"mode": "workspace"}, workspace=cli.workspace)
    task_id = started.json()["taskId"]
    waited = cli.json("tasks", "show", task_id, "--wait")
    assert waited["status"] == "SUCCESSFUL"
    human = cli("tasks", "show", task_id)
    assert human.exit_code == 0
    assert "SUCCESSFUL" in human.stdout
    missing = cli("tasks", "show", "f" * 32)
    assert missing.exit_code == 1
    assert "DLF.0810" in missing.stderr


def test_a_workspace_export_says_the_scripts_and_resources_it_carries_beside_its_jobs(
    cli: Cli,
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)  # 2 scripts and a resource
    human = cli("export", "--workspace-all", "-o", "all.zip")
    assert human.exit_code == 0, human.output
    said = " ".join(human.stdout.split())
    assert "(1 job(s), 2 script(s), 1 resource(s), 0 deletion(s), " in said, said
    result = cli.json("export", "--workspace-all", "-o", "again.zip")
    assert (result["jobs"], result["scripts"], result["resources"]) == (1, 2, 1)


def test_export_for_a_target_prints_its_counts_like_the_other_exports(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales", "old_report"), workspace=cli.workspace)
    deleted = cli.remote.call("DELETE", "/jobs/old_report", workspace=cli.workspace)
    assert deleted.status_code in (200, 204), deleted.text
    human = cli("export", "daily_sales", "weekly_sales", "--for", "prod", "-o", "rel.zip")
    assert human.exit_code == 0, human.output
    assert "(2 job(s), 1 deletion(s), " in human.stdout, human.stdout
    result = cli.json("export", "daily_sales", "--for", "prod", "-o", "one.zip")
    assert (result["jobCount"], result["deletions"]) == (1, 0)  # carried once already
    assert result["jobs"] == ["daily_sales"]


def test_a_package_of_the_download_center_is_imported_by_its_download_path(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    names = cli.cwd / "names.txt"
    names.write_text("daily_sales\n", encoding="utf-8")
    download_id = cli.json("export", "--names-file", str(names), "-o", str(cli.cwd))["downloadId"]
    listed = cli("downloads", "list")
    assert listed.exit_code == 0, listed.output
    hint = re.search(r"jobferry import (download://\S+)/ID -w TARGET", listed.stdout)
    assert hint, listed.stdout
    path = f"{hint.group(1)}/{download_id}"
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    result = cli.json("import", path, "--yes", workspace=target)
    assert result["task"]["status"] == "SUCCESSFUL", result["task"]
    assert result["path"] == path  # sent as given: the server reads its own download center
    jobs = cli.remote.call("GET", "/jobs", workspace=target).json()
    assert [j["name"] for j in jobs["jobs"]] == ["daily_sales"]
