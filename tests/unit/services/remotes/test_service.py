"""The remotes of a project (``services/remotes/service.py``) against the DataArts stand-in:
added with a shadow named as the remote, a probe that says plainly whether the remote is
reachable, accepts the credentials and has the workspace, removed while no route names its
shadow."""

from __future__ import annotations

from dataclasses import replace

import httpx2
import pytest

from jobferry.domain.enums import RemoteReach
from jobferry.errors import (
    ConflictError,
    InUseError,
    NameTakenError,
    PermissionDeniedError,
    RemoteNotFoundError,
)
from jobferry.services.container import Services
from jobferry.services.remotes.records import RemoteChange
from jobferry.storage import remotes as repo
from support.audits import entries_since, last_entry
from support.builders import make_job
from support.console import admin_actor, admin_scope
from support.standin import AK, FACTORY, DataArtsStandin, Fault


@pytest.fixture
def standin(services: Services) -> DataArtsStandin:
    standin = DataArtsStandin()
    services.remotes.transport = standin.transport()
    return standin


def test_a_remote_is_added_with_its_shadow_and_its_secret_kept_encrypted(
    services: Services, standin: DataArtsStandin
) -> None:
    actor = admin_actor(services)
    remote = services.remotes.add(actor, standin.spec())
    shadow = admin_scope(services, remote.workspace_id).workspace
    assert (shadow.name, shadow.shadow_of) == ("prod", "prod")
    with services.db.transaction(readonly=True) as tx:
        item = repo.get_remote(tx, actor.project_id, "prod")
    assert item is not None
    assert standin.keys[AK] not in item.secret_encrypted
    assert [r.name for r in services.remotes.list_all(actor)] == ["prod"]
    assert standin.seen == []  # adding calls nothing


def test_a_remote_name_is_taken_once_and_never_by_a_workspace(
    services: Services, standin: DataArtsStandin
) -> None:
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec())
    with pytest.raises(NameTakenError, match="already exists"):
        services.remotes.add(actor, standin.spec())
    services.accounts.create_workspace(actor, actor.project_id, "staging")
    with pytest.raises(NameTakenError, match="shadow workspace takes the remote's name"):
        services.remotes.add(actor, standin.spec("staging"))


def test_only_a_project_admin_adds_a_remote(services: Services, standin: DataArtsStandin) -> None:
    developer = replace(admin_actor(services), name="dev", is_project_admin=False)
    with pytest.raises(PermissionDeniedError, match="not a project admin"):
        services.remotes.add(developer, standin.spec())
    assert services.remotes.list_all(admin_actor(services)) == []


@pytest.mark.parametrize(
    ("spoil", "reach", "code"),
    [
        ({}, RemoteReach.REACHABLE, None),
        ({"secret_key": "wrong"}, RemoteReach.AUTH_REFUSED, "APIGW.0301"),
        ({"workspace": "no-such-workspace"}, RemoteReach.NOT_FOUND, "DLF.0819"),
        ({"endpoint": f"{FACTORY}/elsewhere"}, RemoteReach.NOT_FOUND, "APIGW.0101"),
    ],
)
def test_a_probe_says_what_is_wrong_and_what_to_check(
    services: Services,
    standin: DataArtsStandin,
    spoil: dict[str, str],
    reach: RemoteReach,
    code: str | None,
) -> None:
    standin.workspace.put_job(make_job("daily_sales"))
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec(**spoil))
    check = services.remotes.test(actor, "prod")
    assert check.reach is reach, check.message
    assert check.remote_error_code == code
    if reach is RemoteReach.REACHABLE:
        assert "holds 1 job(s)" in check.message


def test_a_probe_counts_real_time_jobs_too(services: Services, standin: DataArtsStandin) -> None:
    standin.workspace.put_job(make_job("daily_sales"))
    standin.workspace.put_job(make_job("clicks_stream", processType="REAL_TIME"))
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec())
    assert "holds 2 job(s)" in services.remotes.test(actor, "prod").message


def test_two_workspaces_of_one_project_are_two_remotes_kept_apart(
    services: Services, standin: DataArtsStandin
) -> None:
    standin.workspace.put_job(make_job("daily_sales"))
    staging = standin.add_workspace("5c" * 16)
    staging.put_job(make_job("weekly_sales"))
    staging.put_job(make_job("hourly_sales"))
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec())
    services.remotes.add(actor, standin.spec("staging", workspace="5c" * 16))
    assert "holds 1 job(s)" in services.remotes.test(actor, "prod").message
    assert "holds 2 job(s)" in services.remotes.test(actor, "staging").message
    services.remotes.add(actor, standin.spec("nowhere", workspace="no-such-workspace"))
    assert services.remotes.test(actor, "nowhere").remote_error_code == "DLF.0819"


def test_a_probe_of_a_remote_that_never_answers_says_unreachable(
    services: Services, standin: DataArtsStandin
) -> None:
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec())
    standin.call_faults.update({1: Fault.DROP, 2: Fault.DROP})
    check = services.remotes.test(actor, "prod")
    assert check.reach is RemoteReach.UNREACHABLE
    assert check.message.count("check the remote's endpoint") == 1, check.message  # said once
    assert "check its endpoint" not in check.message


def test_a_remote_is_not_removed_while_a_route_names_its_shadow(
    services: Services, standin: DataArtsStandin
) -> None:
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec())
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    services.routes.put(admin_scope(services), "to-prod", route)
    with pytest.raises(InUseError, match="to-prod") as refused:
        services.remotes.remove(actor, "prod")
    assert refused.value.context["routes"] == ["to-prod"]
    assert services.remotes.get(actor, "prod").name == "prod"


def test_a_removed_remote_leaves_its_shadow_as_a_workspace(
    services: Services, standin: DataArtsStandin
) -> None:
    actor = admin_actor(services)
    remote = services.remotes.add(actor, standin.spec())
    services.remotes.remove(actor, "prod")
    with pytest.raises(RemoteNotFoundError):
        services.remotes.get(actor, "prod")
    assert admin_scope(services, remote.workspace_id).workspace.name == "prod"


def test_a_second_remote_of_the_same_dataarts_workspace_is_refused_naming_the_first(
    services: Services, standin: DataArtsStandin
) -> None:
    # one push at a time is kept per remote: two remotes of one workspace would not wait
    actor = admin_actor(services)
    services.remotes.add(actor, standin.spec())
    with pytest.raises(ConflictError, match="Remote 'prod' already reaches workspace") as refused:
        services.remotes.add(actor, standin.spec("prod2", endpoint=FACTORY + "/"))
    assert "Use remote 'prod'" in refused.value.message
    assert [r.name for r in services.remotes.list_all(actor)] == ["prod"]
    assert "prod2" not in {
        w.name for w in services.accounts.list_workspaces(actor, actor.project_id)
    }

    services.remotes.add(actor, standin.spec("aside", endpoint=FACTORY + "/gateway"))
    with pytest.raises(ConflictError, match="Remote 'prod' already reaches"):
        services.remotes.change(actor, "aside", RemoteChange(endpoint=FACTORY))
    assert services.remotes.get(actor, "aside").endpoint == FACTORY + "/gateway"


def test_a_refresh_of_a_remote_removed_while_it_read_writes_nothing(
    services: Services, standin: DataArtsStandin
) -> None:
    # removed, the shadow is an ordinary workspace "holding the last refresh's copy": a
    # refresh that was reading must not write into it, nor record a refresh of no remote
    standin.workspace.put_job(make_job("daily_sales"))
    actor = admin_actor(services)
    remote = services.remotes.add(actor, standin.spec())
    before = last_entry(services)
    removed: list[str] = []

    def removing(request: httpx2.Request) -> httpx2.Response:
        if not removed:
            removed.append(request.url.path)
            services.remotes.remove(actor, "prod")
        return standin.handle(request)

    services.remotes.transport = httpx2.MockTransport(removing)
    with pytest.raises(RemoteNotFoundError, match="'prod'"):
        services.remotes.refresh(actor, "prod")
    shadow = admin_scope(services, remote.workspace_id)
    _, jobs = services.jobs.list_jobs(
        shadow, job_type="BATCH", job_name=None, tags=None, limit=100, offset=0
    )
    assert jobs == []
    assert [action for _, action, _, _ in entries_since(services, before)] == ["remote.remove"]
