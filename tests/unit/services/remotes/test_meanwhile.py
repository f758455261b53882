"""An undo does not write over what a person changed in the remote meanwhile
(``services/remotes/meanwhile.py``), at the service level against the DataArts stand-in: a push
killed at its last write (every call before it read back), then a person edits, deletes or
renames in DataArts an object the push wrote, then the recovery: that object is left as the
person left it, the rest is undone, and the task and the journal name what was left, why and
the fix; a second recovery changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.domain.enums import ObjectKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.remotes.meanwhile import (
    SETTLED,
    changed_meanwhile,
    left_by,
    newest_on_each,
    read_back_of,
)
from jobferry.services.remotes.reading import RemoteState
from jobferry.services.remotes.writes import Step, Undo, UndoOp
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.remotes_journal import CallRecord
from support.pushes import killed_push
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin, Fault, held


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


shadow = shadow_fixture(pushed=True, scheduled=("daily_sales",), refreshed=True)

LAST_WRITE = 7
"""The second push's writes: stop daily_sales, create two scripts, update daily_sales, create
monthly_sales, delete weekly_sales, start daily_sales (killed as it sends this one)."""


def _journal(services: Services, task_id: str) -> tuple[str, dict[str, str]]:
    """The push's journal state and each call's state by ``call kind 'name'``."""
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task_id)
        calls = journal_repo.calls(tx, task_id)
    assert push is not None
    return push.state, {f"{c.call} {c.kind} '{c.name}'": c.state for c in calls}


def _recovered_after(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    tmp_path: Path,
    meanwhile: Callable[[Any], None],
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Kill the second push at its last write, let ``meanwhile`` change the stand-in's
    workspace as a person would, recover; the task id, what the remote held before the push
    and what it holds after the recovery."""
    before = held(standin)
    standin.reset()
    standin.faults[LAST_WRITE] = Fault.KILL
    task_id = killed_push(services, shadow, tmp_path)
    meanwhile(standin.workspace)
    assert services.pushes.recover() == [task_id]
    return task_id, before, held(standin)


def _rename(workspace: Any, old: str, new: str) -> None:
    """A rename made in DataArts' editor."""
    job = workspace.jobs.pop(old)
    job.doc["name"] = new
    job.touch()
    workspace.jobs[new] = job


def _second_recovery_changes_nothing(
    services: Services, standin: DataArtsStandin, shadow: Scope, task_id: str
) -> None:
    after, journal, message = (
        held(standin),
        _journal(services, task_id),
        _message(services, shadow, task_id),
    )
    writes = len(standin.writes())
    assert services.pushes.recover() == []
    assert held(standin) == after
    assert _journal(services, task_id) == journal
    assert _message(services, shadow, task_id) == message
    assert len(standin.writes()) == writes


def _message(services: Services, shadow: Scope, task_id: str) -> str:
    return services.tasks.show(shadow, task_id).message or ""


def _left_and_said(
    services: Services, standin: DataArtsStandin, shadow: Scope, task_id: str, call: str, said: str
) -> None:
    """The recovered push's journal is stuck with ``call`` (``kind name``) left, its task says
    ``said`` and not that the remote is as before, the stand-in refused nothing, and a second
    recovery changes nothing."""
    state, calls = _journal(services, task_id)
    assert (state, calls[call]) == ("stuck", "left")
    message = _message(services, shadow, task_id)
    assert said in message
    assert "as it was before the push" not in message
    assert standin.refused() == []
    _second_recovery_changes_nothing(services, standin, shadow, task_id)


def test_a_job_edited_in_the_remote_after_the_push_wrote_it_keeps_the_edit(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    def edit(workspace: Any) -> None:
        workspace.edit_job("daily_sales", logPath="obs://bucket/logs/hotfix")

    task_id, before, after = _recovered_after(services, standin, shadow, tmp_path, edit)
    assert after["jobs"]["daily_sales"][0]["logPath"] == "obs://bucket/logs/hotfix"
    assert after["jobs"]["daily_sales"][1] == before["jobs"]["daily_sales"][1]  # rescheduled
    assert {**after["jobs"], "daily_sales": None} == {**before["jobs"], "daily_sales": None}
    assert (after["scripts"], after["resources"]) == (before["scripts"], before["resources"])
    state, calls = _journal(services, task_id)
    assert state == "stuck"
    assert calls["update_job job 'daily_sales'"] == "left"
    assert calls["create_job job 'monthly_sales'"] == "undone"
    task = services.tasks.show(shadow, task_id)
    assert task.status == TaskStatus.FAILED
    message = task.message or ""
    assert "job 'daily_sales' was changed in the remote after the push wrote it" in message
    assert "left as they are, not undone" in message
    assert "jobferry remotes refresh prod" in message
    assert "as it was before the push" not in message
    result: Any = task.result
    assert [s["object"] for s in result["push"]["changedMeanwhile"]] == ["job 'daily_sales'"]
    assert standin.refused() == []
    _second_recovery_changes_nothing(services, standin, shadow, task_id)


def test_a_job_the_push_created_and_a_person_deleted_stays_deleted_and_is_named(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    def drop(workspace: Any) -> None:
        del workspace.jobs["monthly_sales"]

    task_id, before, after = _recovered_after(services, standin, shadow, tmp_path, drop)
    assert after == before  # the rest undone; monthly_sales gone, as the person left it
    gone = "job 'monthly_sales' is no longer in the remote under that name"
    _left_and_said(services, standin, shadow, task_id, "create_job job 'monthly_sales'", gone)


def test_a_job_the_push_created_and_a_person_renamed_is_left_under_its_new_name(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    def rename(workspace: Any) -> None:
        _rename(workspace, "monthly_sales", "monthly_sales_v2")

    task_id, before, after = _recovered_after(services, standin, shadow, tmp_path, rename)
    assert "monthly_sales_v2" in after["jobs"]
    assert {**after["jobs"], "monthly_sales_v2": None} == {
        **before["jobs"],
        "monthly_sales_v2": None,
    }
    gone = "job 'monthly_sales' is no longer in the remote under that name"
    _left_and_said(services, standin, shadow, task_id, "create_job job 'monthly_sales'", gone)


def test_a_job_the_push_updated_and_a_person_renamed_is_not_written_back(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    def rename(workspace: Any) -> None:
        _rename(workspace, "daily_sales", "daily_sales_fixed")

    task_id, _, after = _recovered_after(services, standin, shadow, tmp_path, rename)
    assert "daily_sales" not in after["jobs"]
    assert after["jobs"]["daily_sales_fixed"][0]["logPath"] == "obs://bucket/logs/edited"
    gone = "job 'daily_sales' is no longer in the remote"
    _left_and_said(services, standin, shadow, task_id, "update_job job 'daily_sales'", gone)


def _call(seq: int, state: str, undo: dict[str, Any], name: str = "daily_sales") -> CallRecord:
    body = orjson.dumps({"body": None, "key": None}).decode()
    return CallRecord(
        "t", seq, "job", name, "update_job", state, body, orjson.dumps(undo).decode(), None, 0
    )


def test_only_calls_that_ended_done_and_write_over_an_object_are_read_back() -> None:
    calls = [
        _call(1, "done", {"op": "update", "before": {"name": "daily_sales"}}),
        _call(2, "pending", {"op": "created"}, "monthly_sales"),
        _call(3, "done", {"op": "status", "was": "STOPPED"}),
        _call(4, "done", {"op": "renamed", "to": "weekly_v2"}, "weekly_sales"),
        _call(5, "done", {"op": "created", "left": "ab"}, "yearly_sales"),
    ]
    assert read_back_of(calls) == {"job": {"daily_sales", "weekly_v2"}}
    state = RemoteState()
    state.add("job", "weekly_v2", {"name": "weekly_v2"}, {})
    [(seq, undo)] = left_by(calls, state)  # daily_sales not read: nothing said of it
    assert seq == 4
    assert orjson.loads(undo)["left"]
    assert orjson.loads(undo)["to"] == "weekly_v2"


def test_a_recovery_reads_back_each_object_for_the_newest_call_that_wrote_it() -> None:
    """Only the newest call writing an object has it read back by a recovery (an older one's
    object is not what it left); a job's start or stop writes nothing read back."""
    calls = [
        _call(1, "done", {"op": "renamed", "to": "weekly_v2"}, "weekly_sales"),
        _call(2, "done", {"op": "update", "before": {"name": "weekly_v2"}}, "weekly_v2"),
        _call(3, "pending", {"op": "created"}, "monthly_sales"),
        _call(4, "done", {"op": "status", "was": "SCHEDULING"}),
        _call(5, "done", {"op": "update", "before": {"name": "daily_sales"}}),
        _call(6, "done", {"op": "status", "was": "STOPPED"}),
        _call(7, "failed", {"op": "created"}, "yearly_sales"),
        _call(8, "refused", {"op": "created"}, "hourly_v2"),
    ]
    assert [c.seq for c in newest_on_each(calls)] == [7, 5, 3, 2]
    assert read_back_of(newest_on_each(calls), SETTLED) == {
        "job": {"daily_sales", "monthly_sales", "weekly_v2"}
    }


def test_a_job_a_person_made_under_the_name_the_push_deleted_is_left_and_named(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    was = dict(standin.workspace.jobs["weekly_sales"].doc)

    def make_again(workspace: Any) -> None:
        assert "weekly_sales" not in workspace.jobs  # the push deleted it
        workspace.put_job({**was, "logPath": "obs://bucket/logs/new-weekly"})

    task_id, _, after = _recovered_after(services, standin, shadow, tmp_path, make_again)
    assert after["jobs"]["weekly_sales"][0]["logPath"] == "obs://bucket/logs/new-weekly"
    assert {**after["jobs"], "weekly_sales": None} == {**before["jobs"], "weekly_sales": None}
    result: Any = services.tasks.show(shadow, task_id).result
    (left,) = result["push"]["changedMeanwhile"]
    assert left["definition"]["name"] == "weekly_sales"
    made = "job 'weekly_sales' was made again in the remote after the push deleted it"
    _left_and_said(services, standin, shadow, task_id, "delete_job job 'weekly_sales'", made)


def _undo_of(services: Services, task_id: str, call: str) -> dict[str, Any]:
    """The journalled undo of the push's call ``call`` (``call kind 'name'``)."""
    with services.db.transaction(readonly=True) as tx:
        calls = journal_repo.calls(tx, task_id)
    (found,) = [c for c in calls if f"{c.call} {c.kind} '{c.name}'" == call]
    undo: dict[str, Any] = orjson.loads(found.undo)
    return undo


def test_a_call_ended_before_the_kill_is_read_back_by_the_recovery_before_it_undoes(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """Killed as it creates monthly_sales, the push had updated daily_sales in the same level
    (one call at a time), never read back. The recovery reads it back before it undoes; the
    remote failing its writes, it waits; a person edits daily_sales meanwhile, and the next
    try leaves the edit as the person made it."""
    services.pushes.in_flight = 1
    standin.reset()
    standin.faults[5] = Fault.KILL  # stop, two scripts, update daily_sales, create monthly
    task_id = killed_push(services, shadow, tmp_path)
    daily = "update_job job 'daily_sales'"
    assert _journal(services, task_id)[1][daily] == "done"
    assert "left" not in _undo_of(services, task_id, daily)
    now = [now_ms()]
    services.pushes.clock = lambda: now[0]
    standin.reset()
    standin.faults.update({n: Fault.FAIL for n in range(1, 40)})
    assert services.pushes.recover() == []
    assert _journal(services, task_id)[0] == "waiting"
    assert "left" in _undo_of(services, task_id, daily)
    standin.workspace.edit_job("daily_sales", logPath="obs://bucket/logs/hotfix")
    standin.reset()
    now[0] += 30_000
    assert services.pushes.recover() == [task_id]
    assert standin.workspace.jobs["daily_sales"].doc["logPath"] == "obs://bucket/logs/hotfix"
    said = "job 'daily_sales' was changed in the remote after the push wrote it"
    _left_and_said(services, standin, shadow, task_id, daily, said)


def test_an_object_gone_as_an_undo_sent_before_leaves_it_is_no_persons_change() -> None:
    """A created job gone, or a renamed job back under its old name, reads as the undo's own
    doing once an undo of the call was sent (``tried``: it may have landed, its process
    killed); before any was sent, as a person's."""
    state = RemoteState()
    state.add("job", "old_name", {"name": "old_name"}, None)
    created = Step(ObjectKind.JOB, "made", "create_job", undo=Undo(UndoOp.CREATED, left="h"))
    renamed = Step(
        ObjectKind.JOB,
        "old_name",
        "update_factory_job_name",
        undo=Undo(UndoOp.RENAMED, to="new_name", left="h"),
    )
    for step in (created, renamed):
        assert step.undo is not None
        assert "no longer in the remote" in str(changed_meanwhile(None, step, state))  # type: ignore[arg-type]
        again = replace(step, undo=replace(step.undo, tried=True))
        assert changed_meanwhile(None, again, state) is None  # type: ignore[arg-type]
        assert Undo.of(again.undo.as_json() if again.undo else {}) == again.undo
    gone = replace(renamed, undo=replace(renamed.undo, tried=True), name="elsewhere")  # type: ignore[type-var]
    assert "no longer in the remote" in str(changed_meanwhile(None, gone, state))  # type: ignore[arg-type]
