"""Rolling back the last release (SQLite and PostgreSQL): production back to exactly what it
held before — definitions, deletions restored whole, renames undone, jobs the release started
stopped again — the package marked rolled back and its items' deployed versions reset;
refused naming the objects when production changed since, or when it is not the last."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import JobStatus, TaskKind, TaskStatus
from jobferry.domain.releases import DeployStatus, StartupMode, UpdateType
from jobferry.domain.remedies import Remedy
from jobferry.errors import PermissionDeniedError, RollbackRefusedError
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry, utc_minute
from jobferry.services.taskviews import Task
from support.releases import (
    Team,
    pending_items,
    production_of,
    release,
    submit_job,
)


def _names(services: Services, team: Team) -> set[str]:
    _, found = services.jobs.list_jobs(
        production_of(services, team), job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    return {j.name for j in found}


def test_the_last_release_is_rolled_back_whole(services: Services, team: Team) -> None:
    for name in ("a", "b", "c"):
        submit_job(services, team.developer, name)
    first = release(services, team, "r1")
    prod = production_of(services, team)
    services.jobs.stop(prod, "c")
    b_id = services.jobs.show(prod, "b").id
    c_before = services.jobs.show(prod, "c")

    submit_job(services, team.developer, "a", description="v2")
    services.jobs.rename(team.developer, "b", "b2")
    services.jobs.update(team.developer, "b2", services.jobs.show(team.developer, "b2").document)
    services.jobs.delete(team.developer, "c")
    submit_job(services, team.developer, "d")
    second = release(services, team, "r2")
    assert _names(services, team) == {"a", "b2", "d"}
    assert services.jobs.status(prod, "d").status is not JobStatus.STOPPED

    done = services.release_rollback.rollback(team.deployer, None)

    assert done.package_id == second
    assert _names(services, team) == {"a", "b", "c"}
    assert "description" not in services.jobs.show(prod, "a").document
    assert services.jobs.status(prod, "a").status is not JobStatus.STOPPED  # as r1 left it
    assert services.jobs.show(prod, "b").id == b_id  # the rename undone, not a new job
    back = services.jobs.show(prod, "c")
    assert (back.id, back.document) == (c_before.id, c_before.document)
    assert services.jobs.status(prod, "c").status is JobStatus.STOPPED
    shown = services.releases.show(team.developer, second)
    assert shown.status is DeployStatus.SUCCESS  # DataArts' own states stay as they were
    assert shown.record.rolled_back_by == team.deployer.actor.name
    a_item = next(i for i in shown.items if i.name == "a")
    assert a_item.deployed_version == 1
    assert services.releases.show(team.developer, first).record.rolled_back_at is None
    entries = services.ledger.ledger(team.deployer).entries
    assert [e.action for e, _ in entries] == ["deploy", "deploy", "rollback"]
    assert entries[2][0].target_entry == entries[1][0].id

    submit_job(services, team.developer, "a", description="v3")
    waiting = next(i for i in pending_items(services, team.developer) if i.name == "a")
    assert (waiting.update_type, waiting.deployed_version) == (UpdateType.CHANGE, 1)


def test_a_rollback_refused_names_what_changed_in_production(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    prod = production_of(services, team)
    services.jobs.start(prod, "a")  # the operator's switch: production moved since

    with pytest.raises(RollbackRefusedError) as refused:
        services.release_rollback.rollback(team.deployer, None)

    assert any("job 'a'" in c for c in refused.value.context["conflicts"])
    assert _names(services, team) == {"a"}
    assert len(services.ledger.ledger(team.deployer).entries) == 1
    services.jobs.stop(prod, "a")
    services.release_rollback.rollback(team.deployer, None)
    assert _names(services, team) == set()


def test_only_the_last_release_is_rolled_back(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "a")
    first = release(services, team, "r1")
    submit_job(services, team.developer, "b")
    second = release(services, team, "r2")
    with pytest.raises(RollbackRefusedError, match="r2") as refused:
        services.release_rollback.rollback(team.deployer, first)
    assert refused.value.code == "DLF.9016"
    services.release_rollback.rollback(team.deployer, second)
    with pytest.raises(RollbackRefusedError) as last:
        services.release_rollback.rollback(team.deployer, None)
    assert last.value.message.startswith(
        "The last change of the production side of workspace 'sales' is the rollback of "
        f"release package {second} by sales_deployer on "
    )
    with pytest.raises(PermissionDeniedError):
        services.release_rollback.rollback(team.developer, None)


def test_a_release_past_its_rollback_days_is_refused_in_a_release_s_words(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    package = release(services, team, "r1")
    swept_at = now_ms() + DAY_MS + 1
    RollbackExpiry(services.db, 1).sweep(swept_at)

    for asked in (None, package):
        with pytest.raises(RollbackRefusedError) as refused:
            services.release_rollback.rollback(team.deployer, asked)
        said = refused.value.message
        assert said.startswith(f"Release package '{package}' (r1), ledger entry ")
        assert "can no longer be rolled back" in said
        dropped = f"kept 1 day(s) (JOBFERRY_ROLLBACK_DAYS) and dropped {utc_minute(swept_at)}. "
        assert f"{dropped}Restore the release you want production to hold instead." in said
        assert refused.value.remedy is Remedy.READ_RELEASE_LEDGER
    assert _names(services, team) == {"a"}
    assert len(services.ledger.ledger(team.deployer).entries) == 1
    assert services.releases.show(team.developer, package).record.rolled_back_at is None


def _run_queued(services: Services, team: Team) -> Task:
    """Claim the queued rollback task and run it as a task thread does (the runner sends a
    release's to the release rollback); the task then."""
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    assert claimed.scope.releasing  # it writes production as a release does
    services.release_rollback.run(claimed)
    return services.tasks.show(team.deployer, claimed.id)


def test_a_release_rolled_back_by_a_task_of_its_own_writes_the_ledger_in_its_transaction(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1")
    submit_job(services, team.developer, "b")
    second = release(services, team, "r2")

    queued = services.release_rollback.start(team.deployer, second)

    assert queued.workspace_id == production_of(services, team).workspace.id
    assert _names(services, team) == {"a", "b"}  # nothing before it runs
    ended = _run_queued(services, team)
    assert ended.id == queued.task_id
    assert ended.status is TaskStatus.SUCCESSFUL, ended.message
    assert ended.name == f"Roll back release r2 (import {ended.outcome['taskId']})."
    entries = services.ledger.ledger(team.deployer).entries
    assert [e.action for e, _ in entries] == ["deploy", "deploy", "rollback"]
    assert ended.outcome["entryId"] == entries[2][0].id
    assert (ended.outcome["packageId"], ended.outcome["packageName"]) == (str(second), "r2")
    assert ended.outcome["rolledBack"] == len(ended.outcome["objects"]) > 0
    assert _names(services, team) == {"a"}
    assert services.releases.show(team.developer, second).record.rolled_back_at is not None


def test_a_release_rollback_task_refused_as_it_runs_fails_and_changes_nothing(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    services.release_rollback.start(team.deployer, None)
    services.jobs.start(production_of(services, team), "a")  # production moved since

    ended = _run_queued(services, team)

    assert ended.status is TaskStatus.FAILED
    assert ended.outcome["errorCode"] == "DLF.9016"
    assert any("job 'a'" in c for c in ended.outcome["conflicts"])
    assert _names(services, team) == {"a"}
    assert len(services.ledger.ledger(team.deployer).entries) == 1
    with pytest.raises(PermissionDeniedError):
        services.release_rollback.start(team.developer, None)  # refused at once
    assert services.tasks.claim((TaskKind.ROLLBACK,), look_first=False) is None


def test_a_release_rolled_back_twice_says_it_was_rolled_back_already(
    services: Services, team: Team
) -> None:
    """Two sessions roll back the same release, the second from a page read before the first
    ended: it is refused saying the release was rolled back already (its entry, by whom,
    when), at once and as its task runs."""
    submit_job(services, team.developer, "a")
    release(services, team, "r1")
    submit_job(services, team.developer, "b")
    second = release(services, team, "r2")
    services.release_rollback.start(team.deployer, second)
    assert _run_queued(services, team).status is TaskStatus.SUCCESSFUL
    deploy, rollback = [e for e, _ in services.ledger.ledger(team.deployer).entries][1:]
    already = (
        f"The release of package '{second}' (r2) was rolled back already, by sales_deployer "
        f"on {utc_minute(rollback.at)} (ledger entry {rollback.id}, undoing entry {deploy.id})"
    )

    for again in (services.release_rollback.start, services.release_rollback.rollback):
        with pytest.raises(RollbackRefusedError) as refused:
            again(team.admin, second)
        assert refused.value.message.startswith(already)
        assert "nothing was rolled back now" in refused.value.message
        assert "''s" not in refused.value.message
    assert _names(services, team) == {"a"}
    assert len(services.ledger.ledger(team.deployer).entries) == 3


def _unchanged_release(services: Services, team: Team) -> int:
    """Job 'a' released, then submitted again unchanged and released again (a new version
    whose content production holds already: its import writes nothing); the second's id."""
    submit_job(services, team.developer, "a")
    release(services, team, "r1")
    submit_job(services, team.developer, "a")
    return release(services, team, "r2")


def test_a_release_that_changed_nothing_in_production_is_rolled_back_all_the_same(
    services: Services, team: Team
) -> None:
    """Its rollback undoes nothing in production but is the ledger's and the package's all
    the same: production holds what it held before it (found by the generated release
    stories, refused as "Import … created, overwrote, renamed or deleted nothing")."""
    second = _unchanged_release(services, team)
    prod = production_of(services, team)
    held = services.jobs.show(prod, "a")

    done = services.release_rollback.rollback(team.deployer, None)

    assert (done.package_id, done.undone.count) == (second, 0)
    after = services.jobs.show(prod, "a")
    assert (after.id, after.document) == (held.id, held.document)
    entries = services.ledger.ledger(team.deployer).entries
    assert [e.action for e, _ in entries] == ["deploy", "deploy", "rollback"]
    assert services.releases.show(team.developer, second).record.rolled_back_at is not None
    submit_job(services, team.developer, "a", description="v3")
    waiting = next(i for i in pending_items(services, team.developer) if i.name == "a")
    assert (waiting.update_type, waiting.deployed_version) == (UpdateType.CHANGE, 1)
    with pytest.raises(RollbackRefusedError, match="rolled back already"):
        services.release_rollback.rollback(team.deployer, second)


def test_a_release_that_changed_nothing_is_rolled_back_by_a_task_of_its_own(
    services: Services, team: Team
) -> None:
    second = _unchanged_release(services, team)

    services.release_rollback.start(team.deployer, second)
    ended = _run_queued(services, team)

    assert ended.status is TaskStatus.SUCCESSFUL, ended.message
    assert ended.outcome["rolledBack"] == 0
    entries = services.ledger.ledger(team.deployer).entries
    assert [e.action for e, _ in entries] == ["deploy", "deploy", "rollback"]
    assert ended.outcome["entryId"] == entries[2][0].id
