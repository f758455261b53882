"""A job's rename beside an import whose job depends on it, over a real database (SQLite and
PostgreSQL): the two go one after the other, whichever starts first, and no job is left
depending on the old name. The rename that starts while the import holds the job waits for the
import and rewrites the job it imported too; the import that looks for the job while the rename
holds it waits for the rename and finds it gone (a ``missing_reference``, nothing imported).
An import that overwrites a dependent of the job, holding it when the rename comes to rewrite
it, is not made to wait on the rename in turn (crossing locks, a deadlock on PostgreSQL): the
rename lets the job go, waits for the dependent, and begins again.

On PostgreSQL, the rename read the job and gathered its dependents without locking the job, so
the import's new dependent kept the old name; and it rewrote a dependent from what it had read
before the import overwrote it, so the import's change was lost."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.errors import DatabaseBusyError, JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions import renames
from jobferry.services.definitions.renames import Renamed
from jobferry.services.importing.local import LocalReader
from jobferry.services.taskviews import Task
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage.records import JobRecord
from support.builders import make_job, make_script
from support.interleaving import held_at, second_waits
from support.planning import failed_missing_job, run_import, upload, workspace, write_objects


@dataclass(frozen=True)
class Prod:
    """A workspace holding job upstream and the scripts of job daily_sales, and the upload of
    a package of daily_sales, depending on upstream."""

    scope: Scope
    path: str


def _daily_sales(directory: str = "/") -> dict[str, Any]:
    job = make_job("daily_sales", directory=directory)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["upstream"]}
    return job


def _prod(services: Services, tmp_path: Path, *, held: bool) -> Prod:
    """The workspace (``held``: holding daily_sales already, which the package overwrites)."""
    scope = workspace(services, "prod")
    services.scripts.create(scope, make_script("daily_sales_sql"))
    services.scripts.create(scope, make_script("daily_sales_sh", type="Shell", content="echo"))
    services.jobs.create(scope, make_job("upstream"))
    if held:
        services.jobs.create(scope, _daily_sales())
    job = _daily_sales("/imported")
    package = write_objects(tmp_path / "daily.zip", [("job", "daily_sales", job)])
    return Prod(scope, upload(services, scope, package))


@pytest.fixture
def prod(services: Services, tmp_path: Path) -> Prod:
    return _prod(services, tmp_path, held=False)


@pytest.fixture
def overwritten(services: Services, tmp_path: Path) -> Prod:
    return _prod(services, tmp_path, held=True)


def _holds(services: Services, scope: Scope, name: str) -> bool:
    """Whether the workspace holds job ``name``."""
    try:
        services.jobs.show(scope, name)
    except JobNotFoundError:
        return False
    return True


def _depends_on(services: Services, scope: Scope, name: str) -> list[str]:
    jobs: list[str] = services.jobs.show(scope, name).document["schedule"]["cron"]["dependJobs"][
        "jobs"
    ]
    return jobs


def _apply_finding_jobs(reader: LocalReader, wanted: dict[tuple[str, str], Any]) -> bool:
    """The apply's look-up of the jobs its job depends on (held ``FOR KEY SHARE``)."""
    return reader._lock and any(kind == "job" for kind, _ in wanted)


def _apply_reading_jobs(reader: LocalReader, wanted: dict[str, list[str]]) -> bool:
    """The apply's read of the target's jobs it overwrites (locked ``FOR UPDATE``), before it
    looks up the jobs they depend on."""
    return reader._lock and bool(wanted.get("job"))


def _rename(services: Services, prod: Prod, renamed: list[Renamed]) -> None:
    renamed.append(services.jobs.rename(prod.scope, "upstream", "upstream_v2"))


def test_a_rename_of_a_job_an_import_depends_on_waits_and_rewrites_the_imported_job(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = held_at(monkeypatch, LocalReader, "existing", _apply_finding_jobs)
    renamed: list[Renamed] = []

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, prod.scope, prod.path)
        waited = second_waits(importing, hold, lambda: _rename(services, prod, renamed))
        task: Task = importing.result()

    assert waited  # the rename waited for the import, then saw the job it imported
    assert task.status is TaskStatus.SUCCESSFUL
    assert [r.dependents for r in renamed] == [["daily_sales"]]
    assert _depends_on(services, prod.scope, "daily_sales") == ["upstream_v2"]
    assert not _holds(services, prod.scope, "upstream")


def test_an_import_looking_for_a_job_being_renamed_waits_and_finds_it_gone(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = held_at(monkeypatch, renames, "_check_renamable")  # the job read, not yet renamed
    imported: list[Task] = []

    with ThreadPoolExecutor(1) as pool:
        renaming = pool.submit(services.jobs.rename, prod.scope, "upstream", "upstream_v2")
        waited = second_waits(
            renaming, hold, lambda: imported.append(run_import(services, prod.scope, prod.path))
        )

    assert waited  # the import waited for the rename, then found the job gone
    failed_missing_job(imported, "daily_sales", "upstream")
    assert _holds(services, prod.scope, "upstream_v2")
    assert not _holds(services, prod.scope, "daily_sales")


def test_a_rename_crossing_an_import_that_overwrites_its_dependent_waits_and_keeps_both(
    services: Services, overwritten: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import holds daily_sales (it overwrites it) and is yet to hold upstream; the
    rename, holding upstream, must not wait for daily_sales while the import waits for
    upstream."""
    prod = overwritten
    hold = held_at(monkeypatch, LocalReader, "stored", _apply_reading_jobs)
    renamed: list[Renamed] = []

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, prod.scope, prod.path)
        waited = second_waits(importing, hold, lambda: _rename(services, prod, renamed))
        task: Task = importing.result()

    assert waited
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert [r.dependents for r in renamed] == [["daily_sales"]]
    shown = services.jobs.show(prod.scope, "daily_sales").document
    assert shown["directory"] == "/imported"  # the import's overwrite, not lost
    assert _depends_on(services, prod.scope, "daily_sales") == ["upstream_v2"]


def test_an_import_overwriting_a_dependent_a_rename_rewrites_waits_and_finds_the_job_gone(
    services: Services, overwritten: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod = overwritten
    hold = held_at(monkeypatch, renames, "_rewrite")  # daily_sales rewritten, not committed
    imported: list[Task] = []

    with ThreadPoolExecutor(1) as pool:
        renaming = pool.submit(services.jobs.rename, prod.scope, "upstream", "upstream_v2")
        waited = second_waits(
            renaming, hold, lambda: imported.append(run_import(services, prod.scope, prod.path))
        )

    assert waited
    (task,) = imported
    assert task.status is TaskStatus.FAILED
    assert _depends_on(services, prod.scope, "daily_sales") == ["upstream_v2"]
    assert services.jobs.show(prod.scope, "daily_sales").document["directory"] == "/"


def test_a_rename_finding_its_dependents_held_each_time_is_refused_busy_renaming_nothing(
    services: Services, overwritten: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each attempt finds daily_sales held (as by a stream of imports overwriting it): after
    waiting between attempts, the rename gives up, 503 and retryable, nothing renamed."""
    prod = overwritten
    waits: list[bool] = []
    lock_jobs = job_repo.lock_jobs

    def always_held(tx: Tx, job_ids: Iterable[int], *, wait: bool) -> dict[int, JobRecord]:
        waits.append(wait)
        return lock_jobs(tx, job_ids, wait=wait) if wait else {}

    monkeypatch.setattr(job_repo, "lock_jobs", always_held)

    with pytest.raises(DatabaseBusyError) as refused:
        services.jobs.rename(prod.scope, "upstream", "upstream_v2")

    assert refused.value.code == "DLF.9504"
    assert waits == [False, True] * (renames.ATTEMPTS - 1) + [False]
    assert _holds(services, prod.scope, "upstream")
    assert _depends_on(services, prod.scope, "daily_sales") == ["upstream"]
