"""The ``Prefer`` header (RFC 7240) a call that works long reads: ``respond-async`` asks for a
task instead of the work done, whatever else the header prefers and however it is spelled;
``wait=SECONDS`` how long the client would wait for the work before it takes the task."""

from __future__ import annotations

import pytest

from jobferry.api.wire import preferred_wait, prefers_async


@pytest.mark.parametrize(
    "header",
    [
        "respond-async",
        "Respond-Async",
        "wait=10, respond-async",
        "respond-async; x=1",
        " respond-async ",
    ],
)
def test_respond_async_is_found_among_the_preferences(header: str) -> None:
    assert prefers_async(header)


@pytest.mark.parametrize(
    "header", [None, "", "return=minimal", "wait=10", "respond-asynchronously"]
)
def test_no_respond_async_asks_for_the_work_done(header: str | None) -> None:
    assert not prefers_async(header)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("respond-async, wait=0", 0.0),
        ("wait=2.5, respond-async", 2.5),
        ("respond-async, Wait = 7", 7.0),
        ("respond-async", None),
        (None, None),
        ("respond-async, wait=soon", None),
        ("respond-async, wait=-1", None),
        ("respond-async, wait=inf", None),
        ("respond-async, wait=nan", None),
    ],
)
def test_the_wait_preference_is_its_seconds_or_none(
    header: str | None, seconds: float | None
) -> None:
    assert preferred_wait(header) == seconds
