"""A job or a script keeps its newest 100 submitted versions, as DataArts does: storing a newer
one (a save that submits, an import, a remote's shadow catching up) drops the oldest in the same
transaction, and asking for a dropped version says so (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.definitions import VERSIONS_KEPT
from jobferry.errors import VersionNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import jobs as job_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.records import VersionRecord
from support.builders import editable, make_job, make_script
from support.console import seeded_admin
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects


def _job_versions(services: Services, scope: Scope, name: str) -> list[int]:
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, scope.workspace.id, name)
        assert job is not None
        return [v.version for v in job_repo.list_versions(tx, job.id)]


def _script_versions(services: Services, scope: Scope, name: str) -> list[int]:
    with services.db.transaction(readonly=True) as tx:
        script = script_repo.get_script(tx, scope.workspace.id, name)
        assert script is not None
        return [v.version for v in script_repo.list_versions(tx, script.id)]


def _submit_job(services: Services, scope: Scope, name: str, times: int) -> None:
    """Submit the job ``times`` times as it stands (each a new version, nothing changed)."""
    body = editable(services.jobs.show(scope, name).document)
    for _ in range(times):
        services.jobs.update(scope, name, body | {"targetStatus": "SUBMITTED"})


def _submit_to_a_hundred(services: Services, scope: Scope, name: str) -> None:
    """Submit the job until it holds ``VERSIONS_KEPT`` versions."""
    _submit_job(services, scope, name, VERSIONS_KEPT - len(_job_versions(services, scope, name)))


@pytest.fixture
def scope(services: Services) -> Scope:
    """The admin in the default workspace, holding daily_sales with its scripts."""
    return seeded_admin(services)


def test_a_job_submitted_past_a_hundred_times_keeps_its_newest_hundred(
    services: Services, scope: Scope
) -> None:
    first = _job_versions(services, scope, "daily_sales")
    start = max(first, default=0)
    _submit_job(services, scope, "daily_sales", VERSIONS_KEPT + 3 - start)

    kept = _job_versions(services, scope, "daily_sales")
    assert kept == list(range(VERSIONS_KEPT + 3, 3, -1))
    assert services.jobs.show(scope, "daily_sales", version=4).version == 4
    with pytest.raises(VersionNotFoundError) as refused:
        services.jobs.show(scope, "daily_sales", version=3)
    assert refused.value.message == (
        "Job 'daily_sales' has no submitted version 3; its latest version is 103 and a job keeps "
        "its newest 100 (as DataArts does)."
    )
    with pytest.raises(VersionNotFoundError) as refused:
        services.jobs.show(scope, "daily_sales", version=104)
    assert refused.value.message.endswith("its latest version is 103.")


def test_a_script_submitted_past_a_hundred_times_keeps_its_newest_hundred(
    services: Services, scope: Scope
) -> None:
    services.scripts.create(scope, make_script("kept_sql") | {"targetStatus": "SUBMITTED"})
    body: dict[str, Any] = editable(services.scripts.show(scope, "kept_sql").document)
    for n in range(VERSIONS_KEPT + 1):
        services.scripts.update(
            scope, "kept_sql", body | {"content": f"select {n};", "targetStatus": "SUBMITTED"}
        )

    assert _script_versions(services, scope, "kept_sql") == list(range(VERSIONS_KEPT + 2, 2, -1))


def test_a_save_that_does_not_submit_drops_nothing(services: Services, scope: Scope) -> None:
    _submit_to_a_hundred(services, scope, "daily_sales")
    body = editable(services.jobs.show(scope, "daily_sales").document)
    services.jobs.update(scope, "daily_sales", body | {"description": "draft"})
    assert len(_job_versions(services, scope, "daily_sales")) == VERSIONS_KEPT


def test_an_import_submitting_the_101st_version_drops_the_first_and_its_rollback_the_101st(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    package = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    import_package(services, scope, package)  # version 1
    _submit_job(services, scope, "a_job", VERSIONS_KEPT - 1)  # versions 2 to 100
    assert len(_job_versions(services, scope, "a_job")) == VERSIONS_KEPT

    changed = make_job("a_job", description="imported")
    task = import_package(
        services, scope, write_objects(tmp_path / "2.zip", jobs_with_dependencies(changed))
    )

    assert _job_versions(services, scope, "a_job") == list(range(VERSIONS_KEPT + 1, 1, -1))
    services.rollback.rollback(scope, task.id)
    assert _job_versions(services, scope, "a_job") == list(range(VERSIONS_KEPT, 1, -1))


def test_a_shadow_catching_up_drops_past_the_hundred_too(services: Services, scope: Scope) -> None:
    _submit_to_a_hundred(services, scope, "daily_sales")
    with services.db.transaction() as tx:
        job = job_repo.get_job(tx, scope.workspace.id, "daily_sales")
        assert job is not None
        job_repo.add_versions(
            tx, [job.id], [VersionRecord(VERSIONS_KEPT + 1, "SUBMITTED", "{}", 0, "x")]
        )
    assert _job_versions(services, scope, "daily_sales") == list(range(VERSIONS_KEPT + 1, 1, -1))
