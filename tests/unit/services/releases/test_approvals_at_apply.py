"""A release's approvals are counted again as its import applies (SQLite and PostgreSQL): the
deploy call counts them before it queues the import, but the task may run later; an approval
whose key was revoked meanwhile (a leaked key, say), or a rule raised meanwhile, refuses the
release there, production untouched, rather than releasing it with a ledger entry that names
fewer approvals than the rule asks."""

from __future__ import annotations

import orjson
import pytest

from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.errors import JobNotFoundError
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
