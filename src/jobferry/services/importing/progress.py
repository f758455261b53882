"""What an import's task says as it goes, a batch at a time (progress and message): the
objects its plan checked, then those its apply wrote. Said from inside the import's
transaction too, and written beside it (:meth:`~jobferry.services.tasks.TaskService.advance`,
at most every half second)."""

from __future__ import annotations

from jobferry.services.importing.delivery import Pacing
from jobferry.services.tasks import TaskService


def checking(tasks: TaskService, task_id: str, total: int, until: int, planned: int) -> None:
    """The plan checked ``planned`` of the package's ``total`` objects: from 30 % (where
    reading the package left the task) to ``until`` (a dry run's end, or the apply's start)."""
    planned = min(planned, total)
    done = 30 + (until - 30) * planned // max(total, 1)
    tasks.advance(task_id, done, f"Checked {planned:,} of {total:,} object(s).", often=True)


def writing(tasks: TaskService, task_id: str, pacing: Pacing, written: int, total: int) -> None:
    """The apply wrote ``written`` of the plan's ``total`` objects, through the progress and
    with the verb the workspace's delivery paces its writes with."""
    low, high = pacing.writes
    done = low + (high - low) * written // max(total, 1)
    message = f"{pacing.verb} {written:,} of {total:,} object(s)."
    tasks.advance(task_id, done, message, often=True)
