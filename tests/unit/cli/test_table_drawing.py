"""A table the command line draws line by line (``cli/grid.py``) reads exactly as the one Rich
draws: the same characters on every line, whatever the cells."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jobferry.cli import grid
from jobferry.cli.output import Output

COLUMNS = ("name", "status", "version", "directory", "owner", "updated (UTC)")
JOBS: list[tuple[Any, ...]] = [
    ("daily_sales", "RUNNING", 3, "/etl/sales", "etl", "2026-11-28 12:00:00"),
    ("j", "STOPPED", None, "/", "", ""),
    ("销售日报", "STOPPED", "", "/报表", "王", "2026-11-28 12:00:01"),
    ("", "SCHEDULING", 12, "/a/b/c", "someone with a long name", None),
]


def by_rich(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None, width: int
) -> str:
    """What ``Output.table`` printed before it drew tables itself: Rich's table."""
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, soft_wrap=True)
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    key_width = max(len(str(row[0] or "")) for row in rows)
    for index, column in enumerate(columns):
        if index == 0:
            table.add_column(column, no_wrap=True, min_width=key_width)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    console.print(table)
    return out.getvalue()


def printed(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str | None,
    width: int,
    capsys: pytest.CaptureFixture[str],
) -> str:
    output = Output(json_mode=False)
    output.out = Console(highlight=False, soft_wrap=True, width=width)
    output.table(columns, rows, title=title)
    return capsys.readouterr().out


@pytest.mark.parametrize("title", [None, "Jobs", "A title much longer than the whole table is"])
@pytest.mark.parametrize(
    "rows",
    [JOBS, JOBS[:1], [("x", "y", "z", "w", "v", "u")], [row[:2] for row in JOBS]],
    ids=["jobs", "one", "narrow", "two columns"],
)
def test_a_table_that_fits_is_drawn_as_rich_draws_it(
    rows: list[tuple[Any, ...]], title: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    columns = COLUMNS[: len(rows[0])]
    assert grid.fitting(columns, [[str(c or "") for c in r] for r in rows], 240) is not None
    assert printed(columns, rows, title, 240, capsys) == by_rich(columns, rows, title, 240)


@pytest.mark.parametrize(
    "rows",
    [JOBS, [("a", "two\nlines", 1, "/", "x", "")], [("a", "tab\there", 1, "/", "x", "")]],
    ids=["wider than the terminal", "a line break", "a tab"],
)
def test_rich_draws_what_does_not_fit_or_is_not_one_line(
    rows: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    width = 60 if rows is JOBS else 240
    cells = [[str(c or "") for c in r] for r in rows]
    assert grid.fitting(COLUMNS, cells, width) is None
    assert printed(COLUMNS, rows, None, width, capsys) == by_rich(COLUMNS, rows, None, width)


def test_twenty_thousand_rows_are_drawn_whole_and_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [
        (f"job_{i:05d}", "STOPPED", i % 7, f"/etl/{i % 50:02d}", "etl", "") for i in range(20_000)
    ]
    lines = printed(COLUMNS, rows, None, 240, capsys).splitlines()
    assert len(lines) == 20_002
    assert [line.split(" │ ")[0] for line in lines[2:]] == [row[0] for row in rows]
