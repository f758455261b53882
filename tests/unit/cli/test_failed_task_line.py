"""A failure a followed task's failure causes ends, for a person, with the task's id (``task:
…``, one dim line on standard error, last), which ``tasks show`` and the server's log (``task …
FAILED``) know it by; ``--json`` carries it as ``error.task_id``. A task that succeeded leaves
the command's later failures without one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobferry.cli.app import _report_api_error
from jobferry.cli.client import ApiError
from jobferry.cli.exits import ExitCode
from jobferry.cli.session import Session
from jobferry.cli.tasks import follow_accepted, wait_for

TASK = "5a0c1e2d3b4f"
REFUSED = {"errorCode": "DLF.9016", "httpStatus": 409}


class _Ended:
    """A client whose task has ended as ``status`` says."""

    def __init__(self, status: str) -> None:
        self.status = status

    def wait_task(self, task_id: str, on_update: Any = None) -> dict[str, Any]:
        return {"id": task_id, "status": self.status, "message": "No.", "result": dict(REFUSED)}


def _session(status: str, *, json_mode: bool = False) -> Session:
    return Session(workspace="prod", json_mode=json_mode, _client=_Ended(status))  # type: ignore[arg-type]


def _refused(s: Session) -> ApiError:
    with pytest.raises(ApiError) as refused:
        follow_accepted(s, TASK, "rollback")
    return refused.value


def test_a_failed_tasks_refusal_ends_with_the_task_id(capsys: pytest.CaptureFixture[str]) -> None:
    s = _session("FAILED")

    code = _report_api_error(s.output, _refused(s), None)
    s.output.task_line()

    said = capsys.readouterr()
    assert code == ExitCode.FAILED
    assert said.err.splitlines() == ["error DLF.9016: No.", f"task: {TASK}"]


def test_json_carries_the_task_id_and_prints_no_line(capsys: pytest.CaptureFixture[str]) -> None:
    s = _session("FAILED", json_mode=True)

    _report_api_error(s.output, _refused(s), None)
    s.output.task_line()

    said = capsys.readouterr()
    assert said.err == ""
    error = json.loads(said.out)["error"]
    assert (error["code"], error["task_id"], error["status"]) == ("DLF.9016", TASK, 409)


def test_a_task_that_succeeded_names_none(capsys: pytest.CaptureFixture[str]) -> None:
    s = _session("SUCCESSFUL")

    assert wait_for(s, TASK, "Waiting")["status"] == "SUCCESSFUL"
    s.output.error("DLF.0100", "A later call failed.")
    s.output.task_line()

    assert capsys.readouterr().err.splitlines() == ["error DLF.0100: A later call failed."]
