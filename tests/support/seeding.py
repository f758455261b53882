"""Workspaces of thousands of jobs, scripts and resources written in one transaction through
storage's bulk inserts: for tests and measurements that need size (a console page at 100,000
jobs, an export of 2,000 ticked jobs), not the API's one-object path."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from jobferry.domain.enums import JobStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.storage import Tx
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.rows import (
    CREATED_COLUMNS,
    JOB_COLUMNS,
    RESOURCE_COLUMNS,
    SCRIPT_COLUMNS,
    JobRow,
    RefRow,
    ResourceRow,
    ScriptRow,
    Stamp,
)
from jobferry.storage.tables import job_refs, jobs, resources, scripts
from support.builders import make_load_node, make_resource, make_script

SHARED_SCRIPT = "bulk_sql"
"""The one script every bulk job's node runs (created by ``bulk_jobs``)."""


def by_number(folders: int) -> Callable[[int], str]:
    """Job i lives in ``/etl/NN`` with NN = i mod ``folders``."""
    return lambda i: f"/etl/{i % folders:03d}"


def bulk_job(name: str, directory: str, tag: str) -> dict[str, object]:
    """A small valid batch job: one DWS SQL node running the shared script."""
    return {
        "name": name,
        "nodes": [make_load_node(SHARED_SCRIPT)],
        "schedule": {"type": "EXECUTE_ONCE"},
        "directory": directory,
        "processType": "BATCH",
        "basicConfig": {"owner": "etl", "priority": 0, "tags": [tag]},
    }


def bulk_jobs(
    services: Services,
    scope: Scope,
    count: int,
    *,
    prefix: str = "job",
    folder: Callable[[int], str] | None = None,
) -> list[str]:
    """``count`` jobs named ``<prefix>_000000``… (with the connection and the shared script
    they use, and their reference index), in one transaction; returns their names."""
    place = folder or by_number(50)
    if services.environment.list_objects(scope, "connection") == []:
        conn = {"type": "DWS", "config": {"host": "10.0.0.1"}, "secrets": {"password": "pw"}}
        services.environment.put(scope, "connection", "dws_conn", conn)
    stamp = Stamp(now_ms(), scope.actor.name)
    names = [f"{prefix}_{i:06d}" for i in range(count)]
    rows = [
        JobRow.of(doc, dump(doc), None)
        for i, name in enumerate(names)
        for doc in [bulk_job(name, place(i), f"team_{i % 7}")]
    ]
    lead = (scope.workspace.id, JobStatus.STOPPED.value, stamp.at, stamp.by)
    with services.db.transaction() as tx:
        if not _has_script(tx, scope.workspace.id):
            shared = make_script(SHARED_SCRIPT)
            script = ScriptRow.of(shared, dump(shared), None)
            lead_script = (str(uuid.uuid4()), SHARED_SCRIPT, scope.workspace.id, stamp.at, stamp.by)
            insert_tuples(
                tx,
                scripts,
                ("id", "name", "workspace_id", *CREATED_COLUMNS, *SCRIPT_COLUMNS),
                [(*lead_script, *script.values(stamp))],
            )
        insert_tuples(
            tx,
            jobs,
            ("uid", "name", "workspace_id", "status", *CREATED_COLUMNS, *JOB_COLUMNS),
            [(uuid.uuid4().hex, row.name, *lead, *row.values(stamp)) for row in rows],
        )
        ids = dict(
            tx.conn.execute(
                select(jobs.c.name, jobs.c.id).where(jobs.c.workspace_id == scope.workspace.id)
            ).all()
        )
        refs = [
            RefRow(int(ids[name]), kind, ref, "")
            for i, name in enumerate(names)
            for kind, ref in (
                ("script", SHARED_SCRIPT),
                ("connection", "dws_conn"),
                ("tag", f"team_{i % 7}"),
            )
        ]
        insert_tuples(tx, job_refs, RefRow._fields, refs)
    return names


def _has_script(tx: Tx, workspace_id: str) -> bool:
    stmt = select(scripts.c.id).where(
        scripts.c.workspace_id == workspace_id, scripts.c.name == SHARED_SCRIPT
    )
    return tx.conn.execute(stmt).first() is not None


def bulk_scripts(
    services: Services, scope: Scope, count: int, *, folder: Callable[[int], str] | None = None
) -> list[str]:
    """``count`` SQL scripts named ``script_000000``…, in one transaction."""
    place = folder or by_number(20)
    stamp = Stamp(now_ms(), scope.actor.name)
    names = [f"script_{i:06d}" for i in range(count)]
    values = []
    for i, name in enumerate(names):
        doc = make_script(name, directory=place(i), content=f"select {i};")
        row = ScriptRow.of(doc, dump(doc), None)
        values.append(
            (str(uuid.uuid4()), name, scope.workspace.id, stamp.at, stamp.by, *row.values(stamp))
        )
    with services.db.transaction() as tx:
        insert_tuples(
            tx, scripts, ("id", "name", "workspace_id", *CREATED_COLUMNS, *SCRIPT_COLUMNS), values
        )
    return names


def bulk_resources(
    services: Services, scope: Scope, count: int, *, folder: Callable[[int], str] | None = None
) -> list[str]:
    """``count`` jar resources named ``res_000000``…, in one transaction."""
    place = folder or by_number(10)
    stamp = Stamp(now_ms(), scope.actor.name)
    names = [f"res_{i:06d}" for i in range(count)]
    values = []
    for i, name in enumerate(names):
        doc = make_resource(name, directory=place(i))
        row = ResourceRow.of(doc, dump(doc))
        values.append(
            (str(uuid.uuid4()), scope.workspace.id, stamp.at, stamp.by, *row.values(stamp))
        )
    with services.db.transaction() as tx:
        insert_tuples(
            tx, resources, ("id", "workspace_id", *CREATED_COLUMNS, *RESOURCE_COLUMNS), values
        )
    return names
