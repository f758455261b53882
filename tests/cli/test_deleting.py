"""``jobferry jobs delete`` and ``jobferry scripts delete``: the API's own delete, asked first,
refused (said with jobferry's commands, nothing deleted) while a job is scheduled, other jobs
depend on it, or jobs use the script; a delete (or ``jobs rename``) that another user's lock
did not stop, under the soft lock policy, warns naming the lock's holder."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.cli import terminal
from support.builders import make_job
from support.cli import Cli, member
from support.exporting import seed


def _exists(cli: Cli, kind: str, name: str) -> bool:
    answer = cli.remote.call("GET", f"/{kind}s/{name}", workspace=cli.workspace)
    return answer.status_code == 200


def test_a_script_in_use_is_refused_then_deleted_with_its_job(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    refused = cli("scripts", "delete", "daily_sales_sql", "--yes")
    assert refused.exit_code == 1
    assert "Script 'daily_sales_sql' is used by job(s) daily_sales" in refused.stderr
    assert "Nothing was deleted." in refused.stderr
    assert _exists(cli, "script", "daily_sales_sql")

    deleted = cli.json("jobs", "delete", "daily_sales", "--yes")
    assert deleted == {"deleted": "daily_sales", "kind": "job"}
    assert not _exists(cli, "job", "daily_sales")
    human = cli("scripts", "delete", "daily_sales_sql", "--yes")
    assert human.exit_code == 0, human.output
    assert "Deleted script 'daily_sales_sql' from workspace" in human.stdout
    assert not _exists(cli, "script", "daily_sales_sql")


def test_a_scheduled_job_and_an_upstream_job_are_refused_naming_the_fix(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    after = make_job("after_sales", targetStatus="SUBMITTED")
    after["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["daily_sales"],
        "dependPeriod": "SAME_PERIOD",
        "dependFailPolicy": "FAIL",
    }
    assert cli.remote.call("POST", "/jobs", after, workspace=cli.workspace).status_code == 204
    upstream = cli("jobs", "delete", "daily_sales", "--yes")
    assert upstream.exit_code == 1
    assert "Job 'daily_sales' is an upstream job of after_sales" in upstream.stderr
    assert "dependJobs" not in upstream.stderr

    started = cli.remote.call("POST", "/jobs/after_sales/start", {}, workspace=cli.workspace)
    assert started.status_code == 204, started.text
    scheduled = cli("jobs", "delete", "after_sales", "--yes")
    assert scheduled.exit_code == 1
    assert "Job 'after_sales' is scheduled" in scheduled.stderr
    # the context's own workspace: the fix names none (docs/cli.md)
    assert "jobferry jobs stop after_sales — then" in " ".join(scheduled.stderr.split())
    assert "POST" not in scheduled.stderr
    assert _exists(cli, "job", "after_sales")
    assert _exists(cli, "job", "daily_sales")


def test_delete_asks_first_and_needs_yes_without_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    refused = cli("jobs", "delete", "daily_sales")
    assert refused.exit_code == 2
    assert "pass --yes to delete without asking" in refused.stderr
    assert _exists(cli, "job", "daily_sales")
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("jobs", "delete", "daily_sales", input="n\n")
    assert declined.exit_code == 1
    assert "Delete job 'daily_sales' from workspace" in declined.stderr
    assert "Cancelled; nothing was deleted." in declined.stdout
    assert _exists(cli, "job", "daily_sales")
    accepted = cli("jobs", "delete", "daily_sales", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert not _exists(cli, "job", "daily_sales")
    missing = cli("jobs", "delete", "no_such_job", "--yes")
    assert missing.exit_code == 1
    assert "DLF.0100" in missing.stderr


def test_jobs_depending_by_their_submitted_version_alone_are_named(cli: Cli) -> None:
    """A dependent whose saved definition no longer names the job (it was renamed, another job
    took its old name) but whose submitted version does: the refusal names it and says to
    submit it again, never an empty list of jobs."""
    seed(cli.remote, ("daily_sales", "other"), workspace=cli.workspace)
    after = make_job("after_sales")
    after["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_sales"]}
    assert cli.remote.call("POST", "/jobs", after, workspace=cli.workspace).status_code == 204
    assert cli.json("jobs", "rename", "daily_sales", "sales_daily")["name"] == "sales_daily"
    assert cli.json("jobs", "rename", "other", "daily_sales")["name"] == "daily_sales"
    refused = cli("jobs", "delete", "daily_sales", "--yes")
    assert refused.exit_code == 1
    assert "submitted version of after_sales" in refused.stderr, refused.stderr
    assert "submit those jobs again" in refused.stderr, refused.stderr
    assert _exists(cli, "job", "daily_sales")


def test_a_script_a_submitted_version_alone_uses_is_named(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    saved = make_job("daily_sales", targetStatus="SAVED")
    saved["nodes"] = saved["nodes"][1:]
    saved["nodes"][0]["preNodeName"] = []
    answer = cli.remote.call("PUT", "/jobs/daily_sales", saved, workspace=cli.workspace)
    assert answer.status_code == 204, answer.text
    refused = cli("scripts", "delete", "daily_sales_sql", "--yes")
    assert refused.exit_code == 1
    assert "submitted version of job(s) daily_sales" in refused.stderr, refused.stderr
    assert "used by job(s) :" not in refused.stderr
    assert _exists(cli, "script", "daily_sales_sql")


def test_a_rename_or_delete_another_user_s_lock_let_through_is_said_with_a_warning(
    cli: Cli, tmp_path: Path
) -> None:
    # The workspace's soft lock policy only warns: the command warns, naming the lock's holder.
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    for kind, name in (("job", "daily_sales"), ("script", "daily_sales_sql")):
        locked = cli.remote.call("POST", f"/locks/{kind}/{name}", workspace=cli.workspace)
        assert locked.status_code == 200, locked.text
    holder = locked.json()["holder"]
    dev = member(cli, "developer", tmp_path / "dev.toml")

    renamed = dev("jobs", "rename", "daily_sales", "nightly_sales")
    assert renamed.exit_code == 0, renamed.output
    assert "Renamed job 'daily_sales' to 'nightly_sales'" in renamed.stdout
    warning = " ".join(renamed.stderr.split())
    assert (
        f"warning Job 'daily_sales' or a job depending on it that the rename rewrote is locked by "
        f"{holder}; this workspace's locks only warn, so it was renamed anyway."
    ) in warning
    deleted = dev.json("jobs", "delete", "nightly_sales", "--yes")
    assert deleted == {"deleted": "nightly_sales", "kind": "job", "lockedBy": holder}
    own = cli("scripts", "delete", "daily_sales_sql", "--yes")  # the holder's own delete
    assert own.exit_code == 0, own.output
    assert "locked" not in own.stderr


def test_a_rename_names_the_holders_of_the_jobs_it_rewrote_over_their_locks(
    cli: Cli, tmp_path: Path
) -> None:
    # The warning named only the renamed job's own holder: a job depending on it, rewritten
    # over another user's lock, went unsaid.
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    weekly = make_job("weekly_sales")
    weekly["nodes"] = weekly["nodes"][:1]
    weekly["nodes"][0]["properties"][0]["value"] = "daily_sales_sql"
    weekly["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["daily_sales"],
        "dependPeriod": "SAME_PERIOD",
    }
    made = cli.remote.call("POST", "/jobs", weekly, workspace=cli.workspace)
    assert made.status_code == 204, made.text
    locked = cli.remote.call("POST", "/locks/job/weekly_sales", workspace=cli.workspace)
    assert locked.status_code == 200, locked.text
    holder = locked.json()["holder"]
    dev = member(cli, "developer", tmp_path / "dev.toml")

    renamed = dev("jobs", "rename", "daily_sales", "nightly_sales")

    assert renamed.exit_code == 0, renamed.output
    assert (
        f"warning Job 'daily_sales' or a job depending on it that the rename rewrote is locked by "
        f"{holder}; this workspace's locks only warn, so it was renamed anyway."
    ) in " ".join(renamed.stderr.split())
    _lock_as(cli, "dana", "nightly_sales")
    back = dev.json("jobs", "rename", "nightly_sales", "daily_sales")
    assert back == {
        "renamed": "nightly_sales",
        "name": "daily_sales",
        "lockedBy": f"dana, {holder}",
    }


def _lock_as(cli: Cli, user: str, job: str) -> None:
    """A developer ``user`` of the CLI's workspace, made, locks ``job``."""
    remote = cli.remote
    assert remote.call("POST", "/users", {"name": user}).status_code == 200
    keys = remote.call("POST", f"/users/{user}/credentials").json()
    role = remote.call("PUT", f"/users/{user}/roles/{cli.workspace}", {"role": "developer"})
    assert role.status_code == 204, role.text
    ak, sk = keys["accessKey"], keys["secretKey"]
    locked = cli.server.call("POST", f"/locks/job/{job}", workspace=cli.workspace, ak=ak, sk=sk)
    assert locked.status_code == 200, locked.text
