"""Import through the official SDK against real server processes: round trip, two servers on
one PostgreSQL racing for a workspace, and a server killed in the middle of an import."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdgc.v1 import (
    CreateJobRequest,
    CreateScriptRequest,
    ExportJobListRequest,
    ExportJobsReq,
    FilePath,
    ImportFileReq,
    ImportJobRequest,
    JobResourceInfo,
    ListJobsRequest,
    ShowFileInfoRequest,
    ShowJobRequest,
)

from support.builders import make_job, make_script
from support.crashes import HEARTBEAT, database_url, kill
from support.packages import bulk_package
from support.server import (
    ServerProcess,
    new_workspace,
    start_import,
    start_server,
    upload_package,
    wait_for_task,
    wait_until_checking,
)

pytestmark = pytest.mark.e2e


CRASH_JOBS = 3000
"""Enough that the import is still checking when the test kills the server."""


def test_export_import_round_trip_through_the_sdk(server: ServerProcess) -> None:
    client = server.client()
    source = new_workspace(server, "sdk_src")
    target = new_workspace(server, "sdk_dst", "dws_prod", "ssh_conn")
    client.create_script(CreateScriptRequest(workspace=source, body=make_script("orders_sql")))
    client.create_script(CreateScriptRequest(workspace=source, body=make_script("orders_sh")))
    client.create_job(CreateJobRequest(workspace=source, body=make_job("orders")))
    data = client.export_job_list(
        ExportJobListRequest(workspace=source, body=ExportJobsReq(job_list=["orders"]))
    ).raw_content
    path = upload_package(server, data, target)
    info = client.show_file_info(ShowFileInfoRequest(workspace=target, body=FilePath(path=path)))
    assert [j.name for j in info.jobs] == ["orders"]
    body = ImportFileReq(
        path=path,
        same_name_policy="OVERWRITE",
        resources=[JobResourceInfo(name="dws_conn", type="DWS_CONNECTION", replace="dws_prod")],
    )
    task_id = client.import_job(ImportJobRequest(workspace=target, body=body)).task_id
    task = wait_for_task(server, target, task_id)
    assert task.status == "SUCCESSFUL"
    assert [s.status for s in task.subtasks] == ["SUCCESSFUL"] * 3
    shown = client.show_job(ShowJobRequest(workspace=target, job_name="orders"))
    assert shown.nodes[0].properties[1].value == "dws_prod"


def test_import_of_an_unknown_obs_bucket_fails_the_task_clearly(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_obs")
    with pytest.raises(ClientRequestException) as bad:
        client.import_job(ImportJobRequest(workspace=ws, body=ImportFileReq(path="http://x")))
    assert bad.value.error_code == "DLF.0803"


@pytest.mark.slow
def test_two_servers_on_one_database_run_one_import_per_workspace(
    shared_pg: str, tmp_path: Path
) -> None:
    key = "bvPyMzgdDHj1dxdY4C7h6K1xzvZi1-tPzd1nnfQcqL8="
    # one data folder, as processes on one machine share it: either may run the other's task
    first = start_server(tmp_path / "data", shared_pg, JOBFERRY_SECRET_KEY=key)
    second = start_server(tmp_path / "data", shared_pg, JOBFERRY_SECRET_KEY=key)
    try:
        ws = new_workspace(first, "race", "dws_conn")
        path_a = upload_package(first, bulk_package(1500), ws)
        path_b = upload_package(second, bulk_package(10), ws)
        task_id = start_import(first, ws, path_a)
        with pytest.raises(ClientRequestException) as refused:
            start_import(second, ws, path_b)
        assert refused.value.error_code == "DLF.9014"
        assert task_id in refused.value.error_msg
        assert wait_for_task(first, ws, task_id, timeout=120).status == "SUCCESSFUL"
        later = start_import(second, ws, path_b)
        assert wait_for_task(second, ws, later).status == "SUCCESSFUL"
    finally:
        first.stop()
        second.stop()


@pytest.mark.slow
def test_fifty_concurrent_imports_on_two_servers_never_overlap(
    shared_pg: str, tmp_path: Path
) -> None:
    key = "bvPyMzgdDHj1dxdY4C7h6K1xzvZi1-tPzd1nnfQcqL8="
    servers = [  # one data folder: either may run the other's task
        start_server(tmp_path / "data", shared_pg, JOBFERRY_SECRET_KEY=key),
        start_server(tmp_path / "data", shared_pg, JOBFERRY_SECRET_KEY=key),
    ]
    try:
        ws = new_workspace(servers[0], "fifty", "dws_conn")
        bodies = [
            json.dumps(
                {
                    "path": upload_package(server, bulk_package(20), ws),
                    "sameNamePolicy": "OVERWRITE",
                }
            ).encode()
            for server in servers
        ]

        def attempt(i: int) -> tuple[int, str | None]:
            server = servers[i % 2]
            answer = server.call("POST", "/jobs/import", bodies[i % 2], workspace=ws)
            if answer.status_code == 200:
                return i % 2, str(answer.json()["taskId"])
            assert answer.json()["error_code"] == "DLF.9014", answer.text
            return i % 2, None

        with ThreadPoolExecutor(max_workers=50) as pool:
            outcomes = list(pool.map(attempt, range(50)))
        accepted = [(side, task) for side, task in outcomes if task is not None]
        assert accepted, "at least one import is accepted"
        spans = []
        for side, task_id in accepted:
            task = wait_for_task(servers[side], ws, task_id, timeout=120)
            assert task.status == "SUCCESSFUL", task
            shown = servers[side].call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
            spans.append((shown["startTime"], shown["endTime"], task_id))
        spans.sort()
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            assert end <= start, f"import {second} started before {first} ended"
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_server_killed_during_an_import_leaves_the_workspace_unchanged(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url(backend, tmp_path, request)
    server = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        ws = new_workspace(server, "crash", "dws_conn")
        path = upload_package(server, bulk_package(CRASH_JOBS), ws)
        task_id = start_import(server, ws, path)
        wait_until_checking(server, ws, task_id)
        kill(server)
    finally:
        server.stop()
    restarted = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        assert restarted.client().list_jobs(ListJobsRequest(workspace=ws)).total == 0
        task = wait_for_task(restarted, ws, task_id, timeout=30)
        assert task.status == "FAILED"
        assert "stopped before it finished" in task.message
        again = start_import(restarted, ws, path)
        assert wait_for_task(restarted, ws, again, timeout=120).status == "SUCCESSFUL"
        assert (
            restarted.client().list_jobs(ListJobsRequest(workspace=ws, limit=1)).total == CRASH_JOBS
        )
    finally:
        restarted.stop()
