"""The write half of a refresh (``services/remotes/shadow.py``): what was read of a kind,
hashed, with only what changed since the last refresh spooled; what the remote no longer has;
a refresh refused while a push to the remote is open. (Its writes into the shadow:
``test_shadow_writes.py``.)"""

from __future__ import annotations

import pytest

from jobferry.domain.enums import JobStatus
from jobferry.errors import ConflictError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.shadow import KindRead, digest, job_value
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
