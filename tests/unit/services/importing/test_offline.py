"""The offline transform (``jobferry package transform``) writes every entry of the package it
read, the repeats of a shared script in each job folder included."""

from __future__ import annotations

import io
import json
import zipfile

from jobferry.domain.profile import TimeZoneMove
from jobferry.domain.timeshift import ShiftMode
from jobferry.package.reader import read_package
from jobferry.services.importing.offline import transform_package
from support.builders import make_job, make_script


def _batch_package() -> bytes:
    """Two job folders, each with its job and the same shared script (as DataArts batches)."""
    shared = json.dumps(make_script("shared_sql"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in ("job_a", "job_b"):
            job = make_job(name)
            job["nodes"] = job["nodes"][:1]
            job["nodes"][0]["properties"][0]["value"] = "shared_sql"
            zf.writestr(f"{name}/jobs/{name}.job", json.dumps(job))
            zf.writestr(f"{name}/scripts/shared_sql.script", shared)
    return buffer.getvalue()


def test_a_repeated_shared_script_is_written_at_every_path() -> None:
    package = read_package(_batch_package())
    assert len(package.of_kind("script")) == 1  # read once
    move = TimeZoneMove("UTC", ShiftMode.KEEP_WALL_CLOCK)

    result = transform_package(package, None, move, label={"timeZone": "UTC"})

    assert result.data is not None
    with zipfile.ZipFile(io.BytesIO(result.data)) as zf:
        names = sorted(zf.namelist())
        assert names == [
            "job_a/jobs/job_a.job",
            "job_a/scripts/shared_sql.script",
            "job_b/jobs/job_b.job",
            "job_b/scripts/shared_sql.script",
        ]
        job = json.loads(zf.read("job_b/jobs/job_b.job"))
    assert job["schedule"]["cron"]["expressionTimeZone"] == "UTC"
