"""Every write of a job's, script's or resource's definition keeps the hash beside it true
(``document_sha256``, ``storage/rows.py``): a workspace's drift lets the database compare it
with the hash an import wrote and reads only the objects whose hashes differ, so a writer that
left it stale would hide a change made since (or report one that is not).

Each test writes through one family of paths and then checks every row of every workspace."""

from __future__ import annotations

from pathlib import Path

from jobferry.domain.enums import ObjectKind
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage.importing import snapshots
from jobferry.storage.importing import target as target_repo
from support.builders import make_job, make_resource, make_script
from support.planning import (
    import_package,
    jobs_with_dependencies,
    uid_of,
    untrue_hashes,
    workspace,
    write_objects,
)


def test_the_definition_services_keep_every_hash_true(services: Services) -> None:
    dev = workspace(services, "dev")
    services.scripts.create(dev, make_script("daily_sql"))
    resource_id = services.resources.create(dev, make_resource("udf_jar"))
    services.jobs.create(dev, make_job("daily_sales"))
    downstream = make_job("weekly_sales")
    downstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_sales"]}
    services.jobs.create(dev, downstream)
    assert untrue_hashes(services) == []

    services.scripts.update(dev, "daily_sql", make_script("daily_sql", content="SELECT 2"))
    services.resources.update(dev, resource_id, make_resource("udf_jar_v2"))
    services.jobs.update(dev, "daily_sales", make_job("daily_sales", description="edited"))
    services.jobs.rename(dev, "daily_sales", "hourly_sales")  # weekly_sales rewritten
    assert untrue_hashes(services) == []


def test_an_import_its_renames_deletions_and_rollback_keep_every_hash_true(
    services: Services, tmp_path: Path
) -> None:
    prod = workspace(services, "prod")
    first = [make_job("daily_sales"), make_job("weekly_sales"), make_job("old_sales")]
    import_package(
        services, prod, write_objects(tmp_path / "1.zip", jobs_with_dependencies(*first))
    )
    weekly = make_job("weekly_sales", description="changed")
    weekly["schedule"]["cron"]["dependJobs"] = {"jobs": ["hourly_sales"]}
    second = write_objects(
        tmp_path / "2.zip",
        jobs_with_dependencies(make_job("hourly_sales"), weekly, make_job("monthly_sales")),
        uids={"hourly_sales": uid_of("job", "daily_sales")},  # daily_sales, renamed
        deleted=(("job", uid_of("job", "old_sales"), "old_sales"),),
    )
    task = import_package(services, prod, second, propagateDeletes=True)
    assert _jobs(services, prod) == ["hourly_sales", "monthly_sales", "weekly_sales"]
    assert untrue_hashes(services) == []

    services.rollback.rollback(prod, task.id)  # old_sales put back, the others as they were
    assert _jobs(services, prod) == ["daily_sales", "old_sales", "weekly_sales"]
    assert untrue_hashes(services) == []


def _jobs(services: Services, scope: Scope) -> list[str]:
    names = ["daily_sales", "hourly_sales", "monthly_sales", "old_sales", "weekly_sales"]
    with services.db.transaction(readonly=True) as tx:
        return sorted(target_repo.target_jobs(tx, scope.workspace.id, names))


def test_an_object_put_back_from_a_snapshot_older_than_the_hash_gets_its_hash(
    services: Services,
) -> None:
    """A rollback puts a deleted object back from the row its import kept: one kept before the
    hash was has none (or, changed by hand, a stale one); the text it puts back is hashed."""
    dev = workspace(services, "dev")
    services.jobs.create(dev, make_job("daily_sales"))
    with services.db.transaction() as tx:
        job_id = target_repo.target_jobs(tx, dev.workspace.id, ["daily_sales"])["daily_sales"].id
        state = snapshots.take(tx, ObjectKind.JOB, job_id)
    services.jobs.delete(dev, "daily_sales")
    old = {k: v for k, v in state["row"].items() if k != "document_sha256"}
    with services.db.transaction() as tx:
        snapshots.put_back(tx, ObjectKind.JOB, {**state, "row": old})
    assert untrue_hashes(services) == []
    stale = {**state["row"], "document": '{"name":"daily_sales"}'}
    services.jobs.delete(dev, "daily_sales")
    with services.db.transaction() as tx:
        snapshots.put_back(tx, ObjectKind.JOB, {**state, "row": stale})
    assert untrue_hashes(services) == []
