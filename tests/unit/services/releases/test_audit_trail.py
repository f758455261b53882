"""A release's audit trail, step by step (tests/api/test_audit_coverage.py names these tests
for the release calls it cannot make in one workspace): each step writes its one entry, by
the user who took it, naming the package; the import a deploy queues is recorded as the
deployer's, though the task runner runs it."""

from __future__ import annotations

from jobferry.domain.audit import AuditQuery
from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.services.releases.records import DeployRequest
from jobferry.services.releases.restore import RestorePlanned
from support.audits import entries_since, last_entry
from support.console import admin_actor
from support.releases import (
    Team,
    approve_package,
    connected_team,
    make_package,
    register_key,
    run_release,
    signed_release,
    submit_job,
    take_in,
    trusting_team,
)


def test_each_step_of_a_release_writes_one_entry_by_who_took_it(
    services: Services, team: Team
) -> None:
    dev, deployer, admin = (s.actor.name for s in (team.developer, team.deployer, team.admin))
    submit_job(services, team.developer, "daily")

    last = last_entry(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    assert entries_since(services, last) == [(admin, "release.approval_rule", "workspace", "sales")]
    # an auditor finds it by its action (it was written "approval-rule", which no search takes)
    found = services.audit.list_entries(
        team.admin, 10, 0, AuditQuery(action="release.approval_rule")
    )
    assert [e.actor for e in found.entries] == [admin]

    last = last_entry(services)
    package = make_package(services, team, "p1")
    assert entries_since(services, last) == [(dev, "release.package", "package", "p1")]

    pair = register_key(services, team.deployer)
    last = last_entry(services)
    approve_package(services, team.deployer, package, pair)
    assert entries_since(services, last) == [(deployer, "release.approve", "package", "p1")]

    last = last_entry(services)
    services.releases.replan(team.deployer, package)
    assert entries_since(services, last) == [(deployer, "release.replan", "package", "p1")]

    last = last_entry(services)
    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
    run_release(services)
    deployed = entries_since(services, last)
    assert deployed[0] == (deployer, "release.deploy", "package", "p1")
    assert [(a, act) for a, act, _, _ in deployed[1:]] == [(deployer, "import.apply")]

    last = last_entry(services)
    services.release_rollback.rollback(team.deployer, package)
    run_release(services)
    rolled = entries_since(services, last)
    assert rolled[0] == (deployer, "release.rollback", "package", "p1")
    assert {a for a, _, _, _ in rolled} == {deployer}

    last = last_entry(services)
    planned = services.restores.restore(team.deployer, package, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert planned.plan is not None
    assert entries_since(services, last) == []  # a dry run changes nothing
    services.restores.restore(team.deployer, package, plan_id=planned.plan.plan_id)
    run_release(services)
    restored = entries_since(services, last)
    assert restored[0] == (deployer, "release.restore", "package", "p1")
    assert {a for a, _, _, _ in restored} == {deployer}


def test_a_cancelled_package_and_a_signed_release_taken_in_write_their_entry(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team, "p1")
    last = last_entry(services)
    services.releases.cancel(team.developer, (package,))
    assert entries_since(services, last) == [
        (team.developer.actor.name, "release.cancel", "package", "p1")
    ]

    data, pair = signed_release(services, team, "weekly", name="carried")
    ops = trusting_team(services, pair.public_key)
    last = last_entry(services)
    take_in(services, ops.admin, data)
    run_release(services)
    taken = entries_since(services, last)
    assert taken[0][:2] == (ops.admin.actor.name, "release.carried")
    assert taken[0][2:] == ("package", "carried")


def test_switching_a_workspace_to_enterprise_mode_is_one_entry(services: Services) -> None:
    last = last_entry(services)
    connected_team(services, "ops")
    written = entries_since(services, last)
    admin = admin_actor(services).name
    assert (admin, "workspace.enterprise", "workspace", "ops") in written
    assert [w for w in written if w[1] == "workspace.enterprise"] == [
        (admin, "workspace.enterprise", "workspace", "ops")
    ]
    # the team's two people were given their roles: role.set, one each
    assert [w[1] for w in written].count("role.set") == 2
