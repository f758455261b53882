"""A task that ends FAILED writes one warning line in the server log (task id, kind,
workspace, the message its user reads); one that succeeds writes none."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import parse_import_request
from support.clients import ADMIN_AK, PROJECT_ID


def _scope(services: Services) -> Scope:
    return services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)


def _failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "jobferry.tasks" and r.levelno == logging.WARNING
    ]


def test_an_import_that_fails_in_its_task_says_so_in_the_log(
    services: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobferry")
    scope = _scope(services)
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip\nat all")
    with garbage.open("rb") as fh:
        path = services.imports.upload(scope, fh, "garbage.zip").path
    task_id = services.imports.prepare(scope, parse_import_request({"path": path})).task_id
    claimed = services.tasks.claim([TaskKind.IMPORT])
    assert claimed is not None
    assert claimed.id == task_id
    services.imports.run(services.imports.resume(claimed))

    shown = services.tasks.show(scope, task_id)
    assert shown.status == TaskStatus.FAILED
    (line,) = _failures(caplog)
    assert line.startswith(f"task {task_id} FAILED: kind=import workspace=")
    assert scope.workspace.name in line
    assert " ".join(shown.message.split()) in line
    assert "\n" not in line


def test_a_task_abandoned_or_finished_failed_is_logged_once_and_a_success_not_at_all(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobferry")
    scope = _scope(services)
    ok = services.tasks.create(scope, TaskKind.EXPORT, "fine", {})
    services.tasks.finish(ok, TaskStatus.SUCCESSFUL, "Done.")
    assert _failures(caplog) == []

    failed = services.tasks.create(scope, TaskKind.EXPORT, "broken", {})
    services.tasks.finish(failed, TaskStatus.FAILED, "The object storage did not answer.")
    services.tasks.finish(failed, TaskStatus.FAILED, "ended already: not recorded again")
    abandoned = services.tasks.create(scope, TaskKind.ROLLBACK, "lost", {})
    services.tasks.abandon(abandoned, "Internal error.")
    assert _failures(caplog) == [
        f"task {failed} FAILED: kind=export workspace={scope.workspace.name} "
        "message=The object storage did not answer.",
        f"task {abandoned} FAILED: kind=rollback workspace={scope.workspace.name} "
        "message=Internal error.",
    ]
