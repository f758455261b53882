"""Export, import, check-file and system tasks: the package flows.

Until the package engine lands, these answer a clear 501 (system-tasks: DLF.0810, since no task
can exist yet) rather than pretending.
"""

from __future__ import annotations

from fastapi import APIRouter

from jobferry.api.auth import ScopeDep
from jobferry.errors import NotSupportedError, TaskNotFoundError

router = APIRouter(prefix="/v1/{project_id}", tags=["export and import"])


def _not_yet(call: str) -> NotSupportedError:
    return NotSupportedError(
        f"{call} is not available in this jobferry version yet; upgrade jobferry to move jobs "
        "with packages.",
        operation=call,
    )


@router.post("/jobs/import", summary="import_job")
def import_job(scope: ScopeDep) -> None:
    raise _not_yet("import_job")


@router.post("/jobs/batch-export", summary="export_job_list")
def export_job_list(scope: ScopeDep) -> None:
    raise _not_yet("export_job_list")


@router.post("/jobs/check-file", summary="show_file_info")
def show_file_info(scope: ScopeDep) -> None:
    raise _not_yet("show_file_info")


@router.post("/jobs/{job_name}/export", summary="export_job")
def export_job(scope: ScopeDep, job_name: str) -> None:
    raise _not_yet("export_job")


@router.get("/system-tasks/{task_id}", summary="list_system_tasks")
def list_system_tasks(scope: ScopeDep, task_id: str) -> None:
    raise TaskNotFoundError(
        f"Task [{task_id}] does not exist in workspace '{scope.workspace.name}'.", task_id=task_id
    )
