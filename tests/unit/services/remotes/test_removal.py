"""What refuses a remote's removal (``services/remotes/removal.py``) and how a removal meets a
refresh of the remote: refused while a refresh task of it is queued or running, naming it;
waiting for a refresh that writes the shadow as it comes, so that nothing of the remote is left
behind. (The routes naming the shadow: test_service.py; a push not over: test_recovery.py.)"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConflictError, RemoteNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import remotes as repo
from support.builders import make_job
from support.console import admin_actor
from support.standin import DataArtsStandin


def job_names(services: Services, shadow: Scope) -> list[str]:
    _, jobs = services.jobs.list_jobs(
        shadow, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    return sorted(job.name for job in jobs)


def test_a_remote_is_not_removed_while_its_refresh_is_queued_or_running(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    """Removed, the refresh would read a remote that is gone, to be refused as it writes and
    its reads lost: the removal is refused, naming the task to follow, and changes nothing."""
    standin.workspace.put_job(make_job("weekly_sales"))
    actor = admin_actor(services)
    queued = services.refresh_tasks.start(actor, "prod")
    before = services.remotes.get(actor, "prod")

    with pytest.raises(ConflictError, match=f"refresh {queued.task_id}") as refused:
        services.remotes.remove(actor, "prod")

    assert refused.value.remedy is Remedy.FOLLOW_TASK
    assert (refused.value.context["task_id"], refused.value.context["workspace"]) == (
        queued.task_id,
        shadow.workspace.name,
    )
    assert "remove it once it has ended" in refused.value.message
    assert services.remotes.get(actor, "prod") == before  # nothing removed
    claimed = services.tasks.claim((TaskKind.REFRESH,), look_first=False)
    assert claimed is not None
    services.refresh_tasks.run(claimed)
    ended = services.tasks.show(shadow, claimed.id)
    assert ended.status is TaskStatus.SUCCESSFUL, ended.message  # it wrote into the shadow
    assert job_names(services, shadow) == ["daily_sales", "weekly_sales"]
    services.remotes.remove(actor, "prod")  # once it ended
    with pytest.raises(RemoteNotFoundError):
        services.remotes.get(actor, "prod")


@pytest.mark.databases("postgresql")
def test_a_remote_removed_while_a_refresh_writes_waits_for_it_and_leaves_no_reads_behind(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    # the refresh's write holds the remote's row: a removal that read the row unlocked forgot
    # the reads committed before it, then deleted the row once the write ended, leaving the
    # write's reads behind
    actor, ws = admin_actor(services), shadow.workspace.id
    removed: list[BaseException | None] = []
    with services.db.transaction() as tx:  # as write_reads does
        assert repo.lock_remote(tx, actor.project_id, "prod") is not None
        repo.record_read(tx, ws, "job", [("weekly_sales", "0" * 64)], 1)
        holder = tx.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        remover = threading.Thread(target=_removing, args=(services, removed))
        remover.start()
        _wait_blocked_by(services, holder)
    remover.join(timeout=30)
    assert removed == [None]
    with services.db.transaction(readonly=True) as tx:
        assert repo.read_all_hashes(tx, ws, ["job"]) == {"job": {}}
        assert repo.get_remote(tx, actor.project_id, "prod") is None


def _removing(services: Services, removed: list[BaseException | None]) -> None:
    try:
        services.remotes.remove(admin_actor(services), "prod")
    except BaseException as exc:  # said by the test's own thread
        removed.append(exc)
    else:
        removed.append(None)


def _wait_blocked_by(services: Services, holder: int) -> None:
    """Until a PostgreSQL session waits for a lock ``holder`` holds."""
    waits = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    for _ in range(3000):
        with services.db.connect() as conn:
            if conn.execute(waits, {"pid": holder}).scalar_one():
                return
        time.sleep(0.01)
    raise AssertionError("the removal never waited for the refresh's write")
