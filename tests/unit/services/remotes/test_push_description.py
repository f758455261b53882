"""A job's ``description`` never reaches a remote: ``show_job`` answers one, but the body of
``create_job`` and ``update_job`` (the SDK's ``JobInfo``, the API reference's request body)
has no field for it, so the remote client leaves it out of those calls
(``calls.UNSENT_FIELDS``), and the strict stand-in sees only SDK calls. The rest of the job is
pushed as ever. Whether ``update_job`` keeps or clears the description a job has in DataArts is
documented nowhere: the stand-in takes the conservative reading (its body replaces the job's
definition, description and all), and the shadow follows what the remote answers after."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import PlanAction, TaskStatus
from jobferry.errors import RollbackRefusedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.storage import jobs as job_repo
from support.builders import make_job
from support.console import admin_actor
from support.packages import write_package
from support.planning import run_import, upload
from support.standin import DataArtsStandin, held


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def _push(services: Services, shadow: Scope, tmp_path: Path, job: dict[str, object]) -> None:
    package = write_package(tmp_path / f"{job['name']}.zip", [job])
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message


def test_a_described_job_is_created_and_updated_without_its_description(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _push(services, shadow, tmp_path, make_job("daily_sales", description="the daily load"))
    assert standin.refused() == []
    assert "create_job" in standin.calls()
    pushed = standin.workspace.jobs["daily_sales"].doc
    assert "description" not in pushed
    assert pushed["nodes"] == make_job("daily_sales")["nodes"]
    standin.reset()
    changed = make_job("daily_sales", description="another", directory="/moved")
    _push(services, shadow, tmp_path, changed)
    assert standin.refused() == []
    assert "update_job" in standin.calls()
    pushed = standin.workspace.jobs["daily_sales"].doc
    assert pushed.get("directory") == "/moved"
    assert "description" not in pushed


def test_an_update_loses_the_description_set_on_the_console_and_the_shadow_says_so(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.workspace.put_job(make_job("daily_sales", description="set on the console"))
    services.remotes.refresh(admin_actor(services), "prod")
    kept = make_job("daily_sales", description="set on the console", directory="/moved")
    _push(services, shadow, tmp_path, kept)  # the same description: it cannot be sent either
    pushed = standin.workspace.jobs["daily_sales"].doc
    assert pushed.get("directory") == "/moved"
    assert "description" not in pushed
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert "description" not in load(job.document)  # as the remote holds it
    assert services.drift.report(shadow).total == 0


def test_a_job_whose_only_change_is_its_description_makes_no_call(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """An ``update_job`` could not carry the new description, and may clear the one the job
    has on the console: a job that differs from the remote only in its description is left
    as the remote holds it, and so is the shadow's."""
    standin.workspace.put_job(make_job("daily_sales", description="set on the console"))
    services.remotes.refresh(admin_actor(services), "prod")
    standin.reset()

    _push(services, shadow, tmp_path, make_job("daily_sales", description="from the source"))

    assert "update_job" not in standin.writes()
    assert standin.workspace.jobs["daily_sales"].doc["description"] == "set on the console"
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow.workspace.id, "daily_sales")
    assert job is not None
    assert load(job.document)["description"] == "set on the console"
    counts = services.remotes.refresh(admin_actor(services), "prod").counts
    assert counts["job"]["updated"] == 0, counts


def test_a_push_that_only_described_a_job_does_not_stop_the_push_before_from_rolling_back(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A package that differs from the remote only in a job's description plans the job
    unchanged (the remote keeps its own description, as it keeps a target-owned field: no
    call carries one), and says so; its push sends nothing and only links the promotion
    ledger's row, so it has nothing to roll back and does not hold back the rollback of the
    push before it. (Before, it wrote the shadow's job, and the push before could be rolled
    back only after it.)"""
    standin.workspace.put_job(make_job("daily_sales"))
    services.remotes.refresh(admin_actor(services), "prod")
    before = held(standin)
    first = write_package(tmp_path / "1.zip", [make_job("daily_sales", logPath="obs://one")])
    pushed = run_import(services, shadow, upload(services, shadow, first))
    assert pushed.status == TaskStatus.SUCCESSFUL, pushed.message
    services.remotes.refresh(admin_actor(services), "prod")
    described = make_job("daily_sales", logPath="obs://one", description="told")
    second = write_package(tmp_path / "2.zip", [described])
    path = upload(services, shadow, second)
    remote = services.imports.deliveries.remote
    assert remote is not None
    remote.refresh_seconds = 3600  # planned at once, on the last refresh
    plan = services.imports.plan(shadow, parse_import_request({"path": path}))
    assert isinstance(plan, Plan)
    [line] = [ln for ln in plan.lines if ln.name == "daily_sales"]
    assert line.action is PlanAction.UNCHANGED
    assert plan.unsent == ("daily_sales",)  # the plan says the description stays out
    standin.reset()
    told = run_import(services, shadow, path)
    assert told.status == TaskStatus.SUCCESSFUL, told.message
    assert standin.writes() == []
    with pytest.raises(RollbackRefusedError, match="nothing to roll back"):
        services.rollback.rollback(shadow, told.id)

    services.rollback.rollback(shadow, pushed.id)

    assert held(standin) == before
