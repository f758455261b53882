"""Whole-workspace reference scans stay within the workspace, however big the database is.

SQLite plans without statistics: given ``job_refs.kind = 'job'`` it used the ``(kind, name)``
index and walked every workspace's references of that kind, so an import's snapshot of an
empty workspace took 0.4 s in a 50,000-job database. These tests read SQLite's plan of the
statements the scans really run (PostgreSQL plans from statistics it keeps itself).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.domain.enums import ObjectKind, TaskKind
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.folders import parse_folder_query
from jobferry.storage import exports as export_repo
from jobferry.storage import policies as policy_repo
from jobferry.storage.importing.origins import drifted_objects, written_count
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.clients import ADMIN_AK, PROJECT_ID

# SQLite's planner is the subject: these tests take the suite's services on SQLite only.
on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _workspace(services: Services, name: str, jobs: int) -> Scope:
    actor = services.accounts.actor_for(ADMIN_AK)
    ws = services.accounts.create_workspace(actor, PROJECT_ID, name)
    scope = services.accounts.scope(actor, PROJECT_ID, ws)
    for k in range(jobs):
        job = make_job(f"{name}_job_{k}")
        if k:
            job["schedule"]["cron"]["dependJobs"] = {"jobs": [f"{name}_job_{k - 1}"]}
        services.jobs.create(scope, job)
    return scope


def _plans(services: Services, run: Any) -> list[list[str]]:
    """SQLite's plan (its detail lines) of every statement ``run`` executes."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    engine = services.db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    plans = []
    with engine.connect() as conn:
        for statement, params in seen:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plans.append([str(row[3]) for row in rows])
    return plans


@on_sqlite
def test_dependency_edges_are_read_from_the_workspace_own_jobs(services: Services) -> None:
    busy = _workspace(services, "busy", 4)
    empty = _workspace(services, "empty", 0)
    db = services.db

    def edges_of(scope: Scope) -> dict[str, list[str]]:
        with db.transaction(readonly=True) as tx:
            return export_repo.dependency_edges(tx, scope.workspace.id)

    assert edges_of(empty) == {}
    assert edges_of(busy) == {f"busy_job_{k}": [f"busy_job_{k - 1}"] for k in (1, 2, 3)}
    [plan] = _plans(services, lambda: edges_of(empty))
    assert plan[0].startswith("SEARCH jobs USING COVERING INDEX"), plan
    assert "ix_job_refs_job" in plan[1], plan
    assert not any("ix_job_refs_lookup" in step for step in plan), plan


@on_sqlite
def test_an_export_reads_the_kinds_it_wants_of_its_own_jobs_references(
    services: Services,
) -> None:
    _workspace(services, "busy", 4)
    quiet = _workspace(services, "quiet", 2)
    db = services.db
    with db.transaction(readonly=True) as tx:
        ids = [head.id for head in export_repo.job_heads(tx, quiet.workspace.id)]

    def used(kinds: set[str]) -> set[tuple[str, str, str]]:
        with db.transaction(readonly=True) as tx:
            return set(export_repo.distinct_references_of(tx, ids, kinds))

    everything = used({"script", "resource", "connection", "job", "tag"})
    assert {kind for kind, _, _ in everything} >= {"script", "connection", "job"}
    assert used({"connection"}) == {r for r in everything if r[0] == "connection"}
    assert used({"script", "job"}) == {r for r in everything if r[0] in ("script", "job")}
    [plan] = _plans(services, lambda: used({"connection", "cdm_job"}))
    assert any("ix_job_refs_job" in step for step in plan), plan
    assert not any("ix_job_refs_lookup" in step for step in plan), plan


@on_sqlite
def test_changed_jobs_are_read_from_the_workspace_own_jobs(services: Services) -> None:
    _workspace(services, "busy", 3)
    quiet = _workspace(services, "quiet", 2)
    db = services.db

    def changed() -> set[str]:
        with db.transaction(readonly=True) as tx:
            return export_repo.changed_job_names(tx, quiet.workspace.id, 0)

    assert changed() == {"quiet_job_0", "quiet_job_1"}
    plans = _plans(services, changed)
    joins = [plan for plan in plans if any("job_refs" in step for step in plan)]
    assert len(joins) == 2, plans  # scripts, then resources
    for plan in joins:
        assert plan[0].startswith("SEARCH jobs USING"), plan
        assert not any("ix_job_refs_lookup" in step for step in plan), plan


@on_sqlite
def test_a_folder_listing_reads_the_folder_index_not_the_documents(services: Services) -> None:
    scope = _workspace(services, "folders", 3)

    plans = _plans(
        services,
        lambda: services.folders.page(scope, ObjectKind.JOB, parse_folder_query("/sales")),
    )

    counts, rows = plans[-2], plans[-1]
    assert counts == ["SEARCH jobs USING COVERING INDEX ix_jobs_folder (workspace_id=?)"], counts
    assert rows[0].startswith("SEARCH jobs USING INDEX ix_jobs_folder (workspace_id=? AND"), rows


@on_sqlite
@pytest.mark.parametrize("kind", [ObjectKind.JOB, ObjectKind.SCRIPT])
def test_a_drift_batch_is_read_in_the_ledger_s_order_not_sorted_whole(
    services: Services, kind: ObjectKind
) -> None:
    scope = _workspace(services, "drifting", 2)

    def batch() -> None:
        with services.db.transaction(readonly=True) as tx:
            drifted_objects(tx, scope.workspace.id, kind, "", 500)

    [plan] = _plans(services, batch)
    assert plan[0].startswith("SEARCH promotion_ledger USING INDEX ix_promotion_ledger_target")
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    # The newest import's row is found by index too, and asked for after the object's row
    # (so only of the rows whose hash differs), not of every ledger row.
    newer = "SEARCH newer USING INDEX ix_promotion_ledger_target (target_workspace_id=? AND kind=?"
    assert any(step.startswith(newer) for step in plan), plan
    table = "jobs" if kind == ObjectKind.JOB else "scripts"
    steps = [step.split(" USING")[0] for step in plan]
    assert steps.index(f"SEARCH {table}") < steps.index("CORRELATED SCALAR SUBQUERY 1"), plan


@on_sqlite
@pytest.mark.parametrize("kind", [ObjectKind.JOB, ObjectKind.SCRIPT])
def test_drift_counts_the_written_objects_from_the_ledger_s_index(
    services: Services, kind: ObjectKind
) -> None:
    scope = _workspace(services, "counting", 2)

    def count() -> None:
        with services.db.transaction(readonly=True) as tx:
            written_count(tx, scope.workspace.id, kind)

    [plan] = _plans(services, count)
    assert plan[0].startswith(
        "SEARCH promotion_ledger USING COVERING INDEX ix_promotion_ledger_target"
    ), plan


def test_the_working_set_looks_each_dependency_up_by_index() -> None:
    """The job graph's edges: each edge finds its upstream by index. SQLite otherwise chose to
    scan every edge for each job, quadratic in the package (4.6 s at 8,000 jobs). Reads the
    plans of the statements the working set really runs."""
    workset = Workset(None)
    try:
        workset.add(
            [
                (i, 4, "job", f"j{i}", f"jobs/j{i}.job", "CREATE", b"", f"u{i}", None)
                for i in range(50)
            ]
        )
        workset.add_edges([(i, f"j{i - 1}") for i in range(1, 50)])
        seen: list[str] = []
        workset._db.set_trace_callback(seen.append)
        assert len(list(workset.job_edges())) == 49
        assert len(workset.edges_to(["j1", "j2"])) == 2
        assert len(workset.edges_from([3, 4])) == 2
        assert workset.matched(["u1", "x"]) == {"u1"}
        workset._db.set_trace_callback(None)
        selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 4
        for statement in selects:
            plan = workset._db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
            scans = [str(row[3]) for row in plan if str(row[3]).startswith("SCAN")]
            joined = " JOIN " in statement
            assert len(scans) <= (1 if joined else 0), (statement, scans)
    finally:
        workset.close()


@on_sqlite
def test_a_rollback_reads_each_batch_of_changes_by_index_in_order(services: Services) -> None:
    """Every batch of a rollback's changes is a range of the (task, kind, name, action) index:
    with an index of the task alone each batch sorted all of the task's changes (minutes for an
    import of 100,000 jobs)."""
    from jobferry.storage.importing import rollbacks as rollback_repo

    def batches() -> None:
        with services.db.transaction(readonly=True) as tx:
            rollback_repo.changes_of(tx, "w", "t", ("job", "a", "CREATE"), 500)
            rollback_repo.changes_of(tx, "w", "t", None, 500, ("RENAME", "DELETE"))

    for plan in _plans(services, batches):
        assert plan[0].startswith("SEARCH import_changes USING INDEX ix_import_changes_order"), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


@on_sqlite
def test_upstream_edges_of_named_jobs_are_read_from_those_jobs(services: Services) -> None:
    busy = _workspace(services, "busy", 4)
    _workspace(services, "other", 4)
    db = services.db

    def edges() -> list[tuple[str, str]]:
        with db.transaction(readonly=True) as tx:
            # A planner's batch of names (an upstream walk asks for many at once).
            names = ["busy_job_2", "busy_job_3", *(f"gone_{n}" for n in range(60))]
            return export_repo.upstream_edges(tx, busy.workspace.id, names)

    assert sorted(edges()) == [("busy_job_2", "busy_job_1"), ("busy_job_3", "busy_job_2")]
    [plan] = _plans(services, edges)
    assert plan[0].startswith("SEARCH jobs USING COVERING INDEX"), plan
    assert "ix_job_refs_job" in plan[1], plan
    assert not any("ix_job_refs_lookup" in step for step in plan), plan


@on_sqlite
def test_the_route_of_a_package_is_found_by_index(services: Services) -> None:
    db = services.db

    def route() -> str | None:
        with db.transaction(readonly=True) as tx:
            return policy_repo.route_of_package(tx, PROJECT_ID, "upload-of-no-route")

    assert route() is None
    [plan] = _plans(services, route)
    assert any("ix_route_promotions_package" in step for step in plan), plan
    assert not any(step.startswith("SCAN route_promotions") for step in plan), plan


@on_sqlite
@pytest.mark.parametrize("kind", ["audit", "tasks"])
def test_a_newest_first_page_after_another_starts_from_the_time_index(
    services: Services, kind: str
) -> None:
    scope = _workspace(services, "newest", 12)  # a dozen audit lines
    for n in range(12):
        services.tasks.create(scope, TaskKind.EXPORT, f"export {n}", {})

    def next_page() -> None:
        if kind == "audit":
            services.audit.list_entries(scope, 5, 5)
        else:
            services.tasks.list_tasks(scope, limit=5, offset=5)

    if kind == "audit":
        services.audit.list_entries(scope, 5, 0)
    else:
        services.tasks.list_tasks(scope, limit=5, offset=0)
    plans = [" ".join(plan) for plan in _plans(services, next_page)]
    index = (
        "SEARCH audit_log USING INDEX ix_audit_log_scope (project_id=? AND workspace_id=? AND at<?)"
        if kind == "audit"
        else "SEARCH system_tasks USING INDEX ix_system_tasks_scope"
        " (workspace_id=? AND start_time<?)"
    )
    assert any(plan.startswith(index) for plan in plans), plans
    assert not any("SCAN" in plan or "count" in plan.lower() for plan in plans), plans
