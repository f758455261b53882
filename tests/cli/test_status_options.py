"""The import options of 'jobferry plan' and 'jobferry import' speak the domain's vocabulary."""

from __future__ import annotations

from typing import get_args

import pytest

from jobferry.cli import export
from jobferry.cli import import_options as transfer
from jobferry.cli.choices import from_kebab, kebab
from jobferry.cli.exits import CliUsageError
from jobferry.domain.enums import (
    DriftPolicy,
    ExportStatus,
    ImportMode,
    SameNamePolicy,
    SchedulingPolicy,
    TargetStatus,
    TaskStatus,
)


def test_status_choices_are_the_domain_target_statuses_in_lower_case() -> None:
    assert get_args(transfer.StatusName) == ("saved", "submitted", "production")
    for name in get_args(transfer.StatusName):
        options = transfer.ImportOptions(status=transfer.target_status(name))
        assert options.body()["targetStatus"] == TargetStatus(name.upper())
    assert "targetStatus" not in transfer.ImportOptions().body()


def test_export_status_choices_are_the_domain_export_statuses_in_lower_case() -> None:
    assert get_args(export.StatusName) == tuple(s.lower() for s in ExportStatus)
    assert get_args(export.StatusName) == ("develop", "submit")


def test_import_option_choices_are_the_domain_vocabularies_in_kebab_case() -> None:
    assert get_args(transfer.PolicyName) == ("skip", "overwrite", "auto")
    assert get_args(transfer.ModeName) == ("atomic", "per-object")
    assert get_args(transfer.DriftName) == ("fail", "keep-target", "take-package")
    assert get_args(transfer.SchedulingName) == ("refuse", "pause-and-restore")
    options = transfer.ImportOptions.chosen("overwrite", "per-object", "keep-target", "refuse")
    assert options.body() == {
        "sameNamePolicy": "OVERWRITE",
        "mode": "PER_OBJECT",
        "onDrift": "KEEP_TARGET",
    }


def test_every_kebab_choice_reads_back_as_its_member() -> None:
    for enum in (SameNamePolicy, ImportMode, DriftPolicy, SchedulingPolicy, TaskStatus):
        for member in enum:
            assert from_kebab(enum, kebab(member)) is member
    assert kebab(SchedulingPolicy.PAUSE_AND_RESTORE) == "pause-and-restore"
    with pytest.raises(CliUsageError, match="'sometimes' is not one of refuse, pause-and-restore"):
        from_kebab(SchedulingPolicy, "sometimes")
