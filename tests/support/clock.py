"""Clocks in tests: the UTC days a stretch of a test ran on, and a local zone other than UTC.

A test that expects "renamed … on 2026-11-25" must not fail because midnight (UTC) passed
between the rename and the assertion: ``during()`` notes the day before and after the stretch,
and ``dated()`` accepts the message spelled with any of those days in each of its places.
``local_zone()`` gives the process another local time zone, for what must not depend on it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import product


def today() -> str:
    """Today's UTC date, as the server writes it in its messages (ISO 8601)."""
    return datetime.now(UTC).date().isoformat()


@contextmanager
def during() -> Iterator[list[str]]:
    """The days the ``with`` block ran on: one, or two when it crossed midnight."""
    days = [today()]
    yield days
    if (last := today()) != days[0]:
        days.append(last)


def dated(template: str, days: list[str]) -> set[str]:
    """Every spelling of ``template`` with one of ``days`` in each ``{}`` (in order, so a later
    event is never dated before an earlier one)."""
    places = template.count("{}")
    return {
        template.format(*chosen)
        for chosen in product(days, repeat=places)
        if list(chosen) == sorted(chosen)
    }


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """The process's local time zone is ``name`` (an IANA name) inside the block."""
    was = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if was is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = was
        time.tzset()


class Clock:
    """The server's clock in a test (``services.context.now_ms`` and everything that reads
    it: tasks' times, the sweeps' moments), standing still until the test moves it."""

    def __init__(self, at_ms: int) -> None:
        self.now = at_ms
        """The moment the server reads, epoch ms."""

    def move(self, ms: int) -> int:
        """Move the clock ``ms`` on; the new moment."""
        self.now += ms
        return self.now

    def time_ns(self) -> int:
        """What ``time.time_ns`` answers the server while the clock holds."""
        return self.now * 1_000_000


@contextmanager
def held_clock(at_ms: int) -> Iterator[Clock]:
    """The server's clock held at ``at_ms`` inside the block, moved only by the test."""
    from jobferry.services import context  # the one reader of the time of day (now_ms)

    clock = Clock(at_ms)
    was = context.time
    context.time = clock  # type: ignore[assignment]
    try:
        yield clock
    finally:
        context.time = was
