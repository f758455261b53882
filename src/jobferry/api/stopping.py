"""A server process's stop, for the calls still running when it ends.

uvicorn stops taking calls on SIGTERM or Ctrl-C and waits ``JOBFERRY_SHUTDOWN_SECONDS``
(``timeout_graceful_shutdown``, set in ``server.py``) for those in progress; then it cancels
what still runs. A plain ``def`` route runs on a thread of the pool, which nothing in the
process can interrupt (a drift read of a large workspace, a read waiting on a lock in the
database): the request middleware answers such a call :func:`cut_by_stop` and the stop goes
on. On SIGTERM uvicorn then ends the process by that signal, leaving the cut calls' threads;
on Ctrl-C the interpreter would wait for them at its exit, however long they take, so
:meth:`Stop.leave_cut_calls` ends the process without them, :data:`LEAVE_SECONDS` after the
app's own shutdown (its tasks finished, its process unregistered).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from jobferry.api.wire import task_in_workspace
from jobferry.errors import ServerStoppingError
from jobferry.services.routes.running import Following

log = logging.getLogger("jobferry.server")

LEAVE_SECONDS = 1.0
"""How long after the app's shutdown the process may take to end on its own before it is ended
without the cut calls' threads (its ordinary end takes a few milliseconds)."""
STOPPED = 0
"""The exit status of a process so ended: an ordinary stop's after Ctrl-C (after SIGTERM the
process has ended by that signal first)."""


def cut_by_stop(method: str, seconds: int) -> ServerStoppingError:
    """What a call still running ``seconds`` after its server process began to stop is
    answered. A read changed nothing; a write's work, on a thread nothing can interrupt, may
    still have ended before the process did."""
    said = (
        f"The server process stopped before this call ended: a stopping process waits "
        f"JOBFERRY_SHUTDOWN_SECONDS ({seconds} s) for the calls in progress, then cuts them."
    )
    if method in ("GET", "HEAD"):
        return ServerStoppingError(
            f"{said} Nothing was changed.",
            fix="Send it again: another server process answers it, or this one once started again.",
            seconds=seconds,
        )
    return ServerStoppingError(
        f"{said} What it was changing may have been done before the process ended.",
        fix="Read what it changes before sending it again, once another server process (or "
        "this one, started again) answers.",
        seconds=seconds,
    )


ANSWER_IF_CUT = "answer_if_cut"
"""Where a call whose work goes on as a task keeps its :class:`AnswerIfCut` (its request's
state), for the request middleware to answer if its server's stop cuts the call."""


class AnswerIfCut:
    """A promotion's call, cut by its server's stop, answers the task its work goes on as
    (``202``, as past its budget) rather than that it may have been done: the stop runs the
    task to its end, and the client follows it."""

    def __init__(self, state: Any) -> None:
        self.body: dict[str, str] | None = None
        self.answered = False
        setattr(state, ANSWER_IF_CUT, self)

    def __call__(self, task: Following) -> None:
        self.body = task_in_workspace(task)

    def handed(self) -> bool:
        return self.answered


class Stop:
    """The calls a stopping server process cut (``seconds``: its shutdown time)."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self.cut = 0
        self.handed = 0
        """Calls cut that answered the task their work goes on as (:class:`AnswerIfCut`)."""

    def cut_call(self, method: str) -> ServerStoppingError:
        """Count a call cut, and say what it is answered."""
        self.cut += 1
        return cut_by_stop(method, self.seconds)

    def log_cut(self) -> None:
        """Once the app has shut down (its tasks ended): how many calls its stop cut, if any,
        in the log. uvicorn's own line calls them tasks, and operators read it as imports."""
        if self.cut or self.handed:
            log.warning(
                "this process's stop cut %d call(s) still running after "
                "JOBFERRY_SHUTDOWN_SECONDS (%d s) (uvicorn's 'Cancel … running task(s)'): %d "
                "answered 503 DLF.9071, %d the promotion task it goes on as; the jobferry "
                "tasks this process ran, imports and promotions, ran to their end",
                self.cut + self.handed,
                self.seconds,
                self.cut,
                self.handed,
            )

    def leave_cut_calls(self) -> None:
        """Once the app has shut down: when calls were cut, have the process end
        :data:`LEAVE_SECONDS` later if it has not ended by then (waiting for their threads)."""
        if self.cut:
            threading.Thread(target=self._end, name="jobferry-stop", daemon=True).start()

    def _end(self) -> None:
        time.sleep(LEAVE_SECONDS)
        log.warning(
            "ending the process without the %d call(s) its stop cut, still running on their "
            "threads",
            self.cut,
        )
        logging.shutdown()  # its handlers flushed: os._exit runs no clean-up
        os._exit(STOPPED)
