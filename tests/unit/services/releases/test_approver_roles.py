"""An approval counts while its signer holds an approver's role (SQLite and PostgreSQL): a
release package's approver signs holding admin or deployer; once a workspace admin sets them to
another role, or takes their role away, their approval no longer counts, at the deploy call,
again as its import applies, and in the signed release exported for another server; the
approvals file says why."""

from __future__ import annotations

import io
import zipfile

import orjson
import pytest

from jobferry.domain.enums import Role
from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.errors import ApprovalRefusedError, ApprovalsMissingError, JobNotFoundError
from jobferry.package.releasefile import APPROVALS
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.records import DeployRequest
from jobferry.storage import tasks as task_repo
from support.releases import (
    Team,
    approve_package,
    make_package,
    production_of,
    register_key,
    run_release,
    submit_job,
    take_in,
    trusting_team,
)

WHY = "its signer holds admin or deployer no longer"


def _demote(services: Services, team: Team, scope: Scope, change: str) -> None:
    actor = scope.actor
    if change == "developer":
        services.accounts.set_role(
            team.admin.actor, actor.project_id, actor.name, team.workspace_id, Role.DEVELOPER.value
        )
    else:
        services.accounts.remove_role(
            team.admin.actor, actor.project_id, actor.name, team.workspace_id
        )


def _approved(services: Services, team: Team) -> int:
    """A package approved by its one approver (the deployer), under a rule of one approval."""
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    approve_package(services, team.deployer, package, register_key(services, team.deployer))
    return package


@pytest.mark.parametrize("change", ["developer", "removed"])
def test_an_approval_by_an_approver_since_demoted_does_not_count_at_the_deploy(
    services: Services, team: Team, change: str
) -> None:
    package = _approved(services, team)
    _demote(services, team, team.deployer, change)

    name = team.deployer.actor.name
    now = "developer now" if change == "developer" else "no role now"
    document = services.release_approvals.approvals(team.admin, package).document()
    assert document["counted"] == 0
    (approval,) = document["approvals"]
    assert (approval["user"], approval["counts"]) == (name, False)
    assert approval["why"] == f"{WHY} ({now})"
    with pytest.raises(ApprovalsMissingError) as refused:
        services.releases.deploy(team.admin, DeployRequest((package,), StartupMode.LEAVE))
    error = refused.value
    assert "1 approval of its plan is required, 0 count" in error.problem
    assert f"1 not counted ({name}): {WHY} ({now})" in error.problem
    assert error.remedy == "approve_plan"
    assert services.releases.show(team.developer, package).status is DeployStatus.PENDING


def test_an_approver_demoted_while_the_import_waits_fails_the_release(
    services: Services, team: Team
) -> None:
    package = _approved(services, team)
    (started,) = services.releases.deploy(team.admin, DeployRequest((package,), StartupMode.LEAVE))
    _demote(services, team, team.deployer, "developer")
    run_release(services)

    prod = production_of(services, team)
    with pytest.raises(JobNotFoundError):  # nothing was released
        services.jobs.show(prod, "daily")
    assert services.releases.show(team.developer, package).status is DeployStatus.FAILED
    assert services.ledger.ledger(team.admin).entries == ()
    with services.db.transaction(readonly=True) as tx:
        task = task_repo.get_task(tx, prod.workspace.id, started.task_id)
    assert task is not None
    assert f"1 not counted ({team.deployer.actor.name}): {WHY} (developer now)" in task.message
    result = orjson.loads(task.result or "{}")
    assert (result["errorCode"], result["remedy"]) == ("DLF.9044", "approve_plan")


def test_an_approver_given_the_role_back_counts_again(services: Services, team: Team) -> None:
    """The approval is not dropped: it counts again once its signer holds the role again."""
    package = _approved(services, team)
    _demote(services, team, team.deployer, "developer")
    actor = team.deployer.actor
    services.accounts.set_role(
        team.admin.actor, actor.project_id, actor.name, team.workspace_id, Role.ADMIN.value
    )
    assert services.release_approvals.approvals(team.admin, package).document()["counted"] == 1
    services.releases.deploy(team.admin, DeployRequest((package,), StartupMode.LEAVE))
    run_release(services)
    assert services.releases.show(team.developer, package).status is DeployStatus.SUCCESS


def test_a_signed_release_carries_only_the_approvals_that_count_on_its_server(
    services: Services, team: Team
) -> None:
    """Exported after its approver was demoted, a signed release does not carry that approval
    (which the other server, knowing only keys, would count): taking it in there is refused
    for want of approvals."""
    package = _approved(services, team)
    pair_key = services.approval_keys.mine(team.deployer.actor)[0].public_key
    _demote(services, team, team.deployer, "developer")
    exported = services.carried_releases.export(team.admin, package)
    data = exported.read_bytes()
    exported.unlink()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = orjson.loads(archive.read(APPROVALS))
    assert (document["approvals"], document["counted"]) == ([], 0)

    ops = trusting_team(services, pair_key)
    with pytest.raises(ApprovalRefusedError, match=r"0 approval\(s\) verify"):
        take_in(services, ops.admin, data)
