"""What the housekeeping sweep drops when asked (``services/retention.py``): past
``JOBFERRY_TASK_LINES_DAYS`` the per-object lines of ended tasks, which then say so; past
``JOBFERRY_AUDIT_DAYS`` old audit entries, a search of an older window saying so. Tasks still
running and what is younger keep everything; a sweep works a batch a transaction within its
time budget."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import TaskStatus
from jobferry.services import retention as retention_module
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.expiry import DAY_MS
from jobferry.services.retention import LinesDropped, Retention
from jobferry.storage import tables
from jobferry.storage import tasks as task_repo
from jobferry.storage.tasks import TaskRecord
from support.builders import make_job
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects


def _package(tmp_path: Path, name: str, *jobs: str) -> Path:
    return write_objects(tmp_path / name, jobs_with_dependencies(*(make_job(j) for j in jobs)))


def _ended_days_ago(services: Services, task_id: str, days: int, now: int) -> None:
    """Move the task's end ``days`` (and a minute) before ``now``."""
    c = tables.system_tasks.c
    with services.db.transaction() as tx:
        tx.conn.execute(
            sa.update(tables.system_tasks)
            .where(c.id == task_id)
            .values(end_time=now - days * DAY_MS - 60_000)
        )


def _lines(services: Services, task_id: str) -> int:
    with services.db.transaction(readonly=True) as tx:
        return task_repo.count_subtasks(tx, task_id)


NOW = 1_900_000_000_000


@pytest.fixture
def prod(services: Services) -> Scope:
    return workspace(services, "prod")


def test_a_task_past_its_days_loses_its_lines_says_so_and_keeps_the_rest(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    old = import_package(services, prod, _package(tmp_path, "1.zip", "a_job", "b_job"))
    young = import_package(services, prod, _package(tmp_path, "2.zip", "c_job"))
    lines, young_lines = _lines(services, old.id), _lines(services, young.id)
    assert lines > young_lines > 0  # a line per object: the jobs, their scripts, resources
    _ended_days_ago(services, old.id, 30, NOW)
    _ended_days_ago(services, young.id, 29, NOW)
    before = services.tasks.show(prod, old.id)

    swept = Retention(services.db, 30, 0).sweep(NOW)

    assert (swept.tasks, swept.lines) == (1, lines)
    assert _lines(services, old.id) == 0
    shown = services.tasks.show(prod, old.id)
    assert shown.lines_dropped == LinesDropped(NOW, 30, lines)
    assert shown.subtasks == []
    assert f"Its {lines} per-object line(s) were dropped" in shown.lines_dropped.said
    assert "JOBFERRY_TASK_LINES_DAYS" in shown.lines_dropped.said
    kept = (shown.status, shown.message, shown.result, shown.start_time, shown.end_time)
    assert kept == (
        before.status,
        before.message,
        before.result,
        before.start_time,
        before.end_time,
    )
    page = services.tasks.subtasks(prod, old.id, offset=0, limit=100)
    assert (page.total, page.subtasks, page.dropped) == (0, [], shown.lines_dropped)
    listed = {t.id: t.lines_dropped for t in services.tasks.list_tasks(prod).tasks}
    assert listed == {old.id: shown.lines_dropped, young.id: None}

    assert _lines(services, young.id) == young_lines  # younger: kept, and says nothing
    assert services.tasks.show(prod, young.id).lines_dropped is None
    assert services.tasks.subtasks(prod, young.id, offset=0, limit=100).dropped is None
    assert Retention(services.db, 30, 0).sweep(NOW).tasks == 0  # once


def test_a_running_task_keeps_its_lines_whatever_its_age(services: Services, prod: Scope) -> None:
    running = TaskRecord(
        id="r" * 32,
        project_id=prod.actor.project_id,
        workspace_id=prod.workspace.id,
        kind="import",
        name="import",
        status=TaskStatus.RUNNING,
        message="Importing",
        progress=50,
        request="{}",
        result=None,
        subtasks=None,
        created_by="admin",
        start_time=0,
        end_time=0,  # even with an end written, a RUNNING task is not due
        last_update=0,
        owner=None,
    )
    with services.db.transaction() as tx:
        task_repo.insert_task(tx, running)
        task_repo.insert_subtasks(tx, running.id, [(1, "SUCCESSFUL", '{"name":"a"}')])

    assert Retention(services.db, 1, 0).sweep(NOW).tasks == 0

    assert _lines(services, running.id) == 1
    assert services.tasks.show(prod, running.id).lines_dropped is None


def test_nothing_is_dropped_at_zero_days_the_default(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    task = import_package(services, prod, _package(tmp_path, "1.zip", "a_job"))
    assert (services.retention.task_lines_days, services.retention.audit_days) == (0, 0)
    _ended_days_ago(services, task.id, 3650, NOW)

    assert services.retention.sweep(NOW) == retention_module.Swept()

    assert _lines(services, task.id) > 0
    assert services.audit.list_entries(prod, 100, 0).dropped is None


def test_a_task_that_kept_its_lines_on_its_row_loses_them_too(
    services: Services, prod: Scope
) -> None:
    task = TaskRecord(  # as a connection migration keeps its lines, one per connection
        id="m" * 32,
        project_id=prod.actor.project_id,
        workspace_id=prod.workspace.id,
        kind="import",
        name="connections",
        status=TaskStatus.SUCCESSFUL,
        message="Done",
        progress=100,
        request=None,
        result=None,
        subtasks='{"items": [{"name": "a"}, {"name": "b"}]}',
        created_by="admin",
        start_time=0,
        end_time=0,
        last_update=0,
        owner=None,
    )
    with services.db.transaction() as tx:
        task_repo.insert_task(tx, task)
    assert len(services.tasks.show(prod, task.id).subtasks) == 2

    Retention(services.db, 1, 0).sweep(NOW)

    shown = services.tasks.show(prod, task.id)
    assert (shown.subtasks, shown.lines_dropped) == ([], LinesDropped(NOW, 1, 2))


def test_lines_go_a_few_tasks_a_transaction_and_a_sweep_stops_at_its_budget(
    services: Services, prod: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention_module, "TASKS_BATCH", 2)
    tasks = [
        import_package(services, prod, _package(tmp_path, f"{n}.zip", f"job_{n}")) for n in range(5)
    ]
    for task in tasks:
        _ended_days_ago(services, task.id, 2, NOW)
    ticks = iter([0.0, 0.0, retention_module.BUDGET_SECONDS, retention_module.BUDGET_SECONDS])
    slow = Retention(services.db, 1, 0, clock=lambda: next(ticks))

    assert slow.sweep(NOW).tasks == 2  # one batch, then the budget was spent

    dropped = [services.tasks.show(prod, t.id).lines_dropped is not None for t in tasks]
    assert dropped.count(True) == 2
    assert Retention(services.db, 1, 0).sweep(NOW).tasks == 3  # the next sweep goes on
    assert all(services.tasks.show(prod, t.id).lines_dropped for t in tasks)


def test_a_transaction_takes_tasks_up_to_its_lines_one_at_least() -> None:
    limit = retention_module.LINES_BATCH
    due = [("a", limit - 10), ("b", 20), ("c", 1)]
    assert retention_module._within(due) == [("a", limit - 10)]
    assert retention_module._within([("big", limit * 10), ("b", 1)]) == [("big", limit * 10)]
    assert retention_module._within([("a", 1), ("b", 2)]) == [("a", 1), ("b", 2)]


# -- the audit log --------------------------------------------------------------------------


def _age_audit(services: Services, days: int, now: int) -> None:
    """Make every audit entry so far ``days`` (and a minute) older than ``now``."""
    with services.db.transaction() as tx:
        tx.conn.execute(sa.update(tables.audit_log).values(at=now - days * DAY_MS - 60_000))


def test_audit_entries_past_their_days_are_dropped_and_a_search_before_says_so(
    services: Services, prod: Scope
) -> None:
    services.jobs.create(prod, make_job("old_job"))
    _age_audit(services, 10, NOW)
    services.jobs.create(prod, make_job("new_job"))
    new = services.audit.list_entries(prod, 100, 0, AuditQuery(object_name="new_job"))
    with services.db.transaction() as tx:
        tx.conn.execute(
            sa.update(tables.audit_log)
            .values(at=NOW - DAY_MS)
            .where(tables.audit_log.c.id == new.entries[0].id)
        )
    kept_before = NOW - 7 * DAY_MS

    swept = Retention(services.db, 0, 7).sweep(NOW)

    assert swept.entries >= 2  # the workspace's creation and old_job's
    page = services.audit.list_entries(prod, 100, 0)
    assert [e.object_name for e in page.entries] == ["new_job"]
    assert page.dropped is not None
    assert (page.dropped.before, page.dropped.dropped_at, page.dropped.kept_days) == (
        kept_before,
        NOW,
        7,
    )
    assert page.dropped_said.startswith("Entries before ")
    assert "(kept 7 day(s), JOBFERRY_AUDIT_DAYS" in page.dropped_said
    older = services.audit.list_entries(
        prod, 100, 0, AuditQuery(object_name="old_job", since=NOW - 30 * DAY_MS)
    )
    assert (older.total, older.dropped) == (0, page.dropped)  # not a bare "no entry"
    within = services.audit.list_entries(prod, 100, 0, AuditQuery(since=NOW - 2 * DAY_MS))
    assert within.dropped is None  # a window inside what is kept lost nothing
    assert Retention(services.db, 0, 7).sweep(NOW).entries == 0


def test_audit_entries_go_a_batch_a_transaction_within_the_budget(
    services: Services, prod: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention_module, "AUDIT_BATCH", 2)
    for n in range(4):
        services.jobs.create(prod, make_job(f"job_{n}"))
    with services.db.transaction(readonly=True) as tx:
        entries = tx.conn.execute(sa.select(sa.func.count()).select_from(tables.audit_log))
        total = int(entries.scalar_one())
    _age_audit(services, 2, NOW)
    ticks = iter([0.0, 0.0, retention_module.BUDGET_SECONDS])
    slow = Retention(services.db, 0, 1, clock=lambda: next(ticks))

    assert slow.sweep(NOW).entries == 2  # one batch, then the budget was spent
    partial = services.audit.list_entries(prod, 100, 0)
    assert partial.total == total - 2
    assert partial.dropped is not None  # entries before the oldest left are gone, so far
    assert partial.dropped.before <= NOW - 2 * DAY_MS

    assert Retention(services.db, 0, 1).sweep(NOW).entries == total - 2  # the next goes on
    done = services.audit.list_entries(prod, 100, 0)
    assert done.total == 0
    assert done.dropped is not None
    assert done.dropped.before == NOW - DAY_MS


def test_old_entries_behind_a_newer_one_among_the_oldest_ids_are_dropped_too(
    services: Services, prod: Scope
) -> None:
    for n in range(3):
        services.jobs.create(prod, make_job(f"job_{n}"))
    _age_audit(services, 10, NOW)
    a = tables.audit_log.c
    with services.db.transaction() as tx:  # written last by another process, numbered first
        first = tx.conn.execute(sa.select(sa.func.min(a.id))).scalar_one()
        tx.conn.execute(sa.update(tables.audit_log).where(a.id == first).values(at=NOW))

    Retention(services.db, 0, 7).sweep(NOW)

    with services.db.transaction(readonly=True) as tx:
        assert tx.conn.execute(sa.select(a.id)).scalars().all() == [first]
    page = services.audit.list_entries(prod, 100, 0)
    assert page.dropped is not None
    assert page.dropped.before == NOW - 7 * DAY_MS
