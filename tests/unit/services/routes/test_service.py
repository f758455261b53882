"""The routes of a project (``services/routes/service.py``): saved as versions, read, listed,
found by target, removed; both ends checked when saved; only project admins change them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.domain.saving import CREATE, EXISTING, Expected
from jobferry.errors import (
    JobferryError,
    PermissionDeniedError,
    RouteNotFoundError,
    VersionMovedError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_scope

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}


@pytest.fixture
def prod(services: Services) -> Scope:
    """The admin in a new workspace, prod."""
    actor = admin_scope(services).actor
    return admin_scope(
        services, services.accounts.create_workspace(actor, actor.project_id, "prod")
    )


@pytest.fixture
def admin(services: Services, prod: Scope) -> Scope:
    """The admin in the default workspace (prod made)."""
    return admin_scope(services)


def test_each_save_is_a_new_version_and_the_newest_is_read(
    services: Services, admin: Scope
) -> None:
    first = services.routes.put(admin, "to_prod", ROUTE)
    second = services.routes.put(admin, "to_prod", {**ROUTE, "description": "nightly"})
    assert (first.version, second.version) == (1, 2)
    assert services.routes.get(admin, "to_prod").route.description == "nightly"
    assert services.routes.get(admin, "to_prod", 1).route.description == ""
    assert [v.version for v in services.routes.versions(admin, "to_prod")] == [2, 1]


def test_a_save_on_a_condition_is_refused_when_the_newest_is_not_the_one_expected(
    services: Services, admin: Scope
) -> None:
    assert services.routes.put(admin, "to_prod", ROUTE, CREATE).version == 1
    with pytest.raises(VersionMovedError, match=r"exists \(version 1, saved by admin") as made:
        services.routes.put(admin, "to_prod", ROUTE, CREATE)
    assert made.value.status == 412
    assert services.routes.put(admin, "to_prod", ROUTE, Expected(1)).version == 2
    with pytest.raises(VersionMovedError, match=r"is at version 2.*not version 1") as stale:
        services.routes.put(admin, "to_prod", {**ROUTE, "description": "x"}, Expected(1))
    assert stale.value.context == {"version": 2, "expected_version": 1}
    with pytest.raises(VersionMovedError, match="does not exist, and this save was to change"):
        services.routes.put(admin, "other", ROUTE, EXISTING)
    services.routes.delete(admin, "to_prod")
    for never_or_removed in ("to_prod", "never_saved"):  # the two cannot be told apart
        with pytest.raises(VersionMovedError) as gone:
            services.routes.put(admin, never_or_removed, ROUTE, Expected(2))
        assert (
            f"Route '{never_or_removed}' does not exist, so there is no version 2 to change: it "
            "was removed since it was read, or never existed under this name."
        ) in str(gone.value)
    assert services.routes.list_all(admin) == []  # nothing saved by a refused save


def test_renames_added_to_a_route_are_saved_on_the_version_they_were_read_at(
    services: Services, admin: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {**ROUTE, "profile": {"renames": {"connection": {"a": "b"}}}}
    services.routes.put(admin, "to_prod", document)
    read = services.routes.get

    def read_then_another_saves(scope: Scope, name: str, version: int | None = None) -> object:
        found = read(scope, name, version)
        monkeypatch.setattr(services.routes, "get", read)
        services.routes.put(admin, name, {**document, "description": "theirs"})
        return found

    monkeypatch.setattr(services.routes, "get", read_then_another_saves)
    with pytest.raises(VersionMovedError, match="is at version 2"):
        services.routes.add_renames(admin, "to_prod", {"connection": {"c": "d"}})
    assert services.routes.get(admin, "to_prod").route.description == "theirs"


def test_routes_into_a_workspace_are_those_that_target_it(
    services: Services, admin: Scope, prod: Scope
) -> None:
    services.routes.put(admin, "to_prod", ROUTE)
    services.routes.put(
        admin, "out", {"source": {"workspace": "default"}, "target": {"carried": True}}
    )
    assert [r.route.name for r in services.routes.into(prod)] == ["to_prod"]
    assert services.routes.into(admin) == []
    assert [r.route.name for r in services.routes.list_all(admin)] == ["out", "to_prod"]


def test_a_route_to_a_workspace_that_does_not_exist_is_refused(
    services: Services, admin: Scope
) -> None:
    with pytest.raises(JobferryError, match="nowhere"):
        services.routes.put(admin, "lost", {**ROUTE, "target": {"workspace": "nowhere"}})
    assert services.routes.list_all(admin) == []


def test_only_project_admins_change_routes(services: Services, admin: Scope) -> None:
    services.routes.put(admin, "to_prod", ROUTE)
    member = replace(admin, actor=replace(admin.actor, is_project_admin=False))
    with pytest.raises(PermissionDeniedError):
        services.routes.put(member, "to_prod", ROUTE)
    with pytest.raises(PermissionDeniedError):
        services.routes.delete(member, "to_prod")
    assert services.routes.get(member, "to_prod").version == 1


def test_a_removed_route_is_gone_with_its_versions(services: Services, admin: Scope) -> None:
    services.routes.put(admin, "to_prod", ROUTE)
    services.routes.delete(admin, "to_prod")
    with pytest.raises(RouteNotFoundError, match="no route 'to_prod'"):
        services.routes.get(admin, "to_prod")
    with pytest.raises(RouteNotFoundError):
        services.routes.versions(admin, "to_prod")
    with pytest.raises(RouteNotFoundError):
        services.routes.delete(admin, "to_prod")


def test_a_mistyped_route_name_is_answered_with_the_nearest(
    services: Services, admin: Scope
) -> None:
    services.routes.put(admin, "test-prod", ROUTE)
    with pytest.raises(RouteNotFoundError, match="Did you mean 'test-prod'") as typo:
        services.routes.get(admin, "test-prd")
    assert typo.value.context["route"] == "test-prd"
    with pytest.raises(RouteNotFoundError, match="Did you mean"):
        services.routes.versions(admin, "tset-prod")
    with pytest.raises(RouteNotFoundError) as far:
        services.routes.get(admin, "nightly")
    assert "Did you mean" not in str(far.value)  # nothing close: no guess


def test_a_route_change_is_in_the_audit_log_of_each_end_here(
    services: Services, admin: Scope, prod: Scope
) -> None:
    # Saved from the default workspace (the CLI's context): prod's admins see it too.
    services.routes.put(admin, "to_prod", ROUTE)
    services.routes.delete(admin, "to_prod")
    for scope in (admin, prod):
        found = services.audit.list_entries(scope, 10, 0, AuditQuery(object_kind="route"))
        assert [(e.action, e.object_name) for e in found.entries] == [
            ("route.delete", "to_prod"),
            ("route.put", "to_prod"),
        ]
    carried = {**ROUTE, "target": {"carried": True}}
    services.routes.put(admin, "carried_out", carried)  # an end elsewhere: no line for it
    lines = services.audit.list_entries(prod, 10, 0, AuditQuery(object_name="carried_out"))
    assert lines.total == 0
