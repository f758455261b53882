"""A refresh from a snapshot carried from the remote's side (``services/remotes/snapshot.py``):
a DataArts batch export, made by the stand-in as DataArts makes it, brings the shadow's jobs to
it (a job it lacks is gone) and keeps the scripts and resources it does not hold; no call is
made to the remote."""

from __future__ import annotations

import io

import pytest

from jobferry.domain.enums import RefreshSource
from jobferry.errors import PackageError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.console import admin_actor
from support.standin import DataArtsStandin


@pytest.fixture
def standin() -> DataArtsStandin:
    standin = DataArtsStandin()
    for name in ("daily_sales", "weekly_sales"):
        standin.workspace.put_job(make_job(name))
    return standin


def _names(services: Services, shadow: Scope) -> set[str]:
    _, rows = services.jobs.list_jobs(
        shadow, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    return {job.name for job in rows}


def test_a_dataarts_batch_export_brings_the_shadows_jobs_to_it(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    del standin.workspace.jobs["weekly_sales"]
    standin.workspace.put_job(make_job("hourly_sales"))
    carried = standin.workspace.batch_export()
    standin.reset()
    done = services.remotes.refresh_upload(
        admin_actor(services), "prod", io.BytesIO(carried), "jobs.zip"
    )
    assert standin.seen == []  # the remote was not called
    assert done.source is RefreshSource.SNAPSHOT
    assert done.snapshot is not None
    assert done.snapshot.producer == "dataarts"
    assert done.counts["job"]["created"] == 1
    assert done.counts["job"]["deleted"] == 1
    assert _names(services, shadow) == {"daily_sales", "hourly_sales"}
    assert done.notes  # says what a DataArts export does not hold


def test_a_snapshot_that_is_not_a_package_is_refused_and_changes_nothing(
    services: Services, shadow: Scope
) -> None:
    before = _names(services, shadow)
    with pytest.raises(PackageError) as refused:
        services.remotes.refresh_upload(
            admin_actor(services), "prod", io.BytesIO(b"not a zip"), "jobs.zip"
        )
    assert "not a readable zip archive" in refused.value.message
    assert _names(services, shadow) == before
