"""What repeated promotion adds to an apply (``services.importing.promote``): renames that
swap names, the target's other jobs rewritten to a renamed job's new name, scheduled jobs
paused around their write and started again, and the change record's undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from jobferry.domain.enums import PlanAction, SchedulingPolicy
from jobferry.services.container import Services
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.model import Record
from jobferry.services.importing.promote import Promotion
from jobferry.storage import tables
from jobferry.storage.importing.ledger import LedgerRow
from jobferry.storage.rows import Stamp
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    uid_of,
    workspace,
    write_objects,
)


def stored(services: Services, ws: str) -> dict[str, dict[str, Any]]:
    """name → (the document's description, status) of every job of the workspace."""
    jobs = tables.jobs
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.select(jobs.c.name, jobs.c.document, jobs.c.status).where(jobs.c.workspace_id == ws)
        ).all()
    return {name: {**orjson.loads(doc), "status": status} for name, doc, status in rows}


def test_two_jobs_swapping_names_in_the_source_swap_in_the_target(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    a, b = make_job("a_job", description="first"), make_job("b_job", description="second")
    import_package(services, scope, write_objects(tmp_path / "1.zip", jobs_with_dependencies(a, b)))
    objects = jobs_with_dependencies(a, b)
    objects[0] = ("job", "b_job", {**a, "name": "b_job"})
    objects[4] = ("job", "a_job", {**b, "name": "a_job"})
    uids = {"b_job": uid_of("job", "a_job"), "a_job": uid_of("job", "b_job")}

    task = import_package(services, scope, write_objects(tmp_path / "2.zip", objects, uids=uids))

    jobs = stored(services, scope.workspace.id)
    assert (jobs["a_job"]["description"], jobs["b_job"]["description"]) == ("second", "first")
    assert task.outcome["summary"]["RENAME"] == 2


def test_a_rename_rewrites_the_target_s_own_jobs_that_use_the_old_name(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(
        services,
        scope,
        write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job"))),
    )
    own = make_job("own_job")
    own["nodes"] = own["nodes"][:1]
    own["nodes"][0]["properties"][0]["value"] = "a_job_sql"
    own["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
    services.jobs.create(scope, own)
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "new_job", {**make_job("a_job"), "name": "new_job"})
    renamed = write_objects(tmp_path / "2.zip", objects, uids={"new_job": uid_of("job", "a_job")})

    task = import_package(services, scope, renamed)

    jobs = stored(services, scope.workspace.id)
    assert sorted(jobs) == ["new_job", "own_job"]
    assert jobs["own_job"]["schedule"]["cron"]["dependJobs"]["jobs"] == ["new_job"]
    (rewrite,) = services.audit.imports_of(scope, "job", "own_job")  # docs/api.md's `imports`
    assert (rewrite.task_id, rewrite.action, rewrite.name) == (task.id, "REFERENCES", "own_job")


def test_a_scheduled_job_is_paused_around_its_write_and_started_again(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    import_package(services, scope, first)
    services.jobs.start(scope, "a_job")
    changed = make_job("a_job", description="new")
    package = write_objects(tmp_path / "2.zip", jobs_with_dependencies(changed))

    import_package(services, scope, package, scheduling=SchedulingPolicy.PAUSE_AND_RESTORE.value)

    job = stored(services, scope.workspace.id)["a_job"]
    assert (job["description"], job["status"]) == ("new", "SCHEDULING")
    entries = services.audit.list_entries(scope, limit=100, offset=0).entries
    by_import = [e.action for e in entries if e.detail == {"by": "import"}]
    assert sorted(by_import) == ["job.start", "job.stop"]


def test_a_scheduled_job_the_import_makes_real_time_is_started_again_as_one(
    services: Services, tmp_path: Path
) -> None:
    """Paused, then written as a real-time job, then started again: it runs as a real-time
    job does (``NORMAL``), not with the batch job's status it had (as a save that changes a
    scheduled job's type, ``services/definitions/jobs.py``); and back again."""
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    import_package(services, scope, first)
    services.jobs.start(scope, "a_job")
    pause = SchedulingPolicy.PAUSE_AND_RESTORE.value
    for n, (kind, status) in enumerate((("REAL_TIME", "NORMAL"), ("BATCH", "SCHEDULING")), 2):
        changed = make_job("a_job", processType=kind)
        package = write_objects(tmp_path / f"{n}.zip", jobs_with_dependencies(changed))

        import_package(services, scope, package, scheduling=pause)

        job = stored(services, scope.workspace.id)["a_job"]
        assert (job["processType"], job["status"]) == (kind, status)


def test_the_undo_names_what_the_import_learns_and_the_old_name_of_a_rename(
    services: Services,
) -> None:
    scope = workspace(services, "prod")
    record = Record("job", "b_job", "jobs/b_job.job", str(PlanAction.RENAME), "{}", None, None,
                    [], [], None, None, uid="src-1", raw="{}", previous_name="a_job")  # fmt: skip
    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope)
        port, book = target.changes(), target.record()
        stamp = Stamp(1, "admin")
        with_source = Promotion(port, book, scope, "ws-src", "task-1", stamp, ("ab" * 32, None))
        without = Promotion(port, book, scope, None, "task-1", stamp, ("ab" * 32, None))
        undo = with_source.undo(record, paused="SCHEDULING")
        assert without.undo(record._replace(action="CREATE", previous_name=None)) is None
    assert undo is not None
    assert orjson.loads(undo) == {
        "learned": ["ws-src", "job", "src-1"],
        "name": "a_job",
        "paused": "SCHEDULING",
    }


def test_a_relinked_object_s_change_record_names_no_object_and_undoes_its_ledger_rows(
    services: Services,
) -> None:
    scope = workspace(services, "prod")
    old = LedgerRow("ws-src", "job", "src-1", "t-1", "a_job", "ab" * 32, "{}", "{}", "task-0", 1)
    adopted = old._replace(source_uid="src-0", task_id="task-00")
    record = Record("job", "a_job", "jobs/a_job.job", str(PlanAction.UNCHANGED), None, None,
                    ("7", 3, "STOPPED", "{}"), None, [], None, None, uid="src-1", raw='{"a":1}',
                    ledger=tuple(old), adopted=tuple(adopted), target_uid="t-1",
                    relink=True)  # fmt: skip
    with services.db.transaction() as tx:
        target = LocalWorkspace(tx, scope)
        port, book = target.changes(), target.record()
        stamp = Stamp(1, "admin")
        promotion = Promotion(port, book, scope, "ws-src", "task-1", stamp, ("ab" * 32, None))
        without = Promotion(port, book, scope, None, "task-1", stamp, ("ab" * 32, None))
        assert without.link(record) is None  # no source: no ledger row, nothing to undo
        change = promotion.link(record)
    assert change is not None
    assert (change.action, change.object_id, change.after_sha256) == ("LINK", None, None)
    assert [row.source for row in promotion.ledger] == ['{"a":1}']  # what landed: this version
    assert change.undo is not None
    assert orjson.loads(change.undo) == {
        "learned": ["ws-src", "job", "src-1"],
        "ledger": dict(old._asdict()),
        "adopted": dict(adopted._asdict()),
    }
