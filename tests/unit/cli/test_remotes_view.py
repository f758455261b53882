"""``jobferry remotes show`` and ``list`` say when a refresh of the remote is running, with the
command that follows it."""

from __future__ import annotations

from jobferry.cli.remotes import refreshing_line

SHOWN = {"name": "prod", "shadowWorkspace": {"id": "ws1", "name": "prod"}}


def test_a_running_refresh_is_a_line_with_the_command_that_follows_it() -> None:
    answer = {**SHOWN, "refreshing": {"taskId": "t1"}}  # a server older than its report
    assert refreshing_line(answer) == [
        ("refreshing", "now: task t1 (jobferry tasks show t1 --wait -w prod)")
    ]
    said = {"taskId": "t1", "progress": 40, "message": "Read 2,000 jobs"}
    assert refreshing_line({**SHOWN, "refreshing": said}) == [
        (
            "refreshing",
            "now, 40 %: Read 2,000 jobs: task t1 (jobferry tasks show t1 --wait -w prod)",
        )
    ]


def test_no_line_when_none_runs_or_the_server_does_not_say() -> None:
    assert refreshing_line({**SHOWN, "refreshing": None}) == []
    assert refreshing_line(SHOWN) == []  # a server older than the field
