"""What a call cut by its server's stop is answered (``api/stopping.cut_by_stop``): 503
``DLF.9071`` naming the shutdown time; a read says it changed nothing, a write that it may
have been done."""

from __future__ import annotations

import logging

import pytest

from jobferry.api.stopping import Stop, cut_by_stop


def test_a_cut_read_says_nothing_was_changed() -> None:
    cut = cut_by_stop("GET", 20)
    assert (cut.status, cut.code) == (503, "DLF.9071")
    assert "JOBFERRY_SHUTDOWN_SECONDS (20 s)" in cut.message
    assert "Nothing was changed." in cut.message
    assert cut.envelope()["seconds"] == 20


def test_a_cut_write_says_it_may_have_been_done_and_to_look_before_sending_it_again() -> None:
    cut = cut_by_stop("POST", 5)
    assert "may have been done" in cut.message
    assert "Nothing was changed" not in cut.message
    assert cut.message.endswith("answers.")
    assert "Read what it changes before sending it again" in cut.message


def test_the_log_says_how_many_calls_the_stop_cut_and_that_they_are_not_tasks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # uvicorn's own line ("Cancel 2 running task(s), timeout graceful shutdown exceeded", an
    # ERROR) was all the log said: an operator read it as imports cancelled
    stop = Stop(2)
    stop.cut_call("GET")
    stop.cut_call("POST")
    stop.handed += 1  # a promotion's call, answered its task (tests/e2e/test_stop.py)
    with caplog.at_level(logging.INFO, logger="jobferry.server"):
        stop.log_cut()
    (said,) = [r for r in caplog.records if r.name == "jobferry.server"]
    assert said.levelno == logging.WARNING
    assert said.getMessage() == (
        "this process's stop cut 3 call(s) still running after JOBFERRY_SHUTDOWN_SECONDS "
        "(2 s) (uvicorn's 'Cancel … running task(s)'): 2 answered 503 DLF.9071, 1 the "
        "promotion task it goes on as; the jobferry tasks this process ran, imports and "
        "promotions, ran to their end"
    )


def test_a_stop_that_cut_nothing_says_nothing_of_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="jobferry.server"):
        Stop(2).log_cut()
    assert [r for r in caplog.records if r.name == "jobferry.server"] == []
