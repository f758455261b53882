"""An ATOMIC import on SQLite writes the objects it creates as their batch is planned, while the
plan reads a snapshot of its own (``ImportService._plan_for_apply``, ``apply.Applier.ahead``).

What it stores must be what an import that plans first and writes after stores, object for object
and subtask for subtask; a problem found once the whole package is read must take back what was
written ahead; a plan made beforehand must still be fresh. Planner batches of two objects make
a small package write ahead several times before its last batch is planned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing import planner
from jobferry.services.importing.apply import Applier
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.taskviews import Task
from jobferry.storage import Database, tables
from jobferry.storage.importing.tables import promotion_ledger
from support.builders import make_job, make_script
from support.console import add_connections, admin_scope
from support.packages import write_package


@pytest.fixture(autouse=True)
def small_plan_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner, "BATCH", 2)


@pytest.fixture
def written_ahead(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The names of the objects each call of ``Applier.ahead`` wrote."""
    calls: list[list[str]] = []
    ahead = Applier.ahead

    def spied(self: Applier, records: list[Any]) -> None:
        calls.append([record.name for _, record in records])
        ahead(self, records)

    monkeypatch.setattr(Applier, "ahead", spied)
    return calls


def _sqlite_only(services: Services) -> None:
    if not services.db.reads_beside_writes:
        pytest.skip("only SQLite (WAL, on a file) reads a snapshot beside the import's writes")


def _jobs() -> list[dict[str, Any]]:
    """Jobs whose apply order (upstream first) is not their order in the package."""
    depends = {"job_a": ["job_z"], "job_b": ["job_a", "job_z"], "job_c": []}
    jobs = []
    for name in ("job_a", "job_b", "job_c", "job_z"):
        job = make_job(name, basicConfig={"owner": "ops", "tags": ["daily", name]})
        if depends.get(name):
            job["schedule"]["cron"]["dependJobs"] = {"jobs": depends[name]}
        jobs.append(job)
    return jobs


def _workspace(services: Services, name: str) -> Scope:
    admin = admin_scope(services)
    ws = services.accounts.create_workspace(admin.actor, admin.actor.project_id, name)
    return add_connections(services, admin_scope(services, ws), "dws_conn", "ssh_conn")


def _upload(services: Services, scope: Scope, package: Path) -> str:
    with package.open("rb") as handle:
        path: str = services.imports.upload(scope, handle, package.name).path
    return path


def _run(services: Services, scope: Scope, path: str, **options: Any) -> Task:
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE", **options})
    prepared = services.imports.prepare(scope, request)
    services.imports.run(prepared)
    return services.tasks.show(scope, prepared.task_id, subtasks=1000)


def _import(services: Services, scope: Scope, package: Path, **options: Any) -> Task:
    return _run(services, scope, _upload(services, scope, package), **options)


def _stored(db: Database, ws: str, task_id: str) -> dict[str, Any]:
    """What the workspace holds, without the ids, times and task ids that differ between runs."""
    jobs, scripts, refs = tables.jobs, tables.scripts, tables.job_refs
    changes, ledger = tables.import_changes, promotion_ledger
    with db.transaction(readonly=True) as tx:
        run = tx.conn.execute
        return {
            "jobs": sorted(
                run(
                    sa.select(
                        jobs.c.name, jobs.c.document, jobs.c.status, jobs.c.latest_version
                    ).where(jobs.c.workspace_id == ws)
                ).all()
            ),
            "versions": sorted(
                run(
                    sa.select(jobs.c.name, tables.job_versions.c.version)
                    .join(tables.job_versions, tables.job_versions.c.job_id == jobs.c.id)
                    .where(jobs.c.workspace_id == ws)
                ).all()
            ),
            "refs": sorted(
                run(
                    sa.select(jobs.c.name, refs.c.kind, refs.c.name, refs.c.ref_workspace)
                    .join(refs, refs.c.job_id == jobs.c.id)
                    .where(jobs.c.workspace_id == ws)
                ).all()
            ),
            "scripts": sorted(
                run(
                    sa.select(scripts.c.name, scripts.c.document, scripts.c.latest_version).where(
                        scripts.c.workspace_id == ws
                    )
                ).all()
            ),
            "tags": sorted(
                run(sa.select(tables.tags.c.name).where(tables.tags.c.workspace_id == ws)).all()
            ),
            "ledger": sorted(
                run(
                    sa.select(ledger.c.kind, ledger.c.source_uid, ledger.c.name)
                    .add_columns(ledger.c.written_sha256)
                    .where(ledger.c.target_workspace_id == ws)
                ).all()
            ),
            "changes": sorted(
                run(
                    sa.select(
                        changes.c.kind,
                        changes.c.name,
                        changes.c.action,
                        changes.c.before_version,
                        changes.c.after_version,
                        changes.c.after_sha256,
                    ).where(changes.c.task_id == task_id)
                ).all()
            ),
        }


def _subtasks(task: Task) -> list[tuple[Any, ...]]:
    return [(s["id"], s["status"], s["message"], s["action"]) for s in task.subtasks]


def test_an_import_written_ahead_stores_what_one_written_after_stores(
    services: Services,
    tmp_path: Path,
    written_ahead: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sqlite_only(services)
    first, second = _workspace(services, "ahead"), _workspace(services, "after")
    for scope in (first, second):  # objects to overwrite (a scheduled job) beside new ones
        services.scripts.create(scope, make_script("job_c_sql", content="select 0;"))
        services.jobs.create(scope, make_job("job_c", description="made in the target"))
        services.jobs.start(scope, "job_c")
    package = write_package(tmp_path / "p.zip", _jobs())

    ahead = _import(services, first, package, scheduling="PAUSE_AND_RESTORE")
    written = sum(len(names) for names in written_ahead)
    assert written == ahead.outcome["summary"]["CREATE"], written_ahead
    assert all("job_c" not in names for names in written_ahead)  # overwritten: after
    assert all("job_c_sql" not in names for names in written_ahead)
    written_ahead.clear()
    monkeypatch.setattr(Database, "reads_beside_writes", property(lambda _: False))
    after = _import(services, second, package, scheduling="PAUSE_AND_RESTORE")
    assert not written_ahead

    assert ahead.status == after.status == "SUCCESSFUL", ahead.message
    assert ahead.outcome["summary"] == after.outcome["summary"]
    assert ahead.outcome["summary"]["OVERWRITE"] == 2
    assert _subtasks(ahead) == _subtasks(after)
    assert [s["id"] for s in ahead.subtasks][-4:] == [
        "job:job_c",
        "job:job_z",
        "job:job_a",
        "job:job_b",
    ]  # apply order, upstream first, whatever was written when
    stored = _stored(services.db, first.workspace.id, ahead.id)
    assert stored == _stored(services.db, second.workspace.id, after.id)
    assert {name: status for name, _, status, _ in stored["jobs"]}["job_c"] == "SCHEDULING"


def test_a_problem_found_once_the_package_is_read_takes_back_what_was_written_ahead(
    services: Services, tmp_path: Path, written_ahead: list[list[str]]
) -> None:
    _sqlite_only(services)
    scope = _workspace(services, "prod")
    jobs = _jobs()
    # job_z (the package's last batch) closes a cycle: known only once every job is read
    jobs[3]["schedule"]["cron"]["dependJobs"] = {"jobs": ["job_b"]}
    package = write_package(tmp_path / "p.zip", jobs)

    task = _import(services, scope, package)

    assert task.status == "FAILED"
    assert "cycle" in task.message.lower()
    assert written_ahead
    assert _stored(services.db, scope.workspace.id, task.id) == {
        "jobs": [],
        "versions": [],
        "refs": [],
        "scripts": [],
        "tags": [],
        "ledger": [],
        "changes": [],
    }
    # the lock is released: the workspace takes the next import at once
    again = _import(services, scope, write_package(tmp_path / "ok.zip", _jobs()))
    assert again.status == "SUCCESSFUL"


def _planned(services: Services, tmp_path: Path) -> tuple[Scope, str, str]:
    """A workspace, the package uploaded to it, and the id of a dry run's plan of it, whose
    working set is not kept here (as on another machine): the import plans again, and writes
    ahead as it plans (a kept plan's import plans nothing: ``test_kept.py``)."""
    _sqlite_only(services)
    scope = _workspace(services, "prod")
    path = _upload(services, scope, write_package(tmp_path / "p.zip", _jobs()))
    plan_id = Plan.of_stored(_run(services, scope, path, dryRun=True).outcome["plan"]).plan_id
    services.imports.plans.kept.forget(plan_id)
    return scope, path, plan_id


def test_a_plan_made_beforehand_is_still_fresh_when_the_import_writes_ahead(
    services: Services, tmp_path: Path, written_ahead: list[list[str]]
) -> None:
    scope, path, plan_id = _planned(services, tmp_path)
    assert not written_ahead  # a dry run writes nothing

    task = _run(services, scope, path, planId=plan_id)

    assert task.status == "SUCCESSFUL", task.message
    assert written_ahead


def test_a_stale_plan_takes_back_what_was_written_ahead(
    services: Services, tmp_path: Path, written_ahead: list[list[str]]
) -> None:
    scope, path, plan_id = _planned(services, tmp_path)
    services.jobs.create(scope, make_job("job_c", description="made in the target since"))
    before = _stored(services.db, scope.workspace.id, "no task")

    task = _run(services, scope, path, planId=plan_id)

    assert task.status == "FAILED"
    assert "changed since plan" in task.message
    assert any("job_a" in names for names in written_ahead)  # written, then taken back
    assert _stored(services.db, scope.workspace.id, task.id) == before


def test_a_per_object_import_writes_after_its_plan(
    services: Services, tmp_path: Path, written_ahead: list[list[str]]
) -> None:
    scope = _workspace(services, "prod")
    task = _import(services, scope, write_package(tmp_path / "p.zip", _jobs()), mode="PER_OBJECT")
    assert task.status == "SUCCESSFUL"
    assert not written_ahead
