"""A signed release taken in is held to what holds when its import applies, and is taken in
once (SQLite and PostgreSQL): the workspace's rule raised while its import waits refuses it
there, as a local release's; a release rolled back here is not taken in again (as its package
is not deployed again on its own server), the refusal naming the rollback's ledger entry; a
release production holds is not taken in twice."""

from __future__ import annotations

import orjson
import pytest

from jobferry.errors import (
    ImportRunningError,
    JobNotFoundError,
    SignedReleaseRolledBackError,
    SignedReleaseTakenError,
)
from jobferry.services.container import Services
from jobferry.services.releases.restore import RestoreStarted
from jobferry.storage import tasks as task_repo
from support.releases import (
    connected_team,
    production_of,
    run_release,
    signed_release,
    take_in,
    trusting_team,
)


def test_a_rule_raised_before_a_signed_releases_import_applies_refuses_it(
    services: Services,
) -> None:
    """Taken in under a rule of one approval; the workspace's admin asks two before its import
    runs: the import is refused as it applies (nothing imported, nothing in the ledger), as a
    deploy's import is when the rule is raised after the deploy call."""
    data, pair = signed_release(services, connected_team(services, "sales"))
    ops = trusting_team(services, pair.public_key)
    taken = take_in(services, ops.admin, data)
    services.release_approvals.set_rule(ops.admin, {"requireApprovals": 2})
    run_release(services)

    prod = production_of(services, ops)
    with pytest.raises(JobNotFoundError):  # nothing was imported
        services.jobs.show(prod, "daily")
    assert services.ledger.ledger(ops.admin).entries == ()
    with services.db.transaction(readonly=True) as tx:
        task = task_repo.get_task(tx, prod.workspace.id, taken.task_id)
    assert task is not None
    assert task.message.startswith(
        "The signed release 'carried' was not imported into the production of workspace 'ops': "
        "2 approvals are required (the workspace's rule), 1 counts"
    )
    result = orjson.loads(task.result or "{}")
    assert (result["errorCode"], result["remedy"]) == ("DLF.9044", "carry_approved_again")


def test_a_signed_release_rolled_back_here_is_not_taken_in_again(services: Services) -> None:
    data, pair = signed_release(services, connected_team(services, "sales"))
    ops = trusting_team(services, pair.public_key)
    take_in(services, ops.admin, data)
    run_release(services)
    ((released, _),) = services.ledger.ledger(ops.admin).entries
    services.release_rollback.rollback(ops.deployer, None)
    rolled, _ = services.ledger.ledger(ops.admin).entries[-1]

    # production holds again what the approvers saw: only the ledger tells
    with pytest.raises(SignedReleaseRolledBackError) as refused:
        take_in(services, ops.admin, data)
    error = refused.value
    assert error.problem.startswith(
        f"The signed release 'carried' was not taken into workspace 'ops': it was taken in "
        f"(ledger entry {released.id}) and rolled back by {ops.deployer.actor.name} on "
    )
    assert f"(ledger entry {rolled.id})" in error.problem
    assert "Have the package approved and exported again on its server" in error.message
    assert f"release-ledger/{released.id}/restore" in error.message
    assert (error.context["entry_id"], error.context["rolled_back_entry"]) == (
        released.id,
        rolled.id,
    )
    assert error.remedy == "carry_approved_again"
    with pytest.raises(JobNotFoundError):  # nothing was imported
        services.jobs.show(production_of(services, ops), "daily")
    assert len(services.ledger.ledger(ops.admin).entries) == 2


def test_a_signed_release_production_holds_is_not_taken_in_twice(services: Services) -> None:
    """Taken in, then taken in again: while its import waits, the import lock it holds refuses
    the second; once imported, the second is refused naming its ledger entry, rather than as
    a production that is not the one approved; restored after a rollback, it counts as held
    again."""
    data, pair = signed_release(services, connected_team(services, "sales"))
    ops = trusting_team(services, pair.public_key)
    first = take_in(services, ops.admin, data)
    with pytest.raises(ImportRunningError, match=first.task_id):
        take_in(services, ops.admin, data)
    run_release(services)
    ((released, _),) = services.ledger.ledger(ops.admin).entries
    with pytest.raises(SignedReleaseTakenError) as refused:
        take_in(services, ops.admin, data)
    assert refused.value.problem.startswith(
        "The signed release 'carried' was not taken into workspace 'ops': it was taken in "
        f"already (ledger entry {released.id}) by {ops.admin.actor.name} on "
    )
    assert refused.value.problem.endswith("; a signed release is taken in once.")
    assert refused.value.remedy == "read_release_ledger"

    services.release_rollback.rollback(ops.deployer, None)
    restored = services.restores.restore_entry(ops.deployer, released.id)
    assert isinstance(restored, RestoreStarted)
    run_release(services)
    with pytest.raises(SignedReleaseTakenError) as refused:
        take_in(services, ops.admin, data)
    assert refused.value.context["entry_id"] == released.id
