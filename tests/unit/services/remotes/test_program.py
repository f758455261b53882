"""What a push must do (``services/remotes/program.py``): the names it reads before it writes
(old and new names of a rename, what it deletes or pauses) and whether it writes anything.
The noting executor of the change port fills a program from every kind of line (and is
exercised by every push in ``test_push.py``)."""

from __future__ import annotations

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.services.container import Services
from jobferry.services.definitions.documents import dump
from jobferry.services.importing import changes
from jobferry.services.remotes.program import NotingChanges, Program
from jobferry.storage.ids import new_id
from jobferry.storage.importing import snapshots
from jobferry.storage.importing import target as target_repo
from jobferry.storage.rows import JobRow, ResourceRow, ScriptRow, Stamp
from support.builders import make_job, make_resource, make_script
from support.console import admin_scope


def test_a_program_touches_what_it_writes_renames_deletes_and_pauses() -> None:
    program = Program()
    program.puts["job"] = {"daily": {"name": "daily"}}
    program.puts["script"] = {"daily_sql": {"name": "daily_sql"}}
    program.renames = [("job", "hourly", "hourly_totals")]
    program.deletes = [("resource", "old_jar")]
    program.paused = ["weekly"]
    assert program.touched() == {
        "job": {"daily", "hourly", "hourly_totals", "weekly"},
        "script": {"daily_sql"},
        "resource": {"old_jar"},
    }
    assert not program.empty()


def test_a_program_that_only_pauses_writes_nothing() -> None:
    program = Program()
    assert program.empty()
    program.paused = ["weekly"]
    assert program.empty()
    program.deletes = [("job", "weekly")]
    assert not program.empty()


def test_the_noting_executor_notes_every_kind_of_line_the_port_takes(services: Services) -> None:
    """Every kind of line (``LINES``) written through the push's executor: each is written in
    the shadow and noted for the remote (a new kind of line fails here until it is)."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("a_job"))
    services.jobs.create(scope, make_job("b_job"))
    stamp = Stamp(1, "admin")
    sql, jar = make_script("new_sql"), make_resource("new_jar")
    with services.db.transaction() as tx:
        held = target_repo.target_jobs(tx, scope.workspace.id, ["a_job", "b_job"])
        a_id, b_id = int(held["a_job"].id), int(held["b_job"].id)
        a_doc = make_job("a_job")
        deleted = snapshots.take(tx, ObjectKind.JOB, str(b_id))
        deleted = {**deleted, "row": {**deleted["row"], "id": 999_999, "name": "b_back"}}
        deleted["row"]["uid"] = "b-back-uid"
        lines: list[changes.Change] = [
            changes.PutScripts([(new_id(), ScriptRow.of(sql, dump(sql), None))], [], [], stamp),
            changes.PutResources([(new_id(), ResourceRow.of(jar, dump(jar)))], [], stamp),
            changes.PutCdmJob("cdm_copy", "CDM", "{}", stamp),
            changes.PutJobs(
                [JobRow.of(make_job("c_job"), dump(make_job("c_job")), None)], [], stamp
            ),
            changes.PutJobDetails([], [], [], ["daily"], 1),
            changes.RewriteJob(a_id, JobRow.of(a_doc, dump(a_doc), 1), [], stamp),
            changes.SetScheduling(a_id, "a_job", JobStatus.STOPPED.value),
            changes.Rename(ObjectKind.JOB, [(str(a_id), "z_job")]),
            changes.Delete(ObjectKind.JOB, str(b_id)),
            # a rollback's lines: a push never carries them, and says so if one ever did
            changes.Remove(ObjectKind.SCRIPT, []),
            changes.TrimVersions(ObjectKind.SCRIPT, []),
            changes.PutBack(ObjectKind.JOB, deleted),
        ]
        assert {type(line) for line in lines} == set(changes.LINES)
        noting = NotingChanges(tx, scope)
        for line in lines:
            noting.write(line)
        program = noting.program()
    assert set(program.puts["job"]) == {"c_job", "z_job"}  # written, and renamed to
    assert set(program.puts["script"]) == {"new_sql"}
    assert set(program.puts["resource"]) == {"new_jar"}
    assert program.renames == [("job", "a_job", "z_job")]
    assert program.deletes == [("job", "b_job")]
    assert program.paused == ["a_job"]
    assert any("CDM job 'cdm_copy'" in said for said in program.unsupported)
    rollback_lines = [said for said in program.unsupported if "a rollback's" in said]
    assert rollback_lines == [
        "a rollback's Remove line",
        "a rollback's TrimVersions line",
        "a rollback's PutBack line",
    ]
