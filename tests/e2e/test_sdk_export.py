"""The official SDK exports packages from a real jobferry server."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdgc.v1 import (
    CreateJobRequest,
    CreateScriptRequest,
    ExportJobListRequest,
    ExportJobReq,
    ExportJobRequest,
    ExportJobsReq,
    ListSystemTasksRequest,
    UpdateJobRequest,
)

from support.builders import make_job, make_script
from support.server import ServerProcess, new_workspace

pytestmark = pytest.mark.e2e


def paths(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def read(data: bytes, path: str) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        value: dict[str, object] = json.loads(zf.read(path))
        return value


@pytest.fixture(scope="module")
def populated(server: ServerProcess) -> str:
    client = server.client()
    ws = new_workspace(server, "sdk_export")
    for name in ("orders", "customers"):
        client.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sql")))
        client.create_job(CreateJobRequest(workspace=ws, body=make_job(name)))
    draft = make_job("orders", targetStatus="SAVED", description="work in progress")
    client.update_job(UpdateJobRequest(workspace=ws, job_name="orders", body=draft))
    return ws


def test_export_job_streams_the_zip_the_sdk_user_saves(
    server: ServerProcess, populated: str
) -> None:
    client = server.client()
    resp = client.export_job(
        ExportJobRequest(workspace=populated, job_name="orders", body=ExportJobReq())
    )
    assert resp.status_code == 200
    data = resp.raw_content
    assert data[:2] == b"PK"
    assert paths(data) == [
        "jobs/orders.job",
        "scripts/orders_sql.script",
        "manifest.entries",
        "manifest.json",
    ]
    assert read(data, "jobs/orders.job")["description"] == "work in progress"


def test_export_depend_false_and_submit_status(server: ServerProcess, populated: str) -> None:
    client = server.client()
    body = ExportJobReq(export_depend=False, export_status="SUBMIT")
    data = client.export_job(
        ExportJobRequest(workspace=populated, job_name="orders", body=body)
    ).raw_content
    assert paths(data) == ["jobs/orders.job", "manifest.entries", "manifest.json"]
    assert "description" not in read(data, "jobs/orders.job")


def test_batch_export_through_the_sdk(server: ServerProcess, populated: str) -> None:
    client = server.client()
    body = ExportJobsReq(job_list=["orders", "customers"], export_depend=True)
    first = client.export_job_list(ExportJobListRequest(workspace=populated, body=body))
    second = client.export_job_list(ExportJobListRequest(workspace=populated, body=body))
    assert first.raw_content == second.raw_content, "deterministic"
    assert paths(first.raw_content) == [
        "jobs/customers/customers.job",
        "jobs/customers/customers_sql.script",
        "jobs/orders/orders.job",
        "jobs/orders/orders_sql.script",
        "manifest.entries",
        "manifest.json",
    ]


def test_sdk_errors_for_unknown_jobs_and_oversized_lists(
    server: ServerProcess, populated: str
) -> None:
    client = server.client()
    with pytest.raises(ClientRequestException) as unknown:
        client.export_job(ExportJobRequest(workspace=populated, job_name="ghost"))
    assert unknown.value.error_code == "DLF.0100"
    body = ExportJobsReq(job_list=[f"j{i}" for i in range(101)])
    with pytest.raises(ClientRequestException) as too_many:
        client.export_job_list(ExportJobListRequest(workspace=populated, body=body))
    assert too_many.value.error_code == "DLF.3051"


def test_background_export_task_is_visible_through_list_system_tasks(
    server: ServerProcess, populated: str
) -> None:
    started = server.call("POST", "/exports", b'{"mode": "workspace"}', workspace=populated)
    task_id = started.json()["taskId"]
    client = server.client()
    for _ in range(200):
        task = client.list_system_tasks(
            ListSystemTasksRequest(workspace=populated, task_id=task_id)
        )
        if task.status != "RUNNING":
            break
        time.sleep(0.05)
    assert task.status == "SUCCESSFUL"
    assert task.id == task_id
    assert isinstance(task.start_time, int)
