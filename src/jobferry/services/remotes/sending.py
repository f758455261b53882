"""One level of a push's calls sent, a few in flight, each journalled before it is sent.

The calls are journalled ``pending`` a window at a time (``width`` calls, one transaction) and
sent once written down, the next window while the last is in flight, so a level of 1,000
independent calls keeps ``width`` in flight and has at most twice that not yet ended in the
journal (what the recovery after kill -9 must read again). Their outcomes (``done``,
``refused``, ``failed``) are written down together: before the next window is journalled, once
``width`` have ended, after :data:`MARK_EVERY` seconds, or when a call failed; a ``done``
written late only leaves the call ``pending`` a little longer, which the undo treats as what may
have taken effect. Once a call fails for good, no more are sent: those still waiting for a free
slot are journalled ``refused`` (they were never sent, so took no effect), those in flight end,
and the level fails with its first failed call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

from jobferry.errors import RemoteError
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.writes import Step, outcome

MARK_EVERY = 0.25
"""Seconds at most between two writings down of outcomes while calls end."""
NOT_SENT = "Not sent: a call before it failed."


class Writes(Protocol):
    """What makes one call (:class:`~.writes.RemoteWrites`)."""

    def make(self, step: Step) -> str | None:
        """Make the call ``step``."""
        ...


class PushFailed(Exception):  # noqa: N818 - carried to the undo, never out of the push
    """A call failed for good (``on_its_way``: it was sent and no answer came, so it may still
    reach the remote and take effect)."""

    def __init__(self, step: Step, message: str, on_its_way: bool = False) -> None:
        super().__init__(message)
        self.step, self.message, self.on_its_way = step, message, on_its_way


Outcome = tuple[int, str, str | None]


@dataclass
class _Level:
    """The state of one level being sent."""

    pool: ThreadPoolExecutor
    steps: Sequence[Step]
    journal: Journal
    writes: Writes
    width: int
    sent: int = 0
    running: dict[Future[str | None], tuple[int, Step]] = field(default_factory=dict)
    ended: list[Outcome] = field(default_factory=list)
    failures: dict[int, PushFailed] = field(default_factory=dict)
    marked: float = field(default_factory=time.monotonic)

    def more(self) -> bool:
        return not self.failures and self.sent < len(self.steps)

    def send(self) -> None:
        """Journal the next window of calls, then send them."""
        window = self.steps[self.sent : self.sent + self.width]
        seqs = self.journal.pending(window)
        for seq, step in zip(seqs, window, strict=True):
            self.running[self.pool.submit(self.writes.make, step)] = (seq, step)
        self.sent += len(window)

    def collect(self) -> None:
        """Wait for a call to end (or a while); note how the ended ones went."""
        done, _ = wait(self.running, timeout=MARK_EVERY, return_when=FIRST_COMPLETED)
        for future in done:
            seq, step = self.running.pop(future)
            state, note = _outcome(future)
            self.ended.append((seq, state, note))
            if note is not None:
                self.failures[seq] = PushFailed(step, note, _on_its_way(future))
        if self.failures:
            self.stop()

    def stop(self) -> None:
        """Send nothing more: the calls still waiting for a slot are never sent."""
        for future, (seq, _) in list(self.running.items()):
            if future.cancel():
                del self.running[future]
                self.ended.append((seq, "refused", NOT_SENT))

    def mark(self, force: bool = False) -> None:
        """Write down the outcomes noted, when it is time."""
        due = (
            force
            or self.failures
            or not self.running
            or len(self.ended) >= self.width
            or time.monotonic() - self.marked >= MARK_EVERY
        )
        if self.ended and due:
            self.journal.marks(sorted(self.ended))
            self.ended, self.marked = [], time.monotonic()


def send_level(
    pool: ThreadPoolExecutor, steps: Sequence[Step], journal: Journal, writes: Writes, width: int
) -> list[str]:
    """Make one level's calls (independent of one another), ``width`` in flight; the changes
    made (raises :class:`PushFailed` with the first failed call once none is in flight)."""
    level = _Level(pool, steps, journal, writes, max(1, width))
    while level.running or level.more():
        if level.more() and len(level.running) <= level.width:
            level.mark(force=True)  # what ended so far: two windows at most stay open
            level.send()
        level.collect()
        level.mark()
    level.mark(force=True)
    if level.failures:
        first = level.failures[min(level.failures)]
        first.on_its_way = any(failed.on_its_way for failed in level.failures.values())
        raise first
    return [step.title() for step in steps]


def _on_its_way(future: Future[str | None]) -> bool:
    """Whether a failed call was sent and got no answer (it may still land)."""
    exc = future.exception()
    return isinstance(exc, RemoteError) and exc.on_its_way


def _outcome(future: Future[str | None]) -> tuple[str, str | None]:
    """How an ended call went: ``done`` (no note), or ``refused``/``failed`` and why."""
    try:
        future.result()
    except RemoteError as exc:
        return outcome(exc), exc.message
    except Exception as exc:  # a failure of ours: the call may have been made
        return "failed", repr(exc)
    return "done", None
