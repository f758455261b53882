"""A job's ``description`` never reaches a remote: ``show_job`` answers one, but the body of
``create_job`` and ``update_job`` (the SDK's ``JobInfo``, the API reference's request body)
has no field for it, so the remote client leaves it out of those calls
(``calls.UNSENT_FIELDS``), and the strict stand-in sees only SDK calls. The rest of the job is
pushed as ever; the remote keeps the description it had."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.packages import write_package
from support.planning import run_import, upload
from support.standin import DataArtsStandin


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def _push(services: Services, shadow: Scope, tmp_path: Path, job: dict[str, object]) -> None:
    package = write_package(tmp_path / f"{job['name']}.zip", [job])
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.SUCCESSFUL, task.message


def test_a_described_job_is_created_and_updated_without_its_description(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _push(services, shadow, tmp_path, make_job("daily_sales", description="the daily load"))
    assert standin.refused() == []
    assert "create_job" in standin.calls()
    pushed = standin.workspace.jobs["daily_sales"].doc
    assert "description" not in pushed
    assert pushed["nodes"] == make_job("daily_sales")["nodes"]
    standin.reset()
    changed = make_job("daily_sales", description="another", directory="/moved")
    _push(services, shadow, tmp_path, changed)
    assert standin.refused() == []
    assert "update_job" in standin.calls()
    pushed = standin.workspace.jobs["daily_sales"].doc
    assert pushed.get("directory") == "/moved"
    assert "description" not in pushed
