"""Workload generator: a workspace shaped like a real data platform's.

N jobs × 5 nodes with properties, a cron schedule and 0–3 dependJobs each (always on jobs
created earlier, so the dependency graph is acyclic), one ~1 KB script per job, 200 resources
and 20 connections. Deterministic for a given N (seeded random).

After the load the planner's statistics are refreshed, as PostgreSQL's autovacuum would do
(and as its documentation asks after a bulk load). The bench machines run PostgreSQL with
autovacuum off: without it the export's queries planned against "nearly empty" tables (a scan
of the whole workspace per batch of 500 names), which made the 100,000-job export take 28 s
and grow 2.2 times faster than the workspace (bench/README.md, session 12).
"""

from __future__ import annotations

import random
from typing import Any

from jobferry.domain.enums import TargetStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.jobs import save_job
from jobferry.services.definitions.resources import save_resource
from jobferry.services.definitions.scripts import save_script
from jobferry.storage.importing.target import GROWN_BY_IMPORT

SQL_LINE = (
    "select o.order_id, o.amount, c.region from ods.orders o join dim.customer c using (cid);\n"
)


def script_doc(i: int) -> dict[str, Any]:
    """A ~1 KB SQL script."""
    content = f"-- job {i}\n" + SQL_LINE * 11
    return {
        "name": f"script_{i:05d}",
        "type": "DWSSQL",
        "content": content,
        "connectionName": f"dws_conn_{i % 20:02d}",
        "database": "postgres",
        "directory": f"/etl/{i % 50:02d}",
    }


def job_doc(i: int, rng: random.Random) -> dict[str, Any]:
    """A 5-node batch job using its script, a resource, a connection and upstream jobs."""
    nodes: list[dict[str, Any]] = []
    for n in range(5):
        props = [
            {"name": "scriptName", "value": f"script_{i:05d}"},
            {"name": "connectionName", "value": f"dws_conn_{(i + n) % 20:02d}"},
            {"name": "database", "value": "postgres"},
            {"name": "scriptArgs", "value": f"bizdate=${{bizdate}}\nnode={n}"},
        ]
        if n == 4:
            props.append({"name": "resourceName", "value": f"res_{i % 200:03d}"})
        nodes.append(
            {
                "name": f"node_{n}",
                "type": "DWSSQL",
                "location": {"x": str(100 * n), "y": "100"},
                "preNodeName": [f"node_{n - 1}"] if n else [],
                "properties": props,
                "pollingInterval": 10,
                "maxExecutionTime": 60,
                "retryTimes": 1,
                "retryInterval": 120,
                "failPolicy": "FAIL",
            }
        )
    depends = sorted({f"job_{rng.randrange(i):05d}" for _ in range(rng.randint(0, 3))}) if i else []
    cron: dict[str, Any] = {
        "startTime": "2025-01-01T00:00:00+08",
        "expression": f"0 {i % 60} {i % 24} * * ?",
        "expressionTimeZone": "GMT+08:00",
    }
    if depends:
        cron["dependJobs"] = {"jobs": depends, "dependPeriod": "SAME_PERIOD"}
    return {
        "name": f"job_{i:05d}",
        "nodes": nodes,
        "schedule": {"type": "CRON", "cron": cron},
        "params": [{"name": "bizdate", "value": "${yyyyMMdd}", "type": "variable"}],
        "directory": f"/etl/{i % 50:02d}",
        "processType": "BATCH",
        "basicConfig": {"owner": "etl", "priority": i % 3, "tags": [f"team_{i % 7}"]},
    }


def generate(services: Services, scope: Scope, jobs: int) -> None:
    """Fill the scope's workspace with the workload in one transaction."""
    rng = random.Random(jobs)
    for c in range(20):
        services.environment.put(
            scope,
            "connection",
            f"dws_conn_{c:02d}",
            {"type": "DWS", "config": {"host": f"10.0.0.{c}"}, "secrets": {"password": "pw"}},
        )
    with services.db.transaction() as tx:
        for r in range(200):
            resource = {
                "name": f"res_{r:03d}",
                "type": "jar",
                "location": f"obs://libs/res_{r:03d}.jar",
                "directory": "/libs",
            }
            save_resource(tx, scope, resource, None)
        for i in range(jobs):
            save_script(tx, scope, script_doc(i), TargetStatus.SUBMITTED, None)
            save_job(tx, scope, job_doc(i, rng), TargetStatus.SUBMITTED, None, None)
    services.db.refresh_statistics(GROWN_BY_IMPORT)
