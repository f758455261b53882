"""``jobferry jobs show`` says in which time zone a job's schedule runs, and from when to when,
so a reader in another zone than the workspace's does not have to guess."""

from __future__ import annotations

from typing import Any

from support.builders import make_job
from support.cli import Cli
from support.exporting import seed


def _fields(text: str) -> dict[str, str]:
    return {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if ":" in line
    }


def _post(cli: Cli, name: str, cron: dict[str, Any]) -> None:
    job = make_job(name, schedule={"type": "CRON", "cron": cron})
    assert cli.remote.call("POST", "/jobs", job, workspace=cli.workspace).status_code == 204


def test_jobs_show_names_the_schedules_zone_and_reads_times_without_offset_in_it(
    cli: Cli,
) -> None:
    _post(
        cli,
        "zoned",
        {
            "expression": "0 30 2 * * ?",
            "expressionTimeZone": "Asia/Shanghai",
            "startTime": "2025-01-01T00:00:00",
            "endTime": "2099-12-31T23:59:59+08",
        },
    )
    shown = _fields(cli("jobs", "show", "zoned").stdout)
    assert shown["cron"] == "0 30 2 * * ? in time zone Asia/Shanghai"
    assert shown["from"] == "2025-01-01T00:00:00 (Asia/Shanghai time)"
    assert shown["until"] == "2099-12-31T23:59:59+08"


def test_jobs_show_says_a_schedule_without_zone_runs_in_the_regions_zone(cli: Cli) -> None:
    _post(cli, "unzoned", {"expression": "0 30 2 * * ?", "startTime": "2025-01-01T00:00:00+08"})
    shown = _fields(cli("jobs", "show", "unzoned").stdout)
    assert shown["cron"] == (
        "0 30 2 * * ? with no time zone: DataArts reads it in its region's time zone"
    )
    assert shown["from"] == "2025-01-01T00:00:00+08"
    assert "until" not in shown


def test_renaming_a_scheduled_job_is_refused_naming_jobs_stop(cli: Cli) -> None:
    """The refusal says the fix with the command line's own command, never the API's call."""
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    assert cli.json("jobs", "start", "daily_sales") == {"started": "daily_sales"}
    refused = cli("jobs", "rename", "daily_sales", "sales_daily")
    assert refused.exit_code == 1
    assert "Job 'daily_sales' is scheduled" in refused.stderr, refused.stderr
    assert "jobferry jobs stop daily_sales" in refused.stderr, refused.stderr
    assert "POST" not in refused.stderr
    assert cli.json("jobs", "show", "daily_sales")["name"] == "daily_sales"
