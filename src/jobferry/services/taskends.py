"""Waiting for a task to end (a long poll): ``GET …/system-tasks/{id}?wait=SECONDS`` answers as
soon as the task ends, or when the seconds are over, instead of the client asking again and
again and seeing the end up to its polling interval late.

The tasks this process runs say when they end (:class:`TaskEnds`, told by ``TaskService``
when it records an end; an end the database could not take, being away, waits in
:class:`UnrecordedEnds` for the next heartbeat); a task run by another process sharing the
database is looked at again every :data:`ELSEWHERE` seconds.

A waiting caller holds no thread while it waits (:func:`when_ended`): each look at the task
runs on a thread the caller gives (the database is never read on the event loop), and between
looks the caller awaits, on its event loop, an end recorded here or the time of its next look.
Callers waiting on the server's thread pool held its threads (40 by default) for up to
:data:`MAX_WAIT` seconds each, and every other call waited behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

MAX_WAIT = 10.0
"""The longest a caller may wait for a task's end in one call, in seconds."""
ELSEWHERE = 0.25
"""How often a waiting caller looks at its task again (one run by another process ends
unannounced here)."""

H = TypeVar("H")
OnThread = Callable[[Callable[[], H]], Awaitable[H]]
"""How a caller on an event loop runs a function on a thread and awaits its result (the
API's ``run_in_threadpool``)."""

DATABASE_LOST = (
    "The connection to the database was lost while this task ran; what it was writing was "
    "rolled back. Run it again."
)
"""A task's end when the database went away under it (written once it is back)."""


class UnrecordedEnds:
    """The ends of this process's tasks that the database could not take when they came (it
    was away): their messages by task id, until a transaction that reaches it writes them."""

    def __init__(self) -> None:
        self._ends: dict[str, str] = {}
        self._lock = threading.Lock()

    def keep(self, task_id: str, message: str) -> None:
        """Keep task ``task_id``'s end for later."""
        with self._lock:
            self._ends[task_id] = message

    def kept(self) -> dict[str, str]:
        """The ends kept so far (a copy: the caller writes them, then says :meth:`written`)."""
        with self._lock:
            return dict(self._ends)

    def written(self, ends: dict[str, str]) -> None:
        """``ends`` (from :meth:`kept`) are in the database now."""
        with self._lock:
            for task_id in ends:
                self._ends.pop(task_id, None)


class TaskEnds:
    """The ends of tasks recorded by this process, counted, for the callers waiting for one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._woken: list[Callable[[], None]] = []
        """What wakes each caller awaiting an end (:meth:`wait`), told once."""

    @property
    def count(self) -> int:
        """How many ends were recorded so far."""
        with self._lock:
            return self._count

    def ended(self) -> None:
        """A task's end was recorded (committed): wake the callers waiting (from any
        thread)."""
        with self._lock:
            self._count += 1
            woken, self._woken = self._woken, []
        for wake in woken:
            wake()

    async def wait(self, count: int, seconds: float) -> None:
        """Return once an end is recorded after ``count`` were, or after ``seconds``; awaited
        on the running event loop, no thread held."""
        ended = asyncio.Event()
        wake = partial(_wake, asyncio.get_running_loop(), ended)
        with self._lock:
            if self._count != count:
                return
            self._woken.append(wake)
        try:
            await asyncio.wait_for(ended.wait(), timeout=seconds)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                if wake in self._woken:
                    self._woken.remove(wake)

    def block(self, count: int, seconds: float) -> None:
        """As :meth:`wait`, on a thread of its own (one that follows another task to its
        end), holding that thread."""
        ended = threading.Event()
        with self._lock:
            if self._count != count:
                return
            self._woken.append(ended.set)
        try:
            ended.wait(seconds)
        finally:
            with self._lock:
                if ended.set in self._woken:
                    self._woken.remove(ended.set)


def _wake(loop: asyncio.AbstractEventLoop, ended: asyncio.Event) -> None:
    """Set ``ended`` on its loop, from any thread (nothing when the loop is closed: nobody
    waits on it any more, and the task's end is recorded all the same)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(ended.set)


async def when_ended(
    look: Callable[[], Awaitable[H]], done: Callable[[H], bool], ends: TaskEnds, seconds: float
) -> H:
    """``await look()`` (which reads on a thread) once ``done`` says the task it shows ended,
    or after ``seconds`` (at most :data:`MAX_WAIT`; 0: at once) what it shows then."""
    deadline = time.monotonic() + max(0.0, min(seconds, MAX_WAIT))
    while True:
        count = ends.count  # before looking: an end recorded meanwhile wakes the wait at once
        shown = await look()
        left = deadline - time.monotonic()
        if done(shown) or left <= 0:
            return shown
        await ends.wait(count, min(left, ELSEWHERE))
