"""Which import a kept plan started (``services.importing.started``), over a real database:
the task of an import queued, running or ended well with that plan; none for a plan no import
named, nor for one whose import failed (it wrote nothing: it may be asked again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.builders import make_job
from support.packages import write_package
from support.planning import run_import, upload, workspace


def _plan(services: Services, scope: Scope, path: str) -> Plan:
    plan = services.imports.plan(scope, parse_import_request({"path": path}))
    assert isinstance(plan, Plan)
    return plan


def test_the_import_a_plan_started_is_found_and_a_failed_one_is_not(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    assert services.plan_imports.started(scope, plan.plan_id) is None
    assert services.plan_imports.started(scope, "") is None

    body: dict[str, Any] = {"path": path, "planId": plan.plan_id}
    queued = services.imports.prepare(scope, parse_import_request(body))
    assert services.plan_imports.started(scope, plan.plan_id) == queued.task_id  # queued
    services.imports.run(queued)
    assert services.plan_imports.started(scope, plan.plan_id) == queued.task_id  # ended well
    assert services.plan_imports.started(scope, _plan(services, scope, path).plan_id) is None

    # An import whose plan went stale fails, writing nothing: asked again, it is not found.
    other = upload(services, scope, write_package(tmp_path / "q.zip", [make_job("other")]))
    stale = _plan(services, scope, other)
    services.jobs.create(scope, make_job("other", description="made meanwhile"))
    failed = run_import(services, scope, other, planId=stale.plan_id)
    assert failed.status == TaskStatus.FAILED
    assert services.plan_imports.started(scope, stale.plan_id) is None
