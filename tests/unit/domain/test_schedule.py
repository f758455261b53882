"""DataArts (Quartz) cron expressions, time zones and schedule times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobferry.domain.schedule import (
    QuartzCron,
    next_firings,
    parse_quartz,
    parse_schedule_time,
    parse_time_zone,
    to_croniter,
)

SHANGHAI = "Asia/Shanghai"


def test_parse_quartz_splits_the_six_fields() -> None:
    assert parse_quartz("0 30 2 * * ?") == QuartzCron("0", "30", "2", "*", "*", "?", None)


def test_parse_quartz_accepts_an_optional_year_field() -> None:
    assert parse_quartz("0 0 0 1 1 ? 2030").year == "2030"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 30 2 * * ?", "30 2 * * *"),
        ("0 0/30 * * * ?", "0/30 * * * *"),
        ("0 0 8 ? * 2-6", "0 8 * * 1-5"),  # Monday–Friday: Quartz 2-6, croniter 1-5
        ("0 0 8 ? * MON-FRI", "0 8 * * 1-5"),
        ("0 0 8 ? * 1", "0 8 * * 0"),  # 1 = Sunday
        ("0 0 8 ? * 7", "0 8 * * 6"),  # 7 = Saturday
        ("0 0 8 ? * 1,7", "0 8 * * 0,6"),
        ("0 0 8 ? * 1/2", "0 8 * * 0-6/2"),
        ("0 0 8 ? * 6#3", "0 8 * * 5#3"),  # third Friday
        ("0 0 8 ? * 6L", "0 8 * * L5"),  # last Friday
        ("0 0 8 L * ?", "0 8 L * *"),
        ("0 0 8 15W * ?", "0 8 15W * *"),
        ("0 0 8 1 JAN-MAR ?", "0 8 1 JAN-MAR *"),
    ],
)
def test_to_croniter_translates_quartz_fields(expression: str, expected: str) -> None:
    assert to_croniter(parse_quartz(expression)) == expected


@pytest.mark.parametrize(
    ("expression", "hint"),
    [
        ("0 99 2 * * ?", "the minute field '99' is out of range; use 0–59"),
        ("0 0 25 * * ?", "the hour field '25' is out of range; use 0–23"),
        ("0 0 2 32 * ?", "the day-of-month field '32' is out of range; use 1–31"),
        ("0 0 2 1 13 ?", "the month field '13' is out of range; use 1–12"),
        ("30 0 2 * * ?", "seconds field must be 0"),
        ("0 0 2 * *", "5 fields"),
        ("", "empty"),
        ("0 0 2 ? * ?", "only one"),
        ("0 0 2 1 * 2", "restricts both"),
        ("0 0 0 * * *", "gives both"),
        ("0 0 0 1 * *", "gives both"),
        ("0 0 2 ? * 8", "1–7"),
        ("0 0 H * * ?", "'H'"),
        ("0 0 2 LW * ?", "cannot evaluate"),
        ("0 0 2 1 * ? 1800", "1970–2099"),
    ],
)
def test_parse_quartz_refuses_nonsense_with_a_helpful_message(expression: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_quartz(expression)


def test_next_firings_evaluates_in_asia_shanghai() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)  # 08:00 in Shanghai

    firings = next_firings("0 30 2 * * ?", SHANGHAI, start, 3)

    assert [f.isoformat() for f in firings] == [
        "2024-01-02T02:30:00+08:00",
        "2024-01-03T02:30:00+08:00",
        "2024-01-04T02:30:00+08:00",
    ]
    assert all(f.utcoffset() == timedelta(hours=8) for f in firings)


def test_next_firings_gives_the_same_instants_for_gmt_offsets() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    in_iana = next_firings("0 30 2 * * ?", SHANGHAI, start, 2)

    assert next_firings("0 30 2 * * ?", "GMT+08:00", start, 2) == in_iana
    assert next_firings("0 30 2 * * ?", "GMT+8", start, 2) == in_iana


def test_next_firings_reads_a_naive_start_in_the_expression_zone() -> None:
    firings = next_firings("0 0 9 ? * MON", SHANGHAI, datetime(2024, 1, 1, 8, 0), 2)

    assert [f.isoformat() for f in firings] == [
        "2024-01-01T09:00:00+08:00",
        "2024-01-08T09:00:00+08:00",
    ]


def test_next_firings_honours_the_year_field() -> None:
    firings = next_firings("0 0 0 1 1 ? 2030,2032", "UTC", datetime(2024, 6, 1, tzinfo=UTC), 5)

    assert [f.year for f in firings] == [2030, 2032]


def test_next_firings_refuses_an_expression_that_never_fires() -> None:
    with pytest.raises(ValueError, match="never fires"):
        next_firings("0 0 0 30 2 ?", "UTC", datetime(2024, 1, 1, tzinfo=UTC), 1)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("GMT+8", timedelta(hours=8)),
        ("GMT+08:00", timedelta(hours=8)),
        ("GMT-3:30", -timedelta(hours=3, minutes=30)),
        ("UTC", timedelta(0)),
        ("GMT", timedelta(0)),
        ("Asia/Shanghai", timedelta(hours=8)),
    ],
)
def test_parse_time_zone_accepts_gmt_offsets_and_iana_names(text: str, offset: timedelta) -> None:
    zone = parse_time_zone(text)

    assert datetime(2024, 1, 15, tzinfo=zone).utcoffset() == offset


@pytest.mark.parametrize("text", ["Mars/Base", "GMT+15", "GMT+8:75", "", "+08:00", "../etc"])
def test_parse_time_zone_refuses_unknown_zones(text: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        parse_time_zone(text)


@pytest.mark.parametrize("value", [["0 30 2 * * ?"], {"cron": "0 30 2 * * ?"}, 3])
def test_parsers_refuse_values_that_are_not_text(value: object) -> None:
    with pytest.raises(ValueError, match="is not text"):
        parse_quartz(value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not text"):
        parse_time_zone(value)  # type: ignore[arg-type]


PLUS_8 = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-10-22T23:59:59+08", datetime(2018, 10, 22, 23, 59, 59, tzinfo=PLUS_8)),
        ("2024-01-01T00:00:00+08:00", datetime(2024, 1, 1, tzinfo=PLUS_8)),
        ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_schedule_time_accepts_dataarts_offsets(text: str, expected: datetime) -> None:
    parsed = parse_schedule_time(text)

    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_parse_schedule_time_returns_naive_times_naive() -> None:
    assert parse_schedule_time("2024-01-01T06:00:00") == datetime(2024, 1, 1, 6, 0)


@pytest.mark.parametrize("text", ["tomorrow", "2024-13-01T00:00:00+08", ""])
def test_parse_schedule_time_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_schedule_time(text)


@pytest.mark.parametrize(
    "text", ["2024-01-01", "2024-W01-1", "2024-001T00:00:00", "20240101T000000"]
)
def test_parse_schedule_time_refuses_a_time_without_its_time_of_day(text: str) -> None:
    """A date alone, a week or ordinal date, the basic form: none is the date-time DataArts
    writes and reads (``2018-10-22T23:59:59+08``)."""
    with pytest.raises(ValueError, match="ISO-8601 date-time"):
        parse_schedule_time(text)


def test_parse_schedule_time_takes_minutes_fractions_and_a_space() -> None:
    assert parse_schedule_time("2024-01-01T06:30") == datetime(2024, 1, 1, 6, 30)
    assert parse_schedule_time("2024-01-01 06:30:00.5+0800") == datetime(
        2024, 1, 1, 6, 30, 0, 500000, tzinfo=PLUS_8
    )
