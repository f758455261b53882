"""Each object's line of an import's result (``services.importing.results``): DataArts'
subtask fields, and the lock the import passed over under the soft lock policy (``lockedBy``)
on the line of an object written or deleted over it, as the plan's line said."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import PlanAction, TaskStatus
from jobferry.services.importing.model import Record
from jobferry.services.importing.results import object_line, passed_lock, subtask


def record(action: PlanAction, **fields: Any) -> Record:
    """A job's record of ``action``."""
    none = dict.fromkeys(("text", "columns", "target", "refs", "diff", "schedule"))
    return Record("job", "a_job", "jobs/a_job.job", str(action), **none, problems=[], **fields)


def test_a_line_says_the_object_its_action_and_status_as_dataarts_subtasks_do() -> None:
    line = object_line("script", "a_sql", "CREATE", TaskStatus.SUCCESSFUL, "Created.", 7)
    assert line == {
        "id": "script:a_sql",
        "name": "Import the a_sql script.",
        "status": TaskStatus.SUCCESSFUL,
        "message": "Created.",
        "lastUpdate": 7,
        "kind": "script",
        "action": "CREATE",
    }


def test_a_lock_passed_over_is_said_on_the_lines_of_what_was_changed_only() -> None:
    for action in (PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE):
        over = record(action, locked_by="dana")
        assert subtask(over, TaskStatus.SUCCESSFUL, "Done.", 1)["lockedBy"] == "dana"
        assert passed_lock(over, TaskStatus.FAILED) == {}  # not changed: nothing passed over
    for action in (PlanAction.CREATE, PlanAction.SKIP, PlanAction.UNCHANGED):
        assert passed_lock(record(action, locked_by="dana"), TaskStatus.SUCCESSFUL) == {}
    assert "lockedBy" not in subtask(record(PlanAction.OVERWRITE), TaskStatus.SUCCESSFUL, "", 1)
