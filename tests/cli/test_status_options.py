"""The import options of 'jobferry plan' and 'jobferry import' speak the domain's vocabulary."""

from __future__ import annotations

from typing import get_args

from jobferry.cli import export
from jobferry.cli import import_options as transfer
from jobferry.domain.enums import ExportStatus, TargetStatus


def test_status_choices_are_the_domain_target_statuses_in_lower_case() -> None:
    assert get_args(transfer.StatusName) == ("saved", "submitted", "production")
    for name in get_args(transfer.StatusName):
        options = transfer.ImportOptions(status=transfer.target_status(name))
        assert options.body()["targetStatus"] == TargetStatus(name.upper())
    assert "targetStatus" not in transfer.ImportOptions().body()


def test_export_status_choices_are_the_domain_export_statuses_in_lower_case() -> None:
    assert get_args(export.StatusName) == tuple(s.lower() for s in ExportStatus)
    assert get_args(export.StatusName) == ("develop", "submit")
