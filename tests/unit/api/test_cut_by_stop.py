"""What a call cut by its server's stop is answered (``api/stopping.cut_by_stop``, sent by the
request middleware): 503 ``DLF.9071`` naming the shutdown time, a read saying it changed
nothing, a write that it may have been done; a promotion's call, the task its work goes on as."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from jobferry.api.middleware import RequestMiddleware
from jobferry.api.stopping import AnswerIfCut, Stop, cut_by_stop
from jobferry.services.routes.running import Following


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


def _cut_call(
    method: str, *, task: Following | None = None, started: bool = False
) -> tuple[list[Message], Stop]:
    """What the request middleware sends for a call whose route uvicorn cancels (its server's
    stop past the shutdown time): ``task``, the promotion task its work goes on as;
    ``started``, an answer had begun."""
    stop = Stop(3)

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        handover = AnswerIfCut(Request(scope).state)
        if task is not None:
            handover(task)
        if started:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise asyncio.CancelledError

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/v1/p/routes/r/plans",
        "raw_path": b"/v1/p/routes/r/plans",
        "query_string": b"",
        "headers": [],
        "app": None,
    }
    asyncio.run(RequestMiddleware(route, stop)(scope, receive, send))
    return sent, stop


def _answer(sent: list[Message]) -> tuple[int, dict[str, object]]:
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


def test_a_cut_call_is_answered_in_the_envelope_and_counted() -> None:
    sent, stop = _cut_call("POST")
    status, body = _answer(sent)
    assert (status, body["error_code"]) == (503, "DLF.9071")
    assert "may have been done" in str(body["error_msg"])
    assert (stop.cut, stop.handed) == (1, 0)


def test_a_cut_promotion_call_answers_the_task_its_work_goes_on_as() -> None:
    sent, stop = _cut_call("POST", task=Following("t" * 32, "ws1"))
    assert _answer(sent) == (202, {"taskId": "t" * 32, "workspace": "ws1"})
    assert (stop.cut, stop.handed) == (0, 1)


def test_a_call_cut_after_its_answer_began_is_not_answered_twice() -> None:
    with pytest.raises(asyncio.CancelledError):
        _cut_call("POST", started=True)
