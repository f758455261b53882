"""The import pipeline's delivery port for remotes (``services/remotes/delivery.py``): a
shadow is stale until refreshed and again once older than the refresh interval (never when
last refreshed from a carried snapshot); what a plan against it was made against; the hashes
the last refresh read."""

from __future__ import annotations

import io

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.delivery import RemoteDelivery
from jobferry.services.remotes.rollback import PushRollback
from jobferry.services.remotes.shadow import canonical, digest, job_value
from support.builders import make_job
from support.console import admin_actor
from support.standin import DataArtsStandin


def _delivery(services: Services, seconds: int) -> RemoteDelivery:
    return RemoteDelivery(services.pushes, PushRollback(services.pushes), seconds)


def test_a_shadow_is_stale_once_older_than_the_refresh_interval(
    services: Services, shadow: Scope
) -> None:
    assert not _delivery(services, 3600).stale(shadow)
    assert _delivery(services, 0).stale(shadow)


def test_a_shadow_refreshed_from_a_snapshot_is_never_stale(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    carried = io.BytesIO(standin.workspace.batch_export())
    services.remotes.refresh_upload(admin_actor(services), "prod", carried, "jobs.zip")
    assert not _delivery(services, 0).stale(shadow)
    basis = _delivery(services, 0).basis(shadow)
    assert basis is not None
    assert basis["from"] == "snapshot"
    assert basis["snapshot"]["fileName"] == "jobs.zip"


def test_catching_up_refreshes_the_shadow_from_the_remote(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.put_job(make_job("weekly_sales"))
    standin.reset()
    _delivery(services, 0).catch_up(shadow)
    assert "export_job_list" in standin.calls()
    basis = _delivery(services, 0).basis(shadow)
    assert basis is not None
    assert (basis["remote"], basis["from"], basis["snapshot"]) == ("prod", "remote", None)


def test_what_the_last_refresh_read_is_told_by_hash(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    read = _delivery(services, 0).read_of(shadow, [("job", "daily_sales"), ("job", "nope")])
    doc = canonical(ObjectKind.JOB, standin.workspace.jobs["daily_sales"].doc)
    assert read == {("job", "daily_sales"): digest(job_value(doc, JobStatus.STOPPED))}
