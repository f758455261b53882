"""The wizard's check step (#37): a mapping field offers the target's objects of the missing
kind (sorted, the first ones of a large workspace with a note), and the mappings made are
saved into the profile of a route into the target, into a route carrying its profile, or into
a profile of the target, so that the next import or promotion needs no mapping."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest

from jobferry.console import checking
from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support import wizard
from support.console import Browser, admin_scope, assert_page, make_user, seed

ROUTE = "test_to_prod"


def _check(
    browser: Browser,
    services: Services,
    *connections: str,
    setup: Callable[[Scope], object] = lambda prod: None,
) -> tuple[Scope, Any]:
    """The seeded job's package at the check step of a new workspace 'prod' holding
    ``connections`` (the package's dws_conn missing), ``setup`` done in prod first: prod and
    the check page."""
    seed(services, admin_scope(services))
    data = wizard.export_package(services, admin_scope(services))
    prod = wizard.prod_workspace(services, *connections)
    setup(prod)
    ws = prod.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    return prod, wizard.step(browser, ws, "check", wizard.fields(options.text, ws))


def _mapped(
    browser: Browser, services: Services, setup: Callable[[Scope], object] = lambda prod: None
) -> tuple[Scope, Any]:
    """As ``_check``, prod having ssh_conn and dws_prod, with dws_conn mapped to dws_prod."""
    prod, check = _check(browser, services, "ssh_conn", "dws_prod", setup=setup)
    row = wizard.mapping_row(check.text, "dws_conn")
    mapped = wizard.map_reference(browser, prod.workspace.id, check.text, row, "dws_prod")
    assert_page(mapped, 200, "No problems")
    return prod, mapped


def _keep(browser: Browser, prod: Scope, page: str, into: str, **extra: str) -> Any:
    """Press a "Save these mappings into…" button of the check page ``page``."""
    fields = [*wizard.fields(page, prod.workspace.id), ("into", into), *extra.items()]
    return browser.post(f"/console/w/{prod.workspace.id}/import/keep", fields)


def _route(services: Services, profile: object) -> None:
    services.routes.put(
        admin_scope(services),
        ROUTE,
        {"source": {"workspace": "default"}, "target": {"workspace": "prod"}, "profile": profile},
    )


def _datalist(page: str, kind: str) -> list[str]:
    found = re.search(rf'<datalist id="candidates-{kind}">(.*?)</datalist>', page, re.S)
    assert found, f"no picker for {kind}"
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)">', found.group(1))]


def _next_check(browser: Browser, services: Services, prod: Scope, profile: str) -> Any:
    """A new wizard run of the same package into prod with ``profile`` and no mapping."""
    data = wizard.export_package(services, admin_scope(services))
    ws = prod.workspace.id
    state = wizard.fields(browser.get(wizard.upload(browser, ws, data)).text, ws)
    return wizard.step(browser, ws, "check", wizard.choose(state, profile=profile))


def test_the_picker_lists_the_targets_connection_names_sorted(
    browser: Browser, services: Services
) -> None:
    _, check = _check(browser, services, "ssh_conn", "zeta_dws", "Alpha_dws", "mid_dws")

    assert _datalist(check.text, "connection") == ["Alpha_dws", "mid_dws", "ssh_conn", "zeta_dws"]
    assert "candidates-dli_queue" not in check.text  # only the kinds a problem misses
    assert "data-picker-note" not in check.text


def test_a_large_workspaces_picker_offers_its_first_names_and_says_so(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checking, "PICKED", 2)
    _, check = _check(browser, services, "ssh_conn", "c_dws", "b_dws", "a_dws")

    assert _datalist(check.text, "connection") == ["a_dws", "b_dws"]
    assert "The list offers the first 2 of the 4 connection names of prod, by name" in check.text


def test_a_refused_mapping_keeps_what_was_typed_and_the_picker(
    browser: Browser, services: Services
) -> None:
    prod, check = _check(browser, services, "ssh_conn", "dws_prod")
    row = wizard.mapping_row(check.text, "dws_conn")

    refused = wizard.map_reference(browser, prod.workspace.id, check.text, row, "dws_typo")

    assert_page(refused, 400, "There is no connection &#39;dws_typo&#39;")
    assert f'name="replace_{row}" value="dws_typo"' in refused.text
    assert _datalist(refused.text, "connection") == ["dws_prod", "ssh_conn"]


def test_mappings_saved_into_a_routes_profile_make_the_next_promotion_need_none(
    browser: Browser, services: Services
) -> None:
    def route_with_profile(prod: Scope) -> None:
        services.profiles.put(prod, "to_prod", {"description": "into prod"})
        _route(services, "to_prod")

    prod, mapped = _mapped(browser, services, route_with_profile)
    assert "Save these mappings into profile to_prod (route test_to_prod)" in mapped.text

    saved = _keep(browser, prod, mapped.text, "profile:to_prod")

    assert_page(saved, 200, "Saved 1 mapping(s) into profile to_prod (version 2)")
    profile = services.profiles.get(prod, "to_prod")
    assert (profile.version, profile.document) == (
        2,
        {"description": "into prod", "renames": {"connection": {"dws_conn": "dws_prod"}}},
    )
    assert "No problems" in _next_check(browser, services, prod, "to_prod").text
    package = services.promotions.package(admin_scope(services), ROUTE)
    assert package.promotion is not None
    body = {"path": package.promotion.package_path, **package.import_options}
    plan = services.imports.plan(prod, parse_import_request(body))
    assert isinstance(plan, Plan)
    assert plan.problems == ()


def test_mappings_saved_into_a_route_carrying_its_profile_give_the_route_a_version(
    browser: Browser, services: Services
) -> None:
    inline = {"description": "inline", "renames": {"dli_queue": {"q_test": "q_prod"}}}
    prod, mapped = _mapped(browser, services, lambda prod: _route(services, inline))
    assert "Save these mappings into route test_to_prod" in mapped.text

    saved = _keep(browser, prod, mapped.text, f"route:{ROUTE}")

    assert_page(saved, 200, "Saved 1 mapping(s) into route test_to_prod (version 2)")
    route = services.routes.get(admin_scope(services), ROUTE)
    assert route.version == 2
    assert route.route.profile == {
        "description": "inline",
        "renames": {"dli_queue": {"q_test": "q_prod"}, "connection": {"dws_conn": "dws_prod"}},
    }


def test_a_mapping_the_profile_maps_otherwise_is_refused_naming_it_and_nothing_is_saved(
    browser: Browser, services: Services
) -> None:
    def clashing_route(prod: Scope) -> None:
        services.profiles.put(prod, "to_prod", {"renames": {"connection": {"dws_conn": "old"}}})
        _route(services, "to_prod")

    prod, mapped = _mapped(browser, services, clashing_route)

    refused = _keep(browser, prod, mapped.text, "profile:to_prod")

    assert_page(
        refused,
        400,
        "Profile &#39;to_prod&#39; already maps connection &#39;dws_conn&#39; to &#39;old&#39; "
        "(not &#39;dws_prod&#39;); nothing was saved.",
    )
    assert 'name="map_replace" value="dws_prod"' in refused.text  # the mapping is kept
    assert services.profiles.get(prod, "to_prod").version == 1


def test_with_no_route_the_mappings_are_saved_into_a_profile_of_the_target(
    browser: Browser, services: Services
) -> None:
    prod, mapped = _mapped(browser, services)
    assert 'value="profile:"' in mapped.text  # a profile to name, no route to offer

    unnamed = _keep(browser, prod, mapped.text, "profile:")
    assert_page(unnamed, 400, "Name the environment profile to save the mappings into.")
    saved = _keep(browser, prod, mapped.text, "profile:", profile_name="prod_env")

    assert_page(saved, 200, "Saved 1 mapping(s) into profile prod_env (version 1)")
    document = services.profiles.get(prod, "prod_env").document
    assert document == {"renames": {"connection": {"dws_conn": "dws_prod"}}}
    assert "No problems" in _next_check(browser, services, prod, "prod_env").text


def test_developers_are_not_offered_to_save_and_a_forced_save_changes_nothing(
    anonymous: Browser, services: Services
) -> None:
    admin = admin_scope(services)
    seed(services, admin)
    data = wizard.export_package(services, admin)
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_prod")
    make_user(services, "dev", Role.DEVELOPER, prod.workspace.id)
    assert anonymous.sign_in("dev").status_code == 303
    ws = prod.workspace.id
    options = anonymous.get(wizard.upload(anonymous, ws, data))
    check = wizard.step(anonymous, ws, "check", wizard.fields(options.text, ws))
    row = wizard.mapping_row(check.text, "dws_conn")
    mapped = wizard.map_reference(anonymous, ws, check.text, row, "dws_prod")

    assert "data-keep" not in mapped.text
    forced = _keep(anonymous, prod, mapped.text, "profile:", profile_name="prod_env")
    assert_page(forced, 403, "may not change environment profiles")
    assert services.profiles.list_all(prod) == []
