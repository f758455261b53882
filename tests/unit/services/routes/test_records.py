"""What the routes feature answers (``services/routes/records.py``): a stored promotion with
its import's status and rollback, applied only when its import succeeded and was not rolled
back."""

from __future__ import annotations

from jobferry.domain.enums import TaskStatus
from jobferry.domain.routes import Carried
from jobferry.services.routes.records import promotion_of
from jobferry.storage.routes import PromotionRecord


def _record(carried: str | None = None) -> PromotionRecord:
    return PromotionRecord(
        id="p1",
        project_id="project-1",
        route="to_prod",
        route_version=2,
        snapshot_at=20,
        since=10,
        package_path="upload://p1.zip",
        package_sha256="0" * 64,
        jobs=3,
        deletions=1,
        scripts=0,
        resources=0,
        plan_id="plan1",
        task_id="t1",
        created_at=20,
        created_by="admin",
        carried=carried,
    )


def test_a_promotion_is_applied_when_its_import_succeeded_and_stands() -> None:
    assert promotion_of(_record(), TaskStatus.SUCCESSFUL, None).applied
    assert promotion_of(_record(), TaskStatus.WARNING, None).applied
    assert not promotion_of(_record(), TaskStatus.FAILED, None).applied
    assert not promotion_of(_record(), None, None).applied
    undone = promotion_of(_record(), TaskStatus.SUCCESSFUL, (30, "ops"))
    assert (undone.rolled_back_at, undone.rolled_back_by, undone.applied) == (30, "ops", False)


def test_a_carried_promotion_says_which_way_it_went() -> None:
    assert promotion_of(_record(), None, None).carried is None
    assert promotion_of(_record(Carried.OUT.value), None, None).carried is Carried.OUT
