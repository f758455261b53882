"""Each write of a push and the write that undoes it (``services/remotes/writes.py``), against
the DataArts stand-in: a write whose answer was lost is read again before it is sent again;
the inverse of a step is decided from what the remote holds now, by the one dispatch of the
typed undo vocabulary (``UndoOp``, ``Undo``), which journals read back in their own words."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import RemoteError
from jobferry.services.remotes.client import Backoff, DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.writes import (
    RemoteWrites,
    Step,
    Undo,
    UndoOp,
    create,
    delete,
    inverse,
    set_status,
    transient,
    update,
)
from support.builders import make_job, make_resource, make_script
from support.standin import AK, FACTORY, STUDIO, DataArtsStandin, Fault

JOB, SCRIPT, RESOURCE = ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE


@pytest.fixture
def standin() -> DataArtsStandin:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"), status="SCHEDULING")
    standin.workspace.put_script(make_script("daily_sales_sql"))
    standin.workspace.put_resource(make_resource("udf_jar"))
    return standin


@pytest.fixture
def writes(standin: DataArtsStandin) -> RemoteWrites:
    endpoint = RemoteEndpoint(
        FACTORY, standin.project_id, standin.workspace_id, AK, standin.keys[AK], STUDIO
    )
    client = DataArtsClient(
        "prod", endpoint, backoff=Backoff(attempts=3, first=0.0), transport=standin.transport()
    )
    return RemoteWrites(client, lambda _: None)


def test_a_create_whose_answer_was_lost_is_found_done_not_sent_again(
    standin: DataArtsStandin, writes: RemoteWrites
) -> None:
    standin.faults[1] = Fault.LOSE
    writes.make(create(JOB, "weekly_sales", make_job("weekly_sales")))
    assert standin.writes() == ["create_job"]
    assert "weekly_sales" in standin.workspace.jobs


def test_a_created_resource_answers_its_id_even_when_its_answer_was_lost(
    standin: DataArtsStandin, writes: RemoteWrites
) -> None:
    made = writes.make(create(RESOURCE, "etl_jar", make_resource("etl_jar")))
    assert made == standin.workspace.resource_named("etl_jar")["id"]  # type: ignore[index]
    standin.faults[2] = Fault.DROP
    found = writes.make(create(RESOURCE, "more_jar", make_resource("more_jar")))
    assert found == standin.workspace.resource_named("more_jar")["id"]  # type: ignore[index]
    assert standin.writes() == ["create_resource", "create_resource"]


def test_a_refused_write_is_not_sent_again(standin: DataArtsStandin, writes: RemoteWrites) -> None:
    standin.faults[1] = Fault.REFUSE
    with pytest.raises(RemoteError) as refused:
        writes.make(delete(SCRIPT, "daily_sales_sql", {}, None))
    assert not transient(refused.value)
    assert standin.writes() == ["delete_script"]
    assert "daily_sales_sql" in standin.workspace.scripts


def test_an_update_is_undone_by_writing_back_what_was_there(
    standin: DataArtsStandin, writes: RemoteWrites
) -> None:
    before = standin.workspace.jobs["daily_sales"].doc
    step = update(JOB, "daily_sales", make_job("daily_sales", logPath="obs://b/x"), before, None)
    writes.make(step)
    back = writes.inverse(step)
    assert back is not None
    writes.make(back)
    assert standin.workspace.jobs["daily_sales"].doc == before


def test_a_create_is_undone_by_a_delete_only_when_it_landed(
    standin: DataArtsStandin, writes: RemoteWrites
) -> None:
    step = create(RESOURCE, "etl_jar", make_resource("etl_jar"))
    assert writes.inverse(step) is None  # never made: nothing to undo
    writes.make(step)
    back = writes.inverse(step)
    assert back is not None
    assert back.call == "delete_resource"
    writes.make(back)
    assert standin.workspace.resource_named("etl_jar") is None


def test_a_delete_is_undone_by_creating_the_definition_again(
    standin: DataArtsStandin, writes: RemoteWrites
) -> None:
    before = standin.workspace.scripts["daily_sales_sql"]
    definition = {k: v for k, v in before.items() if k != "id"}
    step = delete(SCRIPT, "daily_sales_sql", definition, None)
    writes.make(step)
    back = writes.inverse(step)
    assert back is not None
    writes.make(back)
    assert writes.inverse(step) is None  # re-created: nothing left to undo
    assert standin.workspace.scripts["daily_sales_sql"]["content"] == before["content"]


def test_a_stop_is_undone_by_a_start_when_the_job_is_still_stopped(
    standin: DataArtsStandin, writes: RemoteWrites
) -> None:
    step = set_status("daily_sales", False, JobStatus.SCHEDULING.value)
    writes.make(step)
    assert writes.status("daily_sales") == JobStatus.STOPPED
    back = writes.inverse(step)
    assert back is not None
    assert back.call == "start_job"
    writes.make(back)
    assert standin.workspace.jobs["daily_sales"].status == "SCHEDULING"
    assert writes.inverse(step) is None
    assert writes.status("no_such_job") is None


JOURNALLED = {
    UndoOp.UPDATE: {"op": "update", "before": {"name": "a", "x": 1}},
    UndoOp.CREATED: {"op": "created"},
    UndoOp.RENAMED: {"op": "renamed", "to": "b"},
    UndoOp.DELETED: {"op": "deleted", "definition": {"name": "a"}, "status": "SCHEDULING"},
    UndoOp.STATUS: {"op": "status", "was": "SCHEDULING"},
}
"""Each op of the undo vocabulary as journals have always kept it."""


class HeldAsSaid:
    """A remote holding job ``a`` only, its schedule stopped (read live)."""

    current = True

    def has(self, kind: ObjectKind, name: str) -> bool:
        return name == "a"

    def doc(self, kind: ObjectKind, name: str) -> dict[str, object]:
        return {"name": name, "now": True} if name == "a" else {}

    def key(self, kind: ObjectKind, name: str) -> str | None:
        return None

    def status(self, name: str) -> JobStatus | None:
        return JobStatus.STOPPED if name == "a" else None


@pytest.mark.parametrize("op", list(UndoOp))
def test_every_undo_op_reads_back_as_journalled_and_has_its_inverse_and_its_fix(op: UndoOp) -> None:
    undo = Undo.of(JOURNALLED[op])
    assert undo is not None
    assert undo.op is op
    assert undo.as_json() == JOURNALLED[op]  # the journal's words, unchanged
    name = "b" if op in (UndoOp.DELETED,) else "a"
    back = inverse(Step(JOB, name, "call", undo=undo), HeldAsSaid())
    calls = {
        UndoOp.UPDATE: "update_job",
        UndoOp.CREATED: "delete_job",
        UndoOp.RENAMED: None,  # 'b' is not held: the rename never took effect
        UndoOp.DELETED: "create_job",
        UndoOp.STATUS: "start_job",
    }
    assert (back.call if back is not None else None) == calls[op]
    assert "remote 'prod'" in undo.fix(JOB, name, "prod", "the definition task t1 keeps")
    assert Undo.of({}) is None


class ReadBeforeTheFirst(HeldAsSaid):
    """The same remote read in bulk before a rollback's first inverse."""

    current = False


@pytest.mark.parametrize("op", list(UndoOp))
def test_a_rollback_makes_every_inverse_as_read_before_the_first(op: UndoOp) -> None:
    """A push's rollback reads the remote once, then undoes calls that all took effect, in
    order (a job stopped, overwritten and started again reads as started): no inverse is left
    out for what the first read shows (the stop's inverse included)."""
    undo = Undo.of(JOURNALLED[op])
    assert undo is not None
    name = "b" if op is UndoOp.DELETED else "a"
    back = inverse(Step(JOB, name, "call", undo=undo), ReadBeforeTheFirst())
    assert back is not None
    if op is UndoOp.STATUS:
        assert back.call == "start_job"  # back to SCHEDULING, though it reads as stopped
