"""What the task of a push whose server process died says until its undo is over
(``services/remotes/orphans.py``, read through ``TaskService``): the heartbeat fails the task at
once, but the remote still holds what the push wrote; each read says that the undo waits (how
long, as of the read) or runs, and only the recovery's end says how it ended."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.taskfailures import ORPHANED
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage import workers as worker_repo
from support.planning import import_package
from support.pushes import SECOND, killed_push, second_package
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin, Fault, Killed, held


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


shadow = shadow_fixture(pushed=True, refreshed=True)


def _failed_by_the_heartbeat(services: Services, task_id: str) -> None:
    """What another process's heartbeat does to the task of a process that stopped beating."""
    now = now_ms()
    with services.db.transaction() as tx:
        task_repo.update_running(
            tx, task_id, status=TaskStatus.FAILED, message=ORPHANED, end_time=now, last_update=now
        )


def _said(services: Services, shadow: Scope, task_id: str) -> str:
    """What the task says, shown alone and in the workspace's list (the same)."""
    message = services.tasks.show(shadow, task_id).message
    listed = services.tasks.list_tasks(shadow)
    assert [t.message for t in listed.tasks if t.id == task_id] == [message]
    return message


def test_a_killed_push_says_its_undo_waits_counting_down_as_it_is_read(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    standin.reset()
    standin.faults[3] = Fault.STRAY  # a call in flight when the process died
    task_id = killed_push(services, shadow, tmp_path)
    _failed_by_the_heartbeat(services, task_id)
    pushes, now = services.pushes, [now_ms()]
    pushes.settle_ms, pushes.clock = 60_000, lambda: now[0]
    said = _said(services, shadow, task_id)
    assert "The push to remote 'prod' stopped when its server process did" in said
    assert "not undone yet: its undo starts in 60 s" in said
    assert "nothing it was applying was kept" not in said  # the heartbeat's words: not so yet
    assert pushes.recover() == []  # the settle time has not passed
    now[0] += 45_000
    assert "its undo starts in 15 s" in _said(services, shadow, task_id)
    now[0] += 15_000
    assert "its undo starts when a server process takes it" in _said(services, shadow, task_id)
    assert standin.land() == [204]
    assert pushes.recover() == [task_id]
    said = _said(services, shadow, task_id)
    assert "not undone yet" not in said
    assert "the remote is as it was before the push" in said
    assert services.tasks.show(shadow, task_id).status == TaskStatus.FAILED
    assert held(standin) == before
    assert standin.refused() == []


def test_a_killed_push_whose_undo_runs_on_a_live_process_says_so(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    standin.faults[2] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    _failed_by_the_heartbeat(services, task_id)
    with services.db.transaction() as tx:
        push = journal_repo.get_push(tx, task_id)
        assert push is not None
        worker_repo.register(tx, "other-process", "host", 1, now_ms())
        assert journal_repo.claim_push(tx, push, "other-process", now_ms() + 60_000)
    said = _said(services, shadow, task_id)
    assert "not undone yet: a server process is undoing them now" in said
    assert "Read this task again once the undo is over" in said


def test_a_killed_push_whose_undo_is_refused_says_what_stays_and_what_to_do(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    standin.faults[2] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    _failed_by_the_heartbeat(services, task_id)
    assert "its undo starts when a server process takes it" in _said(services, shadow, task_id)
    standin.reset()
    standin.faults[1] = Fault.REFUSE  # the undo's only write
    assert services.pushes.recover() == [task_id]
    said = _said(services, shadow, task_id)
    assert "not undone yet" not in said
    assert "could NOT be undone" in said
    assert "Fix:" in said


def _killed_rollback_task(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> tuple[str, str]:
    """Push the second package, then roll it back by a task of its own that dies as it sends
    its 2nd call (failed by the heartbeat then); the push's and the rollback task's ids."""
    pushed = import_package(services, shadow, second_package(tmp_path), **SECOND).id
    queued = services.rollback.start(shadow, pushed)
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    standin.reset()
    standin.faults[2] = Fault.KILL
    with pytest.raises(Killed):
        services.rollback.run(claimed)  # as a task thread does
    _failed_by_the_heartbeat(services, queued)
    return pushed, queued


def test_a_killed_rollback_task_says_what_it_rolled_back_and_how_to_finish(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    pushed, queued = _killed_rollback_task(services, standin, shadow, tmp_path)
    waiting = _said(services, shadow, queued)
    assert f"The rollback of push {pushed} in remote 'prod' stopped" in waiting
    assert "not undone yet: its undo starts when a server process takes it" in waiting
    assert services.pushes.recover() == []  # no push task among them
    task = services.tasks.show(shadow, queued)
    assert task.status == TaskStatus.FAILED
    assert (
        "having rolled back 1 of the push's 5 change(s) in the remote "
        "(create_job job 'weekly_sales')" in task.message
    )
    assert f"push {pushed} stands whole in the remote and in the shadow" in task.message
    finish = f"jobferry rollback {pushed} -w {shadow.workspace.name}."
    assert task.message.endswith(f"Finish the rollback by running it again: {finish}")
    assert len(task.outcome["push"]["undone"]) == 1
    standin.faults.clear()
    services.rollback.rollback(shadow, pushed)  # the command it names finishes it
    assert held(standin) == before
    assert standin.refused() == []


def test_a_killed_rollback_task_whose_undo_is_refused_says_what_stays_rolled_back(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    pushed, queued = _killed_rollback_task(services, standin, shadow, tmp_path)
    standin.reset()
    standin.faults[1] = Fault.REFUSE  # the undo of the one call it made
    assert services.pushes.recover() == []
    message = services.tasks.show(shadow, queued).message
    assert "could NOT be undone" in message
    assert f"stay rolled back in the remote while the shadow shows push {pushed} whole" in message
    assert (
        f"Once each is fixed, finish the rollback by running it again: jobferry rollback {pushed}"
        in message
    )
