"""What a deploy checked, held until its import applies (SQLite and PostgreSQL): the deploy
call counts the approvals before it queues the import, but the task may run later; an approval
whose key was revoked meanwhile (a leaked key, say), or a rule raised meanwhile, refuses the
release there, production untouched, rather than releasing it with a ledger entry that names
fewer approvals than the rule asks. A package planned again while it was deployed keeps the
plan its import applies."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.errors import JobNotFoundError, PackageReleasedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.records import DeployRequest
from jobferry.services.releases.service import ReleaseService
from jobferry.storage import tasks as task_repo
from support.releases import (
    Team,
    approve_package,
    make_package,
    production_of,
    register_key,
    run_release,
    submit_job,
)


def _failed_task(services: Services, prod: Scope, task_id: str) -> tuple[str, dict[str, object]]:
    with services.db.transaction(readonly=True) as tx:
        task = task_repo.get_task(tx, prod.workspace.id, task_id)
    assert task is not None
    return task.message, orjson.loads(task.result or "{}")


@pytest.mark.parametrize("change", ["key revoked", "rule raised"])
def test_approvals_that_no_longer_count_when_the_import_applies_refuse_the_release(
    services: Services, team: Team, change: str
) -> None:
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    pair = register_key(services, team.deployer)
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    approve_package(services, team.deployer, package, pair)
    (started,) = services.releases.deploy(
        team.deployer, DeployRequest((package,), StartupMode.LEAVE)
    )
    if change == "key revoked":  # between the deploy call and its import's apply
        services.approval_keys.revoke(team.deployer.actor, pair.key_id)
    else:
        services.release_approvals.set_rule(team.admin, {"requireApprovals": 2})
    run_release(services)

    prod = production_of(services, team)
    with pytest.raises(JobNotFoundError):  # nothing was released
        services.jobs.show(prod, "daily")
    assert services.releases.show(team.developer, package).status is DeployStatus.FAILED
    assert services.ledger.ledger(team.admin).entries == ()
    message, result = _failed_task(services, prod, started.task_id)
    assert message.startswith(f"Release package '{package}' cannot be deployed: ")
    assert ("its key is revoked" in message) is (change == "key revoked")
    assert "nothing was deployed" in message
    assert (result["errorCode"], result["remedy"]) == ("DLF.9044", "approve_plan")
    assert result["package_id"] == str(package)


def test_a_deploy_while_the_package_is_planned_again_is_not_undone_by_the_new_plan(
    services: Services, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``replan`` reads the package waiting, plans (outside any transaction), then keeps the
    new plan: a deploy taken meanwhile must not be turned back to waiting under a plan its
    import does not apply (the release would then change production unrecorded: no package
    released, no ledger entry). The re-plan is refused saying the package is being released."""
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    planned = ReleaseService._planned

    def deployed_meanwhile(self: ReleaseService, *args: Any, **kwargs: Any) -> Any:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
        return planned(self, *args, **kwargs)

    monkeypatch.setattr(ReleaseService, "_planned", deployed_meanwhile)
    with pytest.raises(PackageReleasedError, match="is being released"):
        services.releases.replan(team.deployer, package)
    monkeypatch.undo()
    run_release(services)

    assert services.releases.show(team.developer, package).status is DeployStatus.SUCCESS
    ((entry, _),) = services.ledger.ledger(team.admin).entries
    assert (entry.action, entry.package_id) == ("deploy", package)
    assert services.jobs.show(production_of(services, team), "daily").document["name"] == "daily"
