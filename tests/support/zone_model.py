"""A model of time-zone moves written from docs/api.md ("Time zones") and the decisions of
``domain/timeshift.py``'s docstring, for the generated profile stories
(``tests/unit/services/importing/test_generated_profile_moves.py``), with nothing of
jobferry's own schedule code: the offsets of a zone and where they change are read from
``zoneinfo``, firing times are listed with croniter on the wall clock of a zone.

keepInstant keeps every firing instant, from the later of startTime and now, until endTime (or
for 400 days): it is refused when one cron expression cannot express the shifted firings (the
day fields restricted while some firings cross midnight and others do not; a day-of-month
that would leave 1-28; hours and minutes that no longer form hours x minutes) or, with an
endTime, when either zone's offset changes in that range; without one, it keeps the instants
until the first change and notes it. keepWallClock changes the zone only, and notes a firing
in the hour the target zone's clocks skip or repeat.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from croniter import croniter

DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
"""Quartz's days of the week, 1-7 (croniter's 0-6)."""
OPEN_ENDED = timedelta(days=400)
SCAN_FROM = datetime(2025, 1, 1, tzinfo=UTC)
SCAN_TO = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cron:
    """A cron schedule as the sets it fires on: minutes, hours, days of the month (``None``:
    every day) and days of the week (croniter's 0-6, Sunday 0; ``None``: every day)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None = None
    days_of_week: frozenset[int] | None = None
    named: bool = True
    """Days of the week written as names (``MON``), else as Quartz's numbers (``2``)."""

    def __repr__(self) -> str:
        return f"Cron({self.quartz()!r})"

    @property
    def restricted(self) -> bool:
        return self.days_of_month is not None or self.days_of_week is not None

    def quartz(self) -> str:
        """The Quartz expression, each field as a person writes it."""
        dom = "?" if self.days_of_week is not None else _listed(self.days_of_month, "*")
        dow = "?"
        if self.days_of_week is not None:
            names = DAY_NAMES if self.named else None
            dow = _listed(frozenset(d + 1 for d in self.days_of_week), "*", names, top=7)
        return f"0 {_minutes(self.minutes)} {_listed(self.hours, '*', full=24)} {dom} * {dow}"

    def croniter(self) -> str:
        """The five-field croniter expression (explicit lists)."""

        def field(values: frozenset[int] | None) -> str:
            return "*" if values is None else ",".join(str(v) for v in sorted(values))

        return (
            f"{field(self.minutes)} {field(self.hours)} {field(self.days_of_month)} * "
            f"{field(self.days_of_week)}"
        )


def _minutes(values: frozenset[int]) -> str:
    ordered = sorted(values)
    if len(ordered) > 2 and ordered[0] == 0 and ordered == list(range(0, 60, ordered[1])):
        return f"0/{ordered[1]}"
    return _listed(values, "*", full=60)


def _listed(
    values: frozenset[int] | None,
    every: str,
    names: tuple[str, ...] | None = None,
    full: int | None = None,
    top: int | None = None,
) -> str:
    """Sorted values with runs as ranges (names for days of the week), or an arithmetic
    progression of numbers up to ``top`` as ``a/step`` when shorter: as jobferry writes a
    field it moves (so that a move there and back gives the same text)."""
    if values is None or (full is not None and len(values) == full):
        return every
    runs: list[list[int]] = []
    for value in sorted(values):
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])

    def label(value: int) -> str:
        return names[value - 1] if names else str(value)

    parts: list[str] = []
    for run in runs:
        if len(run) >= 2:
            parts.append(f"{label(run[0])}-{label(run[-1])}")
        else:
            parts += [label(v) for v in run]
    listed = ",".join(parts)
    ordered = sorted(values)
    steps = {b - a for a, b in itertools.pairwise(ordered)}
    if names or top is None or len(ordered) < 3 or len(steps) != 1 or min(steps) < 2:
        return listed
    (step,) = steps
    first, end = ordered[0], ordered[-1]
    stepped = f"{first}/{step}" if end + step > top else f"{first}-{end}/{step}"
    return stepped if len(stepped) < len(listed) else listed


# --- reading what jobferry wrote -----------------------------------------------------------


def _value(text: str, names: tuple[str, ...] | None) -> int:
    if names and text.upper() in names:
        return names.index(text.upper()) + 1
    return int(text)


def _field(text: str, low: int, high: int, names: tuple[str, ...] | None = None) -> set[int]:
    """A Quartz field's values (``*``, ``?``, lists, ranges, ``a/step``, ``a-b/step``)."""
    if text in ("*", "?"):
        return set(range(low, high + 1))
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, every = part.split("/")
            step = int(every)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-")
            first, last = _value(a, names), _value(b, names)
        else:
            first = _value(part, names)
            last = high if step > 1 else first
        out |= set(range(first, last + 1, step))
    return out


def read_quartz(expression: str) -> Cron:
    """The sets a Quartz expression of the stories' shapes fires on (seconds 0, every month,
    no year)."""
    second, minute, hour, dom, month, dow = expression.split()
    assert (second, month) == ("0", "*"), expression
    days = None if dom in ("*", "?") else frozenset(_field(dom, 1, 31))
    weekdays = None
    if dow not in ("*", "?"):
        weekdays = frozenset(d - 1 for d in _field(dow, 1, 7, DAY_NAMES))
    return Cron(frozenset(_field(minute, 0, 59)), frozenset(_field(hour, 0, 23)), days, weekdays)


# --- zones ---------------------------------------------------------------------------------


def offset(zone: str, moment: datetime) -> timedelta:
    return moment.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)


@cache
def changes(zone: str) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """Every (instant, offset before, offset after) of ``zone`` from 2025 to 2029, found day by
    day, then minute by minute within the day."""
    found: list[tuple[datetime, timedelta, timedelta]] = []
    day = SCAN_FROM
    while day < SCAN_TO:
        before, after = offset(zone, day), offset(zone, day + timedelta(days=1))
        if before != after:
            minute = day
            while offset(zone, minute) == before:
                minute += timedelta(minutes=1)
            found.append((minute, before, after))
        day += timedelta(days=1)
    return tuple(found)


def fire_times(
    cron: Cron, zone: str, after: datetime, until: datetime, limit: int
) -> list[datetime]:
    """Up to ``limit`` firing instants of ``cron`` in ``zone`` after ``after`` and not after
    ``until``: croniter on the zone's wall clock (the stories compare firings only where the
    zone's offset does not change)."""
    tz = ZoneInfo(zone)
    it = croniter(cron.croniter(), after.astimezone(tz).replace(tzinfo=None))
    out: list[datetime] = []
    while len(out) < limit:
        moment = it.get_next(datetime).replace(tzinfo=tz).astimezone(UTC)
        if moment > until:
            break
        out.append(moment)
    return out


# --- the moves ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """What a move makes of one schedule: refused (``why``), or kept until ``note_at`` (the
    first offset change of an open-ended keepInstant move), or noted (keepWallClock)."""

    refused: str | None = None
    note_at: datetime | None = None
    noted: bool = False
    shift: timedelta = timedelta(0)
    days: tuple[str, ...] = ()
    drift: timedelta = timedelta(0)
    """How much later (earlier, negative) the moved schedule fires than the source's from
    ``note_at`` on: the change of the source's offset, or minus the target's."""


def instant_move(
    cron: Cron, zones: tuple[str, str], window: tuple[datetime, datetime | None]
) -> Move:
    """keepInstant of ``cron`` from ``zones[0]`` to ``zones[1]`` over [begin, end]."""
    source, target = zones
    begin, end = window
    if source == target:
        return Move()
    stop = end if end is not None else begin + OPEN_ENDED
    shift = offset(target, begin) - offset(source, begin)
    if not shift and _alike(zones, begin, stop):
        return Move()  # the same offsets, changing at the same instants: the zone text only
    moved = sorted(
        (at, (after - before) * (1 if zone == source else -1))
        for zone in zones
        for at, before, after in changes(zone)
        if begin < at <= stop
    )
    note_at, drift = moved[0] if moved else (None, timedelta(0))
    if note_at is not None and end is not None:
        return Move(refused="an offset change within the schedule's range", shift=shift)
    why = _inexpressible(cron, int(shift / timedelta(minutes=1)))
    if why is not None:
        return Move(refused=why, shift=shift)
    return Move(note_at=note_at, shift=shift, drift=drift)


def _alike(zones: tuple[str, str], begin: datetime, stop: datetime) -> bool:
    """Both zones change their offsets at the same instants, to the same offsets."""
    source, target = ([c for c in changes(zone) if begin < c[0] <= stop] for zone in zones)
    return source == target


def _inexpressible(cron: Cron, delta: int) -> str | None:
    """Why one cron expression cannot fire ``delta`` minutes later on the wall clock (None:
    it can)."""
    if delta == 0:
        return None
    landing: dict[int, set[tuple[int, int]]] = {}
    for hour in cron.hours:
        for minute in cron.minutes:
            days, rest = divmod(hour * 60 + minute + delta, 1440)
            landing.setdefault(days, set()).add(divmod(rest, 60))
    if cron.restricted and len(landing) > 1:
        return "some firings cross midnight and others do not"
    pairs = {pair for moved in landing.values() for pair in moved}
    if len(pairs) != len({h for h, _ in pairs}) * len({m for _, m in pairs}):
        return "the hours would differ per minute"
    (days,) = set(landing) if cron.restricted else {0}
    dom = cron.days_of_month
    if days and dom is not None and (min(dom) + days < 1 or max(max(dom), max(dom) + days) > 28):
        return "a day of the month is or would be outside 1-28"
    return None


def wall_move(cron: Cron, target: str, window: tuple[datetime, datetime | None]) -> Move:
    """keepWallClock of ``cron`` into ``target`` over [begin, end]: noted when a firing falls
    in the hour a change of ``target`` skips or repeats, naming the first day each happens
    (``days``: the clocks going forward, then back)."""
    begin, end = window
    stop = end if end is not None else begin + OPEN_ENDED
    first: dict[bool, str] = {}
    for at, before, after in changes(target):
        forward = after > before
        if not begin < at <= stop or forward in first:
            continue
        wall = at.replace(tzinfo=None)
        low, high = sorted((wall + before, wall + after))
        fires = croniter(cron.croniter(), low - timedelta(seconds=1)).get_next(datetime)
        if fires < high:
            first[forward] = f"{low:%Y-%m-%d}"
    return Move(noted=bool(first), days=tuple(first[f] for f in (True, False) if f in first))


def same_firings(
    before: tuple[Cron, str], after: tuple[Cron, str], begin: datetime, until: datetime
) -> None:
    """The two schedules fire at the same instants from ``begin`` to ``until``, looked at
    where the range starts and where it ends."""
    for start in sorted({begin, max(begin, until - timedelta(days=3))}):
        old = fire_times(before[0], before[1], start, until, 40)
        new = fire_times(after[0], after[1], start, until, 40)
        assert old == new, (start, old[:5], new[:5])


def drifted(before: tuple[Cron, str], after: tuple[Cron, str], move: Move) -> None:
    """From a few days after ``move.note_at`` on, the moved schedule fires ``move.drift``
    later than the source's (the stories' zones change again weeks later at the soonest)."""
    assert move.note_at is not None
    start = move.note_at + timedelta(days=2)
    until = start + timedelta(days=3)
    old = fire_times(before[0], before[1], start, until, 40)
    new = fire_times(after[0], after[1], start + move.drift, until + move.drift, 40)
    assert [moment + move.drift for moment in old] == new, (old[:3], new[:3], move)


def at_text(moment: datetime) -> str:
    """An instant as the notes write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
