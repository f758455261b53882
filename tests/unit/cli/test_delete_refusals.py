"""``jobs delete`` and ``scripts delete`` say the server's refusals of a scheduled job and of
an object in use with jobferry's commands (``cli/deleting.py``); a fix acts where the refused
deletion was: ``-w`` as ``--workspace`` named that workspace, none on the context's own."""

from __future__ import annotations

from jobferry.cli.client import ApiError
from jobferry.cli.deleting import SCHEDULED, _refusal
from jobferry.cli.session import Session
from jobferry.cli.workspaces import Workspace
from jobferry.domain.enums import ObjectKind

WS_ID = "0123456789abcdef0123456789abcdef"


def _said(s: Session) -> str:
    refused = ApiError(400, SCHEDULED, "Job 'j1' is scheduled.", {})
    told = _refusal(s, ObjectKind.JOB, "j1", refused)
    assert told is not None
    return str(told)


def test_a_scheduled_jobs_deletion_on_the_contexts_workspace_names_no_workspace() -> None:
    described = Session()  # the context's own, looked up for the question's label
    described._workspace = Workspace(WS_ID, "dev")
    assert "stop it with: jobferry jobs stop j1 — then" in _said(described)


def test_a_scheduled_jobs_deletion_elsewhere_names_the_workspace_as_given() -> None:
    assert "jobferry jobs stop j1 -w prod — then" in _said(Session(workspace="prod"))
    by_id = Session(workspace=WS_ID)
    by_id._workspace = Workspace(WS_ID, "prod")
    assert f"jobferry jobs stop j1 -w {WS_ID} — then" in _said(by_id)
