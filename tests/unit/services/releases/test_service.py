"""Enterprise-mode releases through the service (SQLite and PostgreSQL): pending items kept by
submits and deletes, a package refused for every problem at once or made with its content
frozen, a deploy applying exactly that plan into production (refused when production changed
since, until planned again), cancel, and a production side that only releases change."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.domain.enums import JobStatus, Role
from jobferry.domain.releases import DeployStatus, StartJobStatus, StartupMode, UpdateType
from jobferry.errors import (
    BasisChangedError,
    ImportRunningError,
    InvalidRequestError,
    PackageReleasedError,
    PermissionDeniedError,
    ProductionSideError,
    ReleasePackageNotFoundError,
    RollbackRefusedError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.expiry import utc_minute
from jobferry.services.releases import service as service_module
from jobferry.services.releases.ledger import ledger_document, parse_moment
from jobferry.services.releases.records import (
    DeployRequest,
    PackageQuery,
    PackageRequest,
    parse_pending_query,
)
from jobferry.storage import releases as release_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.releases import ItemFilter, ItemRecord
from support.builders import make_job
from support.releases import (
    Team,
    make_package,
    person,
    run_release,
    submit_job,
)


def _pending(services: Services, scope: Scope) -> list[ItemRecord]:
    return services.releases.pending(scope, ItemFilter(), 100, 0)[1]


def _deploy(
    services: Services, team: Team, package_id: int, mode: StartupMode = StartupMode.START
) -> None:
    services.releases.deploy(team.deployer, DeployRequest((package_id,), mode))
    run_release(services)


def _production(services: Services, team: Team) -> Scope:
    actor = team.admin.actor
    production = team.admin.workspace.production_id
    return services.accounts.scope(actor, actor.project_id, production)


def _prod_job(services: Services, team: Team, name: str) -> dict[str, Any]:
    return services.jobs.show(_production(services, team), name).document


def test_each_submit_keeps_one_pending_item_per_object(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    first = {(i.kind, i.name): i for i in _pending(services, team.developer)}
    assert set(first) == {("job", "daily"), ("script", "daily_sql"), ("script", "daily_sh")}
    assert first["job", "daily"].update_type == UpdateType.ADD
    assert first["job", "daily"].pending_version == 1
    assert first["job", "daily"].deployed_version == 0
    assert first["job", "daily"].submit_user_name == team.developer.actor.name

    submit_job(services, team.developer, "daily", description="again")
    again = {(i.kind, i.name): i for i in _pending(services, team.developer)}
    assert len(again) == 3
    assert again["job", "daily"].id == first["job", "daily"].id
    assert again["job", "daily"].pending_version == 2


def test_a_workspace_in_simple_mode_has_no_releases(services: Services) -> None:
    admin = services.accounts.scope(team_admin := _admin(services), team_admin.project_id, None)
    with pytest.raises(InvalidRequestError, match="simple mode"):
        services.releases.pending(admin, ItemFilter(), 10, 0)


def _admin(services: Services) -> Any:
    from support.console import admin_actor

    return admin_actor(services)


def test_a_package_is_refused_for_every_problem_at_once(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    items = _pending(services, team.developer)
    assert make_package(services, team, "first", items)
    viewer = person(services, team.workspace_id, "vic", Role.VIEWER)
    request = PackageRequest(
        "999",
        "second",
        (str(items[0].id), "424242", "x"),
        (str(team.developer.actor.user_id), str(viewer.actor.user_id)),
    )
    with pytest.raises(InvalidRequestError) as refused:
        services.releases.create(team.developer, request, [])
    problems = refused.value.context["problems"]
    assert refused.value.code == "DLF.3051"
    text = " | ".join(problems)
    assert "in package" in text  # already packaged
    assert "424242 does not exist" in text
    assert "'x' is not an item id" in text
    assert "the applicant named ('999') is not the caller" in text
    assert "is the applicant" in text
    assert "role 'viewer'" in text
    assert len(problems) == 6


def test_a_package_over_100_items_is_refused(services: Services, team: Team) -> None:
    ids = tuple(str(n) for n in range(1, 102))
    request = PackageRequest(
        str(team.developer.actor.user_id), "big", ids, (str(team.deployer.actor.user_id),)
    )
    with pytest.raises(InvalidRequestError, match="at most 100"):
        services.releases.create(team.developer, request, [])


def test_a_reference_production_lacks_refuses_the_package(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    only_job = [i for i in _pending(services, team.developer) if i.kind == "job"]
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, items=only_job)
    assert "daily_sql" in refused.value.message
    assert all(i.package_id is None for i in _pending(services, team.developer))


def test_deploy_applies_the_frozen_content(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    submit_job(services, team.developer, "daily", description="after packaging")

    _deploy(services, team, package)

    shown = services.releases.show(team.developer, package)
    assert shown.status is DeployStatus.SUCCESS
    assert {i.deploy_status for i in shown.items} == {int(DeployStatus.SUCCESS)}
    job = next(i for i in shown.items if i.kind == "job")
    assert job.deployed_version == 1
    assert job.start_job_status == 2
    released = _prod_job(services, team, "daily")
    assert "description" not in released  # the version packaged, not the later submit
    prod = _production(services, team)
    assert services.jobs.status(prod, "daily").status is not JobStatus.STOPPED
    assert shown.record.deploy_user_name == team.deployer.actor.name
    later = [i for i in _pending(services, team.developer) if i.kind == "job"]
    assert later[0].update_type == UpdateType.CHANGE
    assert later[0].deployed_version == 1


def test_a_deploy_to_start_starts_its_new_batch_jobs_and_says_which_it_could_not(
    services: Services, team: Team
) -> None:
    """Two new jobs, one batch and one real-time, released to start: the batch one is started
    (and named in the ledger entry, which a rollback stops again), the real-time one is said
    FAILED and left stopped."""
    submit_job(services, team.developer, "daily")
    submit_job(services, team.developer, "clicks", processType="REAL_TIME")
    package = make_package(services, team)
    _deploy(services, team, package)
    items = {i.name: i for i in services.releases.show(team.developer, package).items}
    assert items["daily"].start_job_status == StartJobStatus.STARTED
    assert items["clicks"].start_job_status == StartJobStatus.FAILED
    prod = _production(services, team)
    assert services.jobs.status(prod, "daily").status is not JobStatus.STOPPED
    assert services.jobs.status(prod, "clicks").status is JobStatus.STOPPED
    ((entry, _),) = services.ledger.ledger(team.admin).entries
    assert entry.started_jobs() == ["daily"]


def test_startup_mode_0_leaves_new_jobs_stopped(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    _deploy(services, team, package, StartupMode.LEAVE)
    prod = _production(services, team)
    assert services.jobs.status(prod, "daily").status is JobStatus.STOPPED
    assert services.releases.show(team.developer, package).status is DeployStatus.SUCCESS


def test_connections_switch_to_their_production_side(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    _deploy(services, team, make_package(services, team))
    prod = _production(services, team)
    shown = services.environment.get(prod, "connection", "dws_conn")
    assert shown.config == {"host": "prod-db"}


def test_a_delete_is_released_as_a_deletion(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    job_id = str(services.jobs.show(team.developer, "daily").id)
    _deploy(services, team, make_package(services, team))
    services.jobs.stop(_production(services, team), "daily")
    services.jobs.delete(team.developer, "daily")
    gone = [i for i in _pending(services, team.developer) if i.kind == "job"]
    assert gone[0].update_type == UpdateType.DELETE
    assert gone[0].deployed_version == 1
    assert gone[0].object_id == job_id  # the job's number, as its submits named it
    _deploy(services, team, make_package(services, team, "delete", gone))
    with pytest.raises(Exception, match="does not exist"):
        services.jobs.show(_production(services, team), "daily")


def test_a_job_added_and_deleted_before_any_release_leaves_no_item(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "scratch")
    services.jobs.delete(team.developer, "scratch")
    assert [i.name for i in _pending(services, team.developer) if i.kind == "job"] == []

    # One a waiting package carries is still deleted by a release: its deploy would add it.
    submit_job(services, team.developer, "kept")
    waiting = make_package(services, team, "kept")
    services.jobs.delete(team.developer, "kept")
    gone = [i for i in _pending(services, team.developer) if i.kind == "job"]
    assert [(i.name, i.update_type) for i in gone] == [("kept", UpdateType.DELETE)]
    assert services.releases.show(team.admin, waiting).record.status == DeployStatus.PENDING


def test_a_deploy_after_production_changed_is_refused_until_planned_again(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    _deploy(services, team, make_package(services, team, "v1"))
    submit_job(services, team.developer, "daily", description="v2")
    second = make_package(services, team, "v2")
    submit_job(services, team.developer, "daily", description="v3")
    third = make_package(services, team, "v3")
    _deploy(services, team, third)

    with pytest.raises(BasisChangedError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((second,), StartupMode.START))
    assert {"kind": "job", "name": "daily"} in refused.value.context["changed"]
    assert _prod_job(services, team, "daily")["description"] == "v3"

    services.releases.replan(team.deployer, second)
    _deploy(services, team, second)
    assert _prod_job(services, team, "daily")["description"] == "v2"


def test_a_job_stopped_by_hand_between_the_deploy_and_its_task_fails_it_naming_it(
    services: Services, team: Team
) -> None:
    # The deploy refuses it up front (test_refusals.py); the task checks again as it runs.
    submit_job(services, team.developer, "daily")
    _deploy(services, team, make_package(services, team, "v1"))
    submit_job(services, team.developer, "daily", description="v2")
    package = make_package(services, team, "v2")
    (started,) = services.releases.deploy(
        team.deployer, DeployRequest((package,), StartupMode.START)
    )
    services.jobs.stop(_production(services, team), "daily")  # the definition is as planned
    run_release(services)

    assert services.releases.show(team.developer, package).status is DeployStatus.FAILED
    with services.db.transaction(readonly=True) as tx:
        task = task_repo.get_task(tx, _production(services, team).workspace.id, started.task_id)
    assert task is not None
    assert task.message.startswith(  # the job stopped meanwhile, named
        f"Production changed since release package '{package}' was planned: job 'daily'; "
        "nothing was deployed."
    )
    assert f"release-packages/{package}/plan) and deploy it." in task.message
    assert "/jobs/import/plan" not in task.message
    result = orjson.loads(task.result or "{}")
    assert (result["errorCode"], result["remedy"]) == ("DLF.9042", "replan_release")
    assert result["package_id"] == str(package)
    assert result["changed"] == [{"kind": "job", "name": "daily"}]
    assert _prod_job(services, team, "daily").get("description") != "v2"

    services.releases.replan(team.deployer, package)
    _deploy(services, team, package)
    assert _prod_job(services, team, "daily")["description"] == "v2"


def test_who_may_deploy(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    other = person(services, team.workspace_id, "dora2", Role.DEPLOYER)
    for scope in (team.developer, other):
        with pytest.raises(PermissionDeniedError):
            services.releases.deploy(scope, DeployRequest((package,), StartupMode.START))
    with pytest.raises(ReleasePackageNotFoundError):
        services.releases.deploy(team.deployer, DeployRequest((999,), StartupMode.START))


def test_cancel_puts_the_items_back_and_a_released_package_stays(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    items = _pending(services, team.developer)
    package = make_package(services, team, items=items)
    assert _pending(services, team.developer) == []
    services.releases.cancel(team.developer, (package,))
    back = _pending(services, team.developer)
    assert {i.name for i in back} == {i.name for i in items}
    assert services.releases.show(team.developer, package).record.delete_flag == 1
    with pytest.raises(PackageReleasedError):
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))

    released = make_package(services, team, "again", back)
    _deploy(services, team, released)
    with pytest.raises(PackageReleasedError) as refused:
        services.releases.cancel(team.deployer, (released,))
    assert refused.value.code == "DLF.20990"
    with pytest.raises(ReleasePackageNotFoundError) as unknown:
        services.releases.cancel(team.deployer, (12345,))
    assert unknown.value.code == "DLF.0810"


def test_the_package_list_filters_and_pages(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "a")
    first = make_package(services, team, "pkg_a")
    submit_job(services, team.developer, "b")
    make_package(services, team, "pkg_b")
    _deploy(services, team, first)
    total, found = services.releases.packages(team.deployer, PackageQuery())
    assert total == 2
    assert [v.record.name for v in found] == ["pkg_b", "pkg_a"]
    total, found = services.releases.packages(team.deployer, PackageQuery(statuses=(2,)))
    assert [v.record.name for v in found] == ["pkg_a"]
    total, found = services.releases.packages(team.deployer, PackageQuery(limit=1, page=1))
    assert total == 2
    assert [v.record.name for v in found] == ["pkg_a"]


def test_a_cancelled_package_is_not_listed_as_waiting_but_as_cancelled(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    cancelled = make_package(services, team, "pkg_cancelled")
    services.releases.cancel(team.developer, (cancelled,))
    submit_job(services, team.developer, "b")
    make_package(services, team, "pkg_waiting")

    def names(query: PackageQuery) -> list[str]:
        return [v.record.name for v in services.releases.packages(team.deployer, query)[1]]

    assert names(PackageQuery(statuses=(1,))) == ["pkg_waiting"]
    assert names(PackageQuery(statuses=(1, 2, 3, 5))) == ["pkg_waiting"]
    assert names(PackageQuery(cancelled=True)) == ["pkg_cancelled"]
    assert names(PackageQuery()) == ["pkg_waiting", "pkg_cancelled"]  # still listed, unfiltered
    assert services.releases.packages(team.deployer, PackageQuery(statuses=(1,)))[0] == 1


def test_production_changes_only_by_a_release(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    _deploy(services, team, make_package(services, team))
    prod = _production(services, team)
    with pytest.raises(ProductionSideError):
        services.jobs.create(prod, make_job("direct"))
    with pytest.raises(ProductionSideError):
        services.jobs.update(prod, "daily", make_job("daily"))
    services.jobs.stop(prod, "daily")  # the operator's scheduling switches stay
    assert services.jobs.status(prod, "daily").status is JobStatus.STOPPED
    listed = services.accounts.list_workspaces(team.admin.actor, team.admin.actor.project_id)
    assert prod.workspace.id not in {w.id for w in listed}


def test_a_deploy_refused_while_another_runs_leaves_its_package_waiting(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    first = make_package(services, team, "first")
    submit_job(services, team.developer, "b")
    second = make_package(services, team, "second")
    services.releases.deploy(team.deployer, DeployRequest((first,), StartupMode.START))
    assert services.releases.show(team.developer, first).status is DeployStatus.RELEASING
    with pytest.raises(ImportRunningError):
        services.releases.deploy(team.deployer, DeployRequest((second,), StartupMode.START))
    waiting = services.releases.show(team.developer, second)
    assert waiting.status is DeployStatus.PENDING
    assert waiting.record.deploy_user_name is None
    assert {i.deploy_status for i in waiting.items} == {int(DeployStatus.PENDING)}
    run_release(services)
    _deploy(services, team, second)
    assert services.releases.show(team.developer, second).status is DeployStatus.SUCCESS


def test_a_release_plans_with_the_production_sides_release_profile(
    services: Services, team: Team
) -> None:
    services.profiles.put(_production(services, team), "release", {"owner": "prod_ops"})
    submit_job(services, team.developer, "daily")
    _deploy(services, team, make_package(services, team))
    assert _prod_job(services, team, "daily")["basicConfig"]["owner"] == "prod_ops"
    assert services.jobs.show(team.developer, "daily").document["basicConfig"]["owner"] == "alice"


def test_a_job_renamed_in_development_is_renamed_in_production(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    _deploy(services, team, make_package(services, team))
    services.jobs.stop(_production(services, team), "daily")
    released_id = services.jobs.show(_production(services, team), "daily").id
    services.jobs.rename(team.developer, "daily", "nightly")
    renamed = make_job("daily")
    renamed["name"] = "nightly"
    services.jobs.update(team.developer, "nightly", renamed)
    changed = [i for i in _pending(services, team.developer) if i.kind == "job"]
    assert [(i.name, i.update_type) for i in changed] == [("nightly", UpdateType.CHANGE)]
    _deploy(services, team, make_package(services, team, "renamed", changed))
    prod = _production(services, team)
    assert services.jobs.show(prod, "nightly").id == released_id
    with pytest.raises(Exception, match="does not exist"):
        services.jobs.show(prod, "daily")


def test_a_job_renamed_before_its_release_is_released_under_its_new_name(
    services: Services, team: Team
) -> None:
    # Packaged by its old name, it was left out, and the release said it released it.
    submit_job(services, team.developer, "daily")
    services.jobs.rename(team.developer, "daily", "nightly")
    jobs = [i for i in _pending(services, team.developer) if i.kind == "job"]
    assert [(i.name, i.update_type) for i in jobs] == [("nightly", UpdateType.ADD)]
    _deploy(services, team, make_package(services, team))
    assert _prod_job(services, team, "nightly")["name"] == "nightly"
    with pytest.raises(Exception, match="does not exist"):
        services.jobs.show(_production(services, team), "daily")


def test_a_package_whose_content_expired_is_refused_saying_so(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    services.imports.sweep(now_ms() + 10 * 24 * 3600 * 1000)
    with pytest.raises(InvalidRequestError, match="frozen content expired"):
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    assert services.releases.show(team.developer, package).status is DeployStatus.PENDING
    services.releases.cancel(team.developer, (package,))
    assert len(_pending(services, team.developer)) == 3


def test_a_deploy_whose_process_died_before_queueing_reads_failed(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    with services.db.transaction() as tx:
        stale = {"status": int(DeployStatus.RELEASING), "deploy_timestamp": now_ms() - 120_000}
        assert release_repo.claim_package(tx, package, (1,), stale, None)
    assert services.releases.show(team.developer, package).status is DeployStatus.FAILED
    _deploy(services, team, package)
    assert services.releases.show(team.developer, package).status is DeployStatus.SUCCESS


def test_the_deployer_reads_development_and_a_viewer_only_reads_packages(
    services: Services, team: Team
) -> None:
    with pytest.raises(PermissionDeniedError):
        services.jobs.create(team.deployer, make_job("by_deployer"))
    submit_job(services, team.developer, "daily")
    assert services.jobs.show(team.deployer, "daily").name == "daily"
    package = make_package(services, team)
    viewer = person(services, team.workspace_id, "vera", Role.VIEWER)
    assert services.releases.show(viewer, package).status is DeployStatus.PENDING
    assert services.releases.packages(viewer, PackageQuery())[0] == 1
    with pytest.raises(PermissionDeniedError):
        services.releases.cancel(viewer, (package,))
    with pytest.raises(PermissionDeniedError):
        services.releases.deploy(viewer, DeployRequest((package,), StartupMode.START))
    with pytest.raises(PermissionDeniedError):
        make_package(services, Team(team.admin, viewer, team.deployer), items=[])


def test_the_production_side_named_for_packages_says_to_name_its_development_side(
    services: Services, team: Team
) -> None:
    production = _production(services, team)
    with pytest.raises(InvalidRequestError, match="is the production side") as refused:
        services.releases.pending(production, ItemFilter(), 10, 0)
    assert team.developer.workspace.id in str(refused.value)
    assert "simple mode" not in str(refused.value)


PAST = (2**31, 2**63, 10**23)
"""Ids past what a column holds: PostgreSQL's ``integer``, then any 64-bit integer."""


@pytest.mark.parametrize("package_id", PAST)
def test_an_id_past_what_the_database_stores_is_an_unknown_package(
    services: Services, team: Team, package_id: int
) -> None:
    unknown = f"Release package '{package_id}' does not exist in workspace 'sales'"
    for call in (
        lambda: services.releases.show(team.developer, package_id),
        lambda: services.releases.replan(team.deployer, package_id),
        lambda: services.releases.cancel(team.developer, (package_id,)),
        lambda: services.releases.deploy(
            team.deployer, DeployRequest((package_id,), StartupMode.START)
        ),
        lambda: services.release_approvals.approvals(team.deployer, package_id),
        lambda: services.release_rollback.rollback(team.deployer, package_id),
    ):
        with pytest.raises(ReleasePackageNotFoundError, match=unknown):
            call()
    with pytest.raises(RollbackRefusedError, match="has no release in the ledger"):
        services.restores.restore(team.deployer, package_id, dry_run=True)
    with pytest.raises(RollbackRefusedError, match=f"Entry {package_id} .* is not a release"):
        services.restores.restore_entry(team.deployer, package_id, dry_run=True)

    submit_job(services, team.developer, "daily")
    request = PackageRequest(
        str(team.developer.actor.user_id), "p", (str(package_id),), (str(package_id),)
    )
    with pytest.raises(InvalidRequestError) as refused:
        services.releases.create(team.developer, request, [])
    assert refused.value.context["problems"] == [
        f"pending item {package_id} does not exist in workspace 'sales'",
        f"approver '{package_id}' is not a user of this project",
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"offset": str(10**23)}, "offset"),
        ({"offset": "1000000001"}, "offset"),
        ({"start_time": str(2**63)}, "start_time"),
        ({"end_time": str(10**23)}, "end_time"),
    ],
)
def test_a_pending_query_past_what_the_database_stores_is_refused_naming_it(
    query: dict[str, str], parameter: str
) -> None:
    with pytest.raises(InvalidRequestError, match=f"^{parameter} .* is out of range") as refused:
        parse_pending_query(query)
    assert refused.value.context["parameter"] == parameter


def test_a_ledger_moment_past_the_year_9999_is_refused_naming_it(
    services: Services, team: Team
) -> None:
    assert parse_moment("253402300799999") == 253402300799999
    for text in ("253402300800000", str(2**63), str(10**23)):
        with pytest.raises(InvalidRequestError, match=f"^at {text} is out of range") as refused:
            parse_moment(text)
        assert refused.value.context["parameter"] == "at"
    last = services.ledger.ledger(team.deployer, parse_moment("253402300799999"))
    assert ledger_document(last)["at_iso"] == "9999-12-31T23:59:59.999+00:00"


def test_refusals_a_person_meets_state_the_problem_and_give_the_release_calls_as_a_remedy(
    services: Services, team: Team
) -> None:
    """The CLI and the console say these fixes with their commands and pages: the problem
    names no release call or field, the fix (for API clients) does, with its remedy."""
    with pytest.raises(ReleasePackageNotFoundError) as unknown:
        services.releases.show(team.developer, 999)
    assert unknown.value.problem == "Release package '999' does not exist in workspace 'sales'."
    assert unknown.value.remedy == "list_release_packages"
    assert "list_factory_release_packages" in unknown.value.message
    assert refusal_text(unknown.value.message, unknown.value.envelope()) == (
        "Release package '999' does not exist in workspace 'sales'. jobferry releases list "
        "lists the workspace's release packages."
    )

    submit_job(services, team.developer, "daily")
    items = tuple(str(i.id) for i in _pending(services, team.developer))
    named = PackageRequest(
        str(team.developer.actor.user_id), "x" * 300, items, (str(team.deployer.actor.user_id),)
    )
    with pytest.raises(InvalidRequestError) as long:
        services.releases.create(team.developer, named, [])
    assert long.value.context["problems"] == [
        "the package's name has 300 characters; a name has at most 256"
    ]
    assert long.value.remedy == "mend_package_request"
    said = refusal_text(long.value.message, long.value.envelope())
    assert "jobferry releases create NAME" in said
    assert "package_name" not in said
    assert "package_name" in long.value.message  # the API's fix names its field
    assert services.releases.packages(team.admin, PackageQuery())[0] == 0


def test_a_package_cancelled_meanwhile_is_refused_saying_who_cancelled_it_and_when(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    before = now_ms()
    services.releases.cancel(team.developer, (package,))
    with pytest.raises(PackageReleasedError) as deployed:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    said = deployed.value.message
    assert deployed.value.code == "DLF.20990"
    assert said.startswith(f"Release package '{package}' (p1) was cancelled by sales_dev on ")
    assert "nothing was deployed" in said
    assert "has been released" not in said
    when = said.split(" on ", 1)[1][:20]
    assert when >= utc_minute(before)[:16]  # the minute it was cancelled, in UTC
    with pytest.raises(PackageReleasedError, match=r"was cancelled by sales_dev .*nothing was "):
        services.releases.replan(team.deployer, package)
    with pytest.raises(PackageReleasedError, match="nothing was cancelled"):
        services.releases.cancel(team.deployer, (package,))
    assert services.releases.show(team.developer, package).record.deploy_user_name is None

    released = make_package(services, team, "again", _pending(services, team.developer))
    _deploy(services, team, released)
    with pytest.raises(PackageReleasedError) as again:
        services.releases.deploy(team.deployer, DeployRequest((released,), StartupMode.START))
    assert f"has been released: package '{released}' (again)" in again.value.message
    assert "was released by sales_deployer on " in again.value.message


def test_a_failed_deploy_stays_a_failed_attempt_with_its_task_once_planned_again(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    with services.db.transaction() as tx:  # its kept plan expired: its import fails
        plan_repo.delete_plan(tx, services.releases.show(team.admin, package).record.plan_id)
    (started,) = services.releases.deploy(
        team.deployer, DeployRequest((package,), StartupMode.START)
    )
    run_release(services)

    failed = services.releases.show(team.developer, package)
    assert failed.status is DeployStatus.FAILED
    assert failed.failed_deploy
    assert (failed.record.deploy_user_name, failed.record.task_id) == (
        "sales_deployer",
        started.task_id,
    )
    services.releases.replan(team.deployer, package)
    again = services.releases.show(team.developer, package)
    assert again.status is DeployStatus.PENDING
    assert again.failed_deploy  # not deployed: its last deploy failed, and says which task
    assert again.record.task_id == started.task_id

    _deploy(services, team, package)
    released = services.releases.show(team.developer, package)
    assert released.status is DeployStatus.SUCCESS
    assert not released.failed_deploy
    assert released.record.task_id != started.task_id
    submit_job(services, team.developer, "weekly")
    waiting = services.releases.show(team.developer, make_package(services, team, "weekly"))
    assert not waiting.failed_deploy  # never deployed


def test_a_deploy_and_a_cancel_at_once_the_second_reads_the_first_and_says_so(
    services: Services, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    read, checked = threading.Event(), service_module.refuse_changed

    def slow_check(*args: Any) -> None:
        # The deploy has read the package waiting; the cancel comes now.
        read.set()
        time.sleep(0.3)
        checked(*args)

    monkeypatch.setattr(service_module, "refuse_changed", slow_check)
    said: dict[str, str] = {}

    def deploy() -> None:
        try:
            services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
            said["deploy"] = "done"
        except PackageReleasedError as exc:
            said["deploy"] = exc.message

    def cancel() -> None:
        read.wait(10)
        try:
            services.releases.cancel(team.developer, (package,))
            said["cancel"] = "done"
        except PackageReleasedError as exc:
            said["cancel"] = exc.message

    threads = [threading.Thread(target=deploy), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    run_release(services)

    assert said["deploy"] == "done", said  # not "deployed by someone else meanwhile"
    assert said["cancel"].startswith(f"Release package '{package}' (p1) is being released")
    assert "deployed by sales_deployer" in said["cancel"]
    assert "nothing was cancelled" in said["cancel"]
    assert services.releases.show(team.developer, package).record.delete_flag == 0
