"""What a push could not send (``services/remotes/unsent.py``): a job's description never
reaches a remote (``calls.UNSENT_FIELDS``), so the push's end brings the shadow's job (and the
promotion ledger's row of it) to the description the remote answers after the writes: the
shadow holds what the remote holds, and drift does not take the push's loss for a change made
in DataArts (against the strict stand-in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.api.presenters.plans import plan_document
from jobferry.domain.enums import RefreshAction, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.remotes.records import SUBMITTED
from jobferry.services.remotes.unsent import as_remote
from jobferry.storage import jobs as job_repo
from support.builders import make_job
from support.console import admin_actor
from support.packages import write_package
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)
from support.standin import DataArtsStandin, held


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def _push(services: Services, shadow: Scope, tmp_path: Path, job: dict[str, object]) -> None:
    package = write_package(tmp_path / f"{job['name']}.zip", [job])
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message


def test_a_document_takes_the_unsent_fields_as_the_remote_holds_them() -> None:
    doc = {"name": "a", "description": "from dev", "directory": "/x"}
    assert as_remote(doc, {"name": "a"}) == {"name": "a", "directory": "/x"}
    kept = as_remote(doc, {"name": "a", "description": "console", "directory": "/y"})
    assert kept == {"name": "a", "description": "console", "directory": "/x"}


def test_the_shadow_holds_the_description_the_remote_holds_after_a_push_and_no_drift(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _push(services, shadow, tmp_path, make_job("daily_sales", description="described in dev"))
    assert "description" not in standin.workspace.jobs["daily_sales"].doc
    services.remotes.refresh(admin_actor(services), "prod")
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert "description" not in load(job.document)  # as the remote holds it
    assert services.drift.report(shadow).total == 0

    changed = make_job("daily_sales", description="described again", directory="/moved")
    _push(services, shadow, tmp_path, changed)  # an update_job this time
    services.remotes.refresh(admin_actor(services), "prod")
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert load(job.document).get("directory") == "/moved"
    assert "description" not in load(job.document)
    assert services.drift.report(shadow).total == 0


def test_a_rolled_back_push_leaves_the_shadow_with_the_description_the_remote_holds(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.workspace.put_job(make_job("daily_sales", description="set on the console"))
    services.remotes.refresh(admin_actor(services), "prod")
    package = write_package(tmp_path / "p.zip", [make_job("daily_sales", directory="/moved")])
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    services.rollback.rollback(shadow, task.id)  # its update_job cannot send the description
    held = standin.workspace.jobs["daily_sales"].doc
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert load(job.document).get("description") == held.get("description")
    assert load(job.document).get("directory") == held.get("directory")


def test_a_plan_into_the_shadow_warns_of_each_job_whose_description_the_remote_will_not_get(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _push(services, shadow, tmp_path, make_job("daily_sales"))
    remote = services.imports.deliveries.remote
    assert remote is not None
    remote.refresh_seconds = 3600  # planned at once, on the last refresh
    jobs = [
        make_job("daily_sales", description="described in dev"),  # an update_job
        make_job("monthly_sales", description="new and described"),  # a create_job
        make_job("weekly_sales"),  # no description: nothing lost
    ]
    package = write_package(tmp_path / "described.zip", jobs)
    body = {"path": upload(services, shadow, package), "sameNamePolicy": "OVERWRITE"}
    plan = services.imports.plan(shadow, parse_import_request(body))
    assert isinstance(plan, Plan)
    assert (plan.unsent, plan.unsent_total) == (("daily_sales", "monthly_sales"), 2)
    assert plan_document(plan)["descriptionsNotSent"] == [
        {"kind": "job", "name": "daily_sales"},
        {"kind": "job", "name": "monthly_sales"},
    ]
    # the same package into a workspace of this server loses nothing
    local = workspace(services, "dev")
    into_dev = {"path": upload(services, local, package), "sameNamePolicy": "OVERWRITE"}
    planned = services.imports.plan(local, parse_import_request(into_dev))
    assert isinstance(planned, Plan)
    assert planned.unsent == ()
    assert "descriptionsNotSent" not in plan_document(planned)


def test_a_plan_warns_of_a_job_it_updates_whose_description_it_leaves_as_it_is(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """DataArts documents no description in ``update_job``'s body, nor whether the call keeps
    or clears the one a job has (docs/remotes.md): an update may lose it, changed or not. A
    package without one leaves the remote's (a remote keeps a job's description, as a
    target-owned field), which the update may lose all the same."""
    standin.workspace.put_job(make_job("daily_sales", description="set on the console"))
    standin.workspace.put_job(make_job("weekly_sales", description="set on the console"))
    services.remotes.refresh(admin_actor(services), "prod")
    remote = services.imports.deliveries.remote
    assert remote is not None
    remote.refresh_seconds = 3600  # planned at once, on the last refresh
    jobs = [
        make_job("daily_sales", description="set on the console", directory="/moved"),
        make_job("weekly_sales", directory="/moved"),  # none, but the remote's is at risk
    ]
    package = write_package(tmp_path / "moved.zip", jobs)
    body = {"path": upload(services, shadow, package), "sameNamePolicy": "OVERWRITE"}
    plan = services.imports.plan(shadow, parse_import_request(body))
    assert isinstance(plan, Plan)
    assert (plan.unsent, plan.unsent_total) == (("daily_sales", "weekly_sales"), 2)


@pytest.mark.parametrize("refreshed", [False, True], ids=["at-once", "after-a-refresh"])
def test_a_push_of_a_described_job_is_rolled_back_whole(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, refreshed: bool
) -> None:
    """The push's end holds the shadow's job as the remote does, and the import's record of
    what it left (its change record, the version it submitted) with it: the rollback does not
    take the description the remote never got for an edit made since, nor a refresh's reading
    of the submitted version for a newer one."""
    _push(services, shadow, tmp_path, make_job("daily_sales", description="first"))
    before = held(standin)
    changed = make_job("daily_sales", description="second", directory="/moved")
    task = run_import(
        services, shadow, upload(services, shadow, write_package(tmp_path / "c.zip", [changed]))
    )
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    if refreshed:
        counts = services.remotes.refresh(admin_actor(services), "prod").counts
        assert counts[SUBMITTED][RefreshAction.UNCHANGED.value] == 1, counts

    services.rollback.rollback(shadow, task.id)

    assert held(standin) == before
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert load(job.document).get("directory") != "/moved"


def test_a_job_the_push_rewrote_for_a_rename_keeps_the_version_the_remote_submitted(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The import rewrites the references of a job it does not carry (weekly_sales, which
    depends on the job it renames) without a new version; its ``update_job`` submits one in
    the remote all the same (the save submits). The shadow keeps that version, so a refresh
    finds none newer and the push's rollback is not refused."""
    weekly = make_job("weekly_sales")
    weekly["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["daily_sales"],
        "dependPeriod": "SAME_PERIOD",
    }
    first = jobs_with_dependencies(make_job("daily_sales"), weekly)
    import_package(services, shadow, write_objects(tmp_path / "first.zip", first))
    before = held(standin)
    renamed = jobs_with_dependencies(make_job("daily_v2"))
    uids = {"daily_v2": uid_of("job", "daily_sales")}
    package = write_objects(tmp_path / "renamed.zip", renamed, uids=uids)
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    depends = standin.workspace.jobs["weekly_sales"].doc["schedule"]["cron"]["dependJobs"]
    assert depends["jobs"] == ["daily_v2"]
    assert "update_job" in standin.writes()
    # two new scripts, daily_v2 and weekly_sales: its reference rewritten, it has no line of
    # its own, yet the remote submitted it (its update_job), and the task counts it
    assert task.result is not None
    assert task.result["versionsCreated"] == 4
    assert "; 4 version(s) submitted." in task.message

    counts = services.remotes.refresh(admin_actor(services), "prod").counts
    assert counts[SUBMITTED][RefreshAction.UNCHANGED.value] == 2, counts
    services.rollback.rollback(shadow, task.id)

    assert held(standin) == before


def test_a_job_the_push_only_renamed_is_not_taken_for_a_newer_submitted_version(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A rename alone is the v2 rename call, which submits nothing: the remote's submitted
    version stays the one before, under the old name, the shadow's import's is the same but
    for the name, so a refresh finds none newer and the push's rollback is not refused."""
    first = jobs_with_dependencies(make_job("daily_sales"))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", first))
    before = held(standin)
    standin.reset()
    renamed = [
        (kind, "daily_v2", {**doc, "name": "daily_v2"}) if kind == "job" else (kind, name, doc)
        for kind, name, doc in first
    ]
    uids = {"daily_v2": uid_of("job", "daily_sales")}
    package = write_objects(tmp_path / "renamed.zip", renamed, uids=uids)
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert standin.writes() == ["update_factory_job_name"]

    counts = services.remotes.refresh(admin_actor(services), "prod").counts
    assert counts[SUBMITTED][RefreshAction.UNCHANGED.value] == 1, counts
    services.rollback.rollback(shadow, task.id)

    assert held(standin) == before


def _refreshed_submitted(services: Services) -> dict[str, int]:
    """A refresh's counts of submitted versions."""
    return dict(services.remotes.refresh(admin_actor(services), "prod").counts[SUBMITTED])


def test_a_job_the_push_sends_no_call_for_keeps_the_remote_s_submitted_version(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A job that differs from the remote only in its description costs no call, so the remote
    submits no version of it: nor does the shadow keep the one the import made (it would hold
    the remote's unsubmitted description, which its submitted version lacks), so a refresh
    finds none newer and the push's rollback is not refused."""
    standin.workspace.put_job(make_job("daily_sales"))
    standin.workspace.edit_job("daily_sales", description="noted in DataArts")  # not submitted
    services.remotes.refresh(admin_actor(services), "prod")
    before = held(standin)
    jobs = [make_job("daily_sales", description="from dev"), make_job("weekly_sales")]
    package = write_package(tmp_path / "described.zip", jobs)
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert "update_job" not in standin.writes()
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert job.latest_version == 1  # the remote's: no call submitted another

    counts = _refreshed_submitted(services)
    assert counts[RefreshAction.UPDATED.value] == 0, counts
    services.rollback.rollback(shadow, task.id)

    assert held(standin) == before


def test_a_job_only_renamed_keeps_the_remote_s_submitted_version_whatever_its_description(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The v2 rename call submits nothing: the shadow keeps the version the remote holds, not
    one of the import's holding the remote's unsubmitted description."""
    first = jobs_with_dependencies(make_job("daily_sales"))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", first))
    standin.workspace.edit_job("daily_sales", description="noted in DataArts")  # not submitted
    services.remotes.refresh(admin_actor(services), "prod")
    before = held(standin)
    standin.reset()
    renamed = [
        (kind, "daily_v2", {**doc, "name": "daily_v2"}) if kind == "job" else (kind, name, doc)
        for kind, name, doc in first
    ]
    uids = {"daily_v2": uid_of("job", "daily_sales")}
    package = write_objects(tmp_path / "renamed.zip", renamed, uids=uids)
    task = run_import(services, shadow, upload(services, shadow, package), onDrift="TAKE_PACKAGE")
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert standin.writes() == ["update_factory_job_name"]

    counts = _refreshed_submitted(services)
    assert counts[RefreshAction.UPDATED.value] == 0, counts
    services.rollback.rollback(shadow, task.id)

    assert held(standin) == before


def test_a_version_taken_back_is_neither_said_submitted_nor_counted(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A job only renamed gets no version from the remote (the v2 rename call submits
    nothing): the push's end takes back the one the shadow's import made, so its task neither
    says the job submitted a version nor counts one."""
    first = jobs_with_dependencies(make_job("daily_sales"))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", first))
    renamed = [
        (kind, "daily_v2", {**doc, "name": "daily_v2"}) if kind == "job" else (kind, name, doc)
        for kind, name, doc in first
    ]
    uids = {"daily_v2": uid_of("job", "daily_sales")}
    package = write_objects(tmp_path / "renamed.zip", renamed, uids=uids)
    standin.reset()
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert standin.writes() == ["update_factory_job_name"]
    (line,) = [sub for sub in task.subtasks if sub["kind"] == "job"]
    assert line["message"] == (
        "Renamed job 'daily_sales' to 'daily_v2' (0 change(s)); no version submitted: remote "
        "'prod' submitted none of it, version 1 stays its latest."
    )
    assert task.result is not None
    assert task.result["versionsCreated"] == 0
    assert "; 0 version(s) submitted." in task.message
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_v2")
    assert job is not None
    assert job.latest_version == 1


def test_a_push_that_submits_a_job_still_says_and_counts_its_version(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """Beside a job only renamed (no version), a job the push updates (a version, as the
    remote submits one): the task says and counts that one alone."""
    first = jobs_with_dependencies(make_job("daily_sales"), make_job("weekly_sales"))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", first))
    changed = [
        (kind, "daily_v2", {**doc, "name": "daily_v2"})
        if name == "daily_sales" and kind == "job"
        else (kind, name, {**doc, "logPath": "obs://bucket/logs/edited"})
        if name == "weekly_sales"
        else (kind, name, doc)
        for kind, name, doc in first
    ]
    uids = {"daily_v2": uid_of("job", "daily_sales")}
    package = write_objects(tmp_path / "changed.zip", changed, uids=uids)
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    said = {sub["id"]: sub["message"] for sub in task.subtasks if sub["kind"] == "job"}
    assert said["job:weekly_sales"].endswith("; submitted version 2.")
    assert "no version submitted" in said["job:daily_v2"]
    assert task.result is not None
    assert task.result["versionsCreated"] == 1
    assert "; 1 version(s) submitted." in task.message
