"""How an import ends (``cli/asking.py``): the last line offers a rollback only for an import
that kept what it wrote; a failed import (a push into a remote that failed was undone) kept
nothing a rollback could undo, whatever its subtasks say."""

from __future__ import annotations

from typing import Any

from jobferry.cli.asking import last_line, written
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
