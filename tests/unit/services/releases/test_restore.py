"""Restoring production to an earlier release and reading the release ledger (SQLite and
PostgreSQL): three releases, the first restored through a reviewed plan (production holds
exactly what it held right after it), drift refused by the plan, and "what was in production"
at a moment between releases."""

from __future__ import annotations

import time

import pytest

from jobferry.domain.enums import JobStatus, TaskStatus
from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.errors import RollbackRefusedError
from jobferry.services.container import Services
from jobferry.services.releases.ledger import content_hash
from jobferry.services.releases.records import PackageQuery
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted
from jobferry.storage.importing import target as target_repo
from support.releases import (
    Team,
    pending_items,
    production_of,
    release,
    run_release,
    submit_job,
)


def _held(services: Services, team: Team) -> dict[str, str]:
    prod = production_of(services, team)
    _, found = services.jobs.list_jobs(
        prod, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    with services.db.transaction(readonly=True) as tx:
        stored = target_repo.target_jobs(tx, prod.workspace.id, {j.name for j in found})
    return {name: obj.document for name, obj in stored.items()}


def _three_releases(services: Services, team: Team) -> tuple[list[int], list[dict[str, str]]]:
    held = []
    submit_job(services, team.developer, "a")
    submit_job(services, team.developer, "b")
    ids = [release(services, team, "r1")]
    held.append(_held(services, team))
    time.sleep(0.005)
    submit_job(services, team.developer, "a", description="v2")
    submit_job(services, team.developer, "c")
    ids.append(release(services, team, "r2"))
    held.append(_held(services, team))
    time.sleep(0.005)
    services.jobs.stop(production_of(services, team), "b")
    services.jobs.delete(team.developer, "b")
    submit_job(services, team.developer, "a", description="v3")
    ids.append(release(services, team, "r3"))
    held.append(_held(services, team))
    return ids, held


def test_an_older_release_is_restored_through_a_reviewed_plan(
    services: Services, team: Team
) -> None:
    (first, _, _), held = _three_releases(services, team)
    assert set(held[2]) == {"a", "c"}
    prod = production_of(services, team)
    services.jobs.stop(prod, "c")  # a deletion needs the job stopped, as a release's does

    planned = services.restores.restore(team.deployer, first, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert planned.plan is not None
    actions = {(str(ln.kind), ln.target_name): str(ln.action) for ln in planned.plan.lines}
    assert actions[("job", "a")] == "OVERWRITE"
    assert actions[("job", "b")] == "CREATE"
    assert actions[("job", "c")] == "DELETE"
    assert held[2] == _held(services, team)  # a dry run changes nothing

    started = services.restores.restore(team.deployer, first, plan_id=planned.plan.plan_id)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    assert _held(services, team) == held[0]
    assert services.jobs.status(prod, "b").status is JobStatus.STOPPED
    entries = services.ledger.ledger(team.deployer).entries
    assert [e.action for e, _ in entries] == ["deploy", "deploy", "deploy", "restore"]
    restore, objects = entries[3]
    assert restore.target_entry == entries[0][0].id
    assert restore.deployer == team.deployer.actor.name
    assert {(o.kind, o.name, o.action) for o in objects if o.kind == "job"} == {
        ("job", "a", "put"),
        ("job", "b", "put"),
        ("job", "c", "delete"),
    }
    again = services.restores.restore(team.deployer, first)
    assert isinstance(again, RestorePlanned)
    assert again.plan is None  # production holds that release's state already


def test_a_restore_plan_is_refused_when_production_moved_since(
    services: Services, team: Team
) -> None:
    (first, _, third), held = _three_releases(services, team)
    services.jobs.stop(production_of(services, team), "c")
    planned = services.restores.restore(team.deployer, first, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert planned.plan is not None
    services.release_rollback.rollback(team.deployer, third)
    started = services.restores.restore(team.deployer, first, plan_id=planned.plan.plan_id)
    assert isinstance(started, RestoreStarted)
    run_release(services)  # the import finds production moved since its plan
    task = services.tasks.show(production_of(services, team), started.task_id)
    assert task.status is TaskStatus.FAILED
    assert "plan" in task.message
    assert _held(services, team) == held[1]
    assert [e.action for e, _ in services.ledger.ledger(team.deployer).entries][-1] == "rollback"
    with pytest.raises(RollbackRefusedError, match="has no release"):
        services.restores.restore(team.deployer, 4242)


def test_the_ledger_says_what_production_held_between_releases(
    services: Services, team: Team
) -> None:
    (first, second, _), held = _three_releases(services, team)
    entries = services.ledger.ledger(team.deployer).entries
    at = entries[1][0].at
    then = services.ledger.ledger(team.deployer, at)

    assert [e.package_id for e, _ in then.entries] == [first, second]
    jobs = {o.name: o for o in then.production if o.kind == "job"}
    assert set(jobs) == {"a", "b", "c"}
    assert {n: o.sha256 for n, o in jobs.items()} == {
        n: content_hash(text) for n, text in held[1].items()
    }
    deploy = then.entries[1][0]
    assert deploy.deployer == team.deployer.actor.name
    assert deploy.approver_list()[0]["user_name"] == team.deployer.actor.name
    assert len(deploy.plan_hash or "") == 64
    assert deploy.startup_mode == 1
    assert services.ledger.ledger(team.deployer, entries[0][0].at - 1).entries == ()


def test_a_restore_tells_the_waiting_items_which_version_production_holds(
    services: Services, team: Team
) -> None:
    (first, _, _), _ = _three_releases(services, team)
    services.jobs.stop(production_of(services, team), "c")
    submit_job(services, team.developer, "a", description="v4")
    submit_job(services, team.developer, "c", description="v2")
    waiting = {i.name: i for i in pending_items(services, team.developer)}
    assert (waiting["a"].deployed_version, waiting["a"].pending_version) == (3, 4)
    assert (waiting["c"].deployed_version, waiting["c"].update_type) == (1, UpdateType.CHANGE)

    started = services.restores.restore(team.deployer, first)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    waiting = {i.name: i for i in pending_items(services, team.developer)}
    assert (waiting["a"].deployed_version, waiting["a"].update_type) == (1, UpdateType.CHANGE)
    # c did not exist after the first release: production holds none of it now.
    assert (waiting["c"].deployed_version, waiting["c"].update_type) == (0, UpdateType.ADD)
    submit_job(services, team.developer, "a", description="v5")
    again = {i.name: i for i in pending_items(services, team.developer)}
    assert (again["a"].deployed_version, again["a"].pending_version) == (1, 5)


def test_a_release_rolled_back_then_restored_to_says_so_and_an_earlier_one_does_not(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    first = release(services, team, "r1")
    submit_job(services, team.developer, "a", description="v2")
    second = release(services, team, "r2")
    services.release_rollback.rollback(team.deployer, second)
    rolled_back = services.releases.show(team.developer, second)
    assert rolled_back.record.rolled_back_at is not None
    assert rolled_back.restored is None  # production holds what it held before r2

    started = services.restores.restore(team.deployer, second)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    restored = services.releases.show(team.developer, second)
    restore_entry = services.ledger.ledger(team.deployer).entries[-1][0]
    assert restore_entry.action == "restore"
    assert restored.restored is not None
    assert (restored.restored.entry_id, restored.restored.by) == (
        restore_entry.id,
        team.deployer.actor.name,
    )
    assert restored.restored.at == restore_entry.at
    # The listing says it too; the first release, never rolled back, has nothing to say.
    _, listed = services.releases.packages(team.developer, PackageQuery())
    assert {v.record.id: v.restored for v in listed} == {first: None, second: restored.restored}


def test_a_restore_refused_for_production_s_changes_names_them_and_plans_the_restore_again(
    services: Services, team: Team
) -> None:
    """Found by the generated release stories: a restore planned, another release (or a
    rollback) before its apply, was refused naming the release's import ("import.apply of
    package 'p2.zip'") rather than the objects it changed, and told to make an import plan
    rather than plan the restore again."""
    (first, _, _), _ = _three_releases(services, team)
    prod = production_of(services, team)
    services.jobs.stop(prod, "c")
    planned = services.restores.restore(team.deployer, first, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert planned.plan is not None
    submit_job(services, team.developer, "a", description="v4")
    submit_job(services, team.developer, "d")
    release(services, team, "r4", StartupMode.LEAVE)  # d created, a overwritten
    held = _held(services, team)

    started = services.restores.restore(team.deployer, first, plan_id=planned.plan.plan_id)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    task = services.tasks.show(prod, started.task_id)
    assert task.status is TaskStatus.FAILED
    assert "job 'a'" in task.message, task.message
    assert "job 'd'" in task.message, task.message
    assert f"release-packages/{first}/restore" in task.message, task.message
    assert "import/plan" not in task.message
    assert {"kind": "job", "name": "d"} in task.outcome["changed"]
    assert _held(services, team) == held


def test_a_restore_is_refused_when_a_release_since_its_plan_added_what_it_would_not_delete(
    services: Services, team: Team
) -> None:
    """Found by the generated release stories: a restore planned to a release whose objects
    production no longer held (rolled back), another release before its apply adding job b:
    the plan read nothing of b, its apply went through, and production held b beside the
    restored release, which it never held right after it."""
    submit_job(services, team.developer, "a")
    first = release(services, team, "r1", StartupMode.LEAVE)
    services.release_rollback.rollback(team.deployer, None)  # production holds nothing
    planned = services.restores.restore(team.deployer, first, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert planned.plan is not None
    submit_job(services, team.developer, "b")
    release(services, team, "r2", StartupMode.LEAVE)
    held = _held(services, team)
    assert set(held) == {"b"}

    started = services.restores.restore(team.deployer, first, plan_id=planned.plan.plan_id)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    task = services.tasks.show(production_of(services, team), started.task_id)
    assert task.status is TaskStatus.FAILED, task.message
    assert "job 'b'" in task.message, task.message
    assert _held(services, team) == held
    assert [e.action for e, _ in services.ledger.ledger(team.deployer).entries][-1] == "deploy"


def test_a_restore_naming_no_release_is_refused_pointing_at_the_ledger(
    services: Services, team: Team
) -> None:
    fix = "Read the release ledger (GET /v2/{project_id}/factory/release-ledger) and name"
    with pytest.raises(RollbackRefusedError) as by_package:
        services.restores.restore(team.deployer, 4242, dry_run=True)
    assert by_package.value.message == (
        "Release package '4242' of workspace 'sales' has no release in the ledger (it was "
        "never released here, or released before the ledger was kept); only a release the "
        f"ledger recorded can be restored. {fix} a package it lists as released."
    )
    with pytest.raises(RollbackRefusedError) as by_entry:
        services.restores.restore_entry(team.deployer, 4242, dry_run=True)
    assert by_entry.value.message == (
        "Entry 4242 of the release ledger of workspace 'sales' is not a release; only a "
        f"release the ledger recorded can be restored. {fix} an entry it lists as a deploy."
    )
    for refused in (by_package.value, by_entry.value):
        assert (refused.code, refused.context["rule"]) == ("DLF.9016", "not_released")
