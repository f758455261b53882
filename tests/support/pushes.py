"""The packages of the push stories the remotes' service tests tell against the DataArts
stand-in: a first push of three jobs, then a second that edits one, deletes one at the source
and adds one, with deletes propagated and scheduled jobs paused and restored (``SECOND``); a
push that renames a job (:func:`renaming_package`); and a real-time job running on the
remote, paused by the push that edits it (:func:`running_stream`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import parse_import_request
from support.builders import make_job
from support.console import admin_actor
from support.planning import (
    import_package,
    jobs_with_dependencies,
    uid_of,
    upload,
    write_objects,
)
from support.standin import DataArtsStandin, Killed

FIRST_JOBS = ("daily_sales", "weekly_sales", "hourly_sales")
SECOND = {"propagateDeletes": True, "scheduling": "PAUSE_AND_RESTORE"}
"""The second push's import options."""


def first_package(tmp_path: Path) -> Path:
    """daily_sales, weekly_sales and hourly_sales with their scripts and resource."""
    jobs = [make_job(name) for name in FIRST_JOBS]
    return write_objects(tmp_path / "first.zip", jobs_with_dependencies(*jobs))


def second_package(tmp_path: Path) -> Path:
    """daily_sales edited, weekly_sales deleted at the source, monthly_sales new."""
    edited = make_job("daily_sales", logPath="obs://bucket/logs/edited")
    jobs = [edited, make_job("hourly_sales"), make_job("monthly_sales")]
    gone = (("job", uid_of("job", "weekly_sales"), "weekly_sales"),)
    return write_objects(tmp_path / "second.zip", jobs_with_dependencies(*jobs), deleted=gone)


def _after_daily_sales(name: str) -> dict[str, object]:
    job = make_job(name)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_v2"], "dependPeriod": "SAME_PERIOD"}
    return job


def renaming_package(tmp_path: Path) -> Path:
    """daily_sales renamed daily_v2 and edited, weekly_sales made to depend on it (a reference
    to the new name), hourly_sales deleted at the source, monthly_sales new, after daily_v2."""
    renamed = make_job("daily_v2", logPath="obs://bucket/logs/renamed")
    jobs = [renamed, _after_daily_sales("weekly_sales"), _after_daily_sales("monthly_sales")]
    gone = (("job", uid_of("job", "hourly_sales"), "hourly_sales"),)
    uids = {"daily_v2": uid_of("job", "daily_sales")}
    return write_objects(
        tmp_path / "renaming.zip", jobs_with_dependencies(*jobs), uids=uids, deleted=gone
    )


def killed_push(
    services: Services, shadow: Scope, tmp_path: Path, package: Path | None = None
) -> str:
    """Start the second push (or that of ``package``) into ``shadow`` and let it die (the
    stand-in's faults say where: :class:`~support.standin.Killed` escapes, as nothing catches
    kill -9); its task id."""
    body = {"path": upload(services, shadow, package or second_package(tmp_path)), **SECOND}
    prepared = services.imports.prepare(
        shadow, parse_import_request({"sameNamePolicy": "OVERWRITE", **body})
    )
    with pytest.raises(Killed):
        services.imports.run(prepared)
    return prepared.task_id


STREAM = "clicks_stream"
"""A real-time job: DataArts lists it ``NORMAL`` while it runs (a batch job ``SCHEDULING``)."""


def running_stream(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> Path:
    """Push the real-time job :data:`STREAM` (with its scripts) into ``shadow``, run it on the
    remote (``NORMAL``) and refresh the shadow; the package that then edits it and adds
    monthly_sales (imported with ``scheduling="PAUSE_AND_RESTORE"``, its push pauses the
    stream first and starts it again last)."""
    stream = jobs_with_dependencies(make_job(STREAM, processType="REAL_TIME"))
    import_package(services, shadow, write_objects(tmp_path / "stream.zip", stream))
    standin.workspace.jobs[STREAM].status = "NORMAL"
    services.remotes.refresh(admin_actor(services), "prod")
    edited = make_job(STREAM, processType="REAL_TIME", logPath="obs://bucket/logs/edited")
    jobs = jobs_with_dependencies(edited, make_job("monthly_sales"))
    return write_objects(tmp_path / "stream-edited.zip", jobs)
