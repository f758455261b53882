"""A push rolled back (``services/remotes/rollback.py``) at the service level, against the
DataArts stand-in: the remote is brought back to what it held before the push (an update put
back, a create deleted, a delete re-created), then the shadow; refused before any call,
changing nothing, when the shadow's own rollback would refuse or the remote changed since it
was last refreshed; a call that fails for good, a refusal of the shadow after the calls, and a
process killed between the calls and the shadow's commit leave remote and shadow as the push
left them (the rollback's own calls undone from its journal). The preview of a push's rollback
refuses as the rollback does for what this server's rows tell, calling nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.errors import (
    ConflictError,
    JobferryError,
    PlanStaleError,
    RemoteError,
    RollbackRefusedError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.rollback import LocalRollback
from jobferry.services.remotes.undo import ROLLBACK
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.importing import target as target_repo
from support.builders import make_job
from support.console import admin_actor
from support.planning import import_package, run_import, upload
from support.progress import said_by
from support.pushes import SECOND, STREAM, killed_push, running_stream, second_package
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin, Fault, Killed, down_after_writes, held, settling


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


shadow = shadow_fixture(pushed=True)


def test_a_rolled_back_push_leaves_the_remote_as_before_it(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    assert held(standin) != before
    standin.reset()
    done = services.rollback.rollback(shadow, task.id)
    assert done.count > 0
    assert held(standin) == before
    assert {"update_job", "create_job", "delete_job"} <= set(standin.writes())
    assert standin.refused() == []


def test_a_rolled_back_push_runs_again_the_real_time_job_it_paused(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    package = running_stream(services, standin, shadow, tmp_path)
    before = held(standin)
    path = upload(services, shadow, package)
    task = run_import(services, shadow, path, scheduling="PAUSE_AND_RESTORE")
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    standin.reset()
    services.rollback.rollback(shadow, task.id)
    assert standin.workspace.jobs[STREAM].status == "NORMAL", standin.writes()
    assert held(standin) == before
    assert standin.refused() == []


def test_a_push_rolled_back_by_a_task_of_its_own_leaves_the_remote_as_before_it(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    queued = services.rollback.start(shadow, task.id)
    standin.reset()
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    services.rollback.run(claimed)  # as a task thread does
    ended = services.tasks.show(shadow, queued)
    assert ended.status is TaskStatus.SUCCESSFUL, ended.message
    assert ended.outcome["rolledBack"] > 0
    assert held(standin) == before
    assert standin.refused() == []


def test_a_rollback_task_refused_by_the_remote_fails_and_frees_the_shadow(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    queued = services.rollback.start(shadow, task.id)
    standin.workspace.edit_job("monthly_sales", logPath="obs://bucket/changed/there")
    before = held(standin)
    standin.reset()
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    services.rollback.run(claimed)
    ended = services.tasks.show(shadow, queued)
    assert ended.status is TaskStatus.FAILED
    assert "monthly_sales" in ended.message
    assert ended.outcome["errorCode"] == "DLF.9015"
    assert standin.writes() == []
    assert held(standin) == before
    assert services.rollback.start(shadow, task.id) != queued  # the lock went with the task


def test_a_rollback_is_refused_when_the_remote_changed_since_its_refresh(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    standin.workspace.edit_job("monthly_sales", logPath="obs://bucket/changed/there")
    before = held(standin)
    standin.reset()
    with pytest.raises(PlanStaleError, match="monthly_sales"):
        services.rollback.rollback(shadow, task.id)
    assert standin.writes() == []
    assert held(standin) == before


def test_a_rollback_is_refused_when_a_job_made_in_the_remote_since_may_use_what_it_deletes(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The push made monthly_sales and its scripts; a person then made a job in DataArts
    running one of them, and nobody refreshed. The rollback deletes those scripts: it is
    refused before any write, naming that job (found by the generated remote promotions: it
    deleted the script under the person's job), as the shadow's own rollback refuses once a
    refresh brought the job in."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    theirs = make_job("by_hand")
    for node in theirs["nodes"]:
        for prop in node["properties"]:
            if prop["name"] == "scriptName":
                prop["value"] = prop["value"].replace("by_hand", "monthly_sales")
    standin.workspace.put_job(theirs)
    before = held(standin)
    standin.reset()
    with pytest.raises(RollbackRefusedError, match="job 'by_hand' \\(uses script 'monthly_"):
        services.rollback.rollback(shadow, task.id)
    assert standin.writes() == []
    assert held(standin) == before
    services.remotes.refresh(admin_actor(services), "prod")
    with pytest.raises(RollbackRefusedError, match="by_hand"):
        services.rollback.rollback(shadow, task.id)
    assert held(standin) == before


def test_a_job_made_in_the_remote_since_that_uses_nothing_it_deletes_lets_the_rollback_go(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A person's job made in DataArts since the last refresh, running scripts of its own, does
    not hold back the rollback of a push that made scripts and a job: it stays, untouched."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    theirs = make_job("by_hand")
    standin.workspace.put_job(theirs)
    before = held(standin)

    services.rollback.rollback(shadow, task.id)

    after = held(standin)
    assert after["jobs"]["by_hand"] == before["jobs"]["by_hand"]
    assert "monthly_sales" not in after["jobs"]


def test_a_push_is_rolled_back_once(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    services.rollback.rollback(shadow, task.id)
    services.remotes.refresh(admin_actor(services), "prod")
    standin.reset()
    with pytest.raises(RollbackRefusedError):
        services.rollback.rollback(shadow, task.id)
    assert standin.writes() == []


def _shadow(services: Services, scope: Scope) -> dict[str, tuple[str, str]]:
    """The shadow's jobs: name → (definition, status)."""
    with services.db.transaction(readonly=True) as tx:
        jobs = target_repo.objects_after(tx, scope.workspace.id, "job", "", 1000)
    return {job.name: (job.document, job.status) for job in jobs}


@pytest.mark.parametrize(
    "change",
    ["an object the push wrote edited", "a name the push deleted taken again"],
)
def test_a_rollback_the_shadow_would_refuse_is_refused_before_any_call(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, change: str
) -> None:
    """The remote changed and was refreshed into the shadow (so the remote's re-read finds
    nothing new): the shadow's own checks refuse, naming the object, before the remote is
    called — the first pass's (an object edited) and the second's (a name taken)."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    if change.endswith("edited"):
        standin.workspace.edit_job("monthly_sales", logPath="obs://bucket/changed/there")
        said = "job 'monthly_sales' was edited"
    else:
        standin.workspace.put_job(make_job("weekly_sales", logPath="obs://bucket/made/again"))
        said = "job 'weekly_sales' was made after the import"
    services.remotes.refresh(admin_actor(services), "prod")
    before, shadow_before = held(standin), _shadow(services, shadow)
    standin.reset()
    with pytest.raises(RollbackRefusedError, match="cannot be rolled back") as refused:
        services.rollback.rollback(shadow, task.id)
    assert said in refused.value.message
    assert standin.calls() == []
    assert held(standin) == before
    assert _shadow(services, shadow) == shadow_before


def test_a_call_that_fails_for_good_undoes_the_rollbacks_own_calls(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    pushed, shadow_pushed = held(standin), _shadow(services, shadow)
    standin.reset()
    standin.faults[3] = Fault.REFUSE
    with pytest.raises(RemoteError, match="The rollback in remote 'prod' failed at") as failed:
        services.rollback.rollback(shadow, task.id)
    assert "the remote is as it was before" in failed.value.message
    assert held(standin) == pushed
    assert _shadow(services, shadow) == shadow_pushed
    assert standin.refused() == []
    # the push stands whole: it can be rolled back again, and then is
    standin.faults.clear()
    services.rollback.rollback(shadow, task.id)
    assert "monthly_sales" not in held(standin)["jobs"]


def test_a_rollback_whose_remote_stops_answering_leaves_the_undo_of_its_calls_to_the_recovery(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The remote stops answering after the rollback's second call: its undo cannot reach it
    either, so nothing is called "could NOT be undone"; its journal waits, and the recovery
    puts back what the rollback changed once the remote answers (the push stands whole, and
    can be rolled back again)."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    pushed, shadow_pushed = held(standin), _shadow(services, shadow)
    standin.reset()
    down_after_writes(services, standin, 2)
    with pytest.raises(RemoteError, match="The rollback in remote 'prod' failed at") as failed:
        services.rollback.rollback(shadow, task.id)
    assert "NOT" not in failed.value.message
    assert "Its undo could not reach the remote either" in failed.value.message
    with services.db.transaction(readonly=True) as tx:
        (waiting,) = journal_repo.open_in_workspace(tx, shadow.workspace.id)
        calls = journal_repo.calls(tx, waiting.task_id)
    assert waiting.state == "waiting"
    assert "stuck" not in {call.state for call in calls}
    assert held(standin) != pushed  # two calls made, not undone yet
    standin.down = None
    later = now_ms() + 31_000
    services.pushes.clock = lambda: later
    services.pushes.recover()
    assert held(standin) == pushed
    assert _shadow(services, shadow) == shadow_pushed
    with services.db.transaction(readonly=True) as tx:
        assert journal_repo.open_in_workspace(tx, shadow.workspace.id) == []
    services.rollback.rollback(shadow, task.id)
    assert "monthly_sales" not in held(standin)["jobs"]
    assert standin.refused() == []


def test_a_rollback_task_whose_remote_stops_answering_says_its_undo_waits_then_how_it_ended(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    pushed = held(standin)
    queued = services.rollback.start(shadow, task.id)
    standin.reset()
    down_after_writes(services, standin, 2)
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    services.rollback.run(claimed)  # as a task thread does
    said = services.tasks.show(shadow, queued).message
    assert said.startswith("The rollback in remote 'prod' failed at "), said
    assert "not undone yet: its undo waits for remote 'prod'" in said
    standin.down = None
    later = now_ms() + 31_000
    services.pushes.clock = lambda: later
    services.pushes.recover()
    ended = services.tasks.show(shadow, queued)
    assert ended.status is TaskStatus.FAILED
    assert ended.message.startswith("The rollback in remote 'prod' failed at "), ended.message
    assert "Once the remote answered those were put back as the push left them" in ended.message
    assert f"jobferry rollback {task.id} -w prod" in ended.message
    assert held(standin) == pushed
    assert standin.refused() == []


def test_a_call_with_no_answer_is_waited_for_before_the_rollbacks_own_calls_are_undone(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The third call gets no answer at any attempt: the undo waits the settle time first, so
    what those attempts still on their way do is undone too."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    pushed = held(standin)
    standin.reset()
    standin.faults.update({write: Fault.TIMEOUT for write in (3, 4, 5, 6)})
    landed = settling(services, standin)
    with pytest.raises(RemoteError, match="ReadTimeout") as failed:
        services.rollback.rollback(shadow, task.id)
    assert "the remote is as it was before" in failed.value.message
    ((first, *_),) = landed
    assert first < 300  # the first attempt lands, after all
    assert held(standin) == pushed
    assert standin.refused() == []


def test_a_shadow_that_refuses_after_the_calls_has_the_remote_undone(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shadow changed between the check and its commit (the check is skipped here to
    make it so): the shadow refuses, and the rollback's calls are undone."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    standin.workspace.edit_job("daily_sales", logPath="obs://bucket/changed/there")
    services.remotes.refresh(admin_actor(services), "prod")
    before, shadow_before = held(standin), _shadow(services, shadow)
    monkeypatch.setattr(LocalRollback, "check", lambda self: None)
    standin.reset()
    with pytest.raises(RollbackRefusedError, match="refused its own rollback") as refused:
        services.rollback.rollback(shadow, task.id)
    assert "daily_sales' was edited" in refused.value.message
    assert standin.writes() != []
    assert held(standin) == before
    assert _shadow(services, shadow) == shadow_before


def _killed_commit(self: LocalRollback, *along: object) -> None:
    raise Killed("killed before the shadow's rollback committed")


@pytest.mark.parametrize("at", ["a call", "the commit"])
def test_a_rollback_killed_midway_is_undone_by_recovery(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    at: str,
) -> None:
    """Killed as it sends its 2nd call, or once every call was made and before the shadow's
    commit: the rollback journal stays open; the recovery undoes its calls, and remote and
    shadow are as the push left them (which can then be rolled back)."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    pushed, shadow_pushed = held(standin), _shadow(services, shadow)
    standin.reset()
    if at == "a call":
        standin.faults[2] = Fault.KILL
    else:
        monkeypatch.setattr(LocalRollback, "run", _killed_commit)
    with pytest.raises(Killed):
        services.rollback.rollback(shadow, task.id)
    assert held(standin) != pushed
    with services.db.transaction(readonly=True) as tx:
        (open_,) = journal_repo.open_in_workspace(tx, shadow.workspace.id)
    assert open_.task_id.startswith(ROLLBACK)
    monkeypatch.undo()
    assert services.pushes.recover() == []  # a rollback has no task to tell
    assert held(standin) == pushed
    assert _shadow(services, shadow) == shadow_pushed
    with services.db.transaction(readonly=True) as tx:
        ended = journal_repo.get_push(tx, open_.task_id)
        assert journal_repo.open_in_workspace(tx, shadow.workspace.id) == []
    assert ended is not None
    assert ended.state == "undone"
    standin.faults.clear()
    services.rollback.rollback(shadow, task.id)
    assert "monthly_sales" not in held(standin)["jobs"]
    assert standin.refused() == []


def test_a_rollback_task_of_a_push_says_how_far_it_got(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    queued = services.rollback.start(shadow, task.id)
    said = said_by(services, monkeypatch, queued)
    standin.reset()
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    services.rollback.run(claimed)

    assert services.tasks.show(shadow, queued).status is TaskStatus.SUCCESSFUL
    progress = [p for p, _ in said]
    assert progress == sorted(progress)
    messages = [m for _, m in said]
    assert messages[0].startswith("Checking and undoing ")
    assert messages[1] == f"Reading 5 object(s) in remote 'prod' (push {task.id})."
    calls = [m for m in messages if " call(s) to remote 'prod'." in m]
    sent = len(standin.writes())
    assert calls[-1] == f"{sent}/{sent} call(s) to remote 'prod'."
    assert said[-3:] == [
        (85, "Reading 5 object(s) in remote 'prod' again."),
        (90, f"Rolling back the shadow workspace '{shadow.workspace.name}'."),
        (99, "Undoing: 5 of 5 change(s) checked."),  # beside the shadow's undo where it can be
    ]


def test_a_rollback_killed_midway_has_its_calls_read_back_before_they_are_undone(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """Killed as it sends its 2nd call, the rollback had made weekly_sales again (a call
    never read back: a rollback reads back once its calls all ended). The recovery reads it
    back before it undoes; the remote failing its writes, it waits; a person edits
    weekly_sales meanwhile, and the next try leaves the edit as the person made it."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    standin.reset()
    standin.faults[2] = Fault.KILL
    with pytest.raises(Killed):
        services.rollback.rollback(shadow, task.id)
    assert "weekly_sales" in standin.workspace.jobs
    with services.db.transaction(readonly=True) as tx:
        (open_,) = journal_repo.open_in_workspace(tx, shadow.workspace.id)
    now = [now_ms()]
    services.pushes.clock = lambda: now[0]
    standin.reset()
    standin.faults.update({n: Fault.FAIL for n in range(1, 40)})
    assert services.pushes.recover() == []
    standin.workspace.edit_job("weekly_sales", logPath="obs://bucket/logs/hotfix")
    standin.reset()
    now[0] += 30_000
    assert services.pushes.recover() == []  # a rollback has no task to tell
    assert standin.workspace.jobs["weekly_sales"].doc["logPath"] == "obs://bucket/logs/hotfix"
    with services.db.transaction(readonly=True) as tx:
        ended = journal_repo.get_push(tx, open_.task_id)
        states = {c.name: c.state for c in journal_repo.calls(tx, open_.task_id)}
    assert ended is not None
    assert (ended.state, states["weekly_sales"]) == ("stuck", "left")
    assert standin.refused() == []


def _refusal(refused: JobferryError) -> tuple[str, str, str, object]:
    return (type(refused).__name__, refused.code, refused.message, refused.context.get("rule"))


def test_the_preview_of_a_rollback_refuses_as_it_while_a_rollback_into_the_remote_is_not_over(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rollback of the push killed before the shadow's commit leaves its journal open: the
    shadow's own checks find nothing against rolling back, but the rollback refuses until the
    recovery ended it, and so does its preview, without a call to the remote."""
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    monkeypatch.setattr(LocalRollback, "run", _killed_commit)
    with pytest.raises(Killed):
        services.rollback.rollback(shadow, task.id)
    monkeypatch.undo()
    standin.reset()
    with pytest.raises(ConflictError, match="into remote 'prod' is not over") as previewed:
        services.rollback.preview(shadow, task.id)
    assert standin.calls() == []
    with pytest.raises(ConflictError) as refused:
        services.rollback.rollback(shadow, task.id)
    assert _refusal(previewed.value) == _refusal(refused.value)
    assert standin.calls() == []
    services.pushes.recover()
    assert services.rollback.preview(shadow, task.id).count > 0


def test_the_preview_of_the_rollback_of_a_push_undone_refuses_as_it_that_nothing_was_pushed(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A push killed and undone by the recovery changed nothing in the remote: the rollback
    says there is nothing to roll back (``nothing``), and so does its preview."""
    standin.reset()
    standin.faults[2] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    standin.faults.clear()
    later = now_ms() + 31_000
    services.pushes.clock = lambda: later
    services.pushes.recover()
    with services.db.transaction(readonly=True) as tx:
        assert journal_repo.open_in_workspace(tx, shadow.workspace.id) == []
    standin.reset()
    with pytest.raises(RollbackRefusedError) as previewed:
        services.rollback.preview(shadow, task_id)
    with pytest.raises(RollbackRefusedError) as refused:
        services.rollback.rollback(shadow, task_id)
    assert previewed.value.context["rule"] == "nothing"
    assert _refusal(previewed.value) == _refusal(refused.value)
    assert standin.calls() == []
