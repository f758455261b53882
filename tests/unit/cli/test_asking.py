"""How an import ends (``cli/asking.py``): the last line offers a rollback only for an import
that kept what it wrote; a failed import (a push into a remote that failed was undone) kept
nothing a rollback could undo, whatever its subtasks say."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.cli import asking
from jobferry.cli.asking import last_line, rollback_question, written
from jobferry.cli.session import Session

OVERWROTE = {"id": "job:a", "status": "SUCCESSFUL", "action": "OVERWRITE", "message": "."}


def _task(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "t1", "status": status, "subtasks": [OVERWROTE], **fields}


def test_a_finished_import_counts_what_it_wrote() -> None:
    assert written(_task("SUCCESSFUL")) == (0, 1)
    assert written(_task("WARNING")) == (0, 1)


def test_a_failed_import_kept_nothing_and_offers_no_rollback() -> None:
    task = _task("FAILED")
    assert written(task) == (0, 0)
    assert last_line(Session(workspace="prod"), task) == (
        "Task t1: nothing was kept, nothing to roll back."
    )


def test_a_failed_push_whose_undo_left_changes_says_so_without_a_rollback() -> None:
    stuck = {"object": "job 'a'", "reason": "refused", "fix": "put it back"}
    task = _task("FAILED", result={"push": {"undone": [], "notUndone": [stuck]}})
    said = last_line(Session(workspace="prod"), task)
    assert said == "Task t1: nothing to roll back; what the remote kept is said above."


def test_the_rollback_question_counts_what_the_server_says_the_rollback_would_undo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(asking, "_where", lambda s: "workspace prod")
    foreseen = {"actions": {"DELETED": 2, "RESTORED": 5, "RENAMED": 1, "RECREATED": 3}}
    question = rollback_question(Session(workspace="prod"), "t1", _task("SUCCESSFUL"), foreseen)
    assert question == (
        "Roll back import t1 in workspace prod: delete the 2 object(s) it created and restore "
        "the 5 it overwrote, rename back the 1 it renamed, recreate the 3 it deleted?"
    )
    from_task = rollback_question(Session(workspace="prod"), "t1", _task("SUCCESSFUL"))
    assert from_task.endswith("delete the 0 object(s) it created and restore the 1 it overwrote?")
