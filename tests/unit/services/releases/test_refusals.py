"""Release refusals say what the user knows (SQLite and PostgreSQL): a package refused at its
creation is named by its name, not by the id of the upload its content is kept as; a deploy is
refused up front, before any task, when production's jobs were started or stopped by hand
since the plan, and names every policy rule its plan breaks with a release's fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import BasisChangedError, InvalidRequestError, PolicyViolationError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.records import DeployRequest, PackageQuery
from support.releases import Team, make_package, run_release, submit_job


def _freeze_now() -> list[dict[str, str]]:
    now, day = datetime.now(UTC), timedelta(days=1)
    window = {"from": (now - day).strftime("%Y-%m-%d"), "to": (now + day).strftime("%Y-%m-%d")}
    return [window | {"zone": "UTC"}]


def test_a_package_refused_at_creation_is_named_by_its_name_not_an_upload_id(
    services: Services, team: Team
) -> None:
    services.policies.put(team.admin, None, {"freeze": _freeze_now(), "naming": {"jobs": "x_.*"}})
    submit_job(services, team.developer, "daily")
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, "nightly-batch")
    problems = refused.value.context["problems"]
    assert problems[0].startswith("release package 'nightly-batch': the plan breaks the freeze")
    assert problems[1].startswith("job 'daily' breaks the naming rule")  # named once
    assert not re.search(r"'[0-9a-f]{12,}'", refused.value.message), refused.value.message
    assert services.releases.packages(team.admin, PackageQuery())[0] == 0  # none made


def test_a_package_planned_again_is_refused_in_its_name_and_keeps_its_plan(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team, "nightly-batch")
    planned = services.releases.show(team.admin, package).record.plan_id
    services.policies.put(team.admin, None, {"freeze": _freeze_now()})
    with pytest.raises(InvalidRequestError) as refused:
        services.releases.replan(team.deployer, package)
    problems = refused.value.context["problems"]
    assert problems[0].startswith("release package 'nightly-batch': the plan breaks the freeze")
    assert refused.value.message.startswith(
        "The request parameter is invalid: release package 'nightly-batch' was not planned "
        "again in workspace 'sales' (it keeps the plan it had): "
    )
    typed = refused.value.context["plan_problems"]
    first = typed[0]
    assert (first["reason"], first["kind"], first["name"]) == ("policy", "package", "nightly-batch")
    assert services.releases.show(team.admin, package).record.plan_id == planned


def test_a_package_refused_at_creation_by_a_policy_gives_each_rule_s_fix_in_release_words(
    services: Services, team: Team
) -> None:
    _released(services, team, "daily", "weekly", "monthly")
    for name in ("weekly", "monthly"):
        services.jobs.stop(_production(services, team), name)
        services.jobs.delete(team.developer, name)
    submit_job(services, team.developer, "hourly")
    policy = {"freeze": _freeze_now(), "naming": {"jobs": "(daily|weekly|monthly)"}}
    services.policies.put(team.admin, None, policy | {"maxDeletions": 1})
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, "second")
    problems = refused.value.context["problems"]
    said = " | ".join(problems)
    assert "change the plan" not in said.lower()
    assert "(package the items once the freeze window ends, or have an admin lift it)" in said
    assert (
        "(put no more deletions in one package than the deletion limit allows (release the "
        "others in later packages), then package again; or have an admin change the policy)"
    ) in said
    assert (
        "job 'hourly' breaks the naming rule of the policy of workspace 'sales' (version 1): "
    ) in said
    assert (
        "(rename the objects named in development to names the naming rule takes, then "
        "package again; or have an admin change the policy)"
    ) in said
    assert services.releases.packages(team.admin, PackageQuery())[0] == 1  # the first only


def _production(services: Services, team: Team) -> Scope:
    actor = team.admin.actor
    return services.accounts.scope(actor, actor.project_id, team.admin.workspace.production_id)


def _released(services: Services, team: Team, *names: str) -> None:
    for name in names:
        submit_job(services, team.developer, name)
    package = make_package(services, team, "first")
    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    run_release(services)
    assert services.releases.show(team.admin, package).status is DeployStatus.SUCCESS


def test_a_deploy_after_production_jobs_were_started_or_stopped_by_hand_is_refused_up_front(
    services: Services, team: Team
) -> None:
    _released(services, team, "daily", "hourly", "weekly")
    prod = _production(services, team)
    services.jobs.stop(prod, "hourly")  # stopped, to be started by hand below
    submit_job(services, team.developer, "daily", description="v2")
    submit_job(services, team.developer, "hourly", description="v2")
    services.jobs.delete(team.developer, "weekly")
    package = make_package(services, team, "second")
    services.jobs.stop(prod, "daily")  # by hand: the definitions are as planned
    services.jobs.start(prod, "hourly")
    services.jobs.stop(prod, "weekly")

    with pytest.raises(BasisChangedError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    error = refused.value
    assert error.message.startswith(
        f"Production changed since release package '{package}' was planned: job 'daily' there "
        "was stopped by hand, job 'hourly' there was started by hand, job 'weekly' there was "
        "stopped by hand; nothing was deployed."
    )
    assert error.message.endswith(f"release-packages/{package}/plan) and deploy it.")
    assert (error.code, error.remedy) == ("DLF.9042", Remedy.REPLAN_RELEASE)
    assert [c["name"] for c in error.context["changed"]] == ["daily", "hourly", "weekly"]
    assert services.tasks.claim(("IMPORT",), look_first=False) is None  # no task made
    view = services.releases.show(team.admin, package)
    assert (view.status, view.record.task_id) == (DeployStatus.PENDING, None)
    assert "description" not in services.jobs.show(prod, "daily").document

    # Planned again, the approvals signed over the basis still count: it did not move.
    before = services.release_approvals.approvals(team.admin, package).document()["planHash"]
    services.releases.replan(team.deployer, package)
    after = services.release_approvals.approvals(team.admin, package).document()["planHash"]
    assert after == before
    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    run_release(services)
    assert services.jobs.show(prod, "daily").document["description"] == "v2"


def test_a_deploy_names_every_policy_rule_its_plan_breaks_with_a_release_s_fix(
    services: Services, team: Team
) -> None:
    _released(services, team, "daily", "weekly", "monthly")
    submit_job(services, team.developer, "hourly")
    services.jobs.delete(team.developer, "weekly")
    services.jobs.delete(team.developer, "monthly")
    for name in ("weekly", "monthly"):
        services.jobs.stop(_production(services, team), name)  # deleted scheduled: refused
    package = make_package(services, team, "second")
    # Saved after the plan: the freeze holds now, hourly's name breaks the naming rule, and
    # the package deletes two jobs where one is the limit.
    policy = {"freeze": _freeze_now(), "naming": {"jobs": "(daily|weekly|monthly)"}}
    services.policies.put(team.admin, None, policy | {"maxDeletions": 1})

    with pytest.raises(PolicyViolationError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    error = refused.value
    assert error.context["rules"] == ["freeze", "maxDeletions", "naming"]
    assert error.context["rule"] == "freeze"  # the first, as before
    assert {(b["rule"], b["kind"], b["name"]) for b in error.context["breaches"]} == {
        ("naming", "job", "hourly"),
        ("freeze", "package", "second"),  # the package by its name, as its user knows it
        ("maxDeletions", "package", "second"),
    }
    problem = error.problem
    assert problem.startswith("The policy of workspace 'sales' (version 1) refuses applying")
    for said in ("the freeze window: ", "the deletion limit: ", "the naming rule: job 'hourly'"):
        assert said in problem
    assert f"release package '{package}' (second) was not deployed." in problem
    # The fix fits a release package, rule by rule: rename, fewer deletions a package,
    # package anew and cancel this one, or wait.
    assert (
        "Rename the objects named in development to names the naming rule takes; put no more "
        "deletions in one package than the deletion limit allows (release the others in later "
        "packages); submit what you changed, package the pending items anew" in error.message
    )
    assert "so they keep the deletion limit" not in error.message
    assert "Change the plan" not in error.message
    assert "pending-items/package" in error.message
    assert "and deploy the new package once the freeze window ends" in error.message
    assert (error.remedy, error.context["package_id"]) == (Remedy.RELEASE_POLICY, str(package))
    said = refusal_text(error.problem, error.envelope())
    assert f"jobferry releases cancel {package}" in said
    assert (
        "put no more deletions in one package than the deletion limit allows (release the "
        "others in later packages); submit what you changed, package the pending items anew "
        f"with jobferry releases create and cancel this one (jobferry releases cancel {package})"
        ", and deploy the new package once the freeze window ends;" in said
    )
    assert "POST" not in said
    assert services.tasks.claim(("IMPORT",), look_first=False) is None  # nothing queued
    assert services.releases.show(team.admin, package).status is DeployStatus.PENDING


def test_a_deploy_refused_by_a_freeze_alone_says_to_deploy_it_once_it_ends(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    services.policies.put(team.admin, None, {"freeze": _freeze_now()})
    with pytest.raises(PolicyViolationError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    error = refused.value
    assert error.context["rules"] == ["freeze"]
    assert "Deploy it again once the freeze window ends; or have an admin" in error.message
    said = refusal_text(error.problem, error.envelope())
    wait = "Wait for the freeze window to end, then deploy it again (jobferry releases deploy"
    assert f"{wait} {package})" in said
    assert "releases create" not in said
