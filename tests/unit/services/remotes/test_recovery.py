"""A push whose process died midway (``PushService.recover``, ``services/remotes/recovery.py``),
at the service level: the stand-in kills the push as it sends a call (:class:`Killed`, which
nothing in jobferry catches, as nothing catches kill -9), leaving its journal open; recovery
then undoes every write journalled, newest first, rolls the shadow's import back, and fails
the task saying so. The import ran once, into the shadow, before the first call: the shadow
shows the pushed state while the push runs (and after a kill, until the recovery)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.errors import ConflictError
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.storage import remotes as remote_repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import workers as worker_repo
from jobferry.storage.importing import target as target_repo
from support.console import admin_actor
from support.planning import import_package, run_import, upload
from support.pushes import SECOND, first_package, killed_push, renaming_package, second_package
from support.shadows import shadow_fixture
from support.standin import (
    AK,
    SK,
    DataArtsStandin,
    Fault,
    Killed,
    down_after_writes,
    held,
    remote_shadow,
)


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


# refreshed after the first push, as the push's plan does first
shadow = shadow_fixture(pushed=True, scheduled=("daily_sales",), refreshed=True)


def _shadow(services: Services, scope: Scope) -> dict[str, tuple[str, str]]:
    """The shadow's jobs: name → (definition, status)."""
    with services.db.transaction(readonly=True) as tx:
        jobs = target_repo.objects_after(tx, scope.workspace.id, "job", "", 1000)
    return {job.name: (job.document, job.status) for job in jobs}


@pytest.mark.parametrize("at", [1, 3, 6])
def test_a_push_killed_midway_is_undone_by_recovery(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, at: int
) -> None:
    before, shadow_before = held(standin), _shadow(services, shadow)
    standin.reset()
    standin.faults[at] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    assert len(standin.writes()) >= at - 1
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task_id)
    assert push is not None
    assert push.state == "pushing"
    assert "monthly_sales" in _shadow(services, shadow)  # the pushed state, meanwhile
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    assert _shadow(services, shadow) == shadow_before
    task = services.tasks.show(shadow, task_id)
    assert task.status == TaskStatus.FAILED
    assert "stopped when its server process did" in task.message
    writes = [sub for sub in task.subtasks or [] if sub["action"] not in ("UNCHANGED", "SKIP")]
    assert writes
    assert {sub["status"] for sub in writes} == {TaskStatus.FAILED}  # none kept
    assert services.pushes.recover() == []  # finished once
    assert standin.refused() == []


def _calls_of_the_second_push(services: Services, standin: DataArtsStandin, tmp_path: Path) -> int:
    """How many calls the second push makes, pushed whole into a twin remote (``twin``, a
    second workspace of the stand-in that received the same first push); from now on, a plan
    is made on the last refresh (no refresh before it: the push's calls are all there is)."""
    twin = remote_shadow(services, standin, "twin", workspace="twin-ws")
    import_package(services, twin, first_package(tmp_path / "twin"))
    standin.workspaces["twin-ws"].jobs["daily_sales"].status = "SCHEDULING"
    services.remotes.refresh(admin_actor(services), "twin")
    services.imports.deliveries.remote.refresh_seconds = 3600  # plans on the last refresh
    standin.reset()
    import_package(services, twin, second_package(tmp_path / "twin"), **SECOND)
    return len(standin.calls())


@pytest.mark.parametrize("when", ["first", "last"])
def test_a_push_killed_before_its_first_call_or_at_its_last_is_undone_whole(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, when: str
) -> None:
    """Killed as it re-reads the remote (the shadow committed, no write made yet), or as it
    reads the remote after its last write (every write made, its end not yet committed):
    after the recovery, remote and shadow are both as before."""
    (tmp_path / "twin").mkdir()
    last = _calls_of_the_second_push(services, standin, tmp_path)
    services.remotes.transport = standin.transport()
    before, shadow_before = held(standin), _shadow(services, shadow)
    standin.reset()
    standin.call_faults[1 if when == "first" else last] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    assert (standin.writes() == []) is (when == "first")
    assert "monthly_sales" in _shadow(services, shadow)
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    assert _shadow(services, shadow) == shadow_before
    task = services.tasks.show(shadow, task_id)
    assert task.status == TaskStatus.FAILED
    assert "the remote is as it was before the push" in task.message
    assert standin.refused() == []


def test_the_recovery_waits_for_a_call_in_flight_at_the_kill_to_land(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A call sent as the process died may reach the remote after the restart: the recovery
    reads the remote only once the settle time has passed since the newest call in flight
    was sent, so the undo sees (and undoes) what that call did."""
    before = held(standin)
    standin.reset()
    standin.faults[3] = Fault.STRAY
    task_id = killed_push(services, shadow, tmp_path)
    pushes = services.pushes
    now = [now_ms()]
    pushes.settle_ms, pushes.clock = 60_000, lambda: now[0]
    seen = len(standin.seen)
    assert pushes.recover() == []  # the third write may still land
    assert len(standin.seen) == seen  # nothing read nor written meanwhile
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task_id)
    assert push is not None
    assert push.state == "pushing"
    assert "its undo starts in 60 s" in services.tasks.show(shadow, task_id).message
    now[0] += 59_000
    assert pushes.recover() == []
    assert standin.land() == [204]  # it lands, 59 s after the kill
    now[0] += 1_000
    assert pushes.recover() == [task_id]
    assert held(standin) == before
    assert services.tasks.show(shadow, task_id).status == TaskStatus.FAILED
    assert standin.refused() == []


def test_a_remote_is_not_removed_while_a_push_into_it_is_not_over(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """Its undo needs the remote: removing it would leave the remote half-pushed for good."""
    standin.reset()
    standin.faults[2] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    actor = admin_actor(services)
    with pytest.raises(ConflictError, match=f"push {task_id} into it is not over") as refused:
        services.remotes.remove(actor, "prod")
    assert refused.value.context["task_id"] == task_id
    assert services.remotes.get(actor, "prod").name == "prod"
    assert services.pushes.recover() == [task_id]
    services.remotes.remove(actor, "prod")


@pytest.mark.parametrize("undo_call", [1, 3])
def test_a_push_killed_during_its_own_undo_is_finished_by_the_recovery(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, undo_call: int
) -> None:
    """The fifth write is refused, and the process dies at the first or third call of the
    undo that follows: the recovery finishes the undo (the calls undone already are not made
    again) and rolls the shadow back, once."""
    before, shadow_before = held(standin), _shadow(services, shadow)
    standin.reset()
    standin.faults.update({5: Fault.REFUSE, 5 + undo_call: Fault.KILL})
    task_id = killed_push(services, shadow, tmp_path)
    assert _push(services, task_id).state == "undoing"
    standin.reset()
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    assert _shadow(services, shadow) == shadow_before
    assert _push(services, task_id).state == "undone"
    assert "the remote is as it was before the push" in services.tasks.show(shadow, task_id).message
    assert services.pushes.recover() == []
    assert standin.refused() == []


def test_a_delete_of_the_undo_killed_that_landed_is_not_taken_for_a_persons_delete(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The fifth write is refused; the undo's delete of a script the push created (read back
    as the push left it) is sent as the process dies, and lands before the recovery reads the
    remote: the script gone is the undo's own doing, not a person's, so the recovery ends the
    undo whole, not stuck naming a change made meanwhile."""
    before = held(standin)
    standin.reset()
    standin.faults.update({5: Fault.REFUSE, 7: Fault.STRAY})
    task_id = killed_push(services, shadow, tmp_path)
    assert [s.call for s in standin.seen if s.write][-1] == "delete_script"
    assert standin.land() == [204]
    standin.reset()
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    said = services.tasks.show(shadow, task_id).message
    assert "the remote is as it was before the push" in said, said
    assert _push(services, task_id).state == "undone"
    assert standin.refused() == []


@pytest.mark.parametrize("undo_write", range(1, 12))
def test_a_push_killed_at_any_call_of_its_own_undo_that_lands_is_undone_whole(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, undo_write: int
) -> None:
    """A push that renames, deletes, creates and updates is refused its last write; the process
    dies as its undo sends one of its calls (those in flight beside it go on), and every call
    sent lands before the recovery reads the remote: the recovery takes no object gone by the
    undo's own delete or rename back for a person's change, and ends the undo whole."""
    standin.workspace.jobs["weekly_sales"].status = "SCHEDULING"
    services.remotes.refresh(admin_actor(services), "prod")
    before = held(standin)
    standin.reset()
    standin.faults.update({13: Fault.REFUSE, 13 + undo_write: Fault.STRAY})
    task_id = killed_push(services, shadow, tmp_path, renaming_package(tmp_path))
    assert "update_factory_job_name" in standin.writes()
    assert standin.land()
    standin.reset()
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    said = services.tasks.show(shadow, task_id).message
    assert "the remote is as it was before the push" in said, said
    assert standin.refused() == []


def test_a_recovery_that_died_mid_undo_is_finished_by_the_next(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The first recovery dies as it sends its first undo call, which is still on its way; the
    next recovery reads the remote before it lands and sends the same undo, which the stray one
    beats (the second is refused: its object is gone). Read again, the remote holds what the
    undo wanted: the change counts as undone, not as stuck."""
    before = held(standin)
    standin.reset()
    standin.faults[3] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    standin.reset()
    standin.faults[1] = Fault.STRAY
    with pytest.raises(Killed):
        services.pushes.recover()
    standin.land_before_writes = True
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    task = services.tasks.show(shadow, task_id)
    assert "the remote is as it was before the push" in task.message, task.message
    assert [s.status for s in standin.seen if s.write][:3] == [0, 204, 400]


def _push(services: Services, task_id: str) -> journal_repo.PushRecord:
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task_id)
    assert push is not None
    return push


@pytest.mark.parametrize("outage", ["unreachable", "failing", "refusing the key"])
def test_a_recovery_that_cannot_reach_the_remote_waits_and_finishes_once_it_is_back(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, outage: str
) -> None:
    """The remote out of reach (connection refused, 5xx, its key refused) is no change that
    could not be undone: the journal waits (not "recovering" for ever), the task says why and
    when the undo is tried again, each wait twice the last, and the undo finishes whole once
    the remote answers again."""
    before = held(standin)
    standin.reset()
    standin.faults[3] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    pushed = held(standin)
    now = [now_ms()]
    services.pushes.clock = lambda: now[0]
    if outage == "refusing the key":
        standin.keys[AK] = "a rotated secret key"
    else:
        standin.down = Fault.UNREACHABLE if outage == "unreachable" else Fault.FAIL
    assert services.pushes.recover() == []
    push = _push(services, task_id)
    assert (push.state, push.tries, push.retry_at) == ("waiting", 1, now[0] + 30_000)
    assert push.last_error is not None
    said = services.tasks.show(shadow, task_id).message
    assert "its undo waits for remote 'prod', which it could not reach (tried 1 time(s))" in said
    assert push.last_error.rstrip(".") in said
    assert "it is tried again in 30 s, when a server process takes it" in said
    assert held(standin) == pushed  # nothing undone, nothing called "not undone"
    with services.db.transaction(readonly=True) as tx:
        assert "stuck" not in {call.state for call in journal_repo.calls(tx, task_id)}
    seen = len(standin.seen)
    now[0] += 29_000
    assert services.pushes.recover() == []  # not due yet: nothing sent
    assert len(standin.seen) == seen
    now[0] += 1_000
    assert services.pushes.recover() == []  # due, still out of reach: twice as long now
    push = _push(services, task_id)
    assert (push.state, push.tries, push.retry_at) == ("waiting", 2, now[0] + 60_000)
    assert "(tried 2 time(s))" in services.tasks.show(shadow, task_id).message
    assert "it is tried again in 1 min" in services.tasks.show(shadow, task_id).message
    standin.down, standin.keys[AK] = None, SK
    now[0] += 60_000
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    task = services.tasks.show(shadow, task_id)
    assert task.status == TaskStatus.FAILED
    assert "not undone yet" not in task.message
    assert "the remote is as it was before the push" in task.message
    assert _push(services, task_id).state == "undone"
    refused = {s.status for s in standin.refused()}  # the signatures the old key made
    assert refused == ({401} if outage == "refusing the key" else set())


def test_a_remote_out_of_reach_for_a_pushs_own_undo_leaves_the_undo_to_the_recovery(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The remote stops answering midway (the push fails at its next write) and the push's
    undo cannot reach it either: no change is called one that could not be undone; the
    journal waits with the shadow as pushed, the task says why and when the undo is tried
    again, and the recovery brings remote and shadow back once the remote answers."""
    before, shadow_before = held(standin), _shadow(services, shadow)
    standin.reset()
    down_after_writes(services, standin, 3)
    path = upload(services, shadow, second_package(tmp_path))
    task = run_import(services, shadow, path, **SECOND)
    assert task.status == TaskStatus.FAILED
    assert "The push to remote 'prod' failed at " in task.message, task.message
    assert "its undo waits for remote 'prod', which it could not reach (tried 1 time(s))" in (
        task.message
    )
    assert "NOT" not in task.message
    push = _push(services, task.id)
    assert push.state == "waiting"
    with services.db.transaction(readonly=True) as tx:
        assert "stuck" not in {call.state for call in journal_repo.calls(tx, task.id)}
    assert "monthly_sales" in _shadow(services, shadow)  # the pushed state, meanwhile
    standin.down = None
    assert services.pushes.recover() == []  # not due yet
    later = now_ms() + 31_000
    services.pushes.clock = lambda: later
    assert services.pushes.recover() == [task.id]
    assert held(standin) == before
    assert _shadow(services, shadow) == shadow_before
    ended = services.tasks.show(shadow, task.id)
    assert ended.message.startswith("The push to remote 'prod' failed at "), ended.message
    assert "the remote is as it was before the push" in ended.message
    assert "not undone yet" not in ended.message
    assert _push(services, task.id).state == "undone"
    assert services.pushes.recover() == []
    assert standin.refused() == []


def test_a_claim_whose_process_stopped_undoing_lapses_and_is_taken_over(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A process that claimed the recovery and beats still, but made no undo call since (its
    recovery thread died): past the claim's end, another process takes the push over."""
    before = held(standin)
    standin.reset()
    standin.faults[3] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    now = [now_ms()]
    services.pushes.clock = lambda: now[0]
    push = _push(services, task_id)
    with services.db.transaction() as tx:
        worker_repo.register(tx, "other-process", "host", 1, now[0])
        assert journal_repo.claim_push(tx, push, "other-process", now[0] + 1)
    said = services.tasks.show(shadow, task_id).message
    assert "not undone yet: a server process is undoing them now" in said
    assert services.pushes.recover() == []  # claimed by a live process
    now[0] += 2
    said = services.tasks.show(shadow, task_id).message
    assert "its undo starts when a server process takes it" in said
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before


def test_a_recovery_whose_remote_record_is_gone_waits_for_it_not_for_ever_recovering(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The remote's record gone from the database (removing it is refused while a push is
    open: a restore of an older backup) leaves the recovery waiting, saying why, not claimed
    for ever; once the record is back, the undo finishes."""
    before = held(standin)
    standin.reset()
    standin.faults[3] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    now = [now_ms()]
    services.pushes.clock = lambda: now[0]
    with services.db.transaction() as tx:
        item = remote_repo.get_remote(tx, shadow.actor.project_id, "prod")
        assert item is not None
        remote_repo.delete_remote(tx, item)
    assert services.pushes.recover() == []
    push = _push(services, task_id)
    assert (push.state, push.owner, push.tries) == ("waiting", None, 1)
    said = services.tasks.show(shadow, task_id).message
    assert "Remote 'prod' is no longer configured on this server" in said
    assert "a server process is undoing them now" not in said
    with services.db.transaction() as tx:
        remote_repo.insert_remote(tx, item)
        remote_repo.mark_shadow(tx, item.workspace_id, "prod")
    now[0] += 30_000
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before


def _undone(services: Services, task_id: str) -> list[str]:
    """The calls of a push whose undo made a call (not those it found nothing to undo of)."""
    with services.db.transaction(readonly=True) as tx:
        calls = journal_repo.calls(tx, task_id)
    return [c.name for c in calls if c.state == "undone" and c.note != "nothing to undo"]


def test_a_recovery_cut_off_midway_keeps_what_it_undid_and_its_end_counts_it(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The remote fails after the recovery's first undo call: that call stays undone (it is
    not sent again), the rest waits, and the task's end counts both tries' changes."""
    before = held(standin)
    standin.reset()
    standin.faults[6] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    now = [now_ms()]
    services.pushes.clock = lambda: now[0]
    standin.reset()
    standin.faults.update({n: Fault.FAIL for n in range(2, 40)})  # the undo's 2nd write on
    assert services.pushes.recover() == []
    assert _push(services, task_id).state == "waiting"
    assert len(_undone(services, task_id)) == 1
    standin.reset()
    now[0] += 30_000
    assert services.pushes.recover() == [task_id]
    undone = len(_undone(services, task_id))
    assert undone > 2
    assert len(standin.writes()) == undone - 1  # not the one undone already
    assert held(standin) == before
    said = services.tasks.show(shadow, task_id).message
    assert f"Its {undone} change(s) in the remote were undone" in said, said
