"""``jobferry remotes show`` and ``list`` say when a refresh of the remote is running, with the
command that follows it."""

from __future__ import annotations

from jobferry.cli.remotes import failed_line, last_refresh, refreshing_line

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


def test_a_remote_never_refreshed_names_the_refresh_of_it() -> None:
    assert last_refresh({**SHOWN, "lastRefresh": None}) == "never (jobferry remotes refresh prod)"


def test_no_line_when_none_runs_or_the_server_does_not_say() -> None:
    assert refreshing_line({**SHOWN, "refreshing": None}) == []
    assert refreshing_line(SHOWN) == []  # a server older than the field


def test_a_failed_refresh_is_a_line_with_the_command_that_shows_why() -> None:
    failed = {"taskId": "t9", "endTime": 1795790000000, "message": "could not be read"}
    [(label, said)] = failed_line({**SHOWN, "lastRefreshFailed": failed})
    assert label == "refresh failed"
    assert said.endswith("UTC: could not be read (jobferry tasks show t9 -w prod)")
    assert failed_line({**SHOWN, "lastRefreshFailed": None}) == []
    assert failed_line(SHOWN) == []  # a server older than the field
