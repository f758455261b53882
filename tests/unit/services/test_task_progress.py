"""Progress said from inside a write transaction this thread holds (an import's apply, a
rollback's undo): on PostgreSQL it is written beside that transaction at once, so a poll on
another connection sees it while the work goes on (a second's wait for the task's row at the
most, and no more often than every half second); on SQLite, whose one write lock that
transaction holds, it is left out rather than waited for."""

from __future__ import annotations

import time

import pytest

from jobferry.domain.enums import TaskKind
from jobferry.services import tasks as tasks_module
from jobferry.services.container import Services
from jobferry.storage import tables
from support.console import admin_scope


def running_task(services: Services) -> str:
    scope = admin_scope(services)
    return services.tasks.create(scope, TaskKind.IMPORT, "An import.", {})


def seen(services: Services, task_id: str) -> tuple[int, str]:
    """The task as another connection reads it now."""
    task = services.tasks.show(admin_scope(services), task_id)
    return task.progress, task.message


def test_the_database_knows_which_thread_holds_a_write_transaction(services: Services) -> None:
    db = services.db
    assert not db.writing_here
    with db.transaction(readonly=True):
        assert not db.writing_here
    with db.transaction():
        assert db.writing_here
        with db.transaction(readonly=True):
            assert db.writing_here
        assert db.writing_here
    assert not db.writing_here
    with pytest.raises(RuntimeError), db.transaction():
        raise RuntimeError("rolled back")
    assert not db.writing_here


def test_progress_said_inside_a_write_transaction_is_seen_at_once_where_two_can_write(
    services: Services,
) -> None:
    task_id = running_task(services)
    before = seen(services, task_id)
    started = time.monotonic()
    with services.db.transaction() as tx:
        tx.conn.execute(tables.projects.select().limit(1))  # the work's own transaction
        services.tasks.advance(task_id, 60, "Wrote 6 of 10 object(s).")
        during = seen(services, task_id)
    assert time.monotonic() - started < 5  # never a wait for the work's own lock
    if services.db.writes_side_by_side:
        assert during == (60, "Wrote 6 of 10 object(s).")
    else:
        assert during == before  # SQLite: left out
    services.tasks.advance(task_id, 70, "Outside.")  # outside a transaction: always written
    assert seen(services, task_id) == (70, "Outside.")


def test_progress_beside_a_transaction_is_written_at_most_every_half_second(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not services.db.writes_side_by_side:
        pytest.skip("SQLite leaves progress beside a write transaction out")
    task_id = running_task(services)
    with services.db.transaction():
        services.tasks.advance(task_id, 50, "First.")
        services.tasks.advance(task_id, 55, "Too soon.")
        assert seen(services, task_id) == (50, "First.")
        monkeypatch.setattr(tasks_module, "BESIDE_EVERY", 0.0)
        services.tasks.advance(task_id, 60, "Later.")
        assert seen(services, task_id) == (60, "Later.")
