"""A task that ends FAILED writes one warning line in the server log (task id, kind,
workspace, the message its user reads); one that succeeds writes none. A route's import whose
process stopped ends naming the command that runs it again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import update

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import parse_import_request
from jobferry.services.taskfailures import ORPHANED
from jobferry.services.tasks import ClaimedTask, TaskService
from jobferry.storage import workers as worker_repo
from jobferry.storage.tables import system_tasks
from support.clients import ADMIN_AK, PROJECT_ID
from support.console import admin_scope
from support.console import seed as seed_workspace
from support.planning import workspace


def _scope(services: Services) -> Scope:
    return services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)


def _claimed_import(services: Services, scope: Scope, tmp_path: Path) -> ClaimedTask:
    """The import of a file that is not a zip, queued and claimed as the task runner claims it."""
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip\nat all")
    with garbage.open("rb") as fh:
        path = services.imports.upload(scope, fh, "garbage.zip").path
    task_id = services.imports.prepare(scope, parse_import_request({"path": path})).task_id
    claimed = services.tasks.claim([TaskKind.IMPORT])
    assert claimed is not None
    assert claimed.id == task_id
    return claimed


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
    claimed = _claimed_import(services, scope, tmp_path)
    task_id = claimed.id
    services.imports.run(services.imports.resume(claimed))

    shown = services.tasks.show(scope, task_id)
    assert shown.status == TaskStatus.FAILED
    (line,) = _failures(caplog)
    assert line.startswith(f"task {task_id} FAILED: kind=import workspace=")
    assert scope.workspace.name in line
    assert " ".join(shown.message.split()) in line
    assert "\n" not in line


def test_an_import_that_fails_on_an_unexpected_error_points_to_the_server_log(
    services: Services,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scope = _scope(services)
    claimed = _claimed_import(services, scope, tmp_path)
    task_id = claimed.id

    def broken(job: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.imports, "_run", broken)
    services.imports.run(services.imports.resume(claimed))

    shown = services.tasks.show(scope, task_id)
    assert shown.status == TaskStatus.FAILED
    assert shown.message == f"Internal error; see the server log for task {task_id}."
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records)


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


def test_a_routes_import_whose_process_stopped_names_the_command_that_runs_it_again(
    services: Services,
) -> None:
    dev = admin_scope(services)
    seed_workspace(services, dev)
    prod = workspace(services, "prod")
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    services.routes.put(dev, "test-prod", route)
    planned = services.route_plans.plan(dev, "test-prod", {})
    assert planned.plan is not None
    task_id = services.route_plans.apply(dev, "test-prod", planned.plan.plan_id).prepared.task_id
    other = _scope(services)  # a task of no route fails as it always did
    export = services.tasks.create(other, TaskKind.EXPORT, "export", {})
    dead = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    dead.register_worker()
    assert dead.claim([TaskKind.IMPORT]) is not None
    with services.db.transaction() as tx:
        tx.conn.execute(
            update(system_tasks).where(system_tasks.c.id == export).values(owner=dead.worker_id)
        )
        worker_repo.beat(tx, dead.worker_id, 0)  # its last beat was long ago: it died

    assert sorted(services.tasks.heartbeat()) == sorted([task_id, export])

    failed = services.tasks.show(prod, task_id)
    assert failed.status == TaskStatus.FAILED
    assert failed.message == (
        "The server process running this promotion of route 'test-prod' stopped before it "
        "finished; nothing it was applying was kept. Run it again: jobferry promote test-prod "
        "--apply."
    )
    assert services.tasks.show(other, export).message == ORPHANED
