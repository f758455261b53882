"""The write half of a refresh (``services/remotes/shadow.py``): what was read of a kind,
hashed, with only what changed since the last refresh spooled; what the remote no longer has;
a refresh refused while a push to the remote is open, or when what it compared with was
changed meanwhile (the records' version moved). (Its writes into the shadow:
``test_shadow_writes.py``.)"""

from __future__ import annotations

import time

import pytest

from jobferry.domain.enums import JobStatus
from jobferry.errors import ConflictError
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.records import Refresh
from jobferry.services.remotes.shadow import (
    KindRead,
    Written,
    digest,
    job_value,
    known_hashes,
    write_reads,
)
from jobferry.storage import remotes as remote_repo
from support.builders import make_job
from support.console import admin_actor
from support.standin import DataArtsStandin, remote_shadow


def test_only_what_changed_since_the_last_refresh_is_spooled() -> None:
    same, changed = {"name": "a"}, {"name": "b", "logPath": "new"}
    read = KindRead("job", {"a": digest(same), "b": digest({"name": "b"}), "gone": "x"})
    read.add("a", same)
    read.add("b", changed)
    read.add("c", {"name": "c"})
    assert read.changed == ["b", "c"]
    assert dict(read.spool) == {"b": changed, "c": {"name": "c"}}
    assert read.gone == ["gone"]
    read.spool.close()
    assert list(read.spool) == []


def test_a_kind_not_read_whole_loses_nothing() -> None:
    read = KindRead("script", {"kept": "x"}, whole=False)
    assert read.gone == []


def test_a_jobs_value_holds_its_scheduling_status() -> None:
    doc = {"name": "a"}
    assert job_value(doc, JobStatus.SCHEDULING) != job_value(doc, JobStatus.STOPPED)


def test_a_refresh_is_refused_while_a_push_to_the_remote_is_open(
    services: Services,
) -> None:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    shadow: Scope = remote_shadow(services, standin)
    standin.workspace.put_job(make_job("weekly_sales"))
    journal = Journal(services.db, "open-push-task")
    journal.start(shadow.actor.project_id, shadow.workspace.id, "prod", "another-worker")
    with pytest.raises(ConflictError, match="push"):
        services.remotes.refresh(admin_actor(services), "prod")
    _, rows = services.jobs.list_jobs(
        shadow, job_type=None, job_name=None, tags=None, limit=10, offset=0
    )
    assert [job.name for job in rows] == ["daily_sales"]


def _version(services: Services, shadow: Scope) -> int | None:
    with services.db.transaction(readonly=True) as tx:
        return remote_repo.reads_version(tx, shadow.workspace.id)


def test_a_refresh_writes_nothing_when_what_it_compared_with_changed_meanwhile(
    services: Services,
) -> None:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    shadow: Scope = remote_shadow(services, standin)
    version = _version(services, shadow)
    services.remotes.refresh(admin_actor(services), "prod")  # unchanged: nothing recorded
    assert _version(services, shadow) == version
    recorded = known_hashes(services.db, shadow.workspace.id, ("job",))
    assert set(recorded.hashes["job"]) == {"daily_sales"}
    # another refresh records a change after this one read the records
    standin.workspace.put_job(make_job("weekly_sales"))
    services.remotes.refresh(admin_actor(services), "prod")
    assert _version(services, shadow) != recorded.version
    read = KindRead("job", recorded.hashes["job"])
    read.add("daily_sales", job_value(make_job("daily_sales", directory="/x"), JobStatus.STOPPED))
    at = now_ms()
    summary = Refresh(at, Refresh.empty(at).counts, 0, 0.0)
    stale = Written("prod", recorded.version, summary, time.monotonic())
    with pytest.raises(ConflictError, match="Another refresh"):
        write_reads(services.db, shadow, [read], stale)
    assert services.jobs.show(shadow, "daily_sales").document.get("directory") != "/x"


def test_forgetting_or_recording_a_read_counts_as_a_change_and_nothing_does_not(
    services: Services,
) -> None:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    shadow: Scope = remote_shadow(services, standin)
    ws, seen = shadow.workspace.id, [_version(services, shadow)]
    for change in (
        lambda tx: remote_repo.forget_read(tx, ws, "job", []),
        lambda tx: remote_repo.record_read(tx, ws, "job", [], 1),
        lambda tx: remote_repo.forget_read(tx, ws, "job", ["daily_sales"]),
        lambda tx: remote_repo.record_read(tx, ws, "job", [("daily_sales", "0" * 64)], 1),
    ):
        with services.db.transaction() as tx:
            change(tx)
        seen.append(_version(services, shadow))
    assert seen[0] is not None
    assert seen[1:] == [seen[0], seen[0], seen[0] + 1, seen[0] + 2]
