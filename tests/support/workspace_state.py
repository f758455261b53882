"""Everything a workspace holds of its definitions, read whole for before-and-after
comparisons: jobs (row, scheduling state, versions, references), scripts (row, versions),
resources, the promotion ledger and the tombstones, keyed by (kind, name)."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.storage import tables
from jobferry.storage.importing.tables import deletions, promotion_ledger

State = dict[tuple[str, str], dict[str, Any]]
"""(kind, name) → what the workspace holds of that object."""


def _versions(run: Any, table: sa.Table, owner: sa.Column[Any], ids: list[Any]) -> dict[Any, Any]:
    found: dict[Any, list[Any]] = {}
    rows = run(
        sa.select(owner, table.c.version, table.c.status, table.c.document).where(owner.in_(ids))
    )
    for owner_id, version, status, document in rows:
        found.setdefault(owner_id, []).append((version, status, orjson.loads(document)))
    return {key: sorted(value, key=lambda v: v[0]) for key, value in found.items()}


def _jobs(run: Any, ws: str) -> State:
    jobs, refs = tables.jobs, tables.job_refs
    rows = run(sa.select(jobs).where(jobs.c.workspace_id == ws)).mappings().all()
    ids = [row["id"] for row in rows]
    versions = _versions(run, tables.job_versions, tables.job_versions.c.job_id, ids)
    used: dict[Any, list[tuple[str, str, str]]] = {}
    for job_id, kind, name, where in run(
        sa.select(refs.c.job_id, refs.c.kind, refs.c.name, refs.c.ref_workspace).where(
            refs.c.job_id.in_(ids)
        )
    ):
        used.setdefault(job_id, []).append((kind, name, where))
    return {
        ("job", row["name"]): {
            "id": row["id"],
            "uid": row["uid"],
            "directory": row["directory"],
            "status": row["status"],
            "document": orjson.loads(row["document"]),
            "latest_version": row["latest_version"],
            "sha256": row["document_sha256"],
            "versions": versions.get(row["id"], []),
            "refs": sorted(used.get(row["id"], [])),
        }
        for row in rows
    }


def _scripts_and_resources(run: Any, ws: str) -> State:
    held: State = {}
    scripts = tables.scripts
    rows = run(sa.select(scripts).where(scripts.c.workspace_id == ws)).mappings().all()
    versions = _versions(
        run, tables.script_versions, tables.script_versions.c.script_id, [r["id"] for r in rows]
    )
    for row in rows:
        held[("script", row["name"])] = {
            "id": row["id"],
            "directory": row["directory"],
            "document": orjson.loads(row["document"]),
            "latest_version": row["latest_version"],
            "sha256": row["document_sha256"],
            "versions": versions.get(row["id"], []),
        }
    resources = tables.resources
    for row in run(sa.select(resources).where(resources.c.workspace_id == ws)).mappings():
        held[("resource", row["name"])] = {
            "id": row["id"],
            "directory": row["directory"],
            "document": orjson.loads(row["document"]),
            "sha256": row["document_sha256"],
        }
    return held


def _ledger(run: Any, ws: str) -> State:
    ledger = promotion_ledger
    rows = run(
        sa.select(
            ledger.c.kind,
            ledger.c.source_uid,
            ledger.c.target_uid,
            ledger.c.name,
            ledger.c.written_sha256,
        ).where(ledger.c.target_workspace_id == ws)
    )
    held: State = {
        ("ledger", f"{kind}:{uid}"): {"target": target, "name": name, "written": written}
        for kind, uid, target, name, written in rows
    }
    gone = run(
        sa.select(deletions.c.kind, deletions.c.uid, deletions.c.name).where(
            deletions.c.workspace_id == ws
        )
    )
    held.update({("tombstone", f"{kind}:{uid}"): {"name": name} for kind, uid, name in gone})
    return held


def workspace_state(services: Services, ws: str) -> State:
    """What the workspace ``ws`` holds of its definitions, whole."""
    with services.db.transaction(readonly=True) as tx:
        run = tx.conn.execute
        return {**_jobs(run, ws), **_scripts_and_resources(run, ws), **_ledger(run, ws)}


def definitions(state: State) -> State:
    """The jobs, scripts and resources of a state (no ledger rows nor tombstones)."""
    return {key: value for key, value in state.items() if key[0] in ("job", "script", "resource")}


def undescribed(state: State) -> State:
    """The jobs, scripts and resources of a shadow's ``state`` but the jobs' descriptions
    (and the hash that covers them): the shadow holds a job's description as the remote does
    (``remotes/unsent.py``), and a push's rollback cannot give one back (the generated pushes
    compare a remote's jobs without theirs too)."""
    out: State = {}
    for key, value in definitions(state).items():
        if key[0] == "job":
            document = {k: v for k, v in value["document"].items() if k != "description"}
            value = {**{k: v for k, v in value.items() if k != "sha256"}, "document": document}
        out[key] = value
    return out
