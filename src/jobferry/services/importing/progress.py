"""What an import's task says as it goes, a batch at a time (progress and message): how far
bringing its workspace up to date got, the objects its plan checked, whether a kept plan's
working set is applied as it was made, then the objects its apply wrote. Said from inside the
import's transaction too, and written beside it
(:meth:`~jobferry.services.tasks.TaskService.advance`, at most every half second)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from jobferry.services.importing.delivery import Pacing, Told
from jobferry.services.tasks import TaskService

CAUGHT_UP = 50
"""How far (%) a task that first brought its workspace up to date got once it did: a remote's
shadow refreshed from its remote (minutes at tens of thousands of jobs) says how far its read
got up to here, the plan or import after it says the rest."""


@contextmanager
def catching_up(tasks: TaskService, task_id: str) -> Iterator[Told]:
    """How the task says how far bringing its workspace up to date got (the refresh's 0–100
    said from 2 % to :data:`CAUGHT_UP`); once it did, what the task says next goes on from
    there."""
    tasks.advance(task_id, 2, "Bringing the workspace up to date.")

    def said(done: int, message: str, often: bool) -> None:
        done = 2 + (CAUGHT_UP - 2) * min(max(done, 0), 100) // 100
        tasks.advance(task_id, done, message, often=often)

    yield said
    tasks.progress.rest_from(task_id, CAUGHT_UP)


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


def applying(plan_id: str, kept: bool) -> str:
    """The task's progress once it knows whether the plan's working set is kept here."""
    if kept:
        return f"Applying plan {plan_id} as it was made, once the target reads as it did."
    return f"Plan {plan_id}'s working set is not kept here: planning again, to compare with it."
