"""Enterprise-mode release calls as DataArts Studio answers them (snake_case, integer codes,
epoch-ms times; ids are strings except ``package_id`` in the deploy reply)."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.domain.releases import TaskType
from jobferry.services.releases.approvals import APPLIED, Application
from jobferry.services.releases.records import CreatedPackage, Deployed, PackageView
from jobferry.storage.releases import ItemRecord


def _project(project_id: str, workspace_id: str) -> str:
    return f"{project_id}-workspace-{workspace_id}"


def pending_item(item: ItemRecord, project_id: str) -> dict[str, Any]:
    """One of ``list_factory_pending_items``' ``data``."""
    return {
        "pending_item_id": str(item.id),
        "item_name": item.name,
        "task_id": item.object_id,
        "task_type": int(TaskType.of(ObjectKind(item.kind))),
        "update_type": item.update_type,
        "pending_version": item.pending_version,
        "deployed_version": item.deployed_version,
        "package_flag": 0 if item.package_id is None else 1,
        "submit_user_id": item.submit_user_id,
        "submit_user_name": item.submit_user_name,
        "submit_timestamp": item.submit_timestamp,
        "project_id": _project(project_id, item.workspace_id),
    }


def pending_items(total: int, items: list[ItemRecord], project_id: str) -> dict[str, Any]:
    """``ListFactoryPendingItemsResponse``."""
    return {"total": total, "data": [pending_item(i, project_id) for i in items]}


def created(package: CreatedPackage) -> dict[str, Any]:
    """``CreateFactoryPendingItemsPackageResponse`` (the plan's id beside, an extension)."""
    return {
        "package_name": package.name,
        "release_package_id": str(package.package_id),
        "plan_id": package.plan_id,
    }


def release_package(view: PackageView, project_id: str) -> dict[str, Any]:
    """A ``release_package``: one of the list's ``data``, or a detail's head."""
    p = view.record
    return {
        "package_id": str(p.id),
        "package_name": p.name,
        "deploy_status": int(view.status),
        "apply_user_id": p.apply_user_id,
        "apply_user_name": p.apply_user_name,
        "apply_timestamp": p.apply_timestamp,
        "deploy_user_id": p.deploy_user_id,
        "deploy_user_name": p.deploy_user_name,
        "deploy_timestamp": p.deploy_timestamp,
        "package_approvers": p.approver_list(),
        "delete_flag": p.delete_flag,
        "workspace_id": p.workspace_id,
        "project_id": _project(project_id, p.workspace_id),
        "asy_task_id": p.task_id,
        "plan_id": p.plan_id,
        "rolled_back": (
            {"at": p.rolled_back_at, "by": p.rolled_back_by} if p.rolled_back_at else None
        ),
        "restored": (
            {"at": r.at, "by": r.by, "entry_id": r.entry_id}
            if (r := view.restored) is not None
            else None
        ),
    }


def packages(total: int, views: list[PackageView], project_id: str) -> dict[str, Any]:
    """``ListFactoryReleasePackagesResponse``."""
    return {"total": total, "data": [release_package(v, project_id) for v in views]}


def _detail(item: ItemRecord) -> dict[str, Any]:
    kind = ObjectKind(item.kind)
    return {
        "pending_item_id": str(item.id),
        "item_name": item.name,
        "task_id": item.object_id if kind is ObjectKind.JOB else None,
        "script_id": item.object_id if kind is ObjectKind.SCRIPT else None,
        "task_type": int(TaskType.of(kind)),
        "update_type": item.update_type,
        "pending_version": item.pending_version,
        "deployed_version": item.deployed_version,
        "deploy_status": item.deploy_status,
        "start_job_status": item.start_job_status,
        "submit_user_id": item.submit_user_id,
        "submit_user_name": item.submit_user_name,
        "submit_timestamp": item.submit_timestamp,
    }


def package_detail(view: PackageView, project_id: str) -> dict[str, Any]:
    """``ShowFactoryPackageDetailResponse``."""
    return {
        "release_package": release_package(view, project_id),
        "task_details": [_detail(i) for i in view.items],
    }


def deployed(found: list[Deployed]) -> dict[str, Any]:
    """``DeployFactoryPackagesResponse``: ``package_id`` an integer here only."""
    return {
        "deploy_package_details": [
            {"package_id": d.package_id, "asy_task_id": d.task_id, "asy_subtask_num": d.items}
            for d in found
        ]
    }


def application(item: Application) -> dict[str, Any]:
    """One of ``job_apply_search_list``: a submission applied at once, approvers named."""
    return {
        "apply_id": item.apply_id,
        "object_id": item.object_id,
        "object_name": item.object_name,
        "object_type": "JOB",
        "change_type": "modify",
        "status": "APPROVED",
        "create_user": item.create_user,
        "submit_time": item.submit_time,
        "approver_name": ",".join(item.approvers),
        "actual_approver": None,
        "approval_msg": APPLIED,
        "approval_time": item.submit_time,
    }


def applications(total: int, items: list[Application]) -> dict[str, Any]:
    """``ListFactoryWorkspacesApprovalResponse``."""
    return {"total": total, "job_apply_search_list": [application(i) for i in items]}
