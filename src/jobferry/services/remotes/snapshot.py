"""Refresh from a carried snapshot: when this server cannot reach the remote, its shadow is
brought to the state of a whole-workspace export made on the remote's side and carried over.

Two kinds of export are read, through the package reader every import uses (its caps and
refusals included):

* a **jobferry workspace export** (its manifest names its source workspace, which must be the
  remote's, and its ``inventory`` the kinds it holds whole; an export without an inventory is
  a selection, not a snapshot, and is refused). The connections its manifest requires that
  the remote has (name, type, which secrets are set) are registered in the shadow when it
  lacks them; a snapshot
  holds no connection settings, so nothing a refresh read from the remote itself is
  overwritten, and nothing is deleted.
* a **DataArts batch export** (``jobs.zip``, no manifest): it holds every job exported and only
  the scripts and resources those jobs use, so jobs are taken whole (a job it lacks is gone)
  while scripts and resources it lacks are kept as they were.

A snapshot does not say a job's scheduling status: the shadow's status is kept (a new job is
stopped, as an import leaves it). The same comparison as an online refresh follows: only what
differs from what the last refresh recorded is written, and the refresh records the snapshot
(file name, SHA-256, size, when it was made) for ``remotes show`` and for the plans made
against the shadow.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobferry.domain.enums import EnvironmentKind, JobStatus, ObjectKind, RefreshSource
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError
from jobferry.package.manifest import created_ms, inventory_kinds, parse_requirements
from jobferry.package.reader import PackageReader
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.remotes.environment import EnvironmentWriter, connection_value
from jobferry.services.remotes.records import (
    CONNECTION,
    DEFINITION_KINDS,
    ENVIRONMENT_KINDS,
    Refresh,
    Snapshot,
)
from jobferry.services.remotes.shadow import (
    KindRead,
    Written,
    canonical,
    job_value,
    known_hashes,
    write_reads,
)
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import Database
from jobferry.storage import environment as env_repo
from jobferry.storage import remotes as repo
from jobferry.storage.remotes import RemoteRecord

JOBFERRY, DATAARTS = "jobferry", "dataarts"
DATAARTS_NOTE = (
    "a DataArts batch export holds only the scripts and resources its jobs use: scripts and "
    "resources it lacks were kept as they were, and connections and environment variables "
    "were not read"
)


@dataclass(frozen=True)
class SnapshotSide:
    """What a snapshot refresh compares with: the remote it must come from and the shadow."""

    remote: str
    project_id: str
    workspace: str
    """The remote's project id and workspace id (a jobferry export's manifest names them)."""
    known: dict[str, dict[str, str]]
    """kind → (name → hash) the last refresh recorded."""
    statuses: dict[str, str]
    """The shadow's jobs' scheduling statuses."""
    connections: set[str]
    """The shadow's connection names."""


def _newest_entry_ms(path: Path) -> int | None:
    """The newest time a zip's entries carry (DOS times, no zone: read as UTC)."""
    with zipfile.ZipFile(path) as archive:
        times = [info.date_time for info in archive.infolist() if info.date_time[0] > 1980]
    if not times:
        return None
    return int(datetime(*max(times), tzinfo=UTC).timestamp() * 1000)


def _check_source(side: SnapshotSide, manifest: dict[str, Any], file_name: str) -> set[str]:
    """The kinds a jobferry export holds whole; refused when it is not the remote's
    workspace or not a whole-workspace export."""
    source = manifest.get("source") if isinstance(manifest.get("source"), dict) else {}
    assert isinstance(source, dict)
    project, workspace = source.get("projectId"), source.get("workspaceId")
    if (project, workspace) != (side.project_id, side.workspace):
        raise InvalidRequestError(
            f"The snapshot '{file_name}' was exported from workspace {workspace} of project "
            f"{project}, not from remote '{side.remote}' (workspace {side.workspace} of project "
            f"{side.project_id}); carry an export of the remote's own workspace.",
            remote=side.remote,
            snapshot=file_name,
        )
    whole = inventory_kinds(manifest) & {k.value for k in DEFINITION_KINDS}
    if ObjectKind.JOB.value not in whole:
        raise InvalidRequestError(
            f"The snapshot '{file_name}' is a jobferry export of chosen jobs, not of the whole "
            f"workspace, so it cannot say what remote '{side.remote}' no longer has.",
            fix="Export the whole workspace on the remote's side (POST /v1/{project_id}/exports "
            "with mode workspace) and carry that.",
            remedy=Remedy.EXPORT_WORKSPACE,
            remote=side.remote,
            snapshot=file_name,
        )
    return whole


def _connections(side: SnapshotSide, manifest: dict[str, Any]) -> KindRead:
    """The connections a jobferry export requires, that the remote has and the shadow lacks
    (never whole). A requirement with a type is one registered on the exporting side; one
    without names a connection the remote's jobs use but the remote lacks: not copied."""
    read = KindRead(CONNECTION, side.known.get(CONNECTION, {}), whole=False)
    for req in parse_requirements(manifest):
        kept = req.kind == EnvironmentKind.CONNECTION and req.type
        if kept and req.name not in side.connections:
            read.add(req.name, connection_value(req.type or "", {}, "", req.secrets))
    return read


def read_snapshot(
    reader: PackageReader, local: Path, file_name: str, side: SnapshotSide
) -> tuple[list[KindRead], list[KindRead], Snapshot]:
    """(definition reads, environment reads, the snapshot) of one carried export."""
    manifest = reader.manifest
    if manifest is not None:
        whole, producer = _check_source(side, manifest, file_name), JOBFERRY
        made_at = created_ms(manifest)
    else:
        whole, producer = {ObjectKind.JOB.value}, DATAARTS
        made_at = _newest_entry_ms(local)
    reads = {
        kind.value: KindRead(kind.value, side.known.get(kind.value, {}), kind.value in whole)
        for kind in DEFINITION_KINDS
    }
    try:
        for obj in reader.objects():
            read = reads.get(obj.kind)
            if read is None:
                continue  # CDM jobs: not a kind a remote's shadow holds
            doc = canonical(ObjectKind(obj.kind), obj.document)
            if obj.kind == ObjectKind.JOB:
                status = JobStatus(side.statuses.get(obj.name, JobStatus.STOPPED.value))
                read.add(obj.name, job_value(doc, status))
            else:
                read.add(obj.name, doc)
    except BaseException:
        for read in reads.values():
            read.spool.close()
        raise
    environment = [_connections(side, manifest)] if manifest is not None else []
    snapshot = Snapshot(
        file_name, reader.sha256, reader.size, made_at, producer, tuple(sorted(whole))
    )
    ordered = [reads[ObjectKind.SCRIPT.value], reads[ObjectKind.RESOURCE.value]]
    return [*ordered, reads[ObjectKind.JOB.value]], environment, snapshot


def refresh_from_snapshot(
    db: Database,
    scope: Scope,
    remote: RemoteRecord,
    packages: PackageSource,
    path: str,
    box: SecretBox,
) -> Refresh:
    """Bring the shadow of ``scope`` to the state of the snapshot ``path`` names; what was
    done (no call is made to the remote)."""
    started, ws = time.monotonic(), scope.workspace.id
    kinds = (*(k.value for k in DEFINITION_KINDS), *ENVIRONMENT_KINDS)
    recorded = known_hashes(db, ws, kinds)
    known = recorded.hashes
    with db.transaction(readonly=True) as tx:
        statuses = repo.job_statuses(tx, ws)
        connections = set(env_repo.object_names(tx, ws, CONNECTION))
    side = SnapshotSide(
        remote.name, remote.remote_project_id, remote.remote_workspace, known, statuses, connections
    )
    file_name = packages.title(scope, path)
    local = packages.fetch(scope, path)
    try:
        with PackageReader(local, packages.limits, packages.scratch) as reader:
            reads, environment, snapshot = read_snapshot(reader, local, file_name, side)
    finally:
        local.unlink(missing_ok=True)
    at = now_ms()
    base = Refresh.empty(at, RefreshSource.SNAPSHOT, snapshot)
    notes = () if snapshot.producer == JOBFERRY else (DATAARTS_NOTE,)
    summary = replace(base, notes=notes)
    extras = (EnvironmentWriter(box, environment),)
    return write_reads(
        db, scope, reads, Written(remote.name, recorded.version, summary, started), extras
    )
