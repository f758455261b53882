"""DataArts calls that execute things. jobferry stores and versions definitions and scheduling
state; it does not run nodes, so these answer 501 DLF.9501 — never a pretend success."""

from __future__ import annotations

from fastapi import APIRouter

from jobferry.api.auth import ScopeDep
from jobferry.errors import NotSupportedError

router = APIRouter(prefix="/v1/{project_id}", tags=["execution (not supported)"])

_WHY = (
    "jobferry stores, versions and moves job definitions and their scheduling state; it does not "
    "execute nodes or scripts. Run it on the DataArts service the jobs are promoted to."
)


def refuse(call: str, why: str = _WHY) -> NotSupportedError:
    """The error every execution call answers with (``why``: what to do instead)."""
    return NotSupportedError(f"{call} is not supported: {why}", operation=call)


@router.get("/jobs/instances/detail", summary="list_job_instances (not supported)")
def list_job_instances(scope: ScopeDep) -> None:
    raise refuse("list_job_instances")


@router.post("/jobs/{job_name}/run-immediate", summary="run_once (not supported)")
def run_once(scope: ScopeDep, job_name: str) -> None:
    raise refuse("run_once")


@router.get("/jobs/{job_name}/instances/{instance_id}", summary="show_job_instance (not supported)")
def show_job_instance(scope: ScopeDep, job_name: str, instance_id: str) -> None:
    raise refuse("show_job_instance")


@router.post(
    "/jobs/{job_name}/instances/{instance_id}/stop", summary="stop_job_instance (not supported)"
)
def stop_job_instance(scope: ScopeDep, job_name: str, instance_id: str) -> None:
    raise refuse("stop_job_instance")


@router.post(
    "/jobs/{job_name}/instances/{instance_id}/restart",
    summary="restore_job_instance (not supported)",
)
def restore_job_instance(scope: ScopeDep, job_name: str, instance_id: str) -> None:
    raise refuse("restore_job_instance")


@router.post("/scripts/{script_name}/execute", summary="execute_script (not supported)")
def execute_script(scope: ScopeDep, script_name: str) -> None:
    raise refuse("execute_script")


@router.get(
    "/scripts/{script_name}/instances/{instance_id}", summary="list_script_results (not supported)"
)
def list_script_results(scope: ScopeDep, script_name: str, instance_id: str) -> None:
    raise refuse("list_script_results")


@router.post(
    "/scripts/{script_name}/instances/{instance_id}/stop", summary="cancel_script (not supported)"
)
def cancel_script(scope: ScopeDep, script_name: str, instance_id: str) -> None:
    raise refuse("cancel_script")
