"""The import use cases (``services.importing.service``) called as the task runner calls them,
without HTTP: check-file, plans kept and checked for freshness, one import at a time per
workspace, ATOMIC refusing everything where PER_OBJECT imports the rest, the profile check, and
a script's connection checked against the target whatever the package's manifest says."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import ObjectKind, TaskStatus
from jobferry.errors import ImportRunningError, JobNotFoundError, ScriptNotFoundError
from jobferry.package.folder import FolderObject, pack
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.contents import ListedJob, ListedObject
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.builders import make_job, make_script
from support.packages import objects_for, write_package
from support.planning import run_import, upload, workspace, write_objects


@pytest.fixture
def scope(services: Services) -> Scope:
    return workspace(services, "prod")


def test_check_file_says_what_a_package_holds_without_importing_it(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))

    info = services.imports.check_file(scope, path)

    assert info.jobs == (ListedJob("daily_sales", "/sales", {"bizdate": "${yyyyMMdd}"}),)
    assert sorted(s.name for s in info.scripts) == ["daily_sales_sh", "daily_sales_sql"]
    assert info.others == (ListedObject(ObjectKind.RESOURCE, "udf_jar"),)
    assert (info.manifest, info.signed, info.signature.state) == (True, False, "unsigned")
    with pytest.raises(JobNotFoundError):  # nothing was imported
        services.jobs.status(scope, "daily_sales")


def test_an_import_naming_a_plan_is_refused_once_the_target_changed(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    body = {"path": path, "sameNamePolicy": "OVERWRITE"}
    plan = services.imports.plan(scope, parse_import_request(body))
    assert isinstance(plan, Plan)
    assert plan.summary.create == 4

    services.jobs.create(scope, make_job("daily_sales", description="made since"))
    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.FAILED
    assert "changed since plan" in task.message
    stale = run_import(services, scope, path, planId=plan.plan_id, mode="PER_OBJECT")
    assert "another package or other import options" in stale.message


def test_imports_run_one_at_a_time_per_workspace(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    first = services.imports.prepare(scope, parse_import_request({"path": path}))
    with pytest.raises(ImportRunningError) as refused:
        services.imports.prepare(scope, parse_import_request({"path": path}))
    assert refused.value.context["task_id"] == first.task_id
    services.imports.run(first)
    again = services.imports.prepare(scope, parse_import_request({"path": path}))  # lock freed
    services.imports.run(again)


def test_atomic_imports_nothing_when_one_object_fails_and_per_object_imports_the_rest(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    jobs = [make_job("good_job"), make_job("bad_job", processType="SOMETIMES")]
    path = upload(services, scope, write_package(tmp_path / "p.zip", jobs))

    atomic = run_import(services, scope, path)
    assert atomic.status is TaskStatus.FAILED
    assert "nothing was imported" in atomic.message
    assert atomic.subtasks == []

    per_object = run_import(services, scope, path, mode="PER_OBJECT")
    assert per_object.status is TaskStatus.WARNING
    statuses = {s["id"]: s["status"] for s in per_object.subtasks}
    assert (statuses["job:good_job"], statuses["job:bad_job"]) == ("SUCCESSFUL", "FAILED")
    assert per_object.outcome["written"] == 6  # good_job, four scripts, the resource
    assert per_object.outcome["failed"] == 1


def test_the_profile_check_says_what_the_target_lacks(services: Services, tmp_path: Path) -> None:
    admin = workspace(services, "prod")
    bare = services.accounts.scope(
        admin.actor,
        admin.actor.project_id,
        services.accounts.create_workspace(admin.actor, admin.actor.project_id, "bare"),
    )
    path = upload(services, bare, write_package(tmp_path / "p.zip"))

    report = services.imports.check_profile(bare, parse_import_request({"path": path}))
    assert report.complete is False
    assert {m.name for m in report.missing} == {"dws_conn", "ssh_conn"}
    assert len(report.package_sha256) == 64

    mapped = {
        "path": path,
        "profile": {"renames": {"connection": {"dws_conn": "x", "ssh_conn": "x"}}},
    }
    services.environment.put(bare, "connection", "x", {"type": "DWS", "config": {}})
    report = services.imports.check_profile(bare, parse_import_request(mapped))
    assert report.missing == ()


def test_the_profile_check_says_what_the_package_s_scripts_lack_as_for_its_jobs(
    services: Services, tmp_path: Path
) -> None:
    """A script's connection and DLI queue are environment objects the profile maps, as a
    job's are: the check names those the target lacks, with the scripts using them."""
    prod = workspace(services, "prod")
    spark = make_script("spark_sql", connectionName="mrs_spark", queueName="etl_queue")
    objects = [*objects_for(make_job("daily_sales")), ("script", "spark_sql", spark)]
    path = upload(services, prod, write_objects(tmp_path / "p.zip", objects))

    report = services.imports.check_profile(prod, parse_import_request({"path": path}))

    assert report.complete is False
    assert {(str(m.kind), m.name): (m.jobs, m.scripts) for m in report.missing} == {
        ("connection", "mrs_spark"): ((), ("spark_sql",)),
        ("dli_queue", "etl_queue"): ((), ("spark_sql",)),
    }
    queue = next(m for m in report.missing if m.name == "etl_queue")
    assert "dli_queue" in queue.fix  # mapped in the profile, as a job's queue is

    services.environment.put(prod, "dli_queue", "prod_queue", {"type": "DLI", "config": {}})
    renames = {"connection": {"mrs_spark": "dws_conn"}, "dli_queue": {"etl_queue": "prod_queue"}}
    mapped = {"path": path, "profile": {"renames": renames}}
    assert services.imports.check_profile(prod, parse_import_request(mapped)).complete is True


def test_a_script_naming_a_connection_the_target_lacks_is_refused_without_a_manifest(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """A folder's package (``apply -f``) and one exported without a manifest require nothing:
    the script itself says which connection it runs on, and the import refuses it as it
    refuses an exported package's, writing nothing; a profile mapping it lets it in."""
    objects = [*objects_for(make_job("daily_sales")), ("script", "orphan_sql", make_script(
        "orphan_sql", connectionName="mrs-spark"))]  # fmt: skip
    folder = tmp_path / "folder.zip"
    with folder.open("wb") as out:
        pack([FolderObject(ObjectKind(k), n, f"{k}s/{n}.json", d) for k, n, d in objects], out)
    bare = write_objects(tmp_path / "bare.zip", objects, header=None)

    for package in (folder, bare):
        task = run_import(services, scope, upload(services, scope, package))
        assert task.status is TaskStatus.FAILED, package.name
        [problem] = task.outcome["problems"]
        assert (problem["reference"], problem["usedBy"]) == (
            {"kind": "connection", "name": "mrs-spark"},
            [{"kind": "script", "name": "orphan_sql"}],
        )
        with pytest.raises(ScriptNotFoundError):  # nothing was imported
            services.scripts.show(scope, "orphan_sql")

    renames = {"renames": {"connection": {"mrs-spark": "dws_conn"}}}
    mapped = run_import(services, scope, upload(services, scope, folder), profile=renames)
    assert mapped.status is TaskStatus.SUCCESSFUL, mapped.message
    assert services.scripts.show(scope, "orphan_sql").document["connectionName"] == "dws_conn"


def test_a_script_on_a_dli_queue_the_target_lacks_is_refused_as_a_job_s_would_be(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """The import checked only a script's connection: a script on a queue the target lacks
    was written, to run on nothing, while the profile check named the queue missing."""
    objects = [*objects_for(make_job("daily_sales")), ("script", "spark_sql", make_script(
        "spark_sql", connectionName="dws_conn", queueName="etl_queue"))]  # fmt: skip
    path = upload(services, scope, write_objects(tmp_path / "p.zip", objects))

    task = run_import(services, scope, path)

    assert task.status is TaskStatus.FAILED
    [problem] = task.outcome["problems"]
    assert (problem["reference"], problem["usedBy"]) == (
        {"kind": "dli_queue", "name": "etl_queue"},
        [{"kind": "script", "name": "spark_sql"}],
    )
    assert "dli_queue" in problem["fix"]  # mapped in the profile, as a job's queue is
    with pytest.raises(ScriptNotFoundError):  # nothing was imported
        services.scripts.show(scope, "spark_sql")

    services.environment.put(scope, "dli_queue", "prod_queue", {"type": "DLI", "config": {}})
    renames = {"renames": {"dli_queue": {"etl_queue": "prod_queue"}}}
    mapped = run_import(services, scope, path, profile=renames)
    assert mapped.status is TaskStatus.SUCCESSFUL, mapped.message
    assert services.scripts.show(scope, "spark_sql").document["queueName"] == "prod_queue"
