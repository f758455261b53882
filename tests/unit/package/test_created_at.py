"""A manifest's ``createdAt`` read back as epoch milliseconds (``package.manifest.created_ms``):
the inverse of how jobferry writes it, a time without a zone read as UTC whatever the reading
server's local zone, and nothing for what is not a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobferry.package.manifest import created_ms, iso_ms
from support.clock import local_zone

MOMENT = 1795163400123  # 2026-11-20T08:30:00.123Z


@pytest.fixture(autouse=True)
def shanghai_clock() -> Iterator[None]:
    """The reading server's local zone is UTC+8 (it must not matter)."""
    with local_zone("Asia/Shanghai"):
        yield


def test_what_jobferry_writes_reads_back_to_the_millisecond() -> None:
    assert iso_ms(MOMENT) == "2026-11-20T08:30:00.123Z"
    assert created_ms({"createdAt": iso_ms(MOMENT)}) == MOMENT


def test_a_zone_is_honoured_and_a_time_without_one_is_utc() -> None:
    assert created_ms({"createdAt": "2026-11-20T16:30:00.123+08:00"}) == MOMENT
    assert created_ms({"createdAt": "2026-11-20T08:30:00.123"}) == MOMENT


@pytest.mark.parametrize("value", [None, 1795163400123, "", "yesterday", ["2026-11-20"]])
def test_what_is_not_a_time_is_none(value: object) -> None:
    assert created_ms({"createdAt": value}) is None
    assert created_ms({}) is None
