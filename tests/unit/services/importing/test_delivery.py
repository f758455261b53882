"""How an import's changes reach the workspace's truth (``services.importing.delivery``): chosen
once per workspace; the import and rollback services run through it and never test which kind
of workspace they write."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from jobferry.errors import ShadowWorkspaceError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.delivery import (
    LOCAL,
    Attempt,
    Deliveries,
    LocalDelivery,
    PreparedImport,
    Rollback,
    RolledBack,
)
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.builders import make_job
from support.planning import jobs_with_dependencies, upload, workspace, write_objects


@dataclass
class Recording(LocalDelivery):
    """A delivery that notes what it was asked, then delivers here."""

    asked: list[str] = field(default_factory=list)

    def allow(self, scope: Scope, action: str) -> None:
        self.asked.append(f"allow {action}")

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        self.asked.append(f"import {job.task_id}")
        return attempt(None)

    def run_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        self.asked.append(f"rollback {rollback.task_id}")
        return rollback.run()

    def basis(self, scope: Scope) -> dict[str, Any] | None:
        return {"remote": scope.workspace.shadow_of, "from": "test"}


def shadow(scope: Scope, remote: str = "far") -> Scope:
    """``scope`` with its workspace marked as the shadow of ``remote``."""
    return replace(scope, workspace=replace(scope.workspace, shadow_of=remote))


def jobs(services: Services, scope: Scope) -> list[str]:
    listed = services.jobs.list_jobs(
        scope, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )[1]
    return [job.name for job in listed]


def package(tmp_path: Path, *jobs: str) -> Path:
    return write_objects(tmp_path / "p.zip", jobs_with_dependencies(*map(make_job, jobs)))


def test_a_workspace_is_delivered_here_and_a_shadow_by_the_remote_delivery(
    services: Services,
) -> None:
    scope = workspace(services, "here")
    remote = Recording()

    assert Deliveries().of(scope.workspace) is LOCAL
    assert Deliveries(remote).of(scope.workspace) is LOCAL
    assert Deliveries(remote).of(shadow(scope).workspace) is remote
    assert Deliveries().of(shadow(scope).workspace) is LOCAL


def test_without_a_remote_delivery_a_shadow_refuses_an_import_and_queues_nothing(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "lonely")
    path = upload(services, scope, package(tmp_path, "a_job"))
    services.imports.deliveries.remote = None

    with pytest.raises(ShadowWorkspaceError) as refused:
        services.imports.prepare(shadow(scope), parse_import_request({"path": path}))

    assert "shadow of remote 'far'" in refused.value.message
    assert services.tasks.list_tasks(scope).total == 0


def test_an_import_its_plan_and_its_rollback_go_through_the_workspace_delivery(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "through")
    remote = Recording()
    services.imports.deliveries.remote = remote
    far = shadow(scope)
    path = upload(services, scope, package(tmp_path, "a_job"))

    plan = services.imports.plan(far, parse_import_request({"path": path}))
    assert isinstance(plan, Plan)
    assert plan.remote_state == {"remote": "far", "from": "test"}
    prepared = services.imports.prepare(far, parse_import_request({"path": path}))
    services.imports.run(prepared)
    assert jobs(services, scope) == ["a_job"]
    done = services.rollback.rollback(far, prepared.task_id)

    assert done.count > 0
    assert remote.asked == [
        "allow import packages",
        f"import {prepared.task_id}",
        "allow roll back imports",
        f"rollback {prepared.task_id}",
    ]
    assert jobs(services, scope) == []


def test_a_rollback_counts_every_action_and_reads_back_what_it_kept() -> None:
    listed = ({"kind": "job", "name": "a", "action": "DELETED"},)
    done = RolledBack("t1", 3, listed, {"RESTORED": 2, "DELETED": 1})
    result = done.as_result()
    assert result["actions"] == {"DELETED": 1, "RESTORED": 2}
    assert result["objectsShown"] == 1
    assert RolledBack.of_result(result) == done
    whole = {"taskId": "t1", "rolledBack": 1, "objects": list(listed)}  # kept before actions
    assert RolledBack.of_result(whole) == RolledBack("t1", 1, listed, {"DELETED": 1})
    cut = {**whole, "rolledBack": 3}  # counted from a cut list, they would be wrong
    assert RolledBack.of_result(cut) == RolledBack("t1", 3, listed, {})
    assert RolledBack.of_result({"summary": {}}) is None
