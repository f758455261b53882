"""Renames saved into a profile or a route's own profile (the console's "Save these mappings
into…"): a new version holding them, none when it held them already, refused whole naming
every name it maps otherwise; the routes into a workspace."""

from __future__ import annotations

import pytest

from jobferry.errors import InvalidRequestError, MappingConflictError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_scope

MAPPED = {"connection": {"dws_conn": "dws_prod"}}


@pytest.fixture
def prod(services: Services) -> Scope:
    admin = admin_scope(services)
    return admin_scope(
        services, services.accounts.create_workspace(admin.actor, admin.actor.project_id, "prod")
    )


def _route(services: Services, name: str, profile: object, target: str = "prod") -> None:
    document = {"source": {"workspace": "default"}, "target": {"workspace": target}}
    services.routes.put(admin_scope(services), name, {**document, "profile": profile})


def test_renames_go_into_a_new_version_of_the_profile_once(services: Services, prod: Scope) -> None:
    first = services.profiles.add_renames(prod, "to_prod", MAPPED)
    again = services.profiles.add_renames(prod, "to_prod", MAPPED)

    assert (first.version, first.added) == (1, 1)
    assert (again.version, again.added) == (1, 0)  # held already: no version written
    assert services.profiles.get(prod, "to_prod").document == {"renames": MAPPED}


def test_renames_a_profile_maps_otherwise_are_refused_whole_naming_each(
    services: Services, prod: Scope
) -> None:
    services.profiles.put(prod, "to_prod", {"renames": {"connection": {"dws_conn": "old"}}})

    with pytest.raises(MappingConflictError) as refused:
        services.profiles.add_renames(
            prod, "to_prod", {"connection": {"dws_conn": "dws_prod", "other": "x"}}
        )

    assert refused.value.context["conflicts"] == [
        {"kind": "connection", "name": "dws_conn", "held": "old", "asked": "dws_prod"}
    ]
    assert "Profile 'to_prod' already maps connection 'dws_conn' to 'old'" in str(refused.value)
    assert services.profiles.get(prod, "to_prod").version == 1


def test_a_route_carrying_its_profile_gains_a_version_and_one_naming_a_profile_refuses(
    services: Services, prod: Scope
) -> None:
    _route(services, "inline", None)
    services.profiles.put(prod, "to_prod", {"params": {"env": "prod"}})
    _route(services, "named", "to_prod")
    admin = admin_scope(services)

    saved = services.routes.add_renames(admin, "inline", MAPPED)

    assert (saved.version, saved.added) == (2, 1)
    assert services.routes.get(admin, "inline").route.profile == {"renames": MAPPED}
    with pytest.raises(InvalidRequestError, match="save the mappings into that profile"):
        services.routes.add_renames(admin, "named", MAPPED)
    assert services.routes.get(admin, "named").version == 1


def test_the_routes_into_a_workspace_are_those_whose_target_it_is(
    services: Services, prod: Scope
) -> None:
    _route(services, "by_name", None)
    _route(services, "by_id", None, target=prod.workspace.id)
    services.routes.put(
        admin_scope(services),
        "outbound",
        {"source": {"workspace": "prod"}, "target": {"workspace": "default"}},
    )

    assert [r.route.name for r in services.routes.into(prod)] == ["by_id", "by_name"]
