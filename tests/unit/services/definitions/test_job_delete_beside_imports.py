"""A job's delete beside an import whose job depends on it (``dependJobs`` naming a job of the
target the package does not carry), over a real database (SQLite and PostgreSQL): the two go
one after the other, whichever starts first. The delete that counts the job's dependents while
the import has found the job there but not committed waits for the import and is refused (the
imported job depends on it); the import that looks for the job while the delete has counted no
dependent but not committed waits for it and finds the job gone (a ``missing_reference``,
nothing imported). A save of the job, which keeps its name, does not wait for the import.

On PostgreSQL, the delete counted dependents without seeing the import's job, and the import
had read the job there: both went, and the imported job depended on a job no longer there."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.errors import InUseError, JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.jobs import JobService
from jobferry.services.importing.local import LocalReader
from jobferry.services.taskviews import Task
from support.builders import make_job, make_script
from support.interleaving import held_at, second_waits
from support.planning import failed_missing_job, run_import, upload, workspace, write_objects


@dataclass(frozen=True)
class Prod:
    """A workspace holding job upstream and the scripts of job daily_sales, and the upload of
    a package of daily_sales alone, depending on upstream."""

    scope: Scope
    path: str


@pytest.fixture
def prod(services: Services, tmp_path: Path) -> Prod:
    scope = workspace(services, "prod")
    services.scripts.create(scope, make_script("daily_sales_sql"))
    services.scripts.create(scope, make_script("daily_sales_sh", type="Shell", content="echo"))
    services.jobs.create(scope, make_job("upstream"))
    job = make_job("daily_sales")
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["upstream"]}
    package = write_objects(tmp_path / "daily.zip", [("job", "daily_sales", job)])
    return Prod(scope, upload(services, scope, package))


def _holds(services: Services, scope: Scope, name: str) -> bool:
    """Whether the workspace holds job ``name``."""
    try:
        services.jobs.show(scope, name)
    except JobNotFoundError:
        return False
    return True


def _apply_finding_jobs(reader: LocalReader, wanted: dict[tuple[str, str], Any]) -> bool:
    """The apply's look-up of the jobs its job depends on (a plan's reader, which does not
    hold them for its import, reads them too)."""
    return reader._lock and any(kind == "job" for kind, _ in wanted)


def test_a_job_delete_counting_dependents_while_an_import_depends_on_it_waits_and_is_refused(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = held_at(monkeypatch, LocalReader, "existing", _apply_finding_jobs)
    refused: list[InUseError] = []

    def delete() -> None:
        try:
            services.jobs.delete(prod.scope, "upstream")
        except InUseError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, prod.scope, prod.path)
        waited = second_waits(importing, hold, delete)
        task: Task = importing.result()

    assert waited  # the delete waited for the import it would have counted too early
    assert task.status is TaskStatus.SUCCESSFUL
    assert [exc.context["dependents"] for exc in refused] == [["daily_sales"]]
    assert _holds(services, prod.scope, "upstream")
    assert _holds(services, prod.scope, "daily_sales")


def test_an_import_looking_for_a_job_being_deleted_waits_and_finds_it_gone(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = held_at(monkeypatch, JobService, "_refuse_depended_on")  # none counted, not deleted
    imported: list[Task] = []

    with ThreadPoolExecutor(1) as pool:
        deleting = pool.submit(services.jobs.delete, prod.scope, "upstream")
        waited = second_waits(
            deleting, hold, lambda: imported.append(run_import(services, prod.scope, prod.path))
        )

    assert waited  # the import waited for the delete, then found the job gone
    failed_missing_job(imported, "daily_sales", "upstream")
    assert not _holds(services, prod.scope, "upstream")
    assert not _holds(services, prod.scope, "daily_sales")


def test_a_save_of_a_job_an_import_depends_on_does_not_wait_for_the_import(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = held_at(monkeypatch, LocalReader, "existing", _apply_finding_jobs)
    saved = make_job("upstream", directory="/saved")

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, prod.scope, prod.path)
        waited = second_waits(
            importing, hold, lambda: services.jobs.update(prod.scope, "upstream", saved)
        )
        task: Task = importing.result()

    # SQLite has one writer at a time: there the save waits for the import's transaction.
    assert waited is (services.db.dialect == "sqlite")
    assert task.status is TaskStatus.SUCCESSFUL
    assert services.jobs.show(prod.scope, "upstream").document["directory"] == "/saved"
    assert _holds(services, prod.scope, "daily_sales")
