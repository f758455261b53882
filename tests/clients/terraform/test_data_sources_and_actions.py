"""The provider's data sources (jobs, resources), the job action resource and the export ->
import chain, as the provider drives them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from support.s3server import S3Server
from support.server import ServerProcess
from support.terraform import GoResponseError, TerraformClient
from support.terraform_actions import job_action, job_by_name, run_immediately
from support.terraform_jobs import create_job
from support.terraform_provider import (
    create_resource,
    create_script,
    export_job,
    import_jobs,
    list_factory_scripts,
    list_jobs,
    list_resources,
)

from .shapes import restapi_job

pytestmark = pytest.mark.e2e


def test_jobs_data_source_pages_past_the_first_hundred(
    tf: TerraformClient, server: ServerProcess, workspace: str
) -> None:
    for i in range(103):
        create_job(tf, restapi_job(f"ds_job_{i:03d}", workspace, "BATCH", 10, 11))
    jobs = list_jobs(tf, workspace)
    assert [j["name"] for j in jobs] == [f"ds_job_{i:03d}" for i in range(103)]
    for job in jobs[:3]:
        for key in ("startTime", "endTime", "createTime", "lastUpdateTime", "lastInstanceEndTime"):
            assert isinstance(job.get(key, 0.0), int | float), (key, job)  # read as float64
        assert job["jobType"] == "BATCH"
        assert job["path"]
    assert [j["name"] for j in list_jobs(tf, workspace, name="ds_job_10")] == [
        "ds_job_100",
        "ds_job_101",
        "ds_job_102",
    ]


def test_scripts_data_source_pages_the_v2_list_past_the_first_hundred(
    tf: TerraformClient, workspace: str
) -> None:
    for i in range(101):
        config = {
            "workspace_id": workspace,
            "name": f"ds_script_{i:03d}",
            "type": "DLISQL",
            "content": "select 1",
            "connection_name": "dli_conn",
            "queue_name": "default",
        }
        create_script(tf, config)

    scripts = list_factory_scripts(tf, workspace)

    assert [s["name"] for s in scripts] == [f"ds_script_{i:03d}" for i in range(101)]
    assert scripts[0]["queue_name"] == "default"
    assert scripts[0]["connection_name"] == "dli_conn"
    assert "content" not in scripts[0]
    found = list_factory_scripts(tf, workspace, script_name="ds_script_100")
    assert [s["name"] for s in found] == ["ds_script_100"]


def test_resources_data_source_pages_and_reads_resource_id(
    tf: TerraformClient, workspace: str
) -> None:
    created = []
    for i in range(101):
        config = {
            "workspace_id": workspace,
            "name": f"ds_res_{i:03d}",
            "type": "jar",
            "location": f"obs://test/lib{i}.jar",
            "directory": "/",
        }
        created.append(create_resource(tf, config))
    listed = list_resources(tf, workspace)
    assert [r["resourceId"] for r in listed] == created
    assert all(isinstance(r.get("dependFiles", []), list) for r in listed)


def test_job_action_start_and_stop_reach_the_statuses_the_provider_waits_for(
    tf: TerraformClient, workspace: str
) -> None:
    for name in ("action_job", "action_job_2"):
        create_job(tf, restapi_job(name, workspace, "BATCH", 10, 11))
    job_action(tf, workspace, "action_job", "start")
    started = job_by_name(tf, workspace, "action_job", "BATCH")
    assert started is not None
    assert started["status"] in ("NORMAL", "SCHEDULING")
    job_action(tf, workspace, "action_job", "stop")
    stopped = job_by_name(tf, workspace, "action_job", "BATCH")
    assert stopped is not None
    assert stopped["status"] in ("STOPPED", "PAUSED")
    assert job_by_name(tf, workspace, "no_such_job", "BATCH") is None


def test_run_immediate_is_a_clear_refusal(tf: TerraformClient, workspace: str) -> None:
    create_job(tf, restapi_job("run_job", workspace, "BATCH", 10, 11))
    with pytest.raises(GoResponseError) as refused:
        run_immediately(tf, workspace, "run_job", [{"name": "bizdate", "value": "20241030"}])
    assert refused.value.status == 501
    assert refused.value.json()["error_code"] == "DLF.9501"


def test_export_to_obs_then_import_the_folder_path_as_the_acceptance_test_does(
    tf: TerraformClient, workspace: str, s3_server: S3Server
) -> None:
    bucket = s3_server.new_bucket("tf")
    name = "tf_export"
    create_job(tf, restapi_job(name, workspace, "BATCH", 10, 11))
    obs_path = f"obs://{bucket}/jobs-storage/"
    before = int(datetime.now(UTC).timestamp() * 1000)
    folder_path = export_job(tf, workspace, name, obs_path, exportStatus="DEVELOP")
    assert folder_path.startswith(f"{name}_exported/")
    assert int(folder_path.rsplit("/", 1)[1]) >= before
    for depend in (True, False):
        assert export_job(tf, workspace, name, obs_path, exportDepend=depend)

    path = f"{obs_path}{folder_path}/{name}.zip"  # format("%s%s/%s.zip", ...)
    task = import_jobs(tf, workspace, path, sameNamePolicy="OVERWRITE", targetStatus="SAVED")
    assert task["status"] == "SUCCESSFUL", task
