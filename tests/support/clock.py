"""The UTC days a stretch of a test ran on, for messages that name the day something happened.

A test that expects "renamed … on 2026-11-25" must not fail because midnight (UTC) passed
between the rename and the assertion: ``during()`` notes the day before and after the stretch,
and ``dated()`` accepts the message spelled with any of those days in each of its places.
"""

from __future__ import annotations

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
