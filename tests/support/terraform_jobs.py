"""The Terraform provider's ``huaweicloud_dataarts_factory_job``, restated call by call.

What the provider sends on create and update (``buildCreateJobBodyParams``) and what its Read
puts back into state (``resourceFactoryJobRead`` and its ``flatten…`` helpers), with the
schema's Computed flags for :func:`support.terraform_provider.plan_diff`.
"""

from __future__ import annotations

from typing import Any

from support.terraform import GoResponseError, TerraformClient
from support.terraform_provider import JOB_PATH, ignore_empty, remove_nil, search


def _block(value: Any) -> dict[str, Any] | None:
    return value[0] if isinstance(value, list) and value else None


def _job_headers(config: dict[str, Any]) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if config.get("workspace_id"):
        headers["workspace"] = config["workspace_id"]
    return headers


def _triggers(raw: dict[str, Any] | None, keys: dict[str, str]) -> dict[str, Any] | None:
    if raw is None:
        return None
    return {wire: ignore_empty(raw.get(arg)) for wire, arg in keys.items()}


_EVENT = {
    "eventType": "event_type",
    "channel": "channel",
    "failPolicy": "fail_policy",
    "concurrent": "concurrent",
    "readPolicy": "read_policy",
}
_DEPEND = {"dependPeriod": "depend_period", "dependFailPolicy": "depend_fail_policy"}


def _depend_jobs(raw: dict[str, Any] | None, ignore_jobs: bool) -> dict[str, Any] | None:
    if raw is None:
        return None
    jobs = raw.get("jobs", [])
    return {"jobs": ignore_empty(jobs) if ignore_jobs else jobs, **(_triggers(raw, _DEPEND) or {})}


_CRON = {
    "startTime": "start_time",
    "endTime": "end_time",
    "expression": "expression",
    "expressionTimeZone": "expression_time_zone",
    "dependPrePeriod": "depend_pre_period",
}
"""The fields of a job's cron schedule; a node's cron trigger has a period and concurrent too
(the body is a Go map, written with sorted keys, so their order is not the provider's)."""


def _cron_trigger(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    keys = {**_CRON, "period": "period", "concurrent": "concurrent"}
    out = _triggers(raw, keys) or {}
    out["dependJobs"] = _depend_jobs(_block(raw.get("depend_jobs")), ignore_jobs=True)
    return out


def _node_body(raw: dict[str, Any]) -> dict[str, Any]:
    location = _block(raw.get("location"))
    return {
        "name": ignore_empty(raw.get("name")),
        "type": ignore_empty(raw.get("type")),
        "location": None
        if location is None
        else {"x": ignore_empty(location.get("x")), "y": ignore_empty(location.get("y"))},
        "preNodeName": ignore_empty(raw.get("pre_node_name", [])),
        "conditions": [
            {
                "preNodeName": ignore_empty(c.get("pre_node_name")),
                "expression": ignore_empty(c.get("expression")),
            }
            for c in raw.get("conditions", [])
        ]
        or None,
        "properties": [
            {"name": ignore_empty(p.get("name")), "value": ignore_empty(p.get("value"))}
            for p in raw.get("properties", [])
        ]
        or None,
        "pollingInterval": ignore_empty(raw.get("polling_interval", 0)),
        "maxExecutionTime": ignore_empty(raw.get("max_execution_time", 0)),
        "retryTimes": ignore_empty(raw.get("retry_times", 0)),
        "retryInterval": ignore_empty(raw.get("retry_interval", 0)),
        "failPolicy": ignore_empty(raw.get("fail_policy", "")),
        "eventTrigger": _triggers(_block(raw.get("event_trigger")), _EVENT),
        "cronTrigger": _cron_trigger(_block(raw.get("cron_trigger"))),
    }


def _schedule_body(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    cron = _block(raw.get("cron"))
    cron_body = None
    if cron is not None:
        cron_body = _triggers(cron, _CRON) or {}
        cron_body["dependJobs"] = _depend_jobs(_block(cron.get("depend_jobs")), ignore_jobs=False)
    return {
        "type": ignore_empty(raw.get("type")),
        "cron": cron_body,
        "event": _triggers(_block(raw.get("event")), _EVENT),
    }


def job_body(config: dict[str, Any]) -> dict[str, Any]:
    """``buildCreateJobBodyParams`` (the update body is the same)."""
    basic = _block(config.get("basic_config"))
    basic_keys = {
        "owner": "owner",
        "priority": "priority",
        "executeUser": "execute_user",
        "instanceTimeout": "instance_timeout",
        "customFields": "custom_fields",
    }
    return remove_nil(
        {
            "name": config["name"],
            "nodes": [_node_body(n) for n in config.get("nodes", [])] or None,
            "schedule": _schedule_body(_block(config.get("schedule"))),
            "params": [
                {k: ignore_empty(p.get(k)) for k in ("name", "value", "type")}
                for p in config.get("params", [])
            ]
            or None,
            "directory": ignore_empty(config.get("directory", "")),
            "processType": config["process_type"],
            "logPath": ignore_empty(config.get("log_path", "")),
            "basicConfig": None
            if basic is None
            else {
                wire: ignore_empty(basic.get(arg, {} if arg == "custom_fields" else None))
                for wire, arg in basic_keys.items()
            },
        }
    )


def create_job(tf: TerraformClient, config: dict[str, Any]) -> str:
    tf.request(
        "POST",
        JOB_PATH,
        json_body=job_body(config),
        more_headers=_job_headers(config),
        ok_codes=(204,),
    )
    return str(config["name"])


def update_job(tf: TerraformClient, job_id: str, config: dict[str, Any]) -> None:
    tf.request(
        "PUT",
        f"{JOB_PATH}/{job_id}",
        json_body=job_body(config),
        more_headers=_job_headers(config),
        ok_codes=(204,),
    )


def delete_job(tf: TerraformClient, job_id: str, config: dict[str, Any]) -> None:
    tf.request("DELETE", f"{JOB_PATH}/{job_id}", more_headers=_job_headers(config), ok_codes=(204,))


def _flat_event(obj: Any) -> list[dict[str, Any]]:
    if not isinstance(obj, dict) or not obj:
        return []
    return [{arg: obj.get(wire) for wire, arg in _EVENT.items()}]


def _flat_depend(obj: Any) -> list[dict[str, Any]]:
    depend = search(obj, "dependJobs")
    if not isinstance(depend, dict) or not depend:
        return []
    return [{"jobs": depend.get("jobs"), **{a: depend.get(w) for w, a in _DEPEND.items()}}]


def _flat_node(node: dict[str, Any]) -> dict[str, Any]:
    location = node.get("location")
    cron = node.get("cron_trigger")  # sic: the provider reads cron_trigger, it sends cronTrigger
    return {
        "name": node.get("name"),
        "type": node.get("type"),
        "location": [{axis: int(float(location.get(axis) or 0)) for axis in ("x", "y")}]
        if isinstance(location, dict) and location
        else [],
        "pre_node_name": node.get("preNodeName"),
        "conditions": [
            {"pre_node_name": c.get("preNodeName"), "expression": c.get("expression")}
            for c in node.get("conditions") or []
        ],
        "properties": [
            {"name": p.get("name"), "value": p.get("value")} for p in node.get("properties") or []
        ],
        "polling_interval": node.get("pollingInterval"),
        "max_execution_time": node.get("maxExecutionTime"),
        "retry_times": node.get("retryTimes"),
        "retry_interval": node.get("retryInterval"),
        "fail_policy": node.get("failPolicy"),
        "event_trigger": _flat_event(node.get("eventTrigger")),
        "cron_trigger": []
        if not isinstance(cron, dict) or not cron
        else [
            {
                "start_time": cron.get("startTime"),
                "end_time": cron.get("endTime"),
                "expression": cron.get("expression"),
                "expression_time_zone": cron.get("expressionTimeZone"),
                "period": cron.get("period"),
                "depend_pre_period": cron.get("dependPrePeriod"),
                "depend_jobs": _flat_depend(cron),
                "concurrent": cron.get("concurrent"),
            }
        ],
    }


def _flat_schedule(schedule: Any) -> list[dict[str, Any]]:
    if not isinstance(schedule, dict) or not schedule:
        return []
    cron = schedule.get("cron")
    return [
        {
            "type": schedule.get("type"),
            "cron": [
                {
                    "start_time": cron.get("startTime"),
                    "end_time": cron.get("endTime"),
                    "expression": cron.get("expression"),
                    "expression_time_zone": cron.get("expressionTimeZone"),
                    "depend_pre_period": cron.get("dependPrePeriod"),
                    "depend_jobs": _flat_depend(cron),
                }
            ]
            if isinstance(cron, dict) and cron
            else [],
            "event": _flat_event(schedule.get("event")),
        }
    ]


def read_job(tf: TerraformClient, job_id: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """``resourceFactoryJobRead``: the state, or ``None`` when the job is gone."""
    try:
        body = tf.request(
            "GET", f"{JOB_PATH}/{job_id}", more_headers=_job_headers(config), ok_codes=(200,)
        )
    except GoResponseError as exc:
        if exc.status == 400 and search(exc.json(), "error_code") == "DLF.0100":
            return None  # ConvertExpected400ErrInto404Err(err, "error_code", "DLF.0100")
        raise
    basic = body.get("basicConfig")
    return {
        "name": body.get("name"),
        "nodes": [_flat_node(n) for n in body.get("nodes") or []],
        "schedule": _flat_schedule(body.get("schedule")),
        "params": [
            {k: p.get(k) for k in ("name", "value", "type")} for p in body.get("params") or []
        ],
        "directory": body.get("directory"),
        "process_type": body.get("processType"),
        "log_path": body.get("logPath"),
        "basic_config": [
            {
                "owner": basic.get("owner"),
                "priority": basic.get("priority"),
                "execute_user": basic.get("executeUser"),
                "instance_timeout": basic.get("instanceTimeout"),
                "custom_fields": basic.get("customFields"),
            }
        ]
        if isinstance(basic, dict) and basic
        else [],
    }


# Which arguments are Optional+Computed ("C") and which plain ("O", Required included);
# nested blocks give (flag, their own schema).
_EVENT_SCHEMA = {
    "event_type": "O",
    "channel": "O",
    "fail_policy": "C",
    "concurrent": "C",
    "read_policy": "C",
}
_DEPEND_SCHEMA = {"jobs": "O", "depend_period": "C", "depend_fail_policy": "C"}
_CRON_SCHEMA = {
    "start_time": "O",
    "end_time": "C",
    "expression": "O",
    "expression_time_zone": "C",
    "depend_pre_period": "C",
    "depend_jobs": ("C", _DEPEND_SCHEMA),
}
_NODE_SCHEMA = {
    "name": "O",
    "type": "O",
    "location": ("O", {"x": "O", "y": "O"}),
    "pre_node_name": "C",
    "conditions": ("C", {"pre_node_name": "O", "expression": "O"}),
    "properties": ("O", {"name": "C", "value": "C"}),
    "polling_interval": "C",
    "max_execution_time": "C",
    "retry_times": "C",
    "retry_interval": "C",
    "fail_policy": "C",
    "event_trigger": ("C", _EVENT_SCHEMA),
    "cron_trigger": ("C", {**_CRON_SCHEMA, "period": "C", "concurrent": "C"}),
}
JOB_SCHEMA: dict[str, Any] = {
    "name": "O",
    "nodes": ("O", _NODE_SCHEMA),
    "schedule": ("O", {"type": "O", "cron": ("C", _CRON_SCHEMA), "event": ("C", _EVENT_SCHEMA)}),
    "process_type": "O",
    "params": ("C", {"name": "O", "value": "O", "type": "C"}),
    "directory": "C",
    "log_path": "C",
    "basic_config": (
        "C",
        {
            "owner": "C",
            "priority": "C",
            "execute_user": "C",
            "instance_timeout": "C",
            "custom_fields": "C",
        },
    ),
}
