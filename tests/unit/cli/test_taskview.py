"""How ``jobferry tasks show`` prints an import's rollback: when and by whom it was rolled back,
the rollback task undoing it now, or that it can no longer be (``JOBFERRY_ROLLBACK_DAYS``);
and what a rollback task undid."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.cli.output import Output
from jobferry.cli.tasks import status_text, task_text
from jobferry.cli.taskview import rolled_back_table, show_task

ENDED = 1_767_225_600_000  # 2026-01-01 00:00 UTC
DAY_MS = 24 * 3600 * 1000


def _shown(capsys: pytest.CaptureFixture[str], **fields: Any) -> str:
    task = {
        "id": "t1",
        "name": "Import the jobs from p.zip.",
        "kind": "import",
        "status": "SUCCESSFUL",
        "endTime": ENDED,
        **fields,
    }
    show_task(Output(json_mode=False), task)
    return capsys.readouterr().out


def test_an_import_past_the_rollback_days_says_it_can_no_longer_be_rolled_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    printed = _shown(capsys, rollbackExpired={"at": ENDED + 30 * DAY_MS, "keptDays": 30})
    line = next(line for line in printed.splitlines() if line.startswith("rollback"))
    assert "no longer possible: kept 30 day(s), dropped 2026-01-31" in line


def test_an_import_that_can_be_rolled_back_says_nothing_of_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "rollback" not in _shown(capsys)


def test_the_task_list_says_under_an_imports_status_whether_it_can_be_rolled_back() -> None:
    assert status_text({"status": "SUCCESSFUL"}) == "SUCCESSFUL"
    assert status_text({"status": "RUNNING", "progress": 40}) == "RUNNING 40%"
    undone = {"status": "SUCCESSFUL", "rolledBack": {"at": ENDED, "by": "alice"}}
    assert status_text(undone) == "SUCCESSFUL\nrolled back"
    expired = {"status": "WARNING", "rollbackExpired": {"at": ENDED, "keptDays": 30}}
    assert status_text(expired) == "WARNING\nrollback expired"
    rolling = {"status": "SUCCESSFUL", "rollingBack": {"taskId": "r1"}}
    assert status_text(rolling) == "SUCCESSFUL\nrolling back"


def test_an_import_being_rolled_back_names_the_rollback_task(
    capsys: pytest.CaptureFixture[str],
) -> None:
    printed = _shown(capsys, rollingBack={"taskId": "r1"})
    line = next(line for line in printed.splitlines() if line.startswith("rollback"))
    assert "running: task r1" in line


def test_a_rollback_task_lists_what_it_undid(capsys: pytest.CaptureFixture[str]) -> None:
    undone = [{"kind": "job", "name": "daily", "action": "RESTORED", "version": 3}]
    printed = _shown(capsys, kind="rollback", result={"taskId": "i1", "objects": undone})
    row = next(line for line in printed.splitlines() if "daily" in line)
    assert "RESTORED" in row
    assert "3" in row


def test_a_long_rollback_says_how_many_of_each_action_and_where_each_one_is_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    undone = [{"kind": "job", "name": f"j{n}", "action": "DELETED"} for n in range(40)]
    undone += [{"kind": "job", "name": "daily", "action": "RESTORED", "version": 3}]
    rolled_back_table(Output(json_mode=False), {"objects": undone}, "jobferry tasks show r1")
    printed = capsys.readouterr().out
    said = "41 object(s): 40 deleted, 1 restored; jobferry tasks show r1 lists each one."
    assert " ".join(printed.split()) == said
    partial = {"rolledBack": 20200, "taskId": "i1", "objects": undone}  # the first ones
    rolled_back_table(Output(json_mode=False), partial, "jobferry tasks show r1")
    said = (
        "20,200 object(s); jobferry tasks show r1 lists the first 41. Each of the 20,200: "
        "jobferry tasks show i1 lists every object the import changed."
    )
    assert " ".join(capsys.readouterr().out.split()) == said  # an older server: no counts
    counted = {**partial, "actions": {"DELETED": 20000, "RESTORED": 200}}
    rolled_back_table(Output(json_mode=False), counted, "jobferry tasks show r1")
    said = "20,200 object(s): 20,000 deleted, 200 restored; jobferry tasks show r1 lists the first"
    assert " ".join(capsys.readouterr().out.split()).startswith(said)
    show_task(Output(json_mode=False), {"id": "r1", "kind": "rollback", "result": counted})
    printed = " ".join(capsys.readouterr().out.split())
    assert "j39" in printed  # the task lists the first ones, and where each one is
    assert "Each of the 20,200: jobferry tasks show i1 lists every object" in printed
    rolled_back_table(Output(json_mode=False), {"objects": undone[:40]}, "jobferry tasks show r1")
    assert "j39" in capsys.readouterr().out  # a screenful: each one
    show_task(
        Output(json_mode=False), {"id": "r1", "kind": "rollback", "result": {"objects": undone}}
    )
    assert "daily" in capsys.readouterr().out  # the task lists every one


def test_a_task_failed_by_a_refusal_says_the_fix_in_the_cli_s_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Another operator changed the target between the plan shown and the confirmation.
    refused = {
        "status": "FAILED",
        "message": "The target changed since plan p1 was made. Review a new plan "
        "(POST /jobs/import/plan) and import with its planId.",
        "result": {
            "errorCode": "DLF.9015",
            "remedy": "plan_again",
            "problem": "The target changed since plan p1 was made.",
        },
    }
    printed = " ".join(_shown(capsys, **refused).split())
    assert "message: The target changed since plan p1 was made. Run the command again" in printed
    assert "POST" not in printed
    assert "planId" not in printed
    assert task_text(refused).endswith(
        "Run the command again: it makes a new plan, shows it and imports with it."
    )
    assert "Imported 3" in _shown(capsys, message="Imported 3 object(s).", result={})
