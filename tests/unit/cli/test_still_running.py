"""Without a terminal, following a task says in a line on standard error that it still runs:
its id at the first look that finds it running, then again every 30 s, never once it ended."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.progress import Progress

from jobferry.cli import output
from jobferry.cli.output import Bar


def test_a_running_task_is_said_at_once_then_every_thirty_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(output.time, "monotonic", lambda: now[0])
    said: list[str] = []
    bar = Bar(None, "Importing", said.append)
    running = {"id": "t1", "status": "RUNNING", "progress": 40, "message": "Wrote 2 of 5."}
    bar.task(running)
    now[0] += 29
    bar.task(running)
    assert said == ["Importing: task t1 is running (40%): Wrote 2 of 5."]
    now[0] += 2
    bar.task({**running, "progress": 80, "message": "Wrote 4 of 5."})
    now[0] += 60
    bar.task({"id": "t1", "status": "SUCCESSFUL", "progress": 100, "message": "Imported."})
    assert said[1:] == ["Importing: task t1 is running (80%): Wrote 4 of 5."]


def test_a_task_message_on_the_bar_is_cut_to_sixty_columns_a_wide_character_counting_two() -> None:
    progress = Progress()
    bar = Bar(progress, "Importing")
    bar.task(
        {"id": "t1", "status": "RUNNING", "progress": 10, "message": "写入作业每日销售汇总" * 8}
    )
    shown = progress.tasks[0].description
    assert shown.startswith("写入作业每日销售汇总写入作业")
    assert 50 <= cell_len(shown) <= 60  # 60 characters of Chinese would take 120 columns
    bar.task({"id": "t1", "status": "RUNNING", "progress": 40, "message": "Wrote 2 of 5."})
    assert progress.tasks[0].description == "Wrote 2 of 5."
