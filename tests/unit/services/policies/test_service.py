"""Policies kept per workspace or route (SQLite and PostgreSQL): each save a new version, old
versions readable, a bad document refused whole, changed by admins only."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import Role
from jobferry.domain.policies import HolderKind
from jobferry.errors import (
    InvalidRequestError,
    PermissionDeniedError,
    PolicyNotFoundError,
    RouteNotFoundError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.clients import SignedClient
from support.console import admin_scope
from support.planning import workspace
from support.releases import person


@pytest.fixture
def prod(services: Services) -> Scope:
    return workspace(services, "prod")


def _nightly(api: SignedClient) -> None:
    """The route nightly, from the default workspace to prod (saved through the API)."""
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    assert api.call("PUT", "/routes/nightly", route).status_code == 200


def test_each_save_is_a_new_version_and_old_ones_stay_readable(
    services: Services, prod: Scope
) -> None:
    first = services.policies.put(prod, None, b"maxDeletions: 5\ndescription: careful\n")
    second = services.policies.put(prod, None, {"maxDeletions": 2, "owners": ["ops"]})
    assert (first.version, second.version) == (1, 2)
    assert (second.holder_kind, second.holder) == (HolderKind.WORKSPACE, "prod")
    assert services.policies.get(prod, None).document == {"maxDeletions": 2, "owners": ["ops"]}
    old = services.policies.get(prod, None, 1)
    assert old.document == {"maxDeletions": 5, "description": "careful"}
    assert old.description == "careful"
    assert [v.version for v in services.policies.versions(prod, None)] == [2, 1]


def test_a_bad_policy_is_refused_whole_and_nothing_is_saved(
    services: Services, prod: Scope
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        services.policies.put(prod, None, {"maxDeletions": "many", "naming": {"jobs": "(x"}})
    problems = refused.value.context["problems"]
    assert len(problems) == 2
    with pytest.raises(PolicyNotFoundError) as missing:
        services.policies.get(prod, None)
    assert missing.value.code == "DLF.9086"
    assert missing.value.context["holder"] == "prod"


def test_yaml_that_does_not_parse_is_refused(services: Services, prod: Scope) -> None:
    with pytest.raises(InvalidRequestError, match="not valid JSON or YAML"):
        services.policies.put(prod, None, b"maxDeletions: [1\n")


def test_only_a_workspace_admin_changes_its_policy(services: Services, prod: Scope) -> None:
    developer = person(services, prod.workspace.id, "dev1", Role.DEVELOPER)
    with pytest.raises(PermissionDeniedError):
        services.policies.put(developer, None, {"maxDeletions": 1})
    services.policies.put(prod, None, {"maxDeletions": 1})
    assert services.policies.get(developer, None).version == 1  # members read it


def test_a_routes_policy_belongs_to_a_route_that_exists(
    api: SignedClient, services: Services, prod: Scope
) -> None:
    admin = admin_scope(services)
    with pytest.raises(RouteNotFoundError):
        services.policies.put(admin, "nowhere", {"maxDeletions": 1})
    _nightly(api)
    saved = services.policies.put(admin, "nightly", {"freeze": []})
    assert (saved.holder_kind, saved.holder, saved.version) == (HolderKind.ROUTE, "nightly", 1)


def test_a_routes_policy_goes_with_the_route(
    api: SignedClient, services: Services, prod: Scope
) -> None:
    admin = admin_scope(services)
    _nightly(api)
    services.policies.put(admin, "nightly", {"maxDeletions": 0})
    services.routes.delete(admin, "nightly")
    _nightly(api)
    with pytest.raises(PolicyNotFoundError):
        services.policies.get(admin, "nightly")  # a route made again starts without one


def test_list_names_the_workspaces_policy_then_each_routes(
    api: SignedClient, services: Services, prod: Scope
) -> None:
    admin = admin_scope(services)
    _nightly(api)
    services.policies.put(admin, "nightly", {"maxDeletions": 0})
    services.policies.put(admin, None, {"description": "default's"})
    services.policies.put(prod, None, {"description": "prod's"})
    services.policies.put(prod, None, {"description": "prod's again"})
    listed = services.policies.list_all(prod)
    assert [(p.holder_kind, p.holder, p.version, p.description) for p in listed] == [
        (HolderKind.WORKSPACE, "prod", 2, "prod's again"),
        (HolderKind.ROUTE, "nightly", 1, ""),
    ]
    assert all(p.document is None for p in listed)
