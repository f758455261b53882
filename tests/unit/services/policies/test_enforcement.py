"""Policies checked when a plan is made and again when it is applied (SQLite and PostgreSQL):
a plain import, a route's promotion, a release package at its creation and a deploy after a
freeze began are each refused naming the rule and the objects, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.errors import InvalidRequestError, JobNotFoundError, PolicyViolationError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.releases.records import DeployRequest
from support.builders import make_job
from support.clients import SignedClient
from support.console import admin_scope
from support.exporting import seed
from support.importing import connected_workspace
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)
from support.policy_model import clock
from support.releases import Team, connected_team, make_package, run_release, submit_job


def _freeze_now() -> dict[str, object]:
    """A policy whose freeze window holds the present moment (read in Berlin's zone)."""
    now = datetime.now(UTC)
    day = timedelta(days=1)
    return {
        "freeze": [
            {
                "from": (now - day).strftime("%Y-%m-%d"),
                "to": (now + day).strftime("%Y-%m-%d"),
                "zone": "Europe/Berlin",
            }
        ]
    }


def _policy_problems(plan: Plan) -> list[str]:
    return [p.detail for p in plan.problems if p.reason is ProblemReason.POLICY]


@pytest.fixture
def prod(services: Services) -> Scope:
    return workspace(services, "prod")


def _package(tmp_path: Path, services: Services, scope: Scope) -> str:
    objects = jobs_with_dependencies(make_job("daily_sales"))
    return upload(services, scope, write_objects(tmp_path / "p.zip", objects))


def test_a_plain_import_is_refused_naming_the_rule_and_the_objects(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    services.policies.put(prod, None, {"naming": {"jobs": "prod_.*"}, "owners": ["ops"]})
    path = _package(tmp_path, services, prod)
    plan = services.imports.plan(prod, parse_import_request({"path": path}))
    assert isinstance(plan, Plan)
    found = _policy_problems(plan)
    assert any(
        "job 'daily_sales' breaks the naming rule of the policy of workspace 'prod' (version 1)"
        in d
        for d in found
    ), found
    assert any("owner rule" in d and "owner 'alice'" in d for d in found), found
    task = run_import(services, prod, path)
    assert task.status == TaskStatus.FAILED
    assert "naming rule" in task.message
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily_sales")


def test_protected_connections_refuse_the_jobs_and_scripts_using_them(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    services.policies.put(prod, None, {"protectedConnections": ["dws_conn"]})
    plan = services.imports.plan(
        prod, parse_import_request({"path": _package(tmp_path, services, prod)})
    )
    assert isinstance(plan, Plan)
    named = {p.name for p in plan.problems if p.reason is ProblemReason.POLICY}
    assert named == {"daily_sales", "daily_sales_sql", "daily_sales_sh"}  # all use dws_conn


def test_an_apply_is_refused_when_a_freeze_began_after_the_plan(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    path = _package(tmp_path, services, prod)
    plan = services.imports.plan(prod, parse_import_request({"path": path}))
    assert isinstance(plan, Plan)
    assert plan.summary.problems == 0
    services.policies.put(prod, None, _freeze_now())
    request = parse_import_request({"path": path, "planId": plan.plan_id})
    with pytest.raises(PolicyViolationError) as refused:
        services.imports.prepare(prod, request)
    error = refused.value
    assert error.code == "DLF.9085"
    assert error.context["rule"] == "freeze"
    assert (error.context["holder_kind"], error.context["holder"]) == ("workspace", "prod")
    assert "freeze window" in error.message
    assert "wait for the freeze window to end" in error.message
    assert "Europe/Berlin" in error.message
    assert services.tasks.claim(("IMPORT",), look_first=False) is None  # nothing queued
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily_sales")
    # A plan made during the freeze says so as a problem of the whole package.
    again = services.imports.plan(prod, parse_import_request({"path": path}))
    assert isinstance(again, Plan)
    assert [p.kind for p in again.problems if p.reason is ProblemReason.POLICY] == ["package"]


def test_a_route_promotion_is_refused_by_the_routes_policy(
    api: SignedClient, services: Services
) -> None:
    seed(api)
    connected_workspace(api)
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    assert api.call("PUT", "/routes/test-prod", route).status_code == 200
    scope = admin_scope(services)
    services.policies.put(scope, "test-prod", {"naming": {"scripts": "prod_.*"}})
    planned = services.route_plans.plan(scope, "test-prod", {})
    assert planned.plan is not None
    found = _policy_problems(planned.plan)
    assert found
    assert all("the policy of route 'test-prod' (version 1)" in d for d in found)
    assert {p.name for p in planned.plan.problems} >= {"daily_sales_sql", "daily_sales_sh"}
    with pytest.raises(PolicyViolationError) as refused:
        services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    assert refused.value.context["rule"] == "naming"
    assert (refused.value.context["holder_kind"], refused.value.context["holder"]) == (
        "route",
        "test-prod",
    )
    assert {o["name"] for o in refused.value.context["objects"]} >= {"daily_sales_sql"}
    waiting = services.promotions.waiting(scope, "test-prod")
    assert waiting is not None
    assert waiting.task_id is None


@pytest.fixture
def team(services: Services) -> Team:
    return connected_team(services)


def test_a_release_package_is_refused_at_creation_by_the_workspaces_policy(
    services: Services, team: Team
) -> None:
    services.policies.put(team.admin, None, {"owners": ["ops"], "maxDeletions": 0})
    submit_job(services, team.developer, "daily")
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team)
    text = " | ".join(refused.value.context["problems"])
    assert "job 'daily' breaks the owner rule of the policy of workspace 'sales'" in text
    assert "owner 'alice'" in text


def test_a_deploy_is_refused_once_a_freeze_began_and_goes_once_it_is_lifted(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package_id = make_package(services, team)
    services.policies.put(team.admin, None, _freeze_now())
    with pytest.raises(PolicyViolationError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((package_id,), StartupMode.LEAVE))
    assert refused.value.context["rule"] == "freeze"
    assert refused.value.context["holder"] == "sales"
    view = services.releases.show(team.deployer, package_id)
    assert view.status is DeployStatus.PENDING  # put back, waiting
    with pytest.raises(JobNotFoundError):
        services.jobs.show(_production(services, team), "daily")
    services.policies.put(team.admin, None, {})  # lifted
    services.releases.deploy(team.deployer, DeployRequest((package_id,), StartupMode.LEAVE))
    run_release(services)
    assert services.releases.show(team.deployer, package_id).status is DeployStatus.SUCCESS
    assert services.jobs.show(_production(services, team), "daily").document["name"] == "daily"


def _production(services: Services, team: Team) -> Scope:
    actor = team.admin.actor
    return services.accounts.scope(actor, actor.project_id, team.admin.workspace.production_id)


def test_the_deletion_limit_counts_the_plans_deletes_when_planned_and_when_applied(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    first = jobs_with_dependencies(make_job("a_job"), make_job("b_job"), make_job("c_job"))
    import_package(services, prod, write_objects(tmp_path / "1.zip", first))
    whole = write_objects(
        tmp_path / "2.zip", jobs_with_dependencies(make_job("a_job")), inventory=("job",)
    )
    path = upload(services, prod, whole)
    asked = {"path": path, "sameNamePolicy": "OVERWRITE", "propagateDeletes": True}
    plan = services.imports.plan(prod, parse_import_request(asked))
    assert isinstance(plan, Plan)
    assert plan.summary.delete == 2
    assert plan.summary.problems == 0
    # The limit saved after the plan was made: its apply is refused, the kept lines counted.
    services.policies.put(prod, None, {"maxDeletions": 1})
    with pytest.raises(PolicyViolationError) as refused:
        services.imports.prepare(prod, parse_import_request({**asked, "planId": plan.plan_id}))
    assert refused.value.context["rule"] == "maxDeletions"
    assert "deletes 2 objects (job 'b_job', job 'c_job'), over the limit of 1" in str(
        refused.value.message
    )
    # Its fix is the rule's: no freeze window is involved (the CLI says it in its words too).
    assert "freeze" not in refused.value.message
    assert "freeze" not in refusal_text(refused.value.message, refused.value.envelope())
    assert services.jobs.show(prod, "c_job").document["name"] == "c_job"  # nothing deleted
    # Planned again under the limit: a problem of the whole package.
    again = services.imports.plan(prod, parse_import_request(asked))
    assert isinstance(again, Plan)
    [problem] = again.problems
    assert (problem.reason, problem.kind) == (ProblemReason.POLICY, "package")
    assert "breaks the deletion limit of the policy of workspace 'prod' (version 1)" in (
        problem.detail
    )


def test_an_apply_names_every_rule_broken_and_its_fix_the_freeze_among_them(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    path = _package(tmp_path, services, prod)
    asked = {"path": path, "importMode": "ATOMIC"}
    plan = services.imports.plan(prod, parse_import_request(asked))
    assert isinstance(plan, Plan)
    services.policies.put(
        prod, None, {"freeze": _freeze_now()["freeze"], "naming": {"jobs": "x_.*"}}
    )
    with pytest.raises(PolicyViolationError) as refused:
        services.imports.prepare(prod, parse_import_request({**asked, "planId": plan.plan_id}))
    error = refused.value
    assert error.context["rules"] == ["freeze", "naming"]
    assert "by the freeze window: " in error.message
    assert "by the naming rule: job 'daily_sales'" in error.message
    assert "keeps the freeze window and the naming rule" in error.message
    said = refusal_text(error.problem, error.envelope())
    assert "or wait for the freeze window to end" in said
    assert services.tasks.claim(("IMPORT",), look_first=False) is None


_WINDOW = {"from": "2026-12-24T10:00", "to": "2026-12-24T12:00", "zone": "Europe/Berlin"}
"""A freeze window of two hours: 09:00 to 11:00 UTC."""


def _kept_plan(services: Services, scope: Scope, path: str) -> tuple[Plan, dict[str, object]]:
    asked: dict[str, object] = {"path": path}
    plan = services.imports.plan(scope, parse_import_request(asked))
    assert isinstance(plan, Plan)
    return plan, {**asked, "planId": plan.plan_id}


def test_a_plan_made_during_a_freeze_imports_once_the_window_ended(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    services.policies.put(prod, None, {"freeze": [_WINDOW]})
    path = _package(tmp_path, services, prod)
    moments = [datetime(2026, 12, 24, 10, 30, tzinfo=UTC)]
    with clock(moments):
        plan, asked = _kept_plan(services, prod, path)
        assert [p.rule for p in plan.problems] == ["freeze"]  # "apply it after the window"
        moments[0] = datetime(2026, 12, 24, 11, 0, tzinfo=UTC)  # the window's end (excluded)
        prepared = services.imports.prepare(prod, parse_import_request(asked))
        services.imports.run(prepared)
    task = services.tasks.show(prod, prepared.task_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert services.jobs.show(prod, "daily_sales").document["name"] == "daily_sales"


def test_an_import_queued_before_a_freeze_began_fails_when_it_runs_during_it(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    services.policies.put(prod, None, {"freeze": [_WINDOW]})
    path = _package(tmp_path, services, prod)
    moments = [datetime(2026, 12, 24, 8, 50, tzinfo=UTC)]
    with clock(moments):
        plan, asked = _kept_plan(services, prod, path)
        assert not plan.problems
        prepared = services.imports.prepare(prod, parse_import_request(asked))  # the gate: open
        moments[0] = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)  # the window began
        services.imports.run(prepared)
    task = services.tasks.show(prod, prepared.task_id)
    assert task.status == TaskStatus.FAILED
    assert "freeze window" in task.message
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily_sales")


def test_a_per_object_import_fails_a_new_object_whose_name_a_failed_rename_would_free(
    services: Services, prod: Scope, tmp_path: Path
) -> None:
    # The source renamed a_job to b_job and made a new a_job; the naming rule refuses b_job.
    first = jobs_with_dependencies(make_job("a_job"))
    import_package(services, prod, write_objects(tmp_path / "1.zip", first))
    services.policies.put(prod, None, {"naming": {"jobs": "a_.*"}})
    objects = jobs_with_dependencies(make_job("b_job"), make_job("a_job"))
    uids = {"b_job": uid_of("job", "a_job"), "a_job": "u-new-a-job"}
    second = write_objects(tmp_path / "2.zip", objects, uids=uids)
    task = run_import(services, prod, upload(services, prod, second), mode="PER_OBJECT")
    assert "clashes" not in task.message, task.message
    assert task.status == TaskStatus.WARNING, task.message
    failed = {s["name"]: s["message"] for s in task.subtasks or () if s["status"] == "FAILED"}
    assert set(failed) == {"Import the b_job job.", "Import the a_job job."}, failed
    said = "it takes the name the rename of job 'b_job' frees, which cannot be imported"
    assert failed["Import the a_job job."].startswith(said)
    assert services.jobs.show(prod, "a_job").document["name"] == "a_job"  # the old one, kept
    assert services.scripts.show(prod, "b_job_sql").document["name"] == "b_job_sql"  # imported
