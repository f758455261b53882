"""The Terraform provider's job action, script execution and data sources (v1.97), in-process:
each request built as the provider builds it (``support.terraform_actions``), each answer read
as it reads it, the refresh of a resource whose job or workspace is gone included."""

from __future__ import annotations

import re
from typing import Any

import pytest

from support.accounts import default_workspace
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient
from support.terraform import GoResponseError, TerraformClient
from support.terraform_actions import (
    alarm_records,
    execute_script,
    job_action,
    job_instance,
    jobs_data_source,
    read_job_action,
    read_script_execution,
    run_immediately,
)
from support.terraform_jobs import read_job
from support.terraform_provider import JOB_PATH, create_script, read_script


@pytest.fixture
def tf(api: SignedClient) -> TerraformClient:
    """The provider's client, sending to the in-process app."""
    return TerraformClient("http://testserver/", PROJECT_ID, ADMIN_AK, ADMIN_SK, app=api.client)


@pytest.fixture
def workspace(api: SignedClient) -> str:
    return default_workspace(api)


def create(tf: TerraformClient, workspace: str, name: str, **overrides: Any) -> None:
    """A job created with the provider's job resource headers and OkCodes."""
    headers = {"Content-Type": "application/json", "workspace": workspace}
    body = make_job(name, **overrides)
    tf.request("POST", JOB_PATH, json_body=body, more_headers=headers, ok_codes=(204,))


def action(workspace: str, name: str, verb: str = "start") -> dict[str, Any]:
    return {"workspace_id": workspace, "job_name": name, "process_type": "BATCH", "action": verb}


def status(tf: TerraformClient, config: dict[str, Any]) -> Any:
    state = read_job_action(tf, config)
    assert state is not None
    return state["status"]


def refused(call: Any, status: int, code: str) -> str:
    with pytest.raises(GoResponseError) as raised:
        call()
    assert raised.value.status == status, raised.value.body
    assert raised.value.json()["error_code"] == code, raised.value.body
    message: str = raised.value.json()["error_msg"]
    return message


def test_start_with_every_option_the_provider_sends_is_kept_in_the_audit(
    tf: TerraformClient, api: SignedClient, workspace: str
) -> None:
    create(tf, workspace, "daily")
    params = [{"name": "bizdate", "value": "20241030"}, {"name": "n", "value": "1", "type": "c"}]
    job_action(tf, workspace, "daily", "start", job_params=params, start_date=20241030)
    assert tf.sent[-1].body == (
        b'{"ignore_first_self_dependence":false,"jobParams":[{"name":"bizdate",'
        b'"paramType":null,"value":"20241030"},{"name":"n","paramType":"c","value":"1"}],'
        b'"start_date":20241030}\n'
    )
    state = read_job_action(tf, action(workspace, "daily"))
    assert state == {"job_name": "daily", "status": "SCHEDULING", "action": "start"}

    audit = api.call("GET", "/audit", query={"objectName": "daily", "action": "job.start"})
    detail = audit.json()["entries"][0]["detail"]
    assert detail["startDate"] == 20241030
    assert detail["ignoreFirstSelfDependence"] is False
    assert detail["jobParams"][1] == {"name": "n", "value": "1", "paramType": "c"}


def test_a_start_date_that_is_no_day_is_refused_naming_it(
    tf: TerraformClient, workspace: str
) -> None:
    create(tf, workspace, "daily")
    for day in (20241330, 2024103, -20241030):
        message = refused(
            lambda day=day: job_action(tf, workspace, "daily", "start", start_date=day),
            400,
            "DLF.3051",
        )
        assert "start_date" in message
        assert "20241030" in message
    assert status(tf, action(workspace, "daily")) == "STOPPED"
    job_action(tf, workspace, "daily", "start", ignore_first_self_dep=True)
    job_action(tf, workspace, "daily", "stop")
    assert status(tf, action(workspace, "daily", "stop")) == "STOPPED"


def test_the_action_refresh_drops_a_deleted_job_and_a_gone_workspace(
    tf: TerraformClient, workspace: str
) -> None:
    create(tf, workspace, "daily")
    assert read_job_action(tf, action(workspace, "daily")) is not None
    headers = {"Content-Type": "application/json", "workspace": workspace}
    tf.request("DELETE", f"{JOB_PATH}/daily", more_headers=headers, ok_codes=(204,))
    assert read_job_action(tf, action(workspace, "daily")) is None, "not listed: the 404"
    assert read_job_action(tf, action("no_such_workspace", "daily")) is None, "400 DLF.0819"


def test_run_immediately_and_its_instance_poll_are_refused_not_pretended(
    tf: TerraformClient, workspace: str
) -> None:
    create(tf, workspace, "daily")
    message = refused(lambda: run_immediately(tf, workspace, "daily"), 501, "DLF.9501")
    assert message.startswith("run_once is not supported")
    assert tf.sent[-1].body == b'{"jobParams":null}\n'
    message = refused(lambda: job_instance(tf, workspace, "daily", 7), 501, "DLF.9501")
    assert message.startswith("show_job_instance is not supported")


def test_a_script_execution_is_refused_and_its_refresh_is_an_error_not_gone(
    tf: TerraformClient, workspace: str
) -> None:
    config = {
        "workspace_id": workspace,
        "name": "q",
        "type": "DLISQL",
        "content": "select ${n}",
        "connection_name": "dli",
    }
    create_script(tf, config)
    message = refused(lambda: execute_script(tf, workspace, "q", '{"n": "1"}'), 501, "DLF.9501")
    assert message.startswith("execute_script is not supported")
    assert tf.sent[-1].body == b'{"params":{"n":"1"}}\n'
    refused(lambda: read_script_execution(tf, workspace, "q", "abc"), 501, "DLF.9501")
    assert read_script(tf, config) is not None, "the script itself is untouched"


def test_the_alarm_records_data_source_is_refused_saying_nothing_runs(
    tf: TerraformClient, workspace: str
) -> None:
    message = refused(
        lambda: alarm_records(tf, workspace, 1_730_000_000_000, 1_730_003_600_000), 501, "DLF.9501"
    )
    assert message.startswith("list_factory_alarm_info is not supported")
    assert "raises no alarms" in message
    sent = tf.sent[-1].url
    assert "start_time=1730000000000" in sent
    assert "end_time=1730003600000" in sent


def test_the_jobs_data_source_filters_and_sets_every_attribute_in_its_type(
    tf: TerraformClient, workspace: str
) -> None:
    for name in ("etl_daily", "etl_hourly", "report"):
        create(tf, workspace, name, basicConfig={"owner": "ann", "priority": "2"})
    create(tf, workspace, "etl_stream", processType="REAL_TIME")

    found = jobs_data_source(tf, workspace, name="etl", process_type="BATCH")

    assert [j["name"] for j in found] == ["etl_daily", "etl_hourly"]
    first = found[0]
    assert first["priority"] == 2, "a saved text priority is answered as a number"
    assert (first["owner"], first["process_type"], first["directory"]) == ("ann", "BATCH", "/sales")
    assert first["is_single_task_job"] is False
    assert first["created_at"] > "2020"
    assert [j["name"] for j in jobs_data_source(tf, "", process_type="REAL_TIME")] == [
        "etl_stream"
    ], "no workspace_id: the default workspace, as DataArts"


def test_the_jobs_data_source_sets_scheduling_times_empty_never_1970(
    tf: TerraformClient, workspace: str
) -> None:
    # DataArts' documented list_jobs answer for a SCHEDULING job carries no startTime/endTime,
    # and its references disagree on which instants they name: jobferry answers neither, which
    # the provider sets as "" (FormatTimeStampRFC3339 of 0), as it does against DataArts.
    cron = {
        "startTime": "2025-01-01T00:00:00+08",
        "endTime": "2099-12-31T23:59:59+08",
        "expression": "0 30 2 * * ?",
        "expressionTimeZone": "GMT+08:00",
    }
    create(tf, workspace, "windowed", schedule={"type": "CRON", "cron": cron})
    create(tf, workspace, "windowed_sub", targetStatus="SUBMITTED")
    job_action(tf, workspace, "windowed_sub", "start")

    found = jobs_data_source(tf, workspace, name="windowed")

    assert [(j["name"], j["status"]) for j in found] == [
        ("windowed", "STOPPED"),
        ("windowed_sub", "SCHEDULING"),
    ]
    for job in found:
        assert (job["start_time"], job["end_time"]) == ("", ""), job
        assert (job["last_instance_status"], job["last_instance_end_time"]) == (None, ""), job
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", job["created_at"])


def test_an_imported_id_reads_back_what_was_created(tf: TerraformClient, workspace: str) -> None:
    # terraform import of a job and a script: "<workspace_id>/<name>", split once on "/".
    create(tf, workspace, "daily")
    job_ws, job_name = f"{workspace}/daily".split("/", 1)
    state = read_job(tf, job_name, {"workspace_id": job_ws})
    assert state is not None
    assert state["name"] == "daily"
    config = {"workspace_id": workspace, "name": "q", "type": "DLISQL", "content": "select 1"}
    create_script(tf, {**config, "connection_name": "dli"})
    script_ws, script_name = f"{workspace}/q".split("/")
    imported = read_script(tf, {"workspace_id": script_ws, "name": script_name})
    assert imported is not None
    assert imported["content"] == "select 1"
