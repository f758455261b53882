"""Offset changes of time zones over a schedule's range, for time-zone moves (see
``domain/timeshift.py`` for the decisions): where they are, what a keepInstant move across one
means, and which firings of a keepWallClock move one skips or repeats."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from jobferry.domain.cronshift import ShiftError, clock_text
from jobferry.domain.schedule import QuartzCron, wall_firings

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Change:
    """A zone's UTC offset changing at ``instant``."""

    instant: datetime
    before: timedelta
    after: timedelta
    dst: bool


def offset_at(zone: tzinfo, seconds: int) -> timedelta:
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset() or timedelta(0)


def offset_changes(zone: tzinfo, start: datetime, stop: datetime) -> tuple[Change, ...]:
    """Every offset change of ``zone`` in [start, stop], sampled daily, bisected to the second.

    Remembered per zone and window: the moves of one import share their window (from the
    plan's now on, for every schedule that started before it), so a zone's changes are found
    once per plan, not once per job (1.2 ms each)."""
    if isinstance(zone, timezone):
        return ()
    return _offset_changes(zone, math.floor(start.timestamp()), math.ceil(stop.timestamp()))


@lru_cache(maxsize=256)
def _offset_changes(zone: tzinfo, low: int, end: int) -> tuple[Change, ...]:
    changes: list[Change] = []
    offset = offset_at(zone, low)
    while low < end:
        high = min(low + DAY_SECONDS, end)
        if offset_at(zone, high) == offset:
            low = high
            continue
        while high - low > 1:
            middle = (low + high) // 2
            if offset_at(zone, middle) == offset:
                low = middle
            else:
                high = middle
        instant = datetime.fromtimestamp(high, UTC)
        new = offset_at(zone, high)
        dst = any(zone.dst(m.astimezone(zone)) for m in (instant - timedelta(seconds=1), instant))
        changes.append(Change(instant, offset, new, dst))
        offset, low = new, high
    return tuple(changes)


def window_start(
    zones: tuple[tuple[str, tzinfo], tuple[str, tzinfo]],
    start: datetime | None,
    now: datetime | None,
) -> datetime:
    """Where the offsets start to matter: the later of startTime and now (firings before now
    are history)."""
    (source_text, source), (target_text, target) = zones
    if start is None and now is None:
        if not (isinstance(source, timezone) and isinstance(target, timezone)):
            raise ShiftError(
                f"startTime is missing; keepInstant needs it to check that the offsets of "
                f"{source_text!r} and {target_text!r} stay constant. Set a startTime or use "
                f"keepWallClock"
            )
        return datetime(2000, 1, 1, tzinfo=UTC)
    return max(m for m in (start, now) if m is not None)


def first_change(
    zones: tuple[tuple[str, tzinfo], tuple[str, tzinfo]],
    begin: datetime,
    stop: datetime,
    end: datetime | None,
    shift: timedelta,
) -> str | None:
    """The note on the first offset change in [begin, stop] that breaks the shift (refused
    when the schedule has an endTime), or None when there is none."""
    (source_text, _), (target_text, _) = zones
    changes = {text: offset_changes(zone, begin, stop) for text, zone in zones}
    found = [(c, text) for text, zone_changes in changes.items() for c in zone_changes]
    if not found or (shift == timedelta(0) and changes[source_text] == changes[target_text]):
        return None
    change, text = min(found, key=lambda pair: pair[0].instant)
    if end is not None:
        raise ShiftError(transition_reason(change, text, zones, end))
    return transition_note(change, text, zones)


def transition_note(
    change: Change, text: str, zones: tuple[tuple[str, tzinfo], tuple[str, tzinfo]]
) -> str:
    when = change.instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    step = change.after - change.before
    clocks = f"moves its clocks {'forward' if step > timedelta(0) else 'back'}"
    what = f"{clocks} for daylight saving time" if change.dst else "changes its UTC offset"
    moves = "later" if (step > timedelta(0)) == (text == zones[0][0]) else "earlier"
    offsets = f"{clock_text(change.before)} → {clock_text(change.after)}"
    return (
        f"keeps the same instants until {when}, when zone {text!r} {what} ({offsets}); "
        f"from then on it fires {_duration(abs(step))} {moves} "
        f"than before the move (one cron expression cannot follow both zones). Move it again "
        f"then, give the schedule an endTime before {when}, or use keepWallClock"
    )


def _duration(span: timedelta) -> str:
    """``1 hour``, ``30 minutes``, ``1 hour 30 minutes``."""
    hours, minutes = divmod(span // timedelta(minutes=1), 60)
    said = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in ((hours, "hour"), (minutes, "minute"))
        if n
    ]
    return " ".join(said) or "0 minutes"


def transition_reason(
    change: Change,
    text: str,
    zones: tuple[tuple[str, tzinfo], tuple[str, tzinfo]],
    end: datetime | None,
) -> str:
    when = change.instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    what = "observes daylight saving time" if change.dst else "changes its UTC offset"
    moves = f"from {clock_text(change.before)} to {clock_text(change.after)} at {when}"
    pair = f"{zones[0][0]!r} → {zones[1][0]!r}"
    if end is None:
        return (
            f"zone {text!r} {what} (offset {moves}), so the shift {pair} is not constant and "
            f"the schedule has no endTime; set an endTime before {when} or use keepWallClock"
        )
    return (
        f"zone {text!r} {what} (offset {moves}) within the schedule's range (startTime to "
        f"endTime), so the shift {pair} is not constant; set the endTime before {when}, start "
        f"the schedule after it, or use keepWallClock"
    )


def wall_clock_note(
    cron: QuartzCron, zone: tuple[str, tzinfo], begin: datetime, stop: datetime
) -> str | None:
    """The note on a schedule kept at its wall clock in ``zone`` whose firings fall in the hour
    a daylight-saving change skips or repeats within [begin, stop]: the first day of each,
    what may happen then, and the fix; None when no firing does."""
    text, tz = zone
    found: dict[bool, tuple[datetime, datetime, list[str]]] = {}
    for change in offset_changes(tz, begin, stop):
        forward = change.after > change.before
        wall = change.instant.replace(tzinfo=None)
        low, high = sorted((wall + change.before, wall + change.after))
        hits = [] if forward in found else wall_firings(cron, low, high)
        if hits:
            found[forward] = (low, high, sorted({f"{hit:%H:%M}" for hit in hits}))
    if not found:
        return None
    order = sorted(found, key=lambda forward: found[forward][0])
    said = [_wall_clause(forward, *found[forward]) for forward in order]
    times = [_listed(found[forward][2]) for forward in order]
    if len(set(times)) == 1:
        what = f"fires at {times[0]} in {text!r}, which {' and '.join(said)}"
    else:
        what = f"fires in {text!r} at " + ", and at ".join(
            f"{time}, which {clause}" for time, clause in zip(times, said, strict=True)
        )
    moment = begin.astimezone(tz)
    standard = (moment.utcoffset() or timedelta(0)) - (moment.dst() or timedelta(0))
    return (
        f"{what}. Schedule it outside those hours in the source and export again, or move it "
        f"to a zone without daylight saving time (e.g. 'GMT{clock_text(standard)}')"
    )


def _wall_clause(forward: bool, low: datetime, high: datetime, times: list[str]) -> str:
    """What a daylight-saving change does to the firings ``times`` on its day."""
    span = f"{low:%H:%M} to {high:%H:%M}"
    one = len(times) == 1
    runs = "that day's run" if one else "those runs"
    if forward:
        return (
            f"{'does' if one else 'do'} not exist on {low:%Y-%m-%d} ({span} is skipped as "
            f"the clocks go forward: {runs} may start at {high:%H:%M} or not at all)"
        )
    return (
        f"{'happens' if one else 'happen'} twice on {low:%Y-%m-%d} ({span} is repeated as "
        f"the clocks go back: {runs} may happen twice)"
    )


def _listed(times: list[str]) -> str:
    """``02:30``, ``02:00 and 02:30``, ``02:00, 02:15, 02:30 and 3 more``."""
    if len(times) > 4:
        return f"{', '.join(times[:3])} and {len(times) - 3} more"
    return times[0] if len(times) == 1 else f"{', '.join(times[:-1])} and {times[-1]}"


# --- a job -------------------------------------------------------------------------------------
