"""The import settings' one value type (``domain.importsettings``): one wire name per setting,
overrides checked with every problem at once, and the changes a run makes of a route's."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import DriftPolicy, ImportMode, SameNamePolicy, SchedulingPolicy
from jobferry.domain.importsettings import SETTINGS, ImportSettings, SettingsError
from jobferry.domain.routes import parse_route
from jobferry.services.importing.request import ImportRequest, parse_import_request


def test_every_setting_has_one_wire_name_and_the_value_type_has_every_setting() -> None:
    wire = [s.wire for s in SETTINGS]
    assert len(set(wire)) == len(wire)
    assert set(ImportSettings().attributes()) == {s.attribute for s in SETTINGS}
    assert list(ImportSettings().wire()) == wire


def test_overrides_are_typed_on_top_of_the_settings() -> None:
    route = ImportSettings(scheduling=SchedulingPolicy.PAUSE_AND_RESTORE)
    run = route.overridden({"onDrift": "TAKE_PACKAGE", "propagateDeletes": True, "profile": "p"})
    assert run == ImportSettings(
        SameNamePolicy.AUTO,
        True,
        DriftPolicy.TAKE_PACKAGE,
        SchedulingPolicy.PAUSE_AND_RESTORE,
        ImportMode.ATOMIC,
        "p",
    )
    assert [(c.setting.wire, c.route, c.run) for c in run.changes_from(route)] == [
        ("propagateDeletes", False, True),
        ("onDrift", DriftPolicy.FAIL, DriftPolicy.TAKE_PACKAGE),
        ("profile", None, "p"),
    ]


def test_bad_overrides_are_refused_with_every_problem() -> None:
    with pytest.raises(SettingsError) as refused:
        ImportSettings().overridden(
            {"mode": "SOMETIMES", "propagateDeletes": "yes", "profile": 3, "colour": "red"}
        )
    assert refused.value.problems == [
        "mode must be one of ATOMIC, PER_OBJECT, not 'SOMETIMES'",
        "propagateDeletes must be true or false",
        "profile must name a profile of the target workspace, be one inline, or null",
        "colour is no import setting a run may change (known: sameNamePolicy, "
        "propagateDeletes, onDrift, scheduling, mode, profile)",
    ]


def test_a_route_and_an_import_request_carry_the_same_value_type() -> None:
    document = {
        "source": {"workspace": "test"},
        "target": {"workspace": "prod"},
        "onDrift": "KEEP_TARGET",
        "mode": "PER_OBJECT",
        "profile": "prod",
    }
    route = parse_route("test-prod", document)
    request = parse_import_request({"path": "upload://x", **route.settings.wire()})
    assert request.settings == route.settings
    built = ImportRequest("upload://x").with_settings(route.settings)
    assert built.settings == route.settings
    # The same import as the route's settings sent on the wire: the same plan fingerprint.
    assert built.to_wire() == request.to_wire()
    assert built.fingerprint() == request.fingerprint()
