"""Waiting for a task to end (a long poll): ``GET …/system-tasks/{id}?wait=SECONDS`` answers as
soon as the task ends, or when the seconds are over, instead of the client asking again and
again and seeing the end up to its polling interval late.

The tasks this process runs say when they end (:class:`TaskEnds`, told by ``TaskService``
when it records an end); a task run by another process sharing the database is looked at
again every :data:`ELSEWHERE` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

MAX_WAIT = 10.0
"""The longest a caller may wait for a task's end in one call, in seconds."""
ELSEWHERE = 0.25
"""How often a waiting caller looks at its task again (one run by another process ends
unannounced here)."""

H = TypeVar("H")


class TaskEnds:
    """The ends of tasks recorded by this process, counted, for the callers waiting for one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0

    @property
    def count(self) -> int:
        """How many ends were recorded so far."""
        with self._changed:
            return self._count

    def ended(self) -> None:
        """A task's end was recorded (committed): wake the callers waiting."""
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait(self, count: int, seconds: float) -> None:
        """Return once an end is recorded after ``count`` were, or after ``seconds``."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != count, timeout=seconds)


def when_ended(
    look: Callable[[], H], done: Callable[[H], bool], ends: TaskEnds, seconds: float
) -> H:
    """``look()`` once ``done`` says the task it shows ended, or after ``seconds`` (at most
    :data:`MAX_WAIT`; 0: at once) what it shows then."""
    deadline = time.monotonic() + max(0.0, min(seconds, MAX_WAIT))
    while True:
        count = ends.count  # before looking: an end recorded meanwhile wakes the wait at once
        shown = look()
        left = deadline - time.monotonic()
        if done(shown) or left <= 0:
            return shown
        ends.wait(count, min(left, ELSEWHERE))
