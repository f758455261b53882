"""What a promotion's import changed of its route's settings (``services/routes/overrides.py``):
every setting the run took otherwise, in the route's order, with both values and who ran it;
nothing when the run took the route as it is. The objects written over drift are read from
the plan (tested through the API, ``tests/api/test_route_promotions.py``)."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import DriftPolicy
from jobferry.domain.importsettings import SettingChange
from jobferry.domain.routes import Route, RouteEnd
from jobferry.services.routes.overrides import Overrides, overrides_of

ROUTE = Route(
    name="to_prod",
    source=RouteEnd(workspace="test"),
    target=RouteEnd(workspace="prod"),
    on_drift=DriftPolicy.FAIL,
    profile="prod",
)
NO_TX: Any = None  # no plan is read unless onDrift was overridden with a plan named


def test_a_run_that_takes_the_route_as_it_is_overrides_nothing() -> None:
    assert overrides_of(NO_TX, ROUTE, ROUTE.import_options(), "ops", None) is None


def test_every_changed_setting_is_kept_in_the_routes_order_with_both_values() -> None:
    request = {**ROUTE.import_options(), "onDrift": "TAKE_PACKAGE", "sameNamePolicy": "SKIP"}
    request.pop("profile")
    found = overrides_of(NO_TX, ROUTE, request, "ops", None)
    assert found == Overrides(
        "ops",
        (
            SettingChange.of_wire("sameNamePolicy", "AUTO", "SKIP"),
            SettingChange.of_wire("onDrift", "FAIL", "TAKE_PACKAGE"),
            SettingChange.of_wire("profile", "prod", None),
        ),
    )


def test_a_route_without_a_profile_is_not_overridden_by_a_run_without_one() -> None:
    bare = Route(name="r", source=RouteEnd(workspace="a"), target=RouteEnd(workspace="b"))
    assert overrides_of(NO_TX, bare, bare.import_options(), "ops", None) is None


def test_the_stored_form_reads_back_as_it_was() -> None:
    kept = Overrides(
        "ops",
        (SettingChange.of_wire("onDrift", "FAIL", "TAKE_PACKAGE"),),
        (("job", "daily_sales"),),
        3,
    )
    assert Overrides.load(kept.dump()) == kept
    assert Overrides.load(None) is None
    assert Overrides.load("") is None
