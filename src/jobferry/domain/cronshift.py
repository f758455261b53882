"""Rewriting a Quartz cron expression so its firings keep their instants under a fixed shift
of minutes (the ``keepInstant`` mode of :mod:`jobferry.domain.timeshift`, whose docstring holds
the decisions): minute and hour fields, and the day fields when every firing crosses midnight
alike. What one expression cannot express is refused with the field and the reason.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo
from itertools import pairwise
from typing import Any

from croniter import croniter

from jobferry.domain.schedule import QuartzCron, to_croniter

_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # Quartz day-of-week 1..7


class ShiftError(ValueError):
    """A schedule cannot be moved as asked; the message says what, why and how to fix it."""


def clock_text(offset: timedelta | int) -> str:
    minutes = offset if isinstance(offset, int) else offset // timedelta(minutes=1)
    hours, rest = divmod(abs(minutes), 60)
    return f"{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"


def _values(expanded: list[Any], full: range) -> set[int] | None:
    """A croniter-expanded field as a set of numbers; ``None`` for ``L``."""
    if expanded == ["*"]:
        return set(full)
    if any(not isinstance(v, int) for v in expanded):
        return None
    return set(expanded)


def _render(values: set[int], full: range, names: tuple[str, ...] | None = None) -> str:
    """A sorted list with runs collapsed (``1-5,22-23``); ``*`` when full."""
    ordered = sorted(values)
    if ordered == list(full):
        return "*"
    runs: list[list[int]] = []
    for value in ordered:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])

    def label(value: int) -> str:
        return names[value - full.start] if names else str(value)

    listed = ",".join(label(a) if a == b else f"{label(a)}-{label(b)}" for a, b in runs)
    step = ordered[1] - ordered[0] if len(ordered) >= 3 else 0
    if names or step < 2 or any(b - a != step for a, b in pairwise(ordered)):
        return listed
    first, last = ordered[0], ordered[-1]
    stepped = f"{first}/{step}" if last + step > full[-1] else f"{first}-{last}/{step}"
    return stepped if len(stepped) < len(listed) else listed


def _restricted_days(cron: QuartzCron, expanded: list[list[Any]]) -> list[str]:
    """The day fields of ``cron`` that do not allow every day, described for messages."""
    dom, months, dows = expanded[2], expanded[3], expanded[4]
    found: list[str] = []
    if cron.day_of_month not in ("?", "*") and (
        any(c in cron.day_of_month for c in "LW") or _values(dom, range(1, 32)) != set(range(1, 32))
    ):
        found.append(f"day-of-month {cron.day_of_month!r}")
    if cron.day_of_week not in ("?", "*") and (
        any(c in cron.day_of_week for c in "L#") or _values(dows, range(7)) != set(range(7))
    ):
        found.append(f"day-of-week {cron.day_of_week!r}")
    if _values(months, range(1, 13)) != set(range(1, 13)):
        found.append(f"month {cron.month!r}")
    if cron.year not in (None, "*"):
        found.append(f"year {cron.year!r}")
    return found


def _counted(noun: str, values: set[int], full: range) -> str:
    """``hour 23`` or ``hours 1-5,22``."""
    return f"{noun}{'s' if len(values) > 1 else ''} {_render(values, full)}"


def _day_words(days: int) -> str:
    words = {0: "the same day", 1: "the next day", -1: "the previous day"}
    return words.get(days, f"{abs(days)} days {'later' if days > 0 else 'earlier'}")


def _hours_landing(hours: set[int], minutes: set[int], delta: int, days: int) -> set[int]:
    """The hours with a firing that the shift moves by ``days`` days."""
    return {h for h in hours for m in minutes if (h * 60 + m + delta) // 1440 == days}


def shift_expression(
    expression: str,
    cron: QuartzCron,
    delta: int,
    zones: tuple[tuple[str, tzinfo], tuple[str, tzinfo]],
) -> str:
    """``expression`` rewritten so its firings, read ``delta`` minutes later, are the same."""
    fields = expression.split()
    expanded, _ = croniter.expand(to_croniter(cron))
    minutes = _values(expanded[0], range(60)) or set()
    hours = _values(expanded[1], range(24)) or set()
    shift = f"the shift of {clock_text(delta)} ({zones[0][0]!r} → {zones[1][0]!r})"
    landing: dict[int, set[tuple[int, int]]] = {}
    for hour in hours:
        for minute in minutes:
            days, rest = divmod(hour * 60 + minute + delta, 24 * 60)
            landing.setdefault(days, set()).add(divmod(rest, 60))
    days, pairs = _landing_day(cron, expanded, landing, (hours, minutes, delta), shift)
    new_hours = {h for h, _ in pairs}
    new_minutes = {m for _, m in pairs}
    if len(pairs) != len(new_hours) * len(new_minutes):
        carry = {m for m in minutes if m + delta % 60 >= 60}
        raise ShiftError(
            f"expression minute field {cron.minutes!r}: under {shift} "
            f"{_counted('minute', carry, range(60))} carry into the next hour and "
            f"{_counted('minute', minutes - carry, range(60))} do not, so the hours would differ "
            f"per minute. "
            f"Use a single minute value, an hour field of '*', or keepWallClock"
        )
    if new_minutes != minutes:
        fields[1] = _render(new_minutes, range(60))
    if new_hours != hours:
        fields[2] = _render(new_hours, range(24))
    if days:
        _shift_days(fields, cron, expanded, days, shift)
    return " ".join(fields)


def _landing_day(
    cron: QuartzCron,
    expanded: list[list[Any]],
    landing: dict[int, set[tuple[int, int]]],
    clock: tuple[set[int], set[int], int],
    shift: str,
) -> tuple[int, set[tuple[int, int]]]:
    """The days every firing moves by and its new (hour, minute) pairs; refused when some
    firings cross midnight and others do not while the expression restricts the days."""
    restricted = _restricted_days(cron, expanded)
    if not restricted:
        return 0, {pair for moved in landing.values() for pair in moved}
    if len(landing) == 1:
        ((days, pairs),) = landing.items()
        return days, pairs
    hours, minutes, delta = clock
    groups = "; ".join(
        f"{_counted('hour', _hours_landing(hours, minutes, delta, d), range(24))} "
        f"land on {_day_words(d)}"
        for d in sorted(landing)
    )
    raise ShiftError(
        f"expression hour field {cron.hours!r}: under {shift} some firings cross midnight and "
        f"others do not ({groups}), while {' and '.join(restricted)} restricts the days, so "
        f"one expression cannot hold both. Split the schedule, drop the day restriction, or "
        f"use keepWallClock"
    )


def _shift_days(
    fields: list[str], cron: QuartzCron, expanded: list[list[Any]], days: int, shift: str
) -> None:
    """Rewrite the day fields in ``fields`` so every firing moves ``days`` days."""
    moves = f"{shift} moves every firing to {_day_words(days)}"
    if cron.day_of_month not in ("?", "*"):
        fields[3] = _moved_days_of_month(cron.day_of_month, expanded, days, moves)
        return
    _check_weekday_move(cron, expanded, moves)
    dow = cron.day_of_week
    weekdays = _values(expanded[4], range(7)) or set()
    names = _DAY_NAMES if any(c.isalpha() for c in dow) else None
    fields[5] = _render({(d + days) % 7 + 1 for d in weekdays}, range(1, 8), names)


def _moved_days_of_month(dom: str, expanded: list[list[Any]], days: int, moves: str) -> str:
    """The day-of-month field with every day ``days`` later (refused when one cannot be)."""
    values = _values(expanded[2], range(1, 32))
    if values is None or any(c in dom for c in "LW"):
        raise ShiftError(
            f"expression day-of-month {dom!r}: {moves}, and a 'L'/'W' day (last day, nearest "
            f"weekday) cannot move by a day. Use keepWallClock"
        )
    if min(values) + days < 1 or max(values) + days > 28:
        edge = min(values) if days < 0 else max(values)
        where = "the previous month" if days < 0 else "the next month in shorter months"
        raise ShiftError(
            f"expression day-of-month {dom!r}: {moves}, and day {edge} would move into "
            f"{where}, which a day-of-month field cannot express (only days that stay "
            f"within 1–28 can move). Use keepWallClock"
        )
    if max(values) > 28:
        # Moved back to day 28 (or less), day 29 would fire in every February, where it never
        # fired in a year without 29 February: the days must be within 1-28 before the move too.
        raise ShiftError(
            f"expression day-of-month {dom!r}: {moves}, and day {max(values)} is not in every "
            f"month (February), so day {max(values) + days} would fire in months where the "
            f"schedule never fired, which a day-of-month field cannot express (only days that "
            f"stay within 1–28 can move). Use keepWallClock"
        )
    return _render({v + days for v in values}, range(1, 32))


def _check_weekday_move(cron: QuartzCron, expanded: list[list[Any]], moves: str) -> None:
    """Refuse a day move the month, year or day-of-week field cannot follow."""
    if _values(expanded[3], range(1, 13)) != set(range(1, 13)):
        raise ShiftError(
            f"expression month {cron.month!r}: {moves}, so firings on a month's first or last "
            f"day would cross into a month the field does not list. Use keepWallClock"
        )
    if cron.year not in (None, "*"):
        raise ShiftError(
            f"expression year {cron.year!r}: {moves}, which can carry a firing across New Year "
            f"out of the listed years; jobferry does not shift days of a year-restricted "
            f"expression. Use keepWallClock"
        )
    dow = cron.day_of_week
    if any(c in dow for c in "L#"):
        raise ShiftError(
            f"expression day-of-week {dow!r}: {moves}, and a '#' or 'L' day (nth or last "
            f"weekday of the month) cannot move by a day. Use keepWallClock"
        )
