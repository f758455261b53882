"""DataArts cron expressions, time zones and schedule times.

DataArts writes Quartz-style expressions: ``sec min hour day-of-month month day-of-week [year]``
(e.g. ``0 30 2 * * ?``). Documented restrictions: seconds must be ``0``; day-of-week is 1–7 with
1 = Sunday (``SUN``..``SAT`` also accepted); ``?`` ("no specific value") in day-of-month or
day-of-week. Evaluation goes through croniter, whose 5-field syntax numbers weekdays 0–6 from
Sunday, so expressions are translated field by field and refused when they use a Quartz feature
that has no croniter equivalent (``LW``, ``L-3``) or a croniter extension Quartz lacks (``H``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, CroniterError, croniter

_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # Quartz 1..7
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_YEARS = range(1970, 2100)

# One list item of a plain field: *, n, a-b, with an optional /step; names allowed in month/dow.
_ITEM = re.compile(r"(?P<base>\*|\w+(?:-\w+)?)(?:/(?P<step>\d+))?")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.I
)
"""The date-time DataArts writes (``2018-10-22T23:59:59+08``): a calendar date and a time of
day, the offset optional."""
_GMT = re.compile(r"(?:GMT|UTC)(?:(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?", re.I)


@dataclass(frozen=True)
class QuartzCron:
    """A parsed Quartz expression, fields kept as written (upper-cased)."""

    seconds: str
    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str | None


def _items(field: str, what: str, names: tuple[str, ...] = ()) -> list[tuple[str, str | None]]:
    """Split a field into (base, step) items, checking only the syntax."""
    out: list[tuple[str, str | None]] = []
    for item in field.split(","):
        match = _ITEM.fullmatch(item)
        parts = match["base"].split("-") if match else []
        if not match or not all(p == "*" or p.isdigit() or p in names for p in parts):
            raise ValueError(
                f"{what} field {field!r} has {item!r}, which is not a number, range (a-b), "
                f"step (a/b, */b) or list (a,b)"
            )
        out.append((match["base"], match["step"]))
    return out


def _weekday_number(token: str) -> int:
    number = _WEEKDAYS.index(token) + 1 if token in _WEEKDAYS else int(token)
    if not 1 <= number <= 7:
        raise ValueError(f"day-of-week {token!r} is out of range; use 1–7 (1 = Sunday) or SUN–SAT")
    return number


def _day_of_week(field: str) -> str:
    """Quartz day-of-week (1 = Sunday) → croniter (0 = Sunday)."""
    if field in ("?", "*"):
        return "*"
    items: list[str] = []
    for item in field.split(","):
        special = re.fullmatch(r"(\w+)(#[1-5]|L)", item)
        if special:  # 6#3 = third Friday, 6L = last Friday
            day = _weekday_number(special[1]) - 1
            items.append(f"L{day}" if special[2] == "L" else f"{day}{special[2]}")
            continue
        for base, step in _items(item, "day-of-week", _WEEKDAYS):
            if base == "*":
                text = "*"
            else:
                ends = [_weekday_number(p) - 1 for p in base.split("-")]
                if len(ends) == 1 and step:
                    ends.append(6)  # Quartz a/b means from a to the end of the week
                text = "-".join(str(e) for e in ends)
            items.append(f"{text}/{step}" if step else text)
    return ",".join(items)


def _day_of_month(field: str) -> str:
    if field in ("?", "*"):
        return "*"
    if field == "L" or re.fullmatch(r"\d{1,2}W", field):
        return field
    if "L" in field or "W" in field:
        raise ValueError(
            f"day-of-month {field!r} uses a Quartz form jobferry cannot evaluate; "
            f"use a day number, a range, 'L' (last day) or 'nW' (nearest weekday)"
        )
    _items(field, "day-of-month")
    return field


def _plain(field: str, what: str, names: tuple[str, ...] = ()) -> str:
    _items(field, what, names)
    return field


def _year_set(field: str) -> set[int]:
    years: set[int] = set()
    for base, step in _items(field, "year"):
        bounds = (
            [_YEARS.start, _YEARS.stop - 1] if base == "*" else [int(p) for p in base.split("-")]
        )
        if len(bounds) == 1:
            bounds.append(_YEARS.stop - 1 if step else bounds[0])
        if not all(y in _YEARS for y in bounds) or bounds[0] > bounds[1]:
            raise ValueError(f"year field {field!r} is out of range; use years 1970–2099")
        years.update(range(bounds[0], bounds[1] + 1, int(step or 1)))
    return years


def to_croniter(cron: QuartzCron) -> str:
    """The 5-field croniter expression for ``cron`` (the year field is applied by the caller).

    Raises ``ValueError`` for a field croniter cannot express.
    """
    return " ".join(
        [
            _plain(cron.minutes, "minutes"),
            _plain(cron.hours, "hours"),
            _day_of_month(cron.day_of_month),
            _plain(cron.month, "month", _MONTHS),
            _day_of_week(cron.day_of_week),
        ]
    )


def parse_quartz(expression: str) -> QuartzCron:
    """Parse and fully check a DataArts (Quartz) cron expression.

    Raises ``ValueError`` whose message names the wrong field and says how to write it.
    """
    if not isinstance(expression, str):  # nor hashable, for the cache, when a list or object
        raise ValueError(f"cron expression {expression!r} is not text; write e.g. '0 30 2 * * ?'")
    return _parse_quartz(expression)


@lru_cache(maxsize=4096)
def _parse_quartz(expression: str) -> QuartzCron:
    if not expression.strip():
        raise ValueError("cron expression is empty; write 6 fields, e.g. '0 30 2 * * ?'")
    fields = expression.upper().split()
    if len(fields) not in (6, 7):
        raise ValueError(
            f"cron expression {expression!r} has {len(fields)} fields; DataArts uses 6 "
            f"(second minute hour day-of-month month day-of-week) plus an optional year, "
            f"e.g. '0 30 2 * * ?'"
        )
    seconds, minutes, hours, day_of_month, month, day_of_week = fields[:6]
    year = fields[6] if len(fields) == 7 else None
    cron = QuartzCron(seconds, minutes, hours, day_of_month, month, day_of_week, year)
    if not cron.seconds.isdigit() or int(cron.seconds) != 0:
        raise ValueError(f"cron expression {expression!r}: the seconds field must be 0")
    _check_day_fields(expression, cron.day_of_month, cron.day_of_week)
    if cron.year is not None:
        _year_set(cron.year)
    converted = to_croniter(cron)
    if not croniter.is_valid(converted):
        raise ValueError(f"cron expression {expression!r}: {_out_of_range(cron, converted)}")
    return cron


# The fields croniter checks, as their croniter expression orders them, with their ranges.
_RANGES = (
    ("minute", "0–59"),
    ("hour", "0–23"),
    ("day-of-month", "1–31"),
    ("month", "1–12 or JAN–DEC"),
    ("day-of-week", "1–7 (1 = Sunday) or SUN–SAT"),
)


def _out_of_range(cron: QuartzCron, converted: str) -> str:
    """Which field of ``cron`` croniter refused, and the range it takes."""
    fields = converted.split()
    written = (cron.minutes, cron.hours, cron.day_of_month, cron.month, cron.day_of_week)
    for at, (name, span) in enumerate(_RANGES):
        alone = " ".join(field if i == at else "*" for i, field in enumerate(fields))
        if not croniter.is_valid(alone):
            return f"the {name} field {written[at]!r} is out of range; use {span}"
    return "a value is out of range (minute 0–59, hour 0–23, day-of-month 1–31, month 1–12)"


def _check_day_fields(expression: str, dom: str, dow: str) -> None:
    """Quartz's rule of the two day fields: ``?`` (the whole field) in exactly one of them."""
    if dom == "?" and dow == "?":
        raise ValueError(
            f"cron expression {expression!r}: '?' may stand in only one of day-of-month and "
            f"day-of-week; put '*' or a value in the other"
        )
    if any("?" in field and field != "?" for field in (dom, dow)):
        raise ValueError(f"cron expression {expression!r}: '?' must be the whole field")
    if dom != "?" and dow != "?":  # Quartz refuses both, even as '*'
        said = "restricts both" if "*" not in (dom, dow) else "gives both"
        raise ValueError(
            f"cron expression {expression!r} {said} day-of-month and day-of-week; "
            f"put '?' in one of them, e.g. '0 30 2 * * ?'"
        )


def parse_time_zone(text: str) -> tzinfo:
    """A time zone from ``GMT+8``, ``GMT+08:00``, ``GMT-3:30``, ``UTC``, ``GMT`` or an IANA name.

    Raises ``ValueError`` for anything else.
    """
    if not isinstance(text, str):  # nor hashable, for the cache, when a list or object
        raise ValueError(
            f"time zone {text!r} is not text; use GMT±HH:MM (e.g. 'GMT+08:00') or an IANA name"
        )
    return _parse_time_zone(text)


@lru_cache(maxsize=1024)
def _parse_time_zone(text: str) -> tzinfo:
    text = text.strip()
    match = _GMT.fullmatch(text)
    if match:
        if not match["sign"]:
            return UTC
        hours, minutes = int(match["h"]), int(match["m"] or 0)
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise ValueError(
                f"time zone {text!r} is out of range; offsets go from -14:00 to +14:00"
            )
        sign = -1 if match["sign"] == "-" else 1
        offset = timedelta(hours=hours, minutes=minutes) * sign
        return timezone(offset, f"GMT{match['sign']}{hours:02d}:{minutes:02d}")
    try:
        if text and not text.startswith("/"):
            return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    raise _unknown_zone(text)


def _unknown_zone(text: str) -> ValueError:
    """The refusal of a zone no time zone has, naming the one probably meant."""
    near = close_zone(text)
    return ValueError(
        f"time zone {text!r} is not known; "
        + (f"did you mean {near!r}? Otherwise " if near else "")
        + "use GMT±HH:MM (e.g. 'GMT+08:00') or an IANA name (e.g. 'Asia/Shanghai')"
    )


@lru_cache(maxsize=1)
def _zone_names() -> tuple[tuple[str, ...], dict[str, str]]:
    names = tuple(sorted(available_timezones()))
    return names, {name.casefold(): name for name in names}


def close_zone(text: str) -> str | None:
    """The IANA zone ``text`` most likely meant (another case, a typo), if one is close."""
    names, folded = _zone_names()
    if text.casefold() in folded:
        return folded[text.casefold()]
    found = difflib.get_close_matches(text, names, n=1, cutoff=0.8)
    return found[0] if found else None


def parse_schedule_time(text: str) -> datetime:
    """Parse a schedule start/end time such as ``2018-10-22T23:59:59+08``.

    Offsets may be ``+08``, ``+08:00``, ``+0800`` or ``Z``; a date alone, a week or ordinal
    date or the basic form (``20240101T000000``) is refused. A time without an offset is returned
    naive: the caller interprets it in the expression's time zone. Raises ``ValueError``.
    """
    try:
        if not isinstance(text, str) or not _DATE_TIME.fullmatch(text.strip()):
            raise TypeError
        return datetime.fromisoformat(text.strip())
    except (TypeError, ValueError):
        raise ValueError(
            f"time {text!r} is not an ISO-8601 date-time; write e.g. '2024-01-01T00:00:00+08'"
        ) from None


def next_firings(expression: str, time_zone: str, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` firing times strictly after ``start``, aware in ``time_zone``.

    A naive ``start`` is read in ``time_zone``. Fewer times are returned when a year field ends
    the schedule; an expression that never fires (``0 0 0 30 2 ?``) raises ``ValueError``.
    """
    cron = parse_quartz(expression)
    zone = parse_time_zone(time_zone)
    years = sorted(_year_set(cron.year)) if cron.year is not None else None
    moment = start.astimezone(zone) if start.tzinfo else start.replace(tzinfo=zone)
    found: list[datetime] = []
    try:
        it = croniter(to_croniter(cron), moment)
        while len(found) < count:
            moment = it.get_next(datetime)
            if years is None or moment.year in years:
                found.append(moment)
                continue
            later = [y for y in years if y > moment.year]
            if not later:
                break
            # Jump straight to the next allowed year instead of stepping through the gap.
            it = croniter(
                to_croniter(cron), datetime(later[0] - 1, 12, 31, 23, 59, 59, tzinfo=zone)
            )
    except (CroniterBadDateError, CroniterError) as exc:
        if found:
            return found
        raise ValueError(f"cron expression {expression!r} never fires") from exc
    return found


def wall_firings(cron: QuartzCron, low: datetime, high: datetime) -> tuple[datetime, ...]:
    """The wall-clock times in [low, high) at which ``cron`` fires, all naive: read on a clock
    that shows every time of day once (the times a daylight-saving change skips or repeats).

    Cheap for the many schedules of an import: an expression whose hours miss the span is
    answered without croniter, and the rest are remembered per expression and span."""
    hours = _hours(cron)
    hour = low.replace(minute=0, second=0, microsecond=0)
    while hour < high and hour.hour not in hours:
        hour += timedelta(hours=1)
    return _wall_firings(cron, low, high) if hour < high else ()


@lru_cache(maxsize=256)
def _hours(cron: QuartzCron) -> frozenset[int]:
    expanded = croniter.expand(to_croniter(cron))[0][1]
    return frozenset(range(24) if expanded == ["*"] else expanded)


@lru_cache(maxsize=1024)
def _wall_firings(cron: QuartzCron, low: datetime, high: datetime) -> tuple[datetime, ...]:
    years = _year_set(cron.year) if cron.year is not None else None
    found: list[datetime] = []
    try:
        it = croniter(to_croniter(cron), low - timedelta(seconds=1))
        while (moment := it.get_next(datetime)) < high:
            if years is None or moment.year in years:
                found.append(moment)
    except (CroniterBadDateError, CroniterError):
        pass  # an expression that never fires again
    return tuple(found)
