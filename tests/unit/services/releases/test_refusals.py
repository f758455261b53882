"""Release refusals say what the user knows (SQLite and PostgreSQL): a package refused at its
creation is named by its name, not by the id of the upload its content is kept as; a deploy is
refused up front, before any task, when production's jobs were started or stopped by hand
since the plan, and names every policy rule its plan breaks with a release's fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import BasisChangedError, InvalidRequestError
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
