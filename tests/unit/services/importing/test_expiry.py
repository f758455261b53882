"""Rollbacks expire (``services/importing/expiry.py``): past ``JOBFERRY_ROLLBACK_DAYS`` the sweep
drops what an import replaced and what its push sent, and its rollback is refused saying so,
changing nothing; younger imports keep theirs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobferry.domain.enums import TaskStatus
from jobferry.errors import RollbackRefusedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing import expiry as expiry_module
from jobferry.services.importing import rollback as rollback_module
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry, utc_minute
from jobferry.services.importing.undoing import Undone
from jobferry.services.taskviews import Task
from jobferry.storage import Database, Tx, tables
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.importing import expiry as expiry_repo
from jobferry.storage.importing.expiry import Due
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    upload,
    workspace,
    write_objects,
)
from support.standin import DataArtsStandin, remote_shadow
from support.task_stories import run_queued_rollbacks


def _package(tmp_path: Path, name: str, **fields: str) -> Path:
    return write_objects(tmp_path / name, jobs_with_dependencies(make_job("a_job", **fields)))


def _states(services: Services, task_id: str) -> list[tuple[str, str | None, str | None]]:
    """(action, state before, undo) of each change record of the import."""
    c = tables.import_changes.c
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.select(c.action, c.before_document, c.undo).where(c.task_id == task_id)
        )
        return [(str(r[0]), r[1], r[2]) for r in rows]


def _ended(services: Services, scope: Scope, task_id: str) -> int:
    end = services.tasks.show(scope, task_id).end_time
    assert end is not None
    return end


@pytest.fixture
def scope(services: Services, tmp_path: Path) -> Scope:
    """A workspace where a_job was imported, then overwritten by a second import."""
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", description="first"))
    return scope


def test_an_import_past_its_days_cannot_be_rolled_back_and_a_younger_one_can(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    old = import_package(services, scope, _package(tmp_path, "2.zip", description="second"))
    assert any(before for _, before, _ in _states(services, old.id))
    now = _ended(services, scope, old.id) + 30 * DAY_MS + 1

    assert RollbackExpiry(services.db, 30).sweep(now) >= 1
    assert RollbackExpiry(services.db, 30).sweep(now) == 0  # done once

    assert [(before, undo) for _, before, undo in _states(services, old.id)] == [(None, None)]
    shown = services.tasks.show(scope, old.id)
    assert shown.rollback_expired is not None
    assert shown.rollback_expired.kept_days == 30
    assert shown.rollback_expired.dropped_at == now
    with pytest.raises(RollbackRefusedError, match="can no longer be rolled back") as refused:
        services.rollback.rollback(scope, old.id)
    assert f"kept 30 day(s) (JOBFERRY_ROLLBACK_DAYS) and dropped {utc_minute(now)}." in (
        refused.value.message
    )
    assert services.jobs.show(scope, "a_job").document.get("description") == "second"

    young = import_package(services, scope, _package(tmp_path, "3.zip", description="third"))
    assert RollbackExpiry(services.db, 30).sweep(now) == 0
    assert services.tasks.show(scope, young.id).rollback_expired is None
    services.rollback.rollback(scope, young.id)
    assert services.jobs.show(scope, "a_job").document.get("description") == "second"


def test_an_import_whose_rollback_was_queued_before_its_days_ran_out_is_rolled_back(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    old = import_package(services, scope, _package(tmp_path, "2.zip", description="second"))
    now = _ended(services, scope, old.id) + 30 * DAY_MS + 1
    queued = services.rollback.start(scope, old.id)  # no free task thread: it waits

    assert RollbackExpiry(services.db, 30).sweep(now) == 1  # the first import, not this one
    run_queued_rollbacks(services)

    assert services.tasks.show(scope, queued).status == TaskStatus.SUCCESSFUL
    assert services.jobs.show(scope, "a_job").document.get("description") == "first"
    assert services.tasks.show(scope, old.id).rollback_expired is None  # rolled back
    assert RollbackExpiry(services.db, 30).sweep(now) == 1  # once it ended, it expires


def test_nothing_expires_at_zero_days_the_default(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(services, scope, _package(tmp_path, "2.zip", description="second"))
    assert services.rollback_expiry.days == 0
    assert services.rollback_expiry.sweep(_ended(services, scope, task.id) + 3650 * DAY_MS) == 0
    services.rollback.rollback(scope, task.id)
    assert services.jobs.show(scope, "a_job").document.get("description") == "first"


def test_a_refused_import_past_its_days_says_nothing_of_an_expiry(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """An import refused whole (nothing imported) never could be rolled back: past the days
    it answered ``rollbackExpired`` all the same, and the CLI said "FAILED, rollback expired"
    of it (found by the generated task stories, test_generated_tasks.py)."""
    bad = write_objects(
        tmp_path / "bad.zip", [("job", "b_job", make_job("b_job", processType="X"))]
    )
    refused = run_import(services, scope, upload(services, scope, bad))
    assert refused.status is TaskStatus.FAILED
    now = _ended(services, scope, refused.id) + DAY_MS + 1

    RollbackExpiry(services.db, 1).sweep(now)

    assert services.tasks.show(scope, refused.id).rollback_expired is None
    newest = services.tasks.list_tasks(scope).tasks[0]
    assert (newest.id, newest.rollback_expired) == (refused.id, None)
    with pytest.raises(RollbackRefusedError) as still:
        services.rollback.rollback(scope, refused.id)
    assert still.value.context["rule"] == "not_finished"


def test_an_import_rolled_back_says_so_past_its_days_not_that_its_rollback_expired(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """An import rolled back was rolled back: past the days the sweep passes it too, and it
    answered ``rollbackExpired`` beside ``rolledBack`` (noticed by the generated task
    stories); it says it was rolled back, and a second rollback is refused as such."""
    done = import_package(services, scope, _package(tmp_path, "p.zip", description="second"))
    services.rollback.rollback(scope, done.id)
    now = _ended(services, scope, done.id) + DAY_MS + 1

    RollbackExpiry(services.db, 1).sweep(now)

    shown = services.tasks.show(scope, done.id)
    assert shown.rolled_back is not None
    assert shown.rollback_expired is None
    listed = next(t for t in services.tasks.list_tasks(scope).tasks if t.id == done.id)
    assert (listed.rolled_back is not None, listed.rollback_expired) == (True, None)
    with pytest.raises(RollbackRefusedError) as again:
        services.rollback.rollback(scope, done.id)
    assert again.value.context["rule"] == "rolled_back"


def test_a_push_past_its_days_loses_its_calls_and_its_rollback(
    services: Services, tmp_path: Path
) -> None:
    standin = DataArtsStandin()
    shadow = remote_shadow(services, standin)
    pushed = import_package(services, shadow, _package(tmp_path, "p.zip", logPath="obs://b/p"))
    with services.db.transaction(readonly=True) as tx:
        assert journal_repo.calls(tx, pushed.id)
    now = _ended(services, shadow, pushed.id) + DAY_MS + 1

    RollbackExpiry(services.db, 1).sweep(now)

    with services.db.transaction(readonly=True) as tx:
        assert journal_repo.calls(tx, pushed.id) == []
        assert journal_repo.get_push(tx, pushed.id) is not None  # the push's own row stays
    writes = len(standin.writes())
    with pytest.raises(RollbackRefusedError, match="can no longer be rolled back"):
        services.rollback.rollback(shadow, pushed.id)
    assert len(standin.writes()) == writes  # refused before any call
    assert standin.workspace.jobs["a_job"].doc["logPath"] == "obs://b/p"


def test_a_push_whose_rollback_was_queued_before_its_days_ran_out_is_undone_at_the_remote(
    services: Services, tmp_path: Path
) -> None:
    """The sweep keeps the calls of a push whose rollback task waits (H4 noticed: the import's
    states were kept, the push's journal was not, and the queued rollback then failed)."""
    standin = DataArtsStandin()
    shadow = remote_shadow(services, standin)
    pushed = import_package(services, shadow, _package(tmp_path, "p.zip", logPath="obs://b/p"))
    now = _ended(services, shadow, pushed.id) + DAY_MS + 1
    queued = services.rollback.start(shadow, pushed.id)  # no free task thread: it waits

    RollbackExpiry(services.db, 1).sweep(now)
    with services.db.transaction(readonly=True) as tx:
        assert journal_repo.calls(tx, pushed.id)  # kept for the rollback that waits
    run_queued_rollbacks(services)

    assert services.tasks.show(shadow, queued).status == TaskStatus.SUCCESSFUL
    assert "a_job" not in standin.workspace.jobs  # the push made it: its undo deleted it
    RollbackExpiry(services.db, 1).sweep(now)
    with services.db.transaction(readonly=True) as tx:
        assert journal_repo.calls(tx, pushed.id) == []  # once it ended, they go


def test_imports_expire_a_few_a_transaction_until_none_is_left(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expiry_module, "BATCH", 2)
    last = import_package(services, scope, _package(tmp_path, "2.zip", description="2"))
    import_package(services, scope, _package(tmp_path, "3.zip", description="3"))
    newest = import_package(services, scope, _package(tmp_path, "4.zip", description="4"))
    now = _ended(services, scope, newest.id) + DAY_MS + 1
    assert RollbackExpiry(services.db, 1).sweep(now) == 4  # the fixture's import, and these
    assert services.tasks.show(scope, last.id).rollback_expired is not None


def _past_a_day_on_postgresql(services: Services, scope: Scope, tmp_path: Path) -> tuple[Task, int]:
    """An import overwriting a_job (description "second") and a moment a day after it ended,
    for the tests of two server processes on one database: PostgreSQL only (several processes
    share a database there; on SQLite a writer holds the one write lock the other waits for)."""
    if services.db.dialect != "postgresql":
        pytest.skip("several server processes share a database on PostgreSQL only")
    task = import_package(services, scope, _package(tmp_path, "2.zip", description="second"))
    return task, _ended(services, scope, task.id) + DAY_MS + 1


def test_two_processes_sweeping_at_once_expire_each_import_once(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, now = _past_a_day_on_postgresql(services, scope, tmp_path)
    both_read = threading.Barrier(2, timeout=10)
    real_due = expiry_repo.due

    def due_then_wait(tx: Tx, ended_before: int, limit: int, undone: Sequence[str]) -> list[Due]:
        found = real_due(tx, ended_before, limit, undone)
        if found:  # both sweeps found the same imports due before either marked them
            both_read.wait()
        return found

    monkeypatch.setattr(expiry_repo, "due", due_then_wait)
    other = Database(services.db.url)  # another process's connections to the same database
    try:
        with ThreadPoolExecutor(2) as pool:
            swept = [pool.submit(RollbackExpiry(db, 1).sweep, now) for db in (services.db, other)]
            counts = [future.result(timeout=30) for future in swept]
    finally:
        other.dispose()
    assert sum(counts) >= 2  # each found them; the second marked nothing twice
    shown = services.tasks.show(scope, task.id).rollback_expired
    assert shown is not None
    assert shown.dropped_at == now


def test_a_rollback_during_which_the_sweep_drops_its_states_is_refused_whole(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, now = _past_a_day_on_postgresql(services, scope, tmp_path)
    real_undo = rollback_module.undo_import
    other = Database(services.db.url)  # another server process's keeper

    def undo_then_sweep(
        tx: Tx, scope: Scope, task_id: str, said: Callable[[int], None] | None = None
    ) -> Undone:
        undone = real_undo(tx, scope, task_id, said)  # read and undone before the sweep commits
        with ThreadPoolExecutor(1) as pool:
            pool.submit(RollbackExpiry(other, 1).sweep, now).result(timeout=30)
        return undone

    monkeypatch.setattr(rollback_module, "undo_import", undo_then_sweep)
    try:
        with pytest.raises(RollbackRefusedError, match="can no longer be rolled back"):
            services.rollback.rollback(scope, task.id)
    finally:
        other.dispose()
    assert services.jobs.show(scope, "a_job").document.get("description") == "second"


def test_a_sweep_stops_at_its_time_budget_and_the_next_goes_on(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expiry_module, "BATCH", 2)
    for n in range(3):
        newest = import_package(services, scope, _package(tmp_path, f"{n}.zip", description=str(n)))
    now = _ended(services, scope, newest.id) + DAY_MS + 1
    ticks = iter([0.0, 0.0, expiry_module.BUDGET_SECONDS])  # the budget spent after one batch
    slow = RollbackExpiry(services.db, 1, clock=lambda: next(ticks))
    assert slow.sweep(now) == 2  # one batch, then the budget was spent
    assert services.tasks.show(scope, newest.id).rollback_expired is None  # the newest last
    assert RollbackExpiry(services.db, 1).sweep(now) == 2  # the next sweep goes on
    assert services.tasks.show(scope, newest.id).rollback_expired is not None
