"""Shared builders for tests: definitions, fixtures from the DataArts API reference."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "dataarts-examples"
SERVER_FIELDS = frozenset({"id", "createTime", "lastUpdateUser", "version"})
"""The fields of a shown job that the server sets and an update does not take."""


def fixture(name: str) -> dict[str, Any]:
    """A public DataArts example definition (provenance in tests/data/…/SOURCES.md)."""
    value = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def make_load_node(script: str, **overrides: Any) -> dict[str, Any]:
    """The first node of a job: 'load', running the DWS SQL ``script`` on dws_conn."""
    node: dict[str, Any] = {
        "name": "load",
        "type": "DWSSQL",
        "location": {"x": "10", "y": "20"},
        "preNodeName": [],
        "properties": [
            {"name": "scriptName", "value": script},
            {"name": "connectionName", "value": "dws_conn"},
            {"name": "database", "value": "postgres"},
        ],
    }
    node.update(overrides)
    return node


def make_job(name: str = "daily_sales", **overrides: Any) -> dict[str, Any]:
    """A valid batch job: two nodes, a cron schedule, params, tags."""
    load = make_load_node(
        f"{name}_sql",
        pollingInterval=10,
        maxExecutionTime=60,
        retryTimes=1,
        retryInterval=120,
        failPolicy="FAIL",
    )
    job: dict[str, Any] = {
        "name": name,
        "nodes": [
            load,
            {
                "name": "report",
                "type": "Shell",
                "location": {"x": "200", "y": "20"},
                "preNodeName": ["load"],
                "properties": [
                    {"name": "scriptName", "value": f"{name}_sh"},
                    {"name": "connectionName", "value": "ssh_conn"},
                ],
            },
        ],
        "schedule": {
            "type": "CRON",
            "cron": {
                "startTime": "2025-01-01T00:00:00+08",
                "expression": "0 30 2 * * ?",
                "expressionTimeZone": "GMT+08:00",
            },
        },
        "params": [{"name": "bizdate", "value": "${yyyyMMdd}", "type": "variable"}],
        "directory": "/sales",
        "processType": "BATCH",
        "basicConfig": {"owner": "alice", "priority": 0, "tags": ["daily"]},
    }
    job.update(copy.deepcopy(overrides))
    return job


def make_script(name: str = "daily_sales_sql", **overrides: Any) -> dict[str, Any]:
    """A valid DWS SQL script."""
    script: dict[str, Any] = {
        "name": name,
        "type": "DWSSQL",
        "content": "select 1;",
        "connectionName": "dws_conn",
        "database": "postgres",
        "directory": "/sales",
    }
    script.update(overrides)
    return script


def make_resource(name: str = "udf_jar", **overrides: Any) -> dict[str, Any]:
    """A valid jar resource."""
    resource: dict[str, Any] = {
        "name": name,
        "type": "jar",
        "location": "obs://bucket/libs/udf.jar",
        "dependFiles": [],
        "desc": "UDFs",
        "directory": "/libs",
    }
    resource.update(overrides)
    return resource


def released(value: str) -> list[dict[str, str]]:
    """A job's ``params`` holding one parameter, ``release``, set to ``value`` (an edit that
    reaches a remote: ``create_job`` and ``update_job`` carry a job's parameters, not its
    description)."""
    return [{"name": "release", "value": value, "type": "variable"}]


def release(job: dict[str, Any]) -> str | None:
    """The value of a job's ``release`` parameter (``None``: it has none)."""
    values = {p.get("name"): p.get("value") for p in job.get("params") or []}
    value = values.get("release")
    return None if value is None else str(value)


def editable(shown: dict[str, Any]) -> dict[str, Any]:
    """A shown job without the fields the server sets, ready to send back as an update."""
    return {key: value for key, value in shown.items() if key not in SERVER_FIELDS}
