"""The Terraform provider's one-time actions and its newer data sources, restated call by call
(provider v1.97): ``huaweicloud_dataarts_factory_job_action`` (start, stop, run-immediate and
the job look-up its Read and its waits use), ``huaweicloud_dataarts_factory_script_execute``,
and the data sources ``huaweicloud_dataarts_factory_jobs`` (as it sets its state) and
``huaweicloud_dataarts_factory_alarm_records``.

The Read of a resource answers ``None`` where the provider drops the resource from state: a
404, or a 400 whose ``error_code`` is one the resource names as "not found".
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from support.terraform import GoResponseError, TerraformClient
from support.terraform_provider import JOB_PATH, ignore_empty, job_pages, search

ACTION_GONE = ("DLF.0819",)
"""``actionResourceNotFoundCodes``: the workspace does not exist."""
SCRIPT_EXECUTE_GONE = ("DLF.20819", "DLF.6201")
"""``factoryScriptExecuteNotFoundCodes``: the workspace, the script does not exist."""


def _gone(exc: GoResponseError, codes: tuple[str, ...]) -> bool:
    """``CheckDeleted`` after ``ConvertExpected400ErrInto404Err(err, "error_code", codes…)``."""
    return exc.status == 404 or (exc.status == 400 and search(exc.json(), "error_code") in codes)


def _headers(workspace_id: str) -> dict[str, str]:
    """``buildFactoryRequestMoreHeaders``: JSON and, when set, the workspace."""
    headers = {"Content-Type": "application/json"}
    if workspace_id:
        headers["workspace"] = workspace_id
    return headers


def start_body(
    job_params: list[dict[str, Any]] | None = None,
    start_date: int = 0,
    ignore_first_self_dep: bool = False,
) -> dict[str, Any]:
    """``buildStartJobBodyParams`` after ``RemoveNil``: the parameters' ``type`` is sent as
    ``paramType`` (``null`` when unset: RemoveNil does not enter a ``[]interface{}``), a zero
    ``start_date`` is left out, and ``ignore_first_self_dependence`` is always sent."""
    params = [
        {"name": p["name"], "value": p["value"], "paramType": ignore_empty(p.get("type", ""))}
        for p in job_params or []
    ]
    body = {
        "jobParams": ignore_empty(params),
        "start_date": ignore_empty(start_date),
        "ignore_first_self_dependence": ignore_first_self_dep,
    }
    return {key: value for key, value in body.items() if value is not None}


def job_action(
    tf: TerraformClient, workspace_id: str, name: str, action: str, **start: Any
) -> None:
    """``startJob`` (``start`` keyword arguments as :func:`start_body` takes them) or
    ``stopJob`` (no body): 204 expected."""
    body = start_body(**start) if action == "start" else None
    tf.request(
        "POST",
        f"{JOB_PATH}/{name}/{action}",
        json_body=body,
        more_headers=_headers(workspace_id),
        ok_codes=(204,),
    )


def run_immediately(
    tf: TerraformClient,
    workspace_id: str,
    name: str,
    job_params: list[dict[str, Any]] | None = None,
    use_execution_user: str = "",
) -> int:
    """``startJobImmediately``: ``jobParams`` always sent (``null`` for none), default OkCodes;
    answers ``instanceId`` read as a float64, for the instance poll."""
    params = [
        {"name": p["name"], "value": p["value"], "type": ignore_empty(p.get("type", ""))}
        for p in job_params or []
    ]
    body: dict[str, Any] = {"jobParams": params or None}
    if use_execution_user:
        body["useExecutionUser"] = use_execution_user
    answer = tf.request(
        "POST",
        f"{JOB_PATH}/{name}/run-immediate",
        json_body=body,
        more_headers=_headers(workspace_id),
    )
    return int(float(search(answer, "instanceId") or 0))


def job_instance(tf: TerraformClient, workspace_id: str, name: str, instance_id: int) -> Any:
    """``getJobInstanceById``: what the run-immediate wait polls for ``status``."""
    path = f"{JOB_PATH}/{name}/instances/{instance_id}"
    return tf.request("GET", path, more_headers=_headers(workspace_id))


def job_by_name(
    tf: TerraformClient, workspace_id: str, name: str, job_type: str
) -> dict[str, Any] | None:
    """``getJobByName``: the fuzzy list (``jobName``, ``jobType``) walked by rows until the
    exact name or an empty page (then the provider's own 404)."""
    for jobs in job_pages(tf, workspace_id, f"&jobName={name}&jobType={job_type}"):
        found = next((j for j in jobs if j.get("name") == name), None)
        if found is not None:
            return found
    return None


def read_job_action(tf: TerraformClient, config: dict[str, Any]) -> dict[str, Any] | None:
    """``resourceFactoryJobActionRead``: the state, or ``None`` (dropped) when the job is not
    listed or the workspace is gone."""
    try:
        job = job_by_name(tf, config["workspace_id"], config["job_name"], config["process_type"])
    except GoResponseError as exc:
        if _gone(exc, ACTION_GONE):
            return None
        raise
    if job is None:
        return None
    return {"job_name": job.get("name"), "status": job.get("status"), "action": config["action"]}


def execute_script(tf: TerraformClient, workspace_id: str, name: str, params: str = "") -> str:
    """``executeFactoryScript``: ``params`` is the argument's JSON text, sent decoded (left out
    when empty); OkCodes 200; ``instanceId`` read as text."""
    body = {} if not params else {"params": json.loads(params)}
    answer = tf.request(
        "POST",
        f"v1/{{project_id}}/scripts/{name}/execute",
        json_body=body,
        more_headers={"workspace": workspace_id},
        ok_codes=(200,),
    )
    return str(search(answer, "instanceId") or "")


def read_script_execution(
    tf: TerraformClient, workspace_id: str, name: str, instance_id: str
) -> dict[str, Any] | None:
    """``resourceFactoryScriptExecuteRead``: ``status`` and ``message``, ``None`` when gone."""
    path = f"v1/{{project_id}}/scripts/{name}/instances/{instance_id}"
    try:
        answer = tf.request("GET", path, more_headers={"workspace": workspace_id})
    except GoResponseError as exc:
        if _gone(exc, SCRIPT_EXECUTE_GONE):
            return None
        raise
    return {"status": search(answer, "status"), "message": search(answer, "message")}


def _rfc3339(ms: Any) -> str:
    """``flattenTimeToRFC3339``: ``FormatTimeStampRFC3339(int64(v.(float64))/1000, false)``. The
    value must be a JSON number (the type assertion panics on anything else); a field left out is
    read as 0, and 0 seconds is set as "" (never a 1970 date); any other value in the local time
    of the machine running Terraform, in Go's RFC 3339 (``Z`` when that is UTC)."""
    assert isinstance(ms, int | float), ms
    assert not isinstance(ms, bool), ms
    whole = int(ms)  # Go's int64(float64) and its integer division both truncate toward zero
    seconds = abs(whole) // 1000 * (1 if whole >= 0 else -1)
    if seconds == 0:
        return ""
    return datetime.fromtimestamp(seconds).astimezone().isoformat().replace("+00:00", "Z")


def _int_or_none(value: Any) -> Any:
    """What ``d.Set`` takes for a TypeInt: a JSON number (or nothing)."""
    assert value is None or (isinstance(value, int | float) and not isinstance(value, bool)), value
    return None if value is None else int(value)


def _text_or_none(value: Any) -> Any:
    """What ``d.Set`` takes for a TypeString: a JSON string (or nothing)."""
    assert value is None or isinstance(value, str), value
    return value


def jobs_data_source(
    tf: TerraformClient, workspace_id: str, name: str = "", process_type: str = ""
) -> list[dict[str, Any]]:
    """``dataSourceFactoryJobsRead``: ``queryFactoryJobs`` (``jobName``, ``jobType`` filters,
    pages until an empty one), each job flattened as ``flattenJobs`` sets it into state; the
    types ``d.Set`` and the ``float64`` assertions need are checked."""
    query = "".join(
        f"&{key}={value}" for key, value in (("jobName", name), ("jobType", process_type)) if value
    )
    flat = []
    for page in job_pages(tf, workspace_id, query):
        for job in page:
            single = job.get("singleNodeJobFlag", False)
            assert isinstance(single, bool), job
            flat.append(
                {
                    "name": _text_or_none(job.get("name")),
                    "process_type": _text_or_none(job.get("jobType")),
                    "priority": _int_or_none(job.get("priority")),
                    "owner": _text_or_none(job.get("owner")),
                    "is_single_task_job": single,
                    "directory": _text_or_none(job.get("path")),
                    "status": _text_or_none(job.get("status")),
                    "start_time": _rfc3339(job.get("startTime", 0.0)),
                    "end_time": _rfc3339(job.get("endTime", 0.0)),
                    "created_by": _text_or_none(job.get("createUser")),
                    "created_at": _rfc3339(job.get("createTime", 0.0)),
                    "updated_at": _rfc3339(job.get("lastUpdateTime", 0.0)),
                    "updated_by": _text_or_none(job.get("lastUpdateUser")),
                    "last_instance_status": _text_or_none(job.get("lastInstanceStatus")),
                    "last_instance_end_time": _rfc3339(job.get("lastInstanceEndTime", 0.0)),
                }
            )
    return flat


def alarm_records(
    tf: TerraformClient, workspace: str, start_time_ms: int = 0, end_time_ms: int = 0
) -> list[dict[str, Any]]:
    """``listAlarmRecords`` (the ``dataarts`` client, v2): ``limit=100``, then ``start_time``
    and ``end_time`` in epoch ms when set, then ``offset += len(page)`` until an empty or
    short page of ``alarm_info``."""
    query = "v2/{project_id}/factory/alarm-info?limit=100"
    query += "".join(
        f"&{key}={value}"
        for key, value in (("start_time", start_time_ms), ("end_time", end_time_ms))
        if value
    )
    headers = _headers(workspace)
    result: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = tf.request("GET", f"{query}&offset={offset}", more_headers=headers)
        page = search(body, "alarm_info") or []
        result += page
        if len(page) < 100:
            return result
        offset += len(page)
