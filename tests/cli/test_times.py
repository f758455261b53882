"""Every time the CLI prints says its zone: in running text and fields, ``… UTC``; in a table,
under a column headed ``(UTC)`` (jobferry keeps and shows every time in UTC)."""

from __future__ import annotations

import re

import pytest

from jobferry.cli import routes
from jobferry.cli.output import Output, epoch_ms, moment
from jobferry.cli.route_history import _state_of
from jobferry.cli.taskview import show_task

AT = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( UTC)?")


def zoneless(text: str) -> list[str]:
    return [m.group(0) for m in TIME.finditer(text) if not m.group(1)]


def test_a_moment_says_its_zone_and_a_table_cell_leaves_it_to_the_header() -> None:
    assert moment(AT) == "2026-01-01 00:00:00 UTC"
    assert epoch_ms(AT) == "2026-01-01 00:00:00"
    assert moment(None) == ""


def test_a_task_says_when_it_started_and_ended_in_utc(capsys: pytest.CaptureFixture[str]) -> None:
    task = {
        "id": "t1",
        "kind": "import",
        "status": "SUCCESSFUL",
        "startTime": AT,
        "endTime": AT + 61_000,
        "rolledBack": {"at": AT + 120_000, "by": "alice"},
    }
    show_task(Output(False), task)
    shown = capsys.readouterr().out
    assert "2026-01-01 00:01:01 UTC" in shown
    assert "2026-01-01 00:02:00 UTC by alice" in shown
    assert not zoneless(shown), shown


def test_a_route_says_when_it_was_saved_and_a_promotion_when_rolled_back_in_utc() -> None:
    route = {
        "name": "r",
        "sameNamePolicy": "AUTO",
        "onDrift": "FAIL",
        "scheduling": "REFUSE",
        "mode": "ATOMIC",
        "updateTime": AT,
        "updateUser": "bob",
    }
    lines = dict(routes._lines(route))
    assert lines["saved"] == "2026-01-01 00:00:00 UTC by bob"
    state = _state_of({"taskStatus": "SUCCESSFUL", "rolledBack": {"at": AT, "by": "bob"}})
    assert state == "SUCCESSFUL (rolled back 2026-01-01 00:00:00 UTC by bob)"
