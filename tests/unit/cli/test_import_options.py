"""The command line's one table of the import settings' options (``SETTING_FLAGS``): every
setting of ``domain.importsettings`` has its option, a choice is spelled from its enum, and
the options given become wire settings."""

from __future__ import annotations

from jobferry.cli.import_options import SETTING_FLAGS, said_setting, settings_given
from jobferry.domain.importsettings import SETTINGS


def test_every_setting_has_one_option() -> None:
    assert [flag.setting for flag in SETTING_FLAGS] == list(SETTINGS)
    assert len({flag.option for flag in SETTING_FLAGS}) == len(SETTINGS)


def test_the_options_given_become_wire_settings() -> None:
    options = {
        "policy": "overwrite",
        "on_drift": "take-package",
        "scheduling": None,
        "propagate_deletes": False,
        "other": "x",
    }
    assert settings_given(options) == {
        "sameNamePolicy": "OVERWRITE",
        "onDrift": "TAKE_PACKAGE",
        "propagateDeletes": False,
    }


def test_a_wire_value_is_said_as_the_option_that_asks_for_it() -> None:
    assert said_setting("scheduling", "PAUSE_AND_RESTORE") == "--scheduling pause-and-restore"
    assert said_setting("propagateDeletes", True) == "--propagate-deletes"
    assert said_setting("propagateDeletes", False) == "--keep-deletes"
    assert said_setting("profile", {"renames": {}}) == "--profile inline"
    assert said_setting("timeZone", "x") == "timeZone x"
