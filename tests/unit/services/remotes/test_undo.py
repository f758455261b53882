"""The undo of a push that failed (``services/remotes/undo.py``), at the service level against
the DataArts stand-in: whichever write fails, every write made before it is undone newest
first (an update put back, a create deleted, a delete re-created, a pause restored) and the
remote and the shadow are as they were; an undo that cannot be made is reported with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import ObjectKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.undo import UndoReport, fix_for, sentence
from jobferry.services.remotes.writes import Step, Undo, UndoOp
from jobferry.services.taskviews import Task
from jobferry.storage import remotes_journal as journal_repo
from support.console import admin_actor
from support.planning import (
    import_package,
    run_import,
    upload,
)
from support.pushes import SECOND, STREAM, renaming_package, running_stream, second_package
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin, Fault, held


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


# The remote after a first push of daily_sales, weekly_sales and hourly_sales, daily_sales
# then scheduled on the remote and the shadow refreshed.
shadow = shadow_fixture(pushed=True, scheduled=("daily_sales",), refreshed=True)


def test_the_second_push_pauses_edits_deletes_creates_and_restores(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    writes = standin.writes()
    assert (writes[0], writes[-1]) == ("stop_job", "start_job"), writes
    assert {"update_job", "create_job", "delete_job"} <= set(writes)
    assert sorted(standin.workspace.jobs) == ["daily_sales", "hourly_sales", "monthly_sales"]
    assert standin.workspace.jobs["daily_sales"].status == "SCHEDULING"
    assert standin.workspace.jobs["daily_sales"].doc["logPath"] == "obs://bucket/logs/edited"
    assert task.status == TaskStatus.SUCCESSFUL


def test_a_failure_at_every_position_leaves_the_remote_as_it_was(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    package = second_package(tmp_path)
    before = held(standin)
    position = 0
    while True:
        position += 1
        assert position < 30, "the push never succeeded"
        standin.reset()
        standin.faults[position] = Fault.REFUSE
        task = run_import(services, shadow, upload(services, shadow, package), **SECOND)
        if task.status == TaskStatus.SUCCESSFUL:
            break
        assert task.status == TaskStatus.FAILED, task.message
        assert "the remote is as it was before the push" in task.message, task.message
        assert held(standin) == before, position
        with services.db.transaction(readonly=True) as tx:
            push = journal_repo.get_push(tx, task.id)
        assert push is not None
        assert push.state == "undone"
    assert position > 5  # every write of the push was refused once before it landed
    assert standin.refused() == []


def _lands_whole(standin: DataArtsStandin, task: Task) -> None:
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert "update_factory_job_name" in standin.writes()
    jobs = {name: job.status for name, job in standin.workspace.jobs.items()}
    assert jobs == {
        "daily_v2": "SCHEDULING",
        "weekly_sales": "SCHEDULING",
        "monthly_sales": "STOPPED",
    }
    depends = standin.workspace.jobs["weekly_sales"].doc["schedule"]["cron"]["dependJobs"]
    assert depends["jobs"] == ["daily_v2"]


@pytest.mark.parametrize("fault", [Fault.REFUSE, Fault.DROP])
def test_a_push_that_renames_meets_a_fault_at_every_position_and_is_all_or_nothing(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, fault: Fault
) -> None:
    """Refused, every write made is undone (the rename reversed, the deleted job created and
    scheduled again); its answer lost, the write is read again and the push lands whole (then
    rolled back, for the next position)."""
    standin.workspace.jobs["weekly_sales"].status = "SCHEDULING"
    services.remotes.refresh(admin_actor(services), "prod")
    package, before = renaming_package(tmp_path), held(standin)
    for position in range(1, 30):
        standin.reset()
        standin.faults[position] = fault
        options = {"propagateDeletes": True, "scheduling": "PAUSE_AND_RESTORE"}
        task = run_import(services, shadow, upload(services, shadow, package), **options)
        if task.status == TaskStatus.FAILED:
            assert fault is Fault.REFUSE
            assert "the remote is as it was before the push" in task.message, task.message
        elif fault is Fault.REFUSE or len(standin.writes()) < position:
            break  # past the last write
        else:
            _lands_whole(standin, task)
            services.rollback.rollback(shadow, task.id)
        assert held(standin) == before, (position, standin.writes())
    _lands_whole(standin, task)
    assert position > 10
    assert standin.refused() == []


def test_a_failed_push_starts_again_the_real_time_job_it_paused(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A running real-time job is listed ``NORMAL``, not ``SCHEDULING``: the undo of its pause
    runs it again all the same."""
    package = running_stream(services, standin, shadow, tmp_path)
    before = held(standin)
    standin.reset()
    standin.faults[2] = Fault.REFUSE  # the write after the stream's pause
    path = upload(services, shadow, package)
    task = run_import(services, shadow, path, scheduling="PAUSE_AND_RESTORE")
    assert task.status == TaskStatus.FAILED
    assert standin.writes()[0] == "stop_job"
    assert standin.workspace.jobs[STREAM].status == "NORMAL", standin.writes()
    assert held(standin) == before
    assert standin.refused() == []


def test_an_undo_that_cannot_be_made_is_reported_with_its_fix(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    standin.faults.update({n: Fault.REFUSE for n in range(3, 30)})  # the third write on, undo too
    task = run_import(
        services, shadow, upload(services, shadow, second_package(tmp_path)), **SECOND
    )
    assert task.status == TaskStatus.FAILED
    stuck = task.result["push"]["notUndone"] if task.result else []
    assert stuck, task.message
    assert all(item["fix"] for item in stuck)
    assert f"{len(stuck)} of its changes in the remote could NOT be undone: " in task.message
    assert "It was" not in task.message
    assert ".." not in task.message
    assert ".;" not in task.message
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task.id)
    assert push is not None
    assert push.state == "stuck"


def test_an_undo_says_in_sentences_what_it_did() -> None:
    assert UndoReport().describe() == (
        "It had changed nothing in the remote; the remote is as it was before the push."
    )
    assert UndoReport(["update_job 'a'"] * 4).describe("rollback") == (
        "Its 4 change(s) in the remote were undone; the remote is as it was before the rollback."
    )
    stuck = {"object": "job 'a'", "reason": "Refused.", "fix": "put it back."}
    assert UndoReport(["x"], [stuck] * 2).describe() == (
        "1 of its changes in the remote were undone, but 2 could NOT be: job 'a': Refused. "
        "Fix: put it back; job 'a': Refused. Fix: put it back."
    )
    assert sentence("refused by the gateway") == "refused by the gateway."
    assert sentence("refused.") == "refused."


def test_the_fix_of_an_overwrite_not_undone_names_the_command_showing_its_definition() -> None:
    step = Step(ObjectKind.JOB, "a", "update_job", {}, None, Undo(UndoOp.UPDATE, {"name": "a"}))
    fix = fix_for(step, "prod", "t1")
    assert fix == (
        "in remote 'prod', overwrite job 'a' with the definition task t1 keeps (jobferry tasks "
        "show t1 -w prod --json: result.push.notUndone) (DataArts' update_job)."
    )
    assert "given with this refusal" in fix_for(step, "prod", "rollback-1")
