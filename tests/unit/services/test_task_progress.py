"""Progress said from inside a write transaction this thread holds (an import's apply, a
rollback's undo) is seen at once by a read on another connection while the work goes on, no
more often than every half second: on PostgreSQL it is written into the task's row beside
that transaction (a second's wait for the row at the most); on SQLite, whose one write lock
that transaction holds, into a progress file beside the database, which every read of the
running task shows, and which goes when the task ends."""

from __future__ import annotations

import time

import pytest

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services import taskprogress
from jobferry.services.container import Services
from jobferry.services.tasks import TaskService
from jobferry.storage import tables
from jobferry.storage import workers as worker_repo
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
    assert before != during == (60, "Wrote 6 of 10 object(s).")
    listed = services.tasks.list_tasks(admin_scope(services)).tasks
    assert [(t.progress, t.message) for t in listed if t.id == task_id] == [during]
    services.tasks.advance(task_id, 70, "Outside.")  # outside a transaction: into the row
    assert seen(services, task_id) == (70, "Outside.")


def test_progress_beside_a_transaction_is_written_at_most_every_half_second(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = running_task(services)
    with services.db.transaction():
        services.tasks.advance(task_id, 50, "First.")
        services.tasks.advance(task_id, 55, "Too soon.")
        assert seen(services, task_id) == (50, "First.")
        monkeypatch.setattr(taskprogress, "PROGRESS_EVERY", 0.0)
        services.tasks.advance(task_id, 60, "Later.")
        assert seen(services, task_id) == (60, "Later.")


def test_on_sqlite_the_progress_file_goes_when_the_task_ends(services: Services) -> None:
    live = services.tasks.progress.live
    if services.db.writes_side_by_side:
        assert live is None  # PostgreSQL: the row
        return
    assert live is not None
    task_id = running_task(services)
    with services.db.transaction():
        services.tasks.advance(task_id, 60, "Wrote 6 of 10 object(s).")
    assert live.read(task_id) is not None
    services.tasks.finish(task_id, TaskStatus.SUCCESSFUL, "Done.")
    assert seen(services, task_id) == (100, "Done.")  # an ended task reads its row
    services.tasks.ended_here(task_id)
    assert live.read(task_id) is None
    assert not (live.folder / f"{task_id}.json").exists()


def test_another_server_process_sees_the_progress_too(services: Services) -> None:
    other = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    task_id = running_task(services)
    with services.db.transaction():
        services.tasks.advance(task_id, 60, "Wrote 6 of 10 object(s).")
    shown = other.show(admin_scope(services), task_id)
    assert (shown.progress, shown.message) == (60, "Wrote 6 of 10 object(s).")


def test_what_a_task_failed_as_orphaned_said_goes_with_it(services: Services) -> None:
    scope = admin_scope(services)
    task_id = services.tasks.enqueue(scope, TaskKind.EXPORT, "An export.", {})
    dead = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    dead.register_worker()
    claimed = dead.claim((TaskKind.EXPORT,), look_first=False)
    assert claimed is not None
    assert claimed.id == task_id
    with services.db.transaction():
        dead.advance(task_id, 60, "Wrote 6 of 10 job(s).")
    assert seen(services, task_id) == (60, "Wrote 6 of 10 job(s).")
    with services.db.transaction() as tx:
        worker_repo.beat(tx, dead.worker_id, 0)  # its last beat was long ago: it died

    assert task_id in services.tasks.heartbeat()

    failed = services.tasks.show(admin_scope(services), task_id)
    assert failed.status == "FAILED"
    assert "stopped before it finished" in failed.message  # the row, not what it said
    live = services.tasks.progress.live
    if live is not None:
        assert live.read(task_id) is None  # the file went with it
