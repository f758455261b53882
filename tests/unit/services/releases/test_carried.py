"""A release across an air gap (SQLite and PostgreSQL): a package exported with its approvals
as one signed release file is taken into another enterprise workspace's production only when
the approvals verify with keys that workspace trusts and the plan made there has the approved
hash; a production that differs is named, a package that is not the approved one refused. The
release is written in that production's release ledger (its objects as the sending workspace
identifies them, the approvals that verified), so its rollback works there too; a restore,
which rebuilds production from the workspace's own releases, is refused."""

from __future__ import annotations

import pytest

from jobferry.errors import (
    ApprovalRefusedError,
    BasisChangedError,
    InvalidRequestError,
    JobNotFoundError,
    RollbackRefusedError,
)
from jobferry.package.releasefile import SignedRelease, read_release, write_release
from jobferry.services.container import Services
from jobferry.services.releases.ledger import entry_document
from jobferry.services.workspaces.keys import parse_trust
from jobferry.storage import jobs as job_repo
from support.releases import (
    Team,
    connected_team,
    production_of,
    release,
    run_release,
    signed_release,
    submit_job,
    take_in,
)


def test_a_signed_release_is_taken_in_across_the_air_gap(services: Services) -> None:
    test_side = connected_team(services, "sales")
    data, public_key = signed_release(services, test_side)
    release = read_release(data)
    assert release.approvals["counted"] == 1

    other = connected_team(services, "ops")
    with pytest.raises(ApprovalRefusedError, match=r"0 approval\(s\) verify with keys it trusts"):
        take_in(services, other.admin, data)
    services.keys.trust(other.admin, parse_trust({"name": "sales", "publicKey": public_key}))

    forged = SignedRelease(release.package + b" ", release.approvals)
    with pytest.raises(ApprovalRefusedError, match="not the package its approvals name"):
        take_in(services, other.admin, write_release(forged))
    with pytest.raises(InvalidRequestError, match="not a signed release file"):
        take_in(services, other.admin, release.package)

    take_in(services, other.admin, data)
    run_release(services)
    production = other.admin.workspace.production_id
    prod = services.accounts.scope(other.admin.actor, other.admin.actor.project_id, production)
    assert services.jobs.show(prod, "daily").document["name"] == "daily"

    # Production there now holds the job: not the production the release was approved on.
    with pytest.raises(BasisChangedError, match="not the production the release was approved"):
        take_in(services, other.admin, data)


def _trusting(services: Services, public_key: str) -> Team:
    """Another enterprise workspace, trusting the key that signed the release."""
    other = connected_team(services, "ops")
    services.keys.trust(other.admin, parse_trust({"name": "sales", "publicKey": public_key}))
    return other


def test_a_signed_release_taken_in_is_written_in_the_ledger_and_its_rollback_too(
    services: Services,
) -> None:
    test_side = connected_team(services, "sales")
    data, public_key = signed_release(services, test_side)
    with services.db.transaction(readonly=True) as tx:
        found = job_repo.get_job(tx, test_side.developer.workspace.id, "daily")
    assert found is not None
    other = _trusting(services, public_key)
    take_in(services, other.admin, data)
    run_release(services)

    ((entry, objects),) = services.ledger.ledger(other.admin).entries
    shown = entry_document(entry, objects)
    assert (shown["action"], shown["package_id"], shown["package_name"]) == (
        "deploy",
        None,
        "carried",
    )
    assert shown["source_workspace_id"] == test_side.admin.workspace.id
    assert shown["deployer"] == other.admin.actor.name
    (approval,) = shown["approvals"]
    assert approval["user_name"] == test_side.deployer.actor.name
    assert approval["key_id"]
    assert approval["public_key"] == public_key
    assert approval["plan_hash"] == read_release(data).approvals["planHash"]
    prod = production_of(services, other)
    job = services.jobs.show(prod, "daily")
    # the job (and the scripts it runs) as the sending workspace identifies them, at the
    # version production holds
    put = {o["name"]: o for o in shown["objects"]}
    assert {(o["kind"], n, o["action"]) for n, o in put.items()} == {
        ("job", "daily", "put"),
        ("script", "daily_sql", "put"),
        ("script", "daily_sh", "put"),
    }
    assert (put["daily"]["uid"], put["daily"]["version"]) == (found.uid, job.version)
    held = services.ledger.ledger(other.admin).production
    assert {(s.name, s.entry_id) for s in held} == {(n, entry.id) for n in put}

    done = services.release_rollback.rollback(other.deployer, None)
    assert (done.package_id, done.package_name, done.count) == (None, "carried", 3)
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily")
    back = services.ledger.ledger(other.admin)
    rolled, undone = back.entries[-1]
    assert (rolled.action, rolled.target_entry, rolled.source_id) == (
        "rollback",
        entry.id,
        test_side.admin.workspace.id,
    )
    assert {(o.name, o.action) for o in undone} == {(n, "delete") for n in put}
    assert back.production == ()


def test_a_restore_is_refused_once_the_ledger_holds_a_signed_release_taken_in(
    services: Services,
) -> None:
    test_side = connected_team(services, "sales")
    data, public_key = signed_release(services, test_side)
    other = _trusting(services, public_key)
    submit_job(services, other.developer, "own")
    own = release(services, other, "own-release")
    take_in(services, other.admin, data)
    run_release(services)
    with pytest.raises(RollbackRefusedError, match="signed releases taken in") as refused:
        services.restores.restore(other.deployer, own, dry_run=True)
    assert "release-packages/last/rollback" in refused.value.message
    # naming the local release to roll back says which release came after it
    with pytest.raises(RollbackRefusedError, match="signed release 'carried' taken in"):
        services.release_rollback.rollback(other.deployer, own)
