"""The import pipeline against a second implementation of its target port:
``MemoryWorkspace`` (``support/memory.py``), a workspace held in dictionaries, built from the
protocols of ``jobferry.services.importing.ports`` alone. The planner plans a package against
it and the applier writes the plan into it; were the pipeline to reach past the port into
storage, there would be nothing there to reach. (The sources, the other port, are tested in
``test_sources.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import ChangeAction, PlanAction, ProblemReason, SchedulingPolicy
from jobferry.package.reader import PackageReader, read_package
from jobferry.services.importing.apply import Applier, apply_plan
from jobferry.services.importing.matching import package_source
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.memory import SCOPE, MemoryWorkspace
from support.packages import write_package
from support.planning import (
    jobs_with_dependencies,
    overwriting,
    plan_into,
    planned_actions,
    uid_of,
    write_objects,
)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """Two jobs (daily_sales, weekly_sales) with the scripts and resource they use."""
    return write_package(tmp_path / "p.zip", [make_job("daily_sales"), make_job("weekly_sales")])


@pytest.fixture
def workspace(package: Path) -> MemoryWorkspace:
    """A workspace holding the package's daily_sales_sh as it is, its weekly_sales job changed
    and scheduled, and the connections the jobs use."""
    target = MemoryWorkspace({("connection", "dws_conn"), ("connection", "ssh_conn")})
    documents = {(o.kind, o.name): o.document for o in read_package(package).objects}
    target.hold("script", "daily_sales_sh", documents[("script", "daily_sales_sh")])
    weekly = {**documents[("job", "weekly_sales")], "description": "changed in the target"}
    target.hold("job", "weekly_sales", weekly, status="SCHEDULING")
    return target


def test_the_planner_plans_against_any_implementation_of_the_target_port(
    package: Path, workspace: MemoryWorkspace
) -> None:
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset)
        actions = planned_actions(plan, workset)
    assert actions == {
        ("script", "daily_sales_sql"): PlanAction.CREATE,
        ("script", "daily_sales_sh"): PlanAction.UNCHANGED,
        ("script", "weekly_sales_sql"): PlanAction.CREATE,
        ("script", "weekly_sales_sh"): PlanAction.CREATE,
        ("resource", "udf_jar"): PlanAction.CREATE,
        ("job", "daily_sales"): PlanAction.CREATE,
        ("job", "weekly_sales"): PlanAction.OVERWRITE,
    }
    # What the target said of the job it runs: a scheduled job is not overwritten unasked.
    assert [(p.reason, p.name) for p in plan.problems] == [
        (ProblemReason.SCHEDULED, "weekly_sales")
    ]


def test_the_target_port_answers_locked_tags_and_missing_connections(
    package: Path, workspace: MemoryWorkspace
) -> None:
    workspace.locked_tags.add("daily")
    workspace.environment.discard(("connection", "ssh_conn"))
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset, scheduling=SchedulingPolicy.PAUSE_AND_RESTORE)
    found = {(p.reason, p.name, p.reference) for p in plan.problems}
    assert (ProblemReason.LOCKED_TAG, "daily_sales", None) in found
    assert (ProblemReason.MISSING_REFERENCE, "ssh_conn", ("connection", "ssh_conn")) in found
    missing = next(p for p in plan.problems if p.reference == ("connection", "ssh_conn"))
    assert ("job", "daily_sales") in missing.used_by


def test_the_applier_writes_a_plan_through_the_target_port_and_a_new_plan_finds_it_unchanged(
    package: Path, workspace: MemoryWorkspace
) -> None:
    scheduling = SchedulingPolicy.PAUSE_AND_RESTORE
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset, scheduling=scheduling)
        assert plan.problems_total == 0
        request = overwriting(scheduling=scheduling)
        source = package_source(reader).workspace_id
        applier = Applier(
            workspace.changes(),
            workspace.record(),
            SCOPE,
            request,
            "task-1",
            source,
            package_sha256=reader.sha256,
        )
        outcome = apply_plan(applier, plan, workset, "sales.zip")
        names = {name for _, name in planned_actions(plan, workset)}
    assert (outcome.written, outcome.failed) == (6, 0)
    log = workspace.log
    # The scheduled job is stopped, overwritten and started again, in that order: each a line
    # of the change port, and its audit line in the import's record.
    at = log.index(("overwrite", "job", "weekly_sales"))
    assert log[at - 2 : at] == [
        ("schedule", "job", "weekly_sales->STOPPED"),
        ("job.stop", "job", "weekly_sales"),
    ]
    assert log[at + 1 : at + 3] == [
        ("schedule", "job", "weekly_sales->SCHEDULING"),
        ("job.start", "job", "weekly_sales"),
    ]
    assert workspace.objects[("job", "weekly_sales")].status == "SCHEDULING"
    assert ("create", "job", "daily_sales") in log
    assert ("create", "resource", "udf_jar") in log
    assert log[-1][0] == "import.apply"
    assert len(workspace.subtasks) == 7
    assert {c.name for c in workspace.change_rows} == names
    linked = {c.name for c in workspace.change_rows if c.action == ChangeAction.LINK}
    assert linked == {"daily_sales_sh"}  # unchanged: its ledger row only, which a rollback forgets
    assert len(workspace.ledger) == 7  # every object of the package, the unchanged one too

    with PackageReader(package) as reader, Workset(None) as workset:
        again = plan_into(workspace, reader, workset)
        assert set(planned_actions(again, workset).values()) == {PlanAction.UNCHANGED}


def _apply(workspace: MemoryWorkspace, package: Path, **options: Any) -> dict[tuple[str, str], str]:
    """Plan ``package`` into ``workspace`` and apply it; the planned actions."""
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset, **options)
        assert plan.problems_total == 0, plan.problems
        source = package_source(reader).workspace_id
        applier = Applier(
            workspace.changes(),
            workspace.record(),
            SCOPE,
            overwriting(**options),
            "task-2",
            source,
            package_sha256=reader.sha256,
        )
        apply_plan(applier, plan, workset, "sales.zip")
        return planned_actions(plan, workset)


def test_a_rename_and_a_deletion_are_written_through_the_target_port(tmp_path: Path) -> None:
    workspace = MemoryWorkspace({("connection", "dws_conn"), ("connection", "ssh_conn")})
    first = [make_job("daily_sales"), make_job("weekly_sales")]
    _apply(workspace, write_objects(tmp_path / "1.zip", jobs_with_dependencies(*first)))
    daily = workspace.objects[("job", "daily_sales")].id
    renamed = make_job("hourly_sales")
    gone = (("job", uid_of("job", "weekly_sales"), "weekly_sales"),)
    second = write_objects(
        tmp_path / "2.zip",
        jobs_with_dependencies(renamed),
        uids={"hourly_sales": uid_of("job", "daily_sales")},
        deleted=gone,
    )
    actions = _apply(workspace, second, propagate_deletes=True)
    assert actions[("job", "hourly_sales")] == PlanAction.RENAME
    assert actions[("job", "weekly_sales")] == PlanAction.DELETE
    assert workspace.objects[("job", "hourly_sales")].id == daily  # the same job, renamed
    assert ("delete", "job", "weekly_sales") in workspace.log
    assert {name for kind, name in workspace.objects if kind == "job"} == {"hourly_sales"}
    assert [(kind, name) for kind, _, name in workspace.gone] == [("job", "weekly_sales")]
