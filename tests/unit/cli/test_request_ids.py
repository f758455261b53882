"""A refusal the server answered ends, for a person, with the id the server knows the call by
(``request id: …``, one dim line on standard error, after its fixes), as ``--json`` carries it
in ``error.request_id``: an operator finds the server's log lines with it. A failure no server
answered (a local refusal, an unreachable endpoint, a task's failure) says none."""

from __future__ import annotations

import json

import pytest
import requests

from jobferry.cli.app import _report_api_error, _report_command_error
from jobferry.cli.client import ApiError, error_from
from jobferry.cli.exits import CommandError, ExitCode
from jobferry.cli.output import Output

RID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _answer(body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = 409
    response._content = body
    response.headers.update(headers or {})
    return response


def test_the_envelopes_request_id_is_the_refusals() -> None:
    envelope = {"error_code": "DLF.9016", "error_msg": "No.", "request_id": RID}
    answered = _answer(json.dumps(envelope).encode(), {"X-Request-Id": "another"})

    assert error_from(answered).body["request_id"] == RID


def test_an_envelope_without_one_takes_the_answers_x_request_id() -> None:
    """A DataArts service's envelope names no request id; its answer's header does."""
    answered = _answer(b'{"error_code": "DLF.0100", "error_msg": "No."}', {"X-Request-Id": RID})
    plain = _answer(b"bad gateway", {"X-Request-Id": RID})

    assert error_from(answered).body == {
        "error_code": "DLF.0100",
        "error_msg": "No.",
        "request_id": RID,
    }
    assert error_from(plain).body == {"request_id": RID}
    assert "request_id" not in error_from(_answer(b"bad gateway")).body


def test_a_server_refusal_ends_with_its_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    refused = ApiError(404, "DLF.6201", "Job 'x' does not exist.", {"request_id": RID})

    code = _report_api_error(Output(False), refused, None)

    said = capsys.readouterr()
    assert code == ExitCode.FAILED
    assert said.out == ""
    assert said.err.splitlines() == [
        "error DLF.6201: Job 'x' does not exist.",
        f"request id: {RID}",
    ]


def test_the_request_id_comes_after_the_refusals_fixes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = {"problems": [{"detail": "node a", "fix": "name it"}], "request_id": RID}

    _report_api_error(Output(False), ApiError(400, "DLF.0810", "Bad job.", body), None)

    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == "fix: node a — name it"
    assert lines[-1] == f"request id: {RID}"


def test_json_carries_the_request_id_and_prints_no_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    refused = ApiError(404, "DLF.6201", "Job 'x' does not exist.", {"request_id": RID})

    _report_api_error(Output(True), refused, None)

    said = capsys.readouterr()
    assert json.loads(said.out)["error"]["request_id"] == RID
    assert said.err == ""


def test_a_refusal_without_a_request_id_says_none(capsys: pytest.CaptureFixture[str]) -> None:
    """A task's failure is said as the refused call would have been, with no request id."""
    _report_api_error(Output(False), ApiError(400, "DLF.9016", "Failed.", {}), None)

    assert "request id" not in capsys.readouterr().err


def _reworded() -> CommandError:
    """A command's own words for a server's refusal, raised while handling it."""
    try:
        raise ApiError(400, "DLF.1244", "Job 'x' is scheduled.", {"request_id": RID})
    except ApiError as exc:
        try:
            raise CommandError("Job 'x' is scheduled: stop it first.", code=exc.code) from None
        except CommandError as reworded:
            return reworded


def test_a_servers_refusal_in_the_commands_words_ends_with_its_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _report_command_error(Output(False), _reworded())

    assert capsys.readouterr().err.splitlines() == [
        "error DLF.1244: Job 'x' is scheduled: stop it first.",
        f"request id: {RID}",
    ]
    _report_command_error(Output(True), _reworded())
    assert json.loads(capsys.readouterr().out)["error"]["request_id"] == RID


def test_a_local_refusal_says_no_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    code = _report_command_error(Output(False), CommandError("Cannot read pkg.zip."))

    said = capsys.readouterr()
    assert code == ExitCode.FAILED
    assert said.err.splitlines() == ["error: Cannot read pkg.zip."]
    _report_command_error(Output(True), CommandError("Cannot read pkg.zip."))
    assert "request_id" not in json.loads(capsys.readouterr().out)["error"]
