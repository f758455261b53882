"""When the command line sends a refused request again, and how long it waits first.

Only a refusal that says nothing of the request was done is sent again: a 503 ``DLF.9504``
(the server's database was busy: the write waited for a lock and was not made) or ``DLF.9505``
(the server's object storage did not answer) that says when to try again (``Retry-After``),
and a 429 (the endpoint throttles: the request was not taken). Each is waited for as the
answer asks (a 429 without a time: :data:`THROTTLED_WAIT_SECONDS`), at most
:data:`MAX_RETRIES` times and :data:`MAX_WAITED_SECONDS` in all for one request; a wait that
would go past that budget is not begun, and the refusal is the command's answer. Every other
answer, and a request that got no answer at all (it may have been done), is never sent again
by itself. The client signs each attempt anew: a signature carries its time, and the server
may have used the first one up (its replay record)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

MAX_RETRIES = 5
"""Times one request is sent again at the most."""
MAX_WAITED_SECONDS = 60.0
"""Seconds one request waits in all, across its retries, at the most."""
THROTTLED_WAIT_SECONDS = 2.0
"""The wait after a 429 that does not say how long."""

WHY = {
    "DLF.9504": "the server's database is busy",
    "DLF.9505": "the server's object storage does not answer",
}
"""Why the server refused, for each code that is retried."""


def asked_wait(status: int, code: str, retry_after: str | None) -> float | None:
    """Seconds the refusal asks to wait before the same request is sent again; ``None``: it
    is not to be sent again (it may have been done, or waiting would not help)."""
    seconds = _seconds(retry_after)
    if status == 429:
        return THROTTLED_WAIT_SECONDS if seconds is None else seconds
    if status == 503 and code in WHY:
        return seconds
    return None


def _seconds(value: str | None) -> float | None:
    """A ``Retry-After`` given in seconds, at least one (a date is not read)."""
    if value is None or not value.strip().isdigit():
        return None
    return max(float(value.strip()), 1.0)


@dataclass
class Retries:
    """The retries of one request so far."""

    done: int = 0
    waited: float = 0.0

    def pause(self, status: int, code: str, retry_after: str | None) -> float | None:
        """Seconds to wait before this refused request is sent again (counted as a retry);
        ``None``: the refusal stands (not retryable, or the budget is spent)."""
        wait = asked_wait(status, code, retry_after)
        if wait is None or self.done >= MAX_RETRIES or self.waited + wait > MAX_WAITED_SECONDS:
            return None
        self.done += 1
        self.waited += wait
        return wait

    def line(self, status: int, code: str, wait: float) -> str:
        """The one line said on standard error before waiting ``wait`` seconds."""
        why = WHY.get(code, "the endpoint is throttling requests")
        said = code if status != 429 or code.startswith("HTTP") else f"HTTP 429, {code}"
        return (
            f"Waiting {wait:g} s, then sending the request again (retry {self.done} of "
            f"{self.most(wait)}): {why} ({said}), and nothing of the request was done."
        )

    def most(self, wait: float) -> int:
        """How many retries this request gets at the most if each asks ``wait`` seconds: the
        budget of :data:`MAX_WAITED_SECONDS` may leave fewer than :data:`MAX_RETRIES` (a store
        asking a minute's wait gets one, not "1 of 5")."""
        left = int((MAX_WAITED_SECONDS - self.waited) // wait) if wait > 0 else MAX_RETRIES
        return self.done + max(0, min(MAX_RETRIES - self.done, left))


def connection_lost(cause: BaseException | None) -> bool:
    """Whether a request failed for want of a connection (refused, reset before an answer: a
    server stopped or restarting, a worker process replaced), not waiting for its answer: only
    a read, such as a look at a task, is then asked again."""
    return isinstance(cause, requests.ConnectionError) and not isinstance(cause, requests.Timeout)
