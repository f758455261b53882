"""How a remote call that failed for a passing reason is sent again: after which waits, how
many times, and for how long a throttled one (HTTP 429) is waited out."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """How a call is sent again (a read that failed for a passing reason, any call answered
    429): ``attempts`` in all, waiting ``first`` seconds, then doubling, never more than
    ``longest`` (or a ``Retry-After`` the remote asks for: :meth:`wait`). A throttled call
    (429: nothing was done) is sent again past ``attempts`` until ``throttled`` seconds were
    waited for it: a busy DataArts' flow control is waited out rather than failing a refresh,
    or a push that would then be undone."""

    attempts: int = 4
    first: float = 0.2
    longest: float = 5.0
    throttled: float = 0.0
    most: int = 50
    """Attempts of a throttled call at the most, however short its waits (``Retry-After: 0``)."""
    jitter: bool = False
    """Each wait a random half to whole of itself, so that calls throttled together (a
    refresh's 16 lists) are not sent again together."""

    def wait(self, attempt: int, retry_after: str | None, throttled: bool = False) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based); a ``Retry-After`` is
        waited as asked up to ``longest``, or up to the whole budget for a ``throttled`` call
        (a gateway saying 20 s is not asked again every 5 s)."""
        if retry_after and retry_after.strip().isdigit():
            cap = max(self.longest, self.throttled) if throttled else self.longest
            return min(float(retry_after.strip()), cap)
        pause = min(self.first * 2.0 ** (attempt - 1), self.longest)
        return pause * (0.5 + random.random() / 2) if self.jitter else pause

    def again(self, attempt: int, waited: float, pause: float, throttled: bool) -> bool:
        """Whether to send a call again after ``attempt`` attempts and ``waited`` seconds of
        waiting, the next wait being ``pause``."""
        if attempt < self.attempts:
            return True
        budget = self.throttled if throttled else 0.0
        return budget > 0 and attempt < self.most and waited + pause <= budget
