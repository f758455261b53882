"""``jobferry drift`` run on a server's answer, without a server: the command's own code, its
session answering ``GET …/drift`` with the answer given (its exit code and what it printed)."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
import typer

from jobferry.cli import drift as drift_cli
from jobferry.cli.output import Output


class _Session:
    """What ``drift_command`` asks of its session: a client, an output, the workspace."""

    def __init__(self, answer: dict[str, Any], json_mode: bool) -> None:
        self.answer, self.output = answer, Output(json_mode=json_mode)

    def client(self) -> _Session:
        return self

    def get(self, path: str) -> dict[str, Any]:
        assert path == "/drift", path
        return self.answer

    def workspace_label(self) -> str:
        return "workspace 'prod'"


def drift_command(answer: dict[str, Any], *, json_mode: bool = False) -> tuple[int, str]:
    """``jobferry drift`` (``--json``) answered ``answer``: its exit code and standard output."""
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(drift_cli, "session", lambda *_: _Session(answer, json_mode))
        patch.setenv("COLUMNS", "1000")
        try:
            drift_cli.drift_command(None)  # type: ignore[arg-type]
        except typer.Exit as ended:
            return int(ended.exit_code), printed.getvalue()
    return 0, printed.getvalue()
