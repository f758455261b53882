"""A remote's drift: what a push wrote, refreshed from the remote, is not drift; a change made
in the DataArts workspace itself, once a refresh reads it, is (the workspace's drift report,
``services/definitions/drift.py``, on a remote's shadow, against the strict stand-in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.console import admin_actor
from support.packages import write_package
from support.planning import import_package
from support.standin import DataArtsStandin


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def test_a_change_made_in_the_remote_is_drift_once_a_refresh_reads_it(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip", [make_job("daily_sales")])
    task = import_package(services, shadow, package)  # pushed, then the shadow re-read
    services.remotes.refresh(admin_actor(services), "prod")
    clean = services.drift.report(shadow)
    assert (clean.compared, clean.total) == (4, 0)  # the job, its two scripts, its jar

    standin.workspace.edit_job("daily_sales", description="changed in DataArts by hand")
    services.remotes.refresh(admin_actor(services), "prod")
    report = services.drift.report(shadow)
    assert report.total == 1
    (drifted,) = report.objects
    assert (drifted.name, drifted.import_task_id) == ("daily_sales", task.id)
    assert [(c.path, c.after) for c in drifted.changes] == [
        ("description", "changed in DataArts by hand")
    ]


def test_drift_names_who_changed_a_job_in_the_remote_and_when_and_the_audit_the_refresh(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip", [make_job("daily_sales")])
    import_package(services, shadow, package)
    services.remotes.refresh(admin_actor(services), "prod")

    standin.workspace.user = "bob"  # list_jobs answers him as its lastUpdateUser
    standin.workspace.edit_job("daily_sales", description="bob's hot-fix")
    when = standin.workspace.jobs["daily_sales"].updated
    services.remotes.refresh(admin_actor(services), "prod")
    (drifted,) = services.drift.report(shadow).objects
    assert (drifted.updated_by, drifted.updated_at) == ("bob", when)
    entries = services.audit.list_entries(shadow, 100, 0).entries
    line = next(e for e in entries if (e.action, e.object_name) == ("job.update", "daily_sales"))
    assert line.detail == {"targetStatus": "SAVED", "refreshOf": "prod", "changedBy": "bob"}
