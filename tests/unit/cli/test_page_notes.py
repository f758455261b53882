"""The notes under a paged list's table (``releases list``, ``routes history``, ``tasks
list``): which rows the page holds of how many, and the command of the next page with the
options asked again."""

from __future__ import annotations

from jobferry.cli.release_list import _asked
from jobferry.cli.taskpages import page_note
from jobferry.cli.tasks import _asked as tasks_asked


def test_a_page_of_many_says_which_and_the_next_pages_command() -> None:
    said = page_note("Packages", 734, 20, (2, 20), "releases list --name nightly")
    assert said == (
        "Packages 21-40 of 734, newest first; the next page: "
        "jobferry releases list --name nightly --page 3."
    )


def test_the_last_page_names_no_next_and_one_page_says_nothing() -> None:
    assert page_note("Packages", 45, 5, (3, 20), "releases list") == (
        "Packages 41-45 of 45, newest first."
    )
    assert page_note("Packages", 5, 5, (1, 20), "releases list") == ""


def test_a_page_past_the_end_says_how_many_there_are() -> None:
    assert page_note("Packages", 45, 0, (9, 20), "releases list") == (
        "Page 9 is past the end: 45 in all."
    )


def test_the_next_pages_command_repeats_the_filters() -> None:
    asked = _asked([2, 3], "night ly", "30d", 50, "sales")
    assert asked == " --status 2 --status 3 --name 'night ly' --since 30d --limit 50 -w sales"
    assert _asked(None, None, None, 20, None) == ""


def test_the_next_page_of_tasks_repeats_the_window() -> None:
    window = {"--since": "7d", "--until": "2026-11-01"}
    asked = tasks_asked("failed", "import", 20, "prod", window)
    assert asked == " --status failed --kind import --since 7d --until 2026-11-01 -w prod"
