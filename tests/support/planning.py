"""Helpers for the import pipeline's unit tests (``tests/unit/services/importing``): packages
whose objects carry stable identifiers, workspaces ready for them, an import run through the
service (no HTTP), and a plan made directly and read back line by line."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from jobferry.api.presenters.plans import line_document, plan_document
from jobferry.domain.enums import ObjectKind, ProblemReason, SameNamePolicy, TaskStatus
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import ManifestHeader
from jobferry.package.reader import PackageReader, read_package
from jobferry.package.writer import PackageWriter
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.model import PlanOutcome, Record
from jobferry.services.importing.plan import Plan as KeptPlan
from jobferry.services.importing.plan import PlanLine
from jobferry.services.importing.planner import PlanContext, Planner
from jobferry.services.importing.ports import ImportTarget, OpenedPackage
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.services.taskviews import Task
from jobferry.storage.importing.workset import Workset
from jobferry.storage.tables import jobs, resources, scripts
from support.builders import make_job
from support.console import add_connections, admin_scope
from support.packages import HEADER, objects_for

Entry = tuple[str, str, dict[str, Any]]
"""(kind, name, document) of one object of a package."""


def uid_of(kind: str, name: str) -> str:
    """The stable identifier ``write_package`` and ``write_objects`` give an object by default."""
    return f"id-{kind}-{name}"


def write_objects(
    path: Path,
    objects: list[Entry],
    *,
    uids: dict[str, str] | None = None,
    header: ManifestHeader | None = HEADER,
    inventory: tuple[str, ...] = (),
    deleted: tuple[tuple[str, str, str], ...] = (),
) -> Path:
    """A single-layout package of exactly ``objects``: from the source workspace ``ws-test``
    (``header``; ``None``: no manifest, objects matched by name), each object's uid
    ``uid_of(kind, name)`` unless ``uids`` gives one by name (a source object renamed keeps its
    uid), the kinds held whole (``inventory``) and what the source deleted ((kind, uid, name))."""
    if header is not None:
        gone = [{"kind": k, "uid": u, "name": n, "deletedAt": 1} for k, u, n in deleted]
        header = replace(header, inventory=inventory, deleted=gone)
    entries = {
        entry_path(Layout.SINGLE, kind, name): (kind, name, document)
        for kind, name, document in objects
    }
    buf = io.BytesIO()
    writer = PackageWriter(buf, header)
    for entry in sorted(entries):
        kind, name, document = entries[entry]
        uid = (uids or {}).get(name, uid_of(kind, name))
        writer.add(entry, kind, name, uid, orjson.dumps(document))
    writer.close()
    path.write_bytes(buf.getvalue())
    return path


def jobs_with_dependencies(*jobs: dict[str, Any]) -> list[Entry]:
    """Each job with the two scripts and the resource its nodes use (shared ones once)."""
    found: dict[tuple[str, str], Entry] = {}
    for job in jobs:
        for kind, name, document in objects_for(job):
            found.setdefault((kind, name), (kind, name, document))
    return list(found.values())


def jobs_package(path: Path, *names: str) -> Path:
    """A package at ``path`` of the jobs ``names`` (as ``make_job`` makes them) with the
    scripts and resources they use."""
    return write_objects(path, jobs_with_dependencies(*(make_job(n) for n in names)))


def workspace(services: Services, name: str) -> Scope:
    """A new workspace with the connections ``make_job``'s nodes use; the admin's scope in it."""
    admin = admin_scope(services)
    ws = services.accounts.create_workspace(admin.actor, admin.actor.project_id, name)
    return add_connections(services, admin_scope(services, ws), "dws_conn", "ssh_conn")


def upload(services: Services, scope: Scope, package: Path) -> str:
    """Keep ``package`` as an upload of the scope's workspace; its ``upload://`` path."""
    with package.open("rb") as handle:
        path: str = services.imports.upload(scope, handle, package.name).path
    return path


def run_import(services: Services, scope: Scope, path: str, **options: Any) -> Task:
    """Import the upload at ``path`` (sameNamePolicy OVERWRITE unless given) through the import
    service, on this thread; the finished task with its subtasks."""
    body = {"path": path, "sameNamePolicy": "OVERWRITE", **options}
    prepared = services.imports.prepare(scope, parse_import_request(body))
    services.imports.run(prepared)
    return services.tasks.show(scope, prepared.task_id, subtasks=1000)


def failed_missing_job(imported: list[Task], job: str, upstream: str) -> None:
    """The one import ``imported`` holds failed, its only problem job ``job`` naming the job
    ``upstream`` the workspace no longer holds (a ``missing_reference``)."""
    (task,) = imported
    assert task.status is TaskStatus.FAILED
    assert task.result is not None
    problems = [(p["reason"], p["name"], p["reference"]) for p in task.result["problems"]]
    missing = {"kind": "job", "name": upstream}
    assert problems == [(ProblemReason.MISSING_REFERENCE, job, missing)]


def import_package(services: Services, scope: Scope, package: Path, **options: Any) -> Task:
    """Upload ``package`` and import it (see ``run_import``); the task, checked SUCCESSFUL."""
    task = run_import(services, scope, upload(services, scope, package), **options)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    return task


def create_what_jobs_use(services: Services, scope: Scope, package: Path) -> None:
    """The package's scripts and resources, created in the scope's workspace as they are."""
    for obj in read_package(package).objects:
        if obj.kind == ObjectKind.SCRIPT:
            services.scripts.create(scope, dict(obj.document))
        elif obj.kind == ObjectKind.RESOURCE:
            services.resources.create(scope, dict(obj.document))


def overwriting(**options: Any) -> ImportRequest:
    """An import request of ``options`` for a package, sameNamePolicy OVERWRITE."""
    return ImportRequest(path="upload://test", same_name_policy=SameNamePolicy.OVERWRITE, **options)


def plan_into(
    target: ImportTarget, reader: OpenedPackage, workset: Workset, **options: Any
) -> PlanOutcome:
    """Plan what ``reader`` holds into ``target`` (through its ports only) with the request
    ``overwriting(**options)``; the records go into ``workset``."""
    context = PlanContext(
        target.reader(lock_rows=True), target.scope, overwriting(**options), max_nodes=200
    )
    return Planner(context, reader, workset).run()


def planned_actions(plan: PlanOutcome, workset: Workset) -> dict[tuple[str, str], str]:
    """(kind, name) → action of every object of ``plan`` (its records read from ``workset``)."""
    stored = workset.records(plan.order)
    records = [Record.unpacked(stored[seq][0]) for seq in plan.order]
    return {(r.kind, r.name): r.action for r in records}


class Plan:
    """A plan's outcome with its lines, in plan order."""

    def __init__(self, outcome: PlanOutcome, records: list[tuple[Record, list[bytes]]]) -> None:
        self.outcome = outcome
        self.problems = outcome.problems
        self.lines = [line_document(PlanLine.of(record, late)) for record, late in records]
        self.records = {record.name: record for record, _ in records}

    def counts(self) -> dict[str, int]:
        return self.outcome.counts

    def head(self) -> dict[str, Any]:
        """The plan as the API presents it, without its lines."""
        return plan_document(KeptPlan.of(self.outcome, "a-plan", "a-sha256", (), None))

    def line(self, name: str) -> dict[str, Any]:
        return next(line for line in self.lines if line["name"] == name)

    def actions(self) -> list[tuple[str, str, str]]:
        """(kind, name, action) of every planned object, in the plan's order."""
        return [(line["kind"], line["name"], line["action"]) for line in self.lines]


def plan_of(services: Services, scope: Scope, package: Path, **options: Any) -> Plan:
    """Plan ``package`` into the scope's workspace with an import request of ``options``, in
    one read transaction as the import service does."""
    request = ImportRequest(path="upload://test", **options)
    with (
        PackageReader(package) as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        context = PlanContext(target, scope, request, max_nodes=200)
        outcome = Planner(context, reader, workset).run()
        stored = workset.records(outcome.order)
        records = [(Record.unpacked(stored[s][0]), stored[s][1]) for s in outcome.order]
    return Plan(outcome, records)


def untrue_hashes(services: Services) -> list[tuple[str, str]]:
    """(table, name) of every job, script and resource whose kept hash (``document_sha256``)
    is not the SHA-256 of its definition, in every workspace."""
    found = []
    with services.db.transaction(readonly=True) as tx:
        for table in (jobs, scripts, resources):
            rows = tx.conn.execute(select(table.c.name, table.c.document, table.c.document_sha256))
            for name, document, kept in rows:
                if kept != hashlib.sha256(document.encode()).hexdigest():
                    found.append((table.name, name))
    return found
