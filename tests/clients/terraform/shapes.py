"""Job configurations of the provider's docs and acceptance tests, as HCL arguments (nested
blocks are lists of dicts)."""

from __future__ import annotations

import copy
from typing import Any

RESTAPI_PROPERTIES = [
    {"name": "url", "value": "https://www.huaweicloud.com/"},
    {"name": "method", "value": "GET"},
    {"name": "retry", "value": "false"},
    {"name": "requestMode", "value": "sync"},
    {"name": "securityAuthentication", "value": "NONE"},
    {"name": "agentName", "value": "cdm-agent"},
]


def restapi_job(name: str, workspace: str, process_type: str, x: int, y: int) -> dict[str, Any]:
    """The docs example (REAL_TIME, 10/10) and the export/import acceptance base (BATCH, 10/11)."""
    return {
        "name": name,
        "workspace_id": workspace,
        "process_type": process_type,
        "nodes": [
            {
                "name": f"Rest_client_{name}",
                "type": "RESTAPI",
                "location": [{"x": x, "y": y}],
                "properties": copy.deepcopy(RESTAPI_PROPERTIES),
            }
        ],
        "schedule": [{"type": "EXECUTE_ONCE"}],
    }


def dlisql_job(name: str, workspace: str, depend_on: list[str] | None) -> dict[str, Any]:
    """The acceptance test's single-task DLI SQL job; ``depend_jobs`` as steps 1 and 2 set it."""
    cron: dict[str, Any] = {"start_time": "2024-07-23T13:08:37+08", "expression": "0 0 0 * * ?"}
    if depend_on is not None:
        cron["depend_jobs"] = [{"jobs": depend_on}]
    return {
        "name": name,
        "workspace_id": workspace,
        "process_type": "BATCH",
        "nodes": [
            {
                "name": name,
                "type": "DLISQL",
                "location": [{"x": 10, "y": 11}],
                "properties": [
                    {"name": "database", "value": "tf_db"},
                    {"name": "queueName", "value": "default"},
                    {"name": "statementOrScript", "value": "SCRIPT"},
                    {"name": "overloadRetryInterval", "value": "300 sec"},
                    {"name": "maximumOverloadRetries", "value": "0"},
                ],
            }
        ],
        "schedule": [{"type": "CRON", "cron": [cron]}],
    }


def every_argument_job(name: str, workspace: str) -> dict[str, Any]:
    """Every argument of the schema that the provider reads back (cron_trigger aside)."""
    job = restapi_job(name, workspace, "BATCH", 100, 200)
    second = {
        "name": "second",
        "type": "Dummy",
        "location": [{"x": 300, "y": 200}],
        "pre_node_name": [job["nodes"][0]["name"]],
        "conditions": [
            {
                "pre_node_name": job["nodes"][0]["name"],
                "expression": '#{Job.getNodeStatus("x")=="success"}',
            }
        ],
        "properties": [{"name": "note", "value": "v"}],
        "polling_interval": 20,
        "max_execution_time": 360,
        "retry_times": 3,
        "retry_interval": 60,
        "fail_policy": "FAIL_CHILD",
    }
    job["nodes"].append(second)
    job["schedule"] = [
        {
            "type": "CRON",
            "cron": [
                {
                    "start_time": "2024-01-01T00:00:00+08",
                    "end_time": "2099-12-31T23:59:59+08",
                    "expression": "0 30 2 * * ?",
                    "expression_time_zone": "Asia/Shanghai",
                    "depend_pre_period": True,
                }
            ],
        }
    ]
    job["params"] = [{"name": "bizdate", "value": "20240101", "type": "variable"}]
    job["directory"] = "/terraform/all"
    job["log_path"] = "obs://tf-logs/jobs/"
    job["basic_config"] = [
        {
            "owner": "alice",
            "priority": 1,
            "execute_user": "etl",
            "instance_timeout": 60,
            "custom_fields": {"team": "data", "cost": "42"},
        }
    ]
    return job
