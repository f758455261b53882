"""Moving cron schedules to another time zone: keepWallClock and keepInstant.

Equality of firings is always checked through ``next_firings`` (croniter + zoneinfo), never
against hand-written expected instants: a rewritten expression is right when it fires at the same
30 instants (keepInstant) or the same 30 local wall times (keepWallClock) as the original.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from jobferry.domain.schedule import next_firings, parse_schedule_time, parse_time_zone
from jobferry.domain.timeshift import (
    CronSchedule,
    ShiftError,
    ShiftMode,
    preview_firings,
    shift_job,
    shift_schedule,
)

KEEP_INSTANT = ShiftMode.KEEP_INSTANT
KEEP_WALL_CLOCK = ShiftMode.KEEP_WALL_CLOCK
START = "2024-01-01T00:00:00+08"
COUNT = 30


def _start(schedule: CronSchedule) -> datetime:
    assert schedule.start_time is not None
    assert schedule.time_zone is not None
    moment = parse_schedule_time(schedule.start_time)
    return moment if moment.tzinfo else moment.replace(tzinfo=parse_time_zone(schedule.time_zone))


def _instants(schedule: CronSchedule) -> list[datetime]:
    """The next 30 firing instants (UTC) after startTime, cut at endTime."""
    assert schedule.time_zone is not None
    firings = next_firings(schedule.expression, schedule.time_zone, _start(schedule), COUNT)
    if schedule.end_time is not None:
        end = parse_schedule_time(schedule.end_time)
        end = end if end.tzinfo else end.replace(tzinfo=parse_time_zone(schedule.time_zone))
        firings = [f for f in firings if f <= end]
    return [f.astimezone(UTC) for f in firings]


def _assert_same_instants(before: CronSchedule, after: CronSchedule) -> None:
    expected = _instants(before)
    assert len(expected) == COUNT, "the case must fire 30 times inside its range"
    assert _instants(after) == expected, f"{before} → {after} fires at other instants"
    # The rewritten startTime is the same instant.
    assert _start(after) == _start(before)


# --- keepWallClock -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "source", "target", "start"),
    [
        ("0 30 2 ? * MON-FRI", "GMT+08:00", "America/New_York", "2024-03-01T00:00:00"),
        ("0 0 1-5,22-23 * * ?", "Asia/Shanghai", "UTC", "2024-01-01T00:00:00"),
        ("0 15 9 1,15 * ?", "GMT+8", "Asia/Kolkata", "2024-01-01T00:00:00"),
    ],
)
def test_keep_wall_clock_changes_only_the_zone_and_keeps_local_times(
    expression: str, source: str, target: str, start: str
) -> None:
    before = CronSchedule(expression, source, start, "2099-12-31T23:59:59")
    after = shift_schedule(before, target, KEEP_WALL_CLOCK)
    assert after == replace(before, time_zone=target)
    wall = parse_schedule_time(start)
    old = next_firings(before.expression, source, wall, COUNT)
    new = next_firings(after.expression, target, wall, COUNT)
    assert [f.replace(tzinfo=None) for f in new] == [f.replace(tzinfo=None) for f in old]
    assert [f.utcoffset() for f in new] != [f.utcoffset() for f in old]  # other instants


def test_keep_wall_clock_keeps_aware_start_and_end_as_written() -> None:
    before = CronSchedule("0 0 2 * * ?", "GMT+08:00", START, "2099-12-31T23:59:59+08")
    after = shift_schedule(before, "Europe/Berlin", KEEP_WALL_CLOCK)
    assert (after.start_time, after.end_time) == (before.start_time, before.end_time)
    assert after.time_zone == "Europe/Berlin"


# --- keepInstant: the property -----------------------------------------------------------------

SHIFTABLE = [
    # (expression, source zone, target zone, startTime, endTime)
    ("0 0 2 * * ?", "GMT+8", "UTC", START, None),
    ("0 0 2 * * ?", "GMT+08:00", "Asia/Tokyo", START, None),
    ("0 0 2 * * ?", "Asia/Shanghai", "America/Sao_Paulo", START, None),
    ("0 0 0 * * ?", "Asia/Shanghai", "America/Sao_Paulo", "2024-01-01T00:00:00", None),
    ("0 30 2 * * ?", "GMT+08:00", "Asia/Kolkata", START, None),
    ("0 15 1 ? * MON-FRI", "Asia/Shanghai", "Asia/Kolkata", START, None),
    ("0 0 1-5,22-23 * * ?", "Asia/Shanghai", "Asia/Tokyo", START, None),
    ("0 0 */2 * * ?", "Asia/Shanghai", "Asia/Tokyo", START, None),
    ("0 0 */2 * * ?", "GMT+8", "UTC", START, None),
    ("0 0 1 ? * MON-FRI", "Asia/Shanghai", "UTC", START, None),
    ("0 0 22 ? * 2-6", "UTC", "Asia/Tokyo", "2024-01-01T00:00:00Z", None),
    ("0 0 23 ? * SAT", "UTC", "Asia/Kolkata", "2024-01-01T00:00:00Z", None),
    ("0 0 12 * * ? 2030", "Asia/Shanghai", "UTC", START, None),
    ("0 0 12 ? * MON 2024-2026", "Asia/Shanghai", "Asia/Tokyo", START, None),
    ("0 0 2 2-10 * ?", "Asia/Shanghai", "UTC", START, None),
    ("0 0 20 5,15 * ?", "UTC", "Asia/Tokyo", "2024-01-01T00:00:00Z", None),
    ("0 0 3 L * ?", "Asia/Shanghai", "Asia/Tokyo", START, None),
    ("0 0 2 ? * 6#3", "Asia/Shanghai", "Asia/Tokyo", START, None),
    ("0 0 8 * JAN-MAR ?", "Asia/Shanghai", "Asia/Tokyo", START, None),
    ("0 0,30 * * * ?", "GMT+08:00", "Asia/Kolkata", START, None),
    ("0 5/15 * * * ?", "Asia/Kolkata", "UTC", START, None),
    ("0 45 23 ? * FRI", "GMT+05:30", "GMT-03:00", START, None),
    ("0 0 3 ? * MON", "GMT-12:00", "GMT+14:00", START, None),
    # DST zones, with [startTime, endTime] inside one DST period.
    (
        "0 0 2 * * ?",
        "Europe/Berlin",
        "Asia/Tokyo",
        "2024-04-01T00:00:00+02",
        "2024-10-01T00:00:00+02",
    ),
    (
        "0 0 9-16 ? * MON-FRI",
        "Europe/Berlin",
        "Asia/Tokyo",
        "2024-04-01T00:00:00",
        "2024-10-01T00:00:00",
    ),
    (
        "0 30 23 ? * MON-FRI",
        "Asia/Shanghai",
        "America/New_York",
        START.replace("01-01", "04-01"),
        "2024-10-31T00:00:00+08",
    ),
]


@pytest.mark.parametrize(("expression", "source", "target", "start", "end"), SHIFTABLE)
def test_keep_instant_fires_at_the_same_30_instants(
    expression: str, source: str, target: str, start: str, end: str | None
) -> None:
    before = CronSchedule(expression, source, start, end)
    after = shift_schedule(before, target, KEEP_INSTANT)
    assert after.time_zone == target
    _assert_same_instants(before, after)


@pytest.mark.parametrize(
    ("expression", "target", "expected"),
    [
        ("0 0 2 * * ?", "UTC", "0 0 18 * * ?"),
        ("0 0 2 ? * MON-FRI", "UTC", "0 0 18 ? * SUN-THU"),
        ("0 0 22 ? * 2-6", "Asia/Tokyo", "0 0 23 ? * 2-6"),
        ("0 0 23 ? * 2-6", "GMT+10", "0 0 1 ? * 3-7"),
        ("0 0 23 ? * 1,7", "GMT+10", "0 0 1 ? * 1-2"),
        ("0 0 1-5,22-23 * * ?", "Asia/Tokyo", "0 0 0,2-6,23 * * ?"),
        ("0 0 */2 * * ?", "Asia/Tokyo", "0 0 1/2 * * ?"),
        ("0 0 */2 * * ?", "UTC", "0 0 */2 * * ?"),
        ("0 30 2 * * ?", "Asia/Kolkata", "0 0 0 * * ?"),
        ("0 0 2 2-10 * ?", "UTC", "0 0 18 1-9 * ?"),
        ("0 0 12 * * ? 2030", "UTC", "0 0 4 * * ? 2030"),
    ],
)
def test_keep_instant_writes_rewritten_fields_compactly(
    expression: str, target: str, expected: str
) -> None:
    before = CronSchedule(expression, "GMT+08:00", START, None)
    after = shift_schedule(before, target, KEEP_INSTANT)
    assert after.expression == expected
    _assert_same_instants(before, after)


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        ("2024-01-01T00:00:00+08", "Asia/Tokyo", "2024-01-01T01:00:00+09"),
        ("2024-01-01T00:00:00+08", "Asia/Kolkata", "2023-12-31T21:30:00+05:30"),
        ("2024-01-01T00:00:00+08:00", "Asia/Tokyo", "2024-01-01T01:00:00+09:00"),
        ("2024-01-01T00:00:00+0800", "America/Sao_Paulo", "2023-12-31T13:00:00-0300"),
        ("2024-01-01T08:00:00Z", "Asia/Tokyo", "2024-01-01T17:00:00+09"),
        ("2024-01-01T00:00:00", "Asia/Tokyo", "2024-01-01T01:00:00"),  # read in the source zone
    ],
)
def test_keep_instant_writes_start_as_the_same_instant_in_the_target_offset(
    start: str, target: str, expected: str
) -> None:
    before = CronSchedule("0 0 2 * * ?", "Asia/Shanghai", start, start)
    after = shift_schedule(before, target, KEEP_INSTANT)
    assert (after.start_time, after.end_time) == (expected, expected)


def test_keep_instant_keeps_z_for_a_zero_offset_target() -> None:
    before = CronSchedule("0 0 2 * * ?", "GMT+8", "2024-01-01T08:00:00Z", None)
    assert shift_schedule(before, "UTC", KEEP_INSTANT).start_time == "2024-01-01T08:00:00Z"


@pytest.mark.parametrize(
    ("source", "target", "start"),
    [
        ("Asia/Shanghai", "GMT+08:00", START),
        ("Europe/Berlin", "Europe/Paris", "2024-01-01T00:00:00"),  # same DST rules
    ],
)
def test_keep_instant_with_a_zero_shift_changes_only_the_zone_text(
    source: str, target: str, start: str
) -> None:
    before = CronSchedule("0 0 2 ? * MON-FRI", source, start, None)
    after = shift_schedule(before, target, KEEP_INSTANT)
    assert after == replace(before, time_zone=target)
    _assert_same_instants(before, after)


def test_keep_instant_uses_the_given_source_zone_when_the_job_has_none() -> None:
    before = CronSchedule("0 0 2 * * ?", None, START, None)
    after = shift_schedule(before, "UTC", KEEP_INSTANT, source_zone="GMT+8")
    assert after.expression == "0 0 18 * * ?"
    _assert_same_instants(replace(before, time_zone="GMT+8"), after)


def test_the_job_zone_wins_over_the_given_source_zone() -> None:
    before = CronSchedule("0 0 2 * * ?", "UTC", "2024-01-01T00:00:00Z", None)
    after = shift_schedule(before, "Asia/Tokyo", KEEP_INSTANT, source_zone="GMT+8")
    assert after.expression == "0 0 11 * * ?"


def test_keep_instant_without_start_time_works_between_fixed_offsets() -> None:
    before = CronSchedule("0 0 2 * * ?", "GMT+8", None, None)
    assert shift_schedule(before, "UTC", KEEP_INSTANT).expression == "0 0 18 * * ?"


# --- keepInstant: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "target", "reason"),
    [
        (  # fractional offset with a minute list carrying unevenly
            CronSchedule("0 0,45 2 * * ?", "GMT+08:00", START, None),
            "Asia/Kolkata",
            "minute field '0,45'",
        ),
        (  # the range spans the autumn transition
            CronSchedule(
                "0 0 2 * * ?", "Asia/Shanghai", "2024-04-01T00:00:00+08", "2024-12-31T00:00:00+08"
            ),
            "America/New_York",
            "2024-11-03T06:00:00Z",
        ),
        (
            CronSchedule("0 0 1-5,22-23 ? * MON-FRI", "Asia/Shanghai", START, None),
            "Asia/Tokyo",
            "hour 23 land on the next day",
        ),
        (
            CronSchedule("0 0 2 1 * ?", "Asia/Shanghai", START, None),
            "UTC",
            "day-of-month '1'",
        ),
        (
            CronSchedule("0 0 20 25-28 * ?", "UTC", "2024-01-01T00:00:00Z", None),
            "Asia/Tokyo",
            "day 28 would move into the next month",
        ),
        (
            CronSchedule("0 0 2 L * ?", "Asia/Shanghai", START, None),
            "UTC",
            "day-of-month 'L'",
        ),
        (
            CronSchedule("0 0 2 ? * 6#3", "Asia/Shanghai", START, None),
            "UTC",
            "day-of-week '6#3'",
        ),
        (
            CronSchedule("0 0 2 * JAN ?", "Asia/Shanghai", START, None),
            "UTC",
            "month 'JAN'",
        ),
        (
            CronSchedule("0 0 2 * * ? 2030", "Asia/Shanghai", START, None),
            "UTC",
            "year '2030'",
        ),
        (
            CronSchedule("0 0 2 * * ?", "Europe/Berlin", None, None),
            "UTC",
            "startTime is missing",
        ),
        (
            CronSchedule("0 0 2 * * ?", None, START, None),
            "UTC",
            "job has no expressionTimeZone; give the source zone",
        ),
        (
            CronSchedule("0 0 2 * * ?", "GMT+8", START, None),
            "Mars/Olympus_Mons",
            "'Mars/Olympus_Mons' is not known",
        ),
        (
            CronSchedule("0 0 2 * * ?", "GMT+8", "yesterday", None),
            "UTC",
            "startTime",
        ),
    ],
)
def test_keep_instant_refuses_what_one_expression_cannot_express(
    schedule: CronSchedule, target: str, reason: str
) -> None:
    with pytest.raises(ShiftError) as caught:
        shift_schedule(schedule, target, KEEP_INSTANT)
    assert reason in str(caught.value)


@pytest.mark.parametrize("days", ["29", "15,29", "2-10,29"])
def test_keep_instant_refuses_to_move_day_29_to_day_28(days: str) -> None:
    """Day 29 fires in February only in leap years: moved back to day 28 it would fire in
    every February, on a day the source never fired (the source's firing of 2027-03-29 07:30
    in Shanghai is 2027-03-28 18:30 in New York, but 2027 has no 29 February)."""
    window = ("2026-12-01T00:00:00+08", "2027-03-01T00:00:00+08")
    schedule = CronSchedule(f"0 30 7 {days} * ?", "Asia/Shanghai", *window)
    with pytest.raises(ShiftError) as caught:
        shift_schedule(schedule, "America/New_York", KEEP_INSTANT)
    message = str(caught.value)
    assert f"day-of-month '{days}'" in message
    assert "day 29" in message
    assert "keepWallClock" in message


def test_a_dst_refusal_says_how_to_fix_it() -> None:
    schedule = CronSchedule("0 0 2 * * ?", "Asia/Shanghai", START, "2024-12-31T00:00:00+08")
    with pytest.raises(ShiftError) as caught:
        shift_schedule(schedule, "Europe/Berlin", KEEP_INSTANT)
    message = str(caught.value)
    assert "2024-03-31T01:00:00Z" in message  # the first transition in the range
    assert "keepWallClock" in message
    assert "endTime" in message


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        (CronSchedule("0 0 2 * * ?", None, START, None), "give the source zone"),
        (CronSchedule("0 0 2 * * ?", "GMT+8", START, None), "not known"),
    ],
)
def test_keep_wall_clock_refuses_a_missing_source_or_an_unknown_target(
    schedule: CronSchedule, reason: str
) -> None:
    target = "Mars/Olympus_Mons" if schedule.time_zone else "UTC"
    with pytest.raises(ShiftError, match=reason):
        shift_schedule(schedule, target, KEEP_WALL_CLOCK)


# --- previews ----------------------------------------------------------------------------------


def test_preview_firings_are_strictly_after_start_and_in_the_schedule_zone() -> None:
    schedule = CronSchedule("0 0 2 * * ?", "Asia/Tokyo", "2024-01-01T02:00:00+09", None)
    firings = preview_firings(schedule, 3)
    assert [f.isoformat() for f in firings] == [
        "2024-01-02T02:00:00+09:00",
        "2024-01-03T02:00:00+09:00",
        "2024-01-04T02:00:00+09:00",
    ]


def test_preview_firings_start_after_a_later_moment_and_stop_at_end() -> None:
    schedule = CronSchedule("0 0 2 * * ?", "UTC", "2024-01-01T00:00:00Z", "2024-01-12T02:00:00Z")
    firings = preview_firings(schedule, 5, after=datetime(2024, 1, 10, tzinfo=UTC))
    assert [f.day for f in firings] == [10, 11, 12]
    assert preview_firings(schedule, 5, after=datetime(2024, 2, 1, tzinfo=UTC)) == []


# --- a whole job -------------------------------------------------------------------------------


def _job() -> dict[str, Any]:
    return {
        "name": "daily_sales",
        "processType": "REAL_TIME",
        "nodes": [
            {
                "name": "monthly",
                "type": "Shell",
                "cronTrigger": {
                    "startTime": START,
                    "expression": "0 0 2 1 * ?",
                    "expressionTimeZone": "GMT+08:00",
                },
            },
            {
                "name": "hourly",
                "type": "Shell",
                "cronTrigger": {
                    "startTime": START,
                    "endTime": "2099-12-31T23:59:59+08",
                    "expression": "0 0 */2 * * ?",
                    "expressionTimeZone": "Asia/Shanghai",
                    "concurrent": 1,
                },
            },
            {"name": "plain", "type": "Shell"},
        ],
        "schedule": {
            "type": "CRON",
            "cron": {
                "startTime": START,
                "endTime": "2099-12-31T23:59:59+08",
                "expression": "0 0 2 ? * MON-FRI",
                "expressionTimeZone": "GMT+08:00",
                "dependPrePeriod": False,
                "dependJobs": {"jobs": ["upstream_job"], "dependPeriod": "SAME_PERIOD"},
            },
        },
    }


def test_shift_job_rewrites_every_block_in_place_and_reports_the_rest() -> None:
    job = _job()
    original = copy.deepcopy(job)
    result = shift_job(job, "UTC", KEEP_INSTANT)

    cron = job["schedule"]["cron"]
    assert cron == {
        **original["schedule"]["cron"],
        "startTime": "2023-12-31T16:00:00+00",
        "endTime": "2099-12-31T15:59:59+00",
        "expression": "0 0 18 ? * SUN-THU",
        "expressionTimeZone": "UTC",
    }
    hourly = job["nodes"][1]["cronTrigger"]
    assert hourly["expression"] == "0 0 */2 * * ?"  # even hours stay even
    assert hourly["expressionTimeZone"] == "UTC"
    assert hourly["concurrent"] == 1
    assert job["nodes"][0] == original["nodes"][0]  # refused: left untouched
    assert job["nodes"][2] == original["nodes"][2]

    assert [s.field for s in result.shifts] == ["schedule.cron", "nodes[hourly].cronTrigger"]
    assert [field for field, _ in result.problems] == ["nodes[monthly].cronTrigger"]
    assert "day-of-month '1'" in result.problems[0][1]
    for shift in result.shifts:
        _assert_same_instants(shift.before, shift.after)


def test_shift_as_json_shows_both_schedules_with_their_next_firings() -> None:
    job = _job()
    shift = shift_job(job, "Asia/Tokyo", KEEP_INSTANT).shifts[0]
    shown = shift.as_json(count=3)
    assert shown["field"] == "schedule.cron"
    assert shown["mode"] == "keepInstant"
    assert shown["before"]["expression"] == "0 0 2 ? * MON-FRI"
    assert shown["before"]["timeZone"] == "GMT+08:00"
    assert shown["after"]["expression"] == "0 0 3 ? * MON-FRI"
    assert shown["after"]["timeZone"] == "Asia/Tokyo"
    assert shown["after"]["startTime"] == "2024-01-01T01:00:00+09"
    assert set(shown["after"]) == {"expression", "timeZone", "startTime", "endTime", "nextFirings"}
    before = [datetime.fromisoformat(t) for t in shown["before"]["nextFirings"]]
    after = [datetime.fromisoformat(t) for t in shown["after"]["nextFirings"]]
    assert len(before) == 3
    assert after == before
    assert shown["after"]["nextFirings"] != shown["before"]["nextFirings"]  # other offset


def test_shift_job_keep_wall_clock_changes_only_zones() -> None:
    job = _job()
    original = copy.deepcopy(job)
    result = shift_job(job, "Europe/Berlin", KEEP_WALL_CLOCK)
    assert result.problems == []
    assert len(result.shifts) == 3
    assert job["schedule"]["cron"] == {
        **original["schedule"]["cron"],
        "expressionTimeZone": "Europe/Berlin",
    }
    for node, before in zip(job["nodes"][:2], original["nodes"][:2], strict=True):
        assert node["cronTrigger"] == {
            **before["cronTrigger"],
            "expressionTimeZone": "Europe/Berlin",
        }


def test_shift_job_skips_blocks_already_in_the_target_zone_and_non_cron_schedules() -> None:
    job = _job()
    job["schedule"]["type"] = "EXECUTE_ONCE"
    del job["nodes"][0]
    original = copy.deepcopy(job)
    result = shift_job(job, "Asia/Shanghai", KEEP_INSTANT)
    assert result.shifts == []
    assert result.problems == []
    assert job == original


def test_shift_job_adds_the_zone_to_a_block_without_one() -> None:
    job = _job()
    del job["schedule"]["cron"]["expressionTimeZone"]
    result = shift_job(job, "UTC", KEEP_INSTANT, source_zone="GMT+8")
    shift = next(s for s in result.shifts if s.field == "schedule.cron")
    assert shift.before.time_zone == "GMT+8"
    assert job["schedule"]["cron"]["expressionTimeZone"] == "UTC"
    assert job["schedule"]["cron"]["expression"] == "0 0 18 ? * SUN-THU"


def test_shift_job_reports_a_block_without_zone_when_no_source_zone_is_given() -> None:
    job = _job()
    del job["schedule"]["cron"]["expressionTimeZone"]
    result = shift_job(job, "UTC", KEEP_INSTANT)
    reasons = dict(result.problems)
    assert "give the source zone" in reasons["schedule.cron"]
    assert "expressionTimeZone" not in job["schedule"]["cron"]


def test_shift_job_refuses_an_unknown_target_zone() -> None:
    job = _job()
    original = copy.deepcopy(job)
    with pytest.raises(ShiftError, match="not known"):
        shift_job(job, "Mars/Olympus_Mons", KEEP_INSTANT)
    assert job == original


def test_an_unknown_mode_is_refused() -> None:
    schedule = CronSchedule("0 0 2 * * ?", "GMT+8", START, None)
    with pytest.raises(ShiftError, match="keepWallClock or keepInstant"):
        shift_schedule(schedule, "UTC", "keepLocal")  # type: ignore[arg-type]


# --- keepInstant without an endTime: the instants are kept until the next transition ----------


def _job_with(schedule: CronSchedule) -> dict[str, Any]:
    cron = {"expression": schedule.expression, "expressionTimeZone": schedule.time_zone}
    if schedule.start_time:
        cron["startTime"] = schedule.start_time
    return {"name": "j", "schedule": {"type": "CRON", "cron": cron}}


def test_an_open_ended_move_keeps_the_instants_until_the_next_transition_and_says_so() -> None:
    job = _job_with(CronSchedule("0 0 2 * * ?", "Asia/Shanghai", START, None))
    now = datetime(2026, 1, 10, tzinfo=UTC)

    moved = shift_job(job, "Europe/Berlin", KEEP_INSTANT, now=now)

    assert moved.problems == []
    (shift,) = moved.shifts
    assert shift.after.expression == "0 0 19 * * ?"  # 02:00 +08 is 19:00 +01 the day before
    assert shift.note is not None
    # The first transition after now, not after the 2024 startTime.
    assert "until 2026-03-29T01:00:00Z" in shift.note
    assert "'Europe/Berlin' moves its clocks forward for daylight saving time" in shift.note
    assert "from then on it fires 1 hour earlier than before the move" in shift.note
    assert "keepWallClock" in shift.note
    assert shift.as_json(after=now)["note"] == shift.note


def test_a_move_out_of_a_daylight_saving_zone_names_its_next_change() -> None:
    job = _job_with(CronSchedule("0 0 2 * * ?", "Europe/Berlin", "2024-06-01T00:00:00+02", None))
    now = datetime(2026, 7, 1, tzinfo=UTC)
    (shift,) = shift_job(job, "Asia/Tokyo", KEEP_INSTANT, now=now).shifts
    assert shift.after.expression == "0 0 9 * * ?"  # 02:00 +02 is 09:00 +09
    assert shift.note is not None
    assert "until 2026-10-25T01:00:00Z" in shift.note


def test_a_half_hour_change_is_said_in_minutes() -> None:
    job = _job_with(CronSchedule("0 0 2 * * ?", "Asia/Shanghai", START, None))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    (shift,) = shift_job(job, "Australia/Lord_Howe", KEEP_INSTANT, now=now).shifts
    assert shift.note is not None
    assert "'Australia/Lord_Howe' moves its clocks back" in shift.note
    assert "(+11:00 → +10:30)" in shift.note
    assert "from then on it fires 30 minutes later than before the move" in shift.note


def test_a_fixed_shift_has_no_note() -> None:
    job = _job_with(CronSchedule("0 0 2 * * ?", "GMT+8", START, None))
    (shift,) = shift_job(job, "UTC", KEEP_INSTANT, now=datetime(2026, 1, 1, tzinfo=UTC)).shifts
    assert shift.note is None
    assert "note" not in shift.as_json(after=datetime(2026, 1, 1, tzinfo=UTC))


# --- keepWallClock into a zone with daylight saving: the skipped and repeated hour -------------


@pytest.mark.parametrize(
    ("zone", "expression", "skipped", "repeated"),
    [
        (
            "Europe/Berlin",
            "0 30 2 * * ?",
            "2027-03-28 (02:00 to 03:00",
            "2027-10-31 (02:00 to 03:00",
        ),
        ("America/New_York", "0 30 1 * * ?", None, "2027-11-07 (01:00 to 02:00"),
        ("America/New_York", "0 30 2 * * ?", "2027-03-14 (02:00 to 03:00", None),
        ("Australia/Lord_Howe", "0 15 2 * * ?", "2027-10-03 (02:00 to 02:30", None),
        ("Australia/Lord_Howe", "0 45 1 * * ?", None, "2027-04-04 (01:30 to 02:00"),
    ],
)
def test_keep_wall_clock_into_a_skipped_or_repeated_hour_says_which_day_and_how_to_fix_it(
    zone: str, expression: str, skipped: str | None, repeated: str | None
) -> None:
    job = _job_with(CronSchedule(expression, "Asia/Shanghai", START, None))
    now = datetime(2026, 12, 1, tzinfo=UTC)

    (shift,) = shift_job(job, zone, KEEP_WALL_CLOCK, now=now).shifts

    assert shift.after.expression == expression  # the wall clock is kept, never shifted silently
    assert shift.note is not None
    hhmm = f"{expression.split()[2].zfill(2)}:{expression.split()[1].zfill(2)}"
    assert f"fires at {hhmm} in {zone!r}" in shift.note
    for said, words in ((skipped, "does not exist on "), (repeated, "happens twice on ")):
        if said is None:
            assert words not in shift.note
        else:
            assert f"{words}{said}" in shift.note
    assert "outside" in shift.note  # the fix: a time outside the changing hour
    assert shift.as_json(after=now)["note"] == shift.note


def test_keep_wall_clock_away_from_the_changing_hour_or_into_a_fixed_zone_has_no_note() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for zone, expression in (
        ("Europe/Berlin", "0 30 4 * * ?"),
        ("Europe/Berlin", "0 30 2 ? * MON-FRI"),  # both changes fall on a Sunday
        ("GMT+01:00", "0 30 2 * * ?"),
        ("Asia/Tokyo", "0 30 2 * * ?"),
    ):
        job = _job_with(CronSchedule(expression, "Asia/Shanghai", START, None))
        (shift,) = shift_job(job, zone, KEEP_WALL_CLOCK, now=now).shifts
        assert shift.note is None, (zone, expression)


def test_keep_wall_clock_notes_only_changes_within_the_schedules_range() -> None:
    end = "2027-06-30T00:00:00+08"
    job = _job_with(CronSchedule("0 30 2 * * ?", "Asia/Shanghai", START, None))
    job["schedule"]["cron"]["endTime"] = end
    now = datetime(2026, 12, 1, tzinfo=UTC)
    (shift,) = shift_job(job, "Europe/Berlin", KEEP_WALL_CLOCK, now=now).shifts
    assert shift.note is not None
    assert "2027-03-28" in shift.note
    assert "twice" not in shift.note  # the autumn change is after its endTime


def test_keep_wall_clock_reads_a_start_time_without_offset_in_the_new_zone_for_its_note() -> None:
    """A startTime without an offset is read in the expression's zone: after the move, in New
    York. The schedule then starts at 12:00 on 2027-03-14 New York time, after that day's
    skipped hour (02:00-03:00), so its 02:30 is first skipped on 2028-03-12; read in Shanghai
    (04:00 UTC, before the change) the note named 2027-03-14, a day the schedule never ran."""
    job = _job_with(CronSchedule("0 30 2 * * ?", "Asia/Shanghai", "2027-03-14T12:00:00", None))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    (shift,) = shift_job(job, "America/New_York", KEEP_WALL_CLOCK, now=now).shifts
    assert shift.after.start_time == "2027-03-14T12:00:00"
    assert shift.note is not None
    assert "2027-03-14" not in shift.note
    assert "does not exist on 2028-03-12" in shift.note
