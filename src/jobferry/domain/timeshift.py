"""Moving a job's cron schedules to another time zone, explicitly, in one of two modes.

DataArts evaluates a cron expression in its ``expressionTimeZone`` and tells users to edit that
zone by hand when they move jobs between regions. jobferry does it for them:

``keepWallClock``
    The schedule keeps firing at the same local time, now read in the target zone: only
    ``expressionTimeZone`` changes (expression, startTime and endTime stay as written). When
    the target zone's daylight-saving changes skip or repeat the wall time of a firing (from the
    later of startTime and now, until endTime or for 400 days; a time without offset read in the
    target zone, as the moved schedule reads it), the move carries a ``note``
    naming the first such days and the fix, as keepInstant's does: the expression is not moved.
``keepInstant``
    The schedule keeps firing at the same absolute instants: minute, hour and, when the shift
    crosses midnight, day fields are rewritten; startTime/endTime are written as the same instants
    in the target zone's offset; ``expressionTimeZone`` becomes the target zone as given. A shift
    that one Quartz expression cannot express is refused with the field and the reason, never
    approximated.

Decisions (keepInstant):

* Only firings from now on matter: the window starts at the later of startTime and the move's
  ``now`` (a startTime in the past no longer makes a move about last spring's transition).
* With an endTime, the relative offset (target − source) must be constant over [start, endTime];
  a change inside is refused, naming its instant. Offsets are sampled daily and each change is
  bisected to the second. One exception: a zero shift between zones whose offsets change at the
  same instants to the same values (``Europe/Berlin`` → ``Europe/Paris``) is exact and only
  changes the zone text.
* Without an endTime (most schedules), the move keeps the instants until the first offset change
  within 400 days and says so: the shift in effect at the start is applied, and the shift
  carries a ``note`` naming the transition, which way and by how much the firings move from
  then on, and what to do (move again then, give an endTime, or keepWallClock). Refusing every
  open-ended schedule, as before, made keepInstant useless for any zone with daylight saving.
* Without a startTime and without ``now``, only two fixed-offset zones (``GMT+8``, ``UTC``)
  can be shifted.
* The firing times of one day are the set hours × minutes. Shifted, each lands at a new time of
  day and possibly on another day. When no day field restricts anything (day-of-month and
  day-of-week ``*``/``?``, month ``*``, no year field) the days are all alike and every time
  simply wraps modulo 24 hours. Otherwise every firing must move by the same number of days.
  Either way the new times must again form hours × minutes: a fractional shift (+08:00 → +05:30)
  with a minute list whose minutes carry into the next hour unevenly is refused.
* A day shift rotates a plain day-of-week set (``MON-FRI`` → ``SUN-THU``) and moves a plain
  day-of-month set within its month when every day is within 1–28 before and after the move
  (``2-10`` → ``1-9``, exact in every month). Refused: other day-of-month sets (day 1 would need
  "last day of the previous month"; day 29 moved to 28 would fire in every February, where it
  never fired outside leap years), ``L``/``W``/``#`` forms, a restricted month, and any year
  field, because a day shift can carry a firing across New Year (jobferry does not look for
  whether the range holds one).
* Rewritten sets are rendered sorted, runs collapsed (``1-5,22-23``); ``*`` for a full set; an
  arithmetic progression as ``a/step`` or ``a-b/step`` when that is shorter. A field whose set
  did not change keeps its text (``*/2`` hours shifted by 8 hours stays ``*/2``).
* startTime/endTime keep their style: ``+08`` → ``+09``, or ``+05:30`` when the offset has
  minutes; ``+08:00`` → ``+09:00``; ``+0800`` → ``+0900``; ``Z`` stays ``Z`` for an offset of
  zero and becomes the bare form otherwise; a time without offset (read in the expression's zone)
  is written as the target zone's wall time, again without offset.

Both modes: the source zone is the block's ``expressionTimeZone``, else the ``source_zone``
argument; with neither the shift is refused (previews need it). A block already in the target
zone text is returned unchanged without further checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from jobferry.domain.cronshift import ShiftError, shift_expression
from jobferry.domain.schedule import (
    QuartzCron,
    next_firings,
    parse_quartz,
    parse_schedule_time,
    parse_time_zone,
)
from jobferry.domain.zonechanges import first_change, wall_clock_note, window_start

OPEN_ENDED_DAYS = 400
# The offset that ends an aware ISO time: Z, +08, +08:00 (seconds allowed) or +0800.
_OFFSET_STYLE = re.compile(r"(?:(?P<z>[zZ])|[+-]\d{2}(?:(?P<colon>:)[\d:.]+|(?P<compact>\d{2}))?)$")


class ShiftMode(StrEnum):
    """How a schedule moves to another time zone."""

    KEEP_WALL_CLOCK = "keepWallClock"
    KEEP_INSTANT = "keepInstant"


@dataclass(frozen=True)
class CronSchedule:
    """One cron block of a job (``schedule.cron`` or a node's ``cronTrigger``), as text."""

    expression: str
    time_zone: str | None
    start_time: str | None
    end_time: str | None


# --- one schedule ------------------------------------------------------------------------------


def shift_schedule(
    schedule: CronSchedule,
    target_zone: str,
    mode: ShiftMode,
    *,
    source_zone: str | None = None,
    now: datetime | None = None,
) -> CronSchedule:
    """``schedule`` moved to ``target_zone`` in ``mode``; ``ShiftError`` says why it cannot be."""
    return _shift(schedule, target_zone, mode, source_zone, now)[0]


def _shift(
    schedule: CronSchedule,
    target_zone: str,
    mode: ShiftMode,
    source_zone: str | None,
    now: datetime | None,
) -> tuple[CronSchedule, str | None]:
    """The moved schedule and, for an open-ended keepInstant move across an offset change, the
    note saying from when the instants differ."""
    mode = _mode(mode)
    target = _zone(target_zone, "target zone")
    source_text = schedule.time_zone or source_zone
    if not source_text:
        raise ShiftError(
            "job has no expressionTimeZone; give the source zone (the zone its cron expression "
            "was written for), e.g. 'GMT+08:00' or 'Asia/Shanghai'"
        )
    if source_text == target_zone:
        return replace(schedule, time_zone=target_zone), None
    source = _zone(source_text, "expressionTimeZone" if schedule.time_zone else "source zone")
    cron = _parse(schedule.expression)
    start = _read_time(schedule.start_time, "startTime", source)
    end = _read_time(schedule.end_time, "endTime", source)
    if mode is ShiftMode.KEEP_WALL_CLOCK:
        # The times stay as written, so one without an offset is read in the new zone from
        # now on: the note's range is the moved schedule's.
        start = _read_time(schedule.start_time, "startTime", target)
        end = _read_time(schedule.end_time, "endTime", target)
        return replace(schedule, time_zone=target_zone), _wall_note(
            cron, target_zone, target, (start, end, now)
        )
    zones = ((source_text, source), (target_zone, target))
    delta, note = _relative_shift(zones, start, end, now)
    if delta == 0:
        return replace(schedule, time_zone=target_zone), note
    moved = CronSchedule(
        expression=shift_expression(schedule.expression, cron, delta, zones),
        time_zone=target_zone,
        start_time=_write_time(schedule.start_time, start, target),
        end_time=_write_time(schedule.end_time, end, target),
    )
    return moved, note


def preview_firings(
    schedule: CronSchedule, count: int, *, after: datetime | None = None
) -> list[datetime]:
    """The next ``count`` firings, aware in the schedule's zone, strictly after max(startTime,
    ``after``) and not after endTime; empty when the schedule has ended.

    A naive ``after`` is read in the schedule's zone. Raises ``ShiftError`` when the schedule has
    no zone, has neither startTime nor ``after``, or never fires.
    """
    if not schedule.time_zone:
        raise ShiftError("schedule has no expressionTimeZone; give one to preview its firings")
    zone = _zone(schedule.time_zone, "expressionTimeZone")
    _parse(schedule.expression)
    start = _read_time(schedule.start_time, "startTime", zone)
    end = _read_time(schedule.end_time, "endTime", zone)
    if after is not None and after.tzinfo is None:
        after = after.replace(tzinfo=zone)
    moments = [m for m in (start, after) if m is not None]
    if not moments:
        raise ShiftError("schedule has no startTime; give a time to preview its firings from")
    since = max(moments)
    if end is not None and since >= end:
        return []
    try:
        firings = next_firings(schedule.expression, schedule.time_zone, since, count)
    except ValueError as exc:
        raise ShiftError(str(exc)) from exc
    return [f for f in firings if end is None or f <= end]


def _mode(mode: str) -> ShiftMode:
    try:
        return ShiftMode(mode)
    except ValueError:
        raise ShiftError(
            f"shift mode {mode!r} is not known; use keepWallClock or keepInstant"
        ) from None


def _zone(text: str, what: str) -> tzinfo:
    try:
        return parse_time_zone(text)
    except ValueError as exc:
        raise ShiftError(f"{what}: {exc}") from exc


def _parse(expression: str) -> QuartzCron:
    try:
        return parse_quartz(expression)
    except ValueError as exc:
        raise ShiftError(f"expression: {exc}") from exc


def _read_time(text: str | None, key: str, zone: tzinfo) -> datetime | None:
    """The instant at ``text``; a time without offset is read in ``zone``."""
    if text is None:
        return None
    try:
        moment = parse_schedule_time(text)
    except ValueError as exc:
        raise ShiftError(f"{key}: {exc}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _write_time(text: str | None, moment: datetime | None, target: tzinfo) -> str | None:
    """``moment`` written in ``target``'s offset, in the style of ``text``."""
    if text is None or moment is None:
        return text
    text = text.strip()
    local = moment.astimezone(target)
    sep = text[10] if len(text) > 10 and text[10] in "T t" else "T"
    written = local.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if local.microsecond:
        written += f".{local.microsecond:06d}"
    if parse_schedule_time(text).tzinfo is None:
        return written
    return written + _offset_text(local.utcoffset() or timedelta(0), text)


def _offset_text(offset: timedelta, text: str) -> str:
    """``offset`` written as ``text`` writes its own: ``Z``, ``+08:00``, ``+0800`` or ``+08``."""
    style = _OFFSET_STYLE.search(text)
    if style and style["z"] and not offset:
        return "Z"
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
    if style and style["colon"]:
        return f"{sign}{hours:02d}:{minutes:02d}"
    if style and style["compact"]:
        return f"{sign}{hours:02d}{minutes:02d}"
    return f"{sign}{hours:02d}" if not minutes else f"{sign}{hours:02d}:{minutes:02d}"


# --- offsets -----------------------------------------------------------------------------------


def _wall_note(
    cron: QuartzCron,
    text: str,
    zone: tzinfo,
    window: tuple[datetime | None, datetime | None, datetime | None],
) -> str | None:
    """The note on a keepWallClock move whose firings a daylight-saving change of the target
    skips or repeats, from the later of startTime and now until endTime (or 400 days on)."""
    start, end, now = window
    moments = [m for m in (start, now) if m is not None]
    if not moments:
        return None
    begin = max(moments)
    stop = end if end is not None else begin + timedelta(days=OPEN_ENDED_DAYS)
    return wall_clock_note(cron, (text, zone), begin, stop)


def _relative_shift(
    zones: tuple[tuple[str, tzinfo], tuple[str, tzinfo]],
    start: datetime | None,
    end: datetime | None,
    now: datetime | None = None,
) -> tuple[int, str | None]:
    """Minutes to add to a source wall time to get the target wall time, and a note when an
    open-ended schedule keeps its instants only until an offset change (see the module)."""
    (source_text, source), (target_text, target) = zones
    begin = window_start(zones, start, now)
    stop = end if end is not None else begin + timedelta(days=OPEN_ENDED_DAYS)
    shift = (begin.astimezone(target).utcoffset() or timedelta(0)) - (
        begin.astimezone(source).utcoffset() or timedelta(0)
    )
    note = first_change(zones, begin, stop, end, shift)
    minutes, rest = divmod(shift, timedelta(minutes=1))
    if rest:
        raise ShiftError(
            f"the offsets of {source_text!r} and {target_text!r} differ by {shift}, which is not "
            f"a whole number of minutes; use keepWallClock"
        )
    return int(minutes), note


@dataclass(frozen=True)
class ScheduleShift:
    """One rewritten cron block of a job."""

    field: str
    mode: ShiftMode
    before: CronSchedule
    after: CronSchedule
    note: str | None = None

    def as_json(self, *, count: int = 5, after: datetime | None = None) -> dict[str, Any]:
        """The shift with both schedules and their next ``count`` firings, as JSON."""
        shown = self._json(
            _firings_json(self.before, count, after), _firings_json(self.after, count, after)
        )
        if self.note:
            shown["note"] = self.note
        return shown

    def as_json_without_firings(self) -> dict[str, Any]:
        """The shift as JSON with empty ``nextFirings`` and no note: how it is shown when its
        firings cannot be listed."""
        return self._json([], [])

    def _json(self, before: list[str], after: list[str]) -> dict[str, Any]:
        return {
            "field": self.field,
            "mode": self.mode.value,
            "before": _schedule_json(self.before, before),
            "after": _schedule_json(self.after, after),
        }


def _firings_json(schedule: CronSchedule, count: int, after: datetime | None) -> list[str]:
    return [f.isoformat() for f in preview_firings(schedule, count, after=after)]


def _schedule_json(schedule: CronSchedule, firings: list[str]) -> dict[str, Any]:
    return {
        "expression": schedule.expression,
        "timeZone": schedule.time_zone,
        "startTime": schedule.start_time,
        "endTime": schedule.end_time,
        "nextFirings": firings,
    }


@dataclass
class JobShift:
    """What ``shift_job`` did: the rewritten blocks and, per block left alone, why."""

    shifts: list[ScheduleShift]
    problems: list[tuple[str, str]]


def shift_job(
    document: dict[str, Any],
    target_zone: str,
    mode: ShiftMode,
    *,
    source_zone: str | None = None,
    now: datetime | None = None,
) -> JobShift:
    """Move every cron block of the job ``document`` to ``target_zone``, in place.

    A block that cannot be shifted is left untouched and reported in ``problems``; a block that
    does not change is not reported at all. Raises ``ShiftError`` for an unknown target zone.
    """
    _zone(target_zone, "target zone")
    mode = _mode(mode)
    result = JobShift(shifts=[], problems=[])
    for field, block in _cron_blocks(document):
        try:
            before = _read_block(block)
            after, note = _shift(before, target_zone, mode, source_zone, now)
        except ShiftError as exc:
            result.problems.append((field, str(exc)))
            continue
        if after == before:
            continue
        if before.time_zone is None:
            before = replace(before, time_zone=source_zone)
        for key, old, new in (
            ("expression", before.expression, after.expression),
            ("expressionTimeZone", None, after.time_zone),
            ("startTime", before.start_time, after.start_time),
            ("endTime", before.end_time, after.end_time),
        ):
            if new != old:
                block[key] = new
        result.shifts.append(ScheduleShift(field, mode, before, after, note))
    return result


def _cron_blocks(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    schedule = document.get("schedule")
    if (
        isinstance(schedule, dict)
        and schedule.get("type") == "CRON"
        and isinstance(schedule.get("cron"), dict)
    ):
        yield "schedule.cron", schedule["cron"]
    nodes = document.get("nodes")
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if isinstance(node, dict) and isinstance(node.get("cronTrigger"), dict):
            name = node.get("name")
            label = name if isinstance(name, str) and name else str(index)
            yield f"nodes[{label}].cronTrigger", node["cronTrigger"]


def _read_block(block: dict[str, Any]) -> CronSchedule:
    expression = block.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        raise ShiftError("cron block has no expression; write one, e.g. '0 30 2 * * ?'")
    return CronSchedule(
        expression,
        _block_text(block, "expressionTimeZone"),
        _block_text(block, "startTime"),
        _block_text(block, "endTime"),
    )


def _block_text(block: dict[str, Any], key: str) -> str | None:
    value = block.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ShiftError(f"{key} {value!r} is not text; write it as a string")
    return value
