"""The import pipeline against a second implementation of its target port.

:class:`MemoryWorkspace` is a workspace held in dictionaries, built here from the protocols of
``jobferry.services.importing.ports`` alone: no database, no transaction, no ``services``
fixture. The planner plans a package against it and the applier writes the plan into it; were
the pipeline to reach past the port into storage, there would be nothing there to reach.
(The sources, the other port, are tested in ``test_sources.py``.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.connections import secret_role
from jobferry.domain.enums import PlanAction, ProblemReason, Role, SchedulingPolicy
from jobferry.package.reader import PackageReader, read_package
from jobferry.services.context import Actor, Scope
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.apply import Applier, apply_plan
from jobferry.services.importing.matching import package_source
from jobferry.services.importing.ports import TargetReader, TargetWriter
from jobferry.services.workspaces.profiles import ResolvedProfile
from jobferry.storage.importing.ledger import LedgerRow, Packed
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.importing.workset import Workset
from jobferry.storage.records import JobRecord, VersionRecord, WorkspaceRecord
from jobferry.storage.rows import ChangeRow, JobRow, ResourceRow, ScriptRow, Stamp
from support.builders import make_job
from support.packages import write_package
from support.planning import overwriting, plan_into, planned_actions

WORKSPACE = WorkspaceRecord("ws-memory", "project-1", "memory", False, "soft", False, 0)
SCOPE = Scope(Actor(1, "admin", "project-1", True), WORKSPACE, Role.ADMIN)
_KINDS = ("job", "script", "resource")


class MemoryWorkspace:
    """A workspace in memory: objects by kind and name, environment names, a ledger; what an
    import writes lands in the same dictionaries, and every write is logged."""

    def __init__(self, environment: Iterable[tuple[str, str]] = ()) -> None:
        self.scope = SCOPE
        self.objects: dict[tuple[str, str], TargetObject] = {}
        self.environment = set(environment)
        self.locked_tags: set[str] = set()
        self.locks: dict[tuple[str, str], tuple[int, str]] = {}
        self.ledger: dict[tuple[str, str, str], LedgerRow] = {}
        self.log: list[tuple[str, ...]] = []
        self.subtasks: list[tuple[int, str, str]] = []
        self.changes: list[ChangeRow] = []
        self._read: list[str] = []
        self._next = 100

    def hold(self, kind: str, name: str, document: dict[str, Any], status: str = "") -> None:
        """Put an object into the workspace as if made there."""
        self._next += 1
        number = str(self._next)
        self.objects[(kind, name)] = TargetObject(
            number, name, dump(document), status, 1 if kind != "resource" else None, 0, number
        )

    # -- ImportTarget ------------------------------------------------------------------------

    def reader(self, lock_rows: bool) -> TargetReader:
        return self

    def writer(self) -> TargetWriter:
        return self

    # -- TargetReader ------------------------------------------------------------------------

    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        objects = self.objects
        found = {
            (k, n): objects[(k, n)]
            for k, names in wanted.items()
            for n in names
            if (k, n) in objects
        }
        self._read += sorted(f"{k}|{n}" for k, n in found)
        return found

    def stored_by_uid(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        out = {}
        for (kind, _), held in self.objects.items():
            if held.uid in wanted.get(kind, ()):
                out[(kind, held.uid)] = held
        return out

    def existing(self, wanted: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
        held = self.environment | set(self.objects)
        return {(k, ws, n) for (k, ws), names in wanted.items() for n in names if (k, n) in held}

    def workspace_id(self, name_or_id: str) -> str | None:
        return WORKSPACE.id if name_or_id in (WORKSPACE.id, WORKSPACE.name) else None

    def fingerprint(self, extra: Iterable[str]) -> str:
        return hashlib.sha256("\n".join([*self._read, *sorted(extra)]).encode()).hexdigest()

    def ledger_rows(self, source: str, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        return {u: self.ledger[(source, kind, u)] for u in uids if (source, kind, u) in self.ledger}

    def ledger_by_target(self, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        rows = self.ledger.values()
        return {r.target_uid: r for r in rows if r.kind == kind and r.target_uid in uids}

    def source_ledger(
        self, source: str, after: tuple[str, str] | None, limit: int
    ) -> list[LedgerRow]:
        rows = sorted((k[1], k[2]) for k in self.ledger if k[0] == source)
        return [self.ledger[(source, *key)] for key in rows if after is None or key > after][:limit]

    def jobs_using(self, kind: str, names: Sequence[str]) -> list[tuple[int, str, str]]:
        return []

    def dependents_elsewhere(self, job_name: str) -> list[tuple[str, int, str]]:
        return []

    def upstream_edges(self, names: Sequence[str]) -> list[tuple[str, str]]:
        return []

    def connection_secrets(self) -> dict[str, set[str]]:
        return {n: {secret_role("password")} for k, n in self.environment if k == "connection"}

    def trusted_keys(self) -> list[str]:
        return []

    def profile(self, ref: str | dict[str, Any] | None) -> ResolvedProfile | None:
        return None

    # -- TargetWriter ------------------------------------------------------------------------

    def _put(self, kind: str, object_id: str, name: str, document: str, status: str) -> None:
        self.objects[(kind, name)] = TargetObject(
            object_id, name, document, status, 1, 0, object_id
        )

    def put_scripts(
        self,
        new: Sequence[tuple[str, ScriptRow]],
        updated: Sequence[tuple[str, ScriptRow]],
        versions: Sequence[tuple[str, VersionRecord]],
        stamp: Stamp,
    ) -> None:
        for verb, rows in (("create", new), ("overwrite", updated)):
            for script_id, row in rows:
                self.log.append((verb, "script", row.name))
                self._put("script", script_id, row.name, row.document, "")

    def put_resources(
        self,
        new: Sequence[tuple[str, ResourceRow]],
        updated: Sequence[tuple[str, ResourceRow]],
        stamp: Stamp,
    ) -> None:
        for verb, rows in (("create", new), ("overwrite", updated)):
            for res_id, row in rows:
                self.log.append((verb, "resource", row.name))
                self._put("resource", res_id, row.name, row.document, "")

    def put_cdm_job(self, name: str, type_: str, config: str, stamp: Stamp) -> None:
        self.log.append(("create", "cdm_job", name))

    def create_jobs(self, rows: Sequence[JobRow], stamp: Stamp) -> dict[str, tuple[int, str]]:
        out = {}
        for row in rows:
            self._next += 1
            self.log.append(("create", "job", row.name))
            self._put("job", str(self._next), row.name, row.document, "STOPPED")
            out[row.name] = (self._next, str(self._next))
        return out

    def update_jobs(self, rows: Sequence[tuple[int, JobRow]], stamp: Stamp) -> None:
        for job_id, row in rows:
            status = self.objects[("job", row.name)].status
            self.log.append(("overwrite", "job", row.name))
            self._put("job", str(job_id), row.name, row.document, status)

    def put_job_details(
        self,
        versions: Sequence[tuple[int, VersionRecord, str | None]],
        refs: Sequence[tuple[int, str, str, str]],
        overwritten: Sequence[int],
        tags: Iterable[str],
        now: int,
    ) -> None:
        self.log += [("tag", "tag", tag) for tag in sorted(tags)]

    def rename(self, kind: str, names: Sequence[tuple[str, str]]) -> None:
        raise AssertionError("this plan renames nothing")

    def delete(self, kind: str, object_id: str) -> dict[str, Any]:
        raise AssertionError("this plan deletes nothing")

    def set_job_status(self, job_id: int, name: str, status: str, action: str) -> None:
        self.log.append((action, "job", name))
        held = self.objects[("job", name)]
        self.objects[("job", name)] = replace(held, status=status)

    def jobs_referring(self, kind: str, name: str) -> dict[int, str]:
        return {}

    def written_by(self, task_id: str, job_ids: Sequence[str]) -> set[str]:
        return set()

    def job(self, name: str) -> JobRecord | None:
        return None

    def rewrite_job(
        self, job_id: int, row: JobRow, refs: Sequence[tuple[str, str, str]], stamp: Stamp
    ) -> None:
        raise AssertionError("this plan renames nothing")

    def has_ledger(self, source: str) -> bool:
        return any(key[0] == source for key in self.ledger)

    def learn(
        self, rows: Sequence[LedgerRow], replace: bool, packed: Sequence[Packed | None]
    ) -> None:
        for row in rows:
            self.ledger[(row.source_workspace_id, row.kind, row.source_uid)] = row

    def forget(self, keys: Iterable[tuple[str, str, str]]) -> None:
        for key in keys:
            self.ledger.pop(key, None)

    def tombstones(self, gone: Iterable[tuple[str, str, str]], stamp: Stamp) -> None:
        raise AssertionError("this plan deletes nothing")

    def add_changes(self, rows: Sequence[ChangeRow]) -> None:
        self.changes += rows

    def add_subtasks(self, task_id: str, rows: Sequence[tuple[int, str, str]]) -> None:
        self.subtasks += rows

    def audit(self, action: str, kind: str, name: str, detail: dict[str, Any]) -> None:
        self.log.append((action, kind, name[:8]))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """Two jobs (daily_sales, weekly_sales) with the scripts and resource they use."""
    return write_package(tmp_path / "p.zip", [make_job("daily_sales"), make_job("weekly_sales")])


@pytest.fixture
def workspace(package: Path) -> MemoryWorkspace:
    """A workspace holding the package's daily_sales_sh as it is, its weekly_sales job changed
    and scheduled, and the connections the jobs use."""
    target = MemoryWorkspace({("connection", "dws_conn"), ("connection", "ssh_conn")})
    documents = {(o.kind, o.name): o.document for o in read_package(package).objects}
    target.hold("script", "daily_sales_sh", documents[("script", "daily_sales_sh")])
    weekly = {**documents[("job", "weekly_sales")], "description": "changed in the target"}
    target.hold("job", "weekly_sales", weekly, status="RUNNING")
    return target


def test_the_planner_plans_against_any_implementation_of_the_target_port(
    package: Path, workspace: MemoryWorkspace
) -> None:
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset)
        actions = planned_actions(plan, workset)
    assert actions == {
        ("script", "daily_sales_sql"): PlanAction.CREATE,
        ("script", "daily_sales_sh"): PlanAction.UNCHANGED,
        ("script", "weekly_sales_sql"): PlanAction.CREATE,
        ("script", "weekly_sales_sh"): PlanAction.CREATE,
        ("resource", "udf_jar"): PlanAction.CREATE,
        ("job", "daily_sales"): PlanAction.CREATE,
        ("job", "weekly_sales"): PlanAction.OVERWRITE,
    }
    # What the target said of the job it runs: a scheduled job is not overwritten unasked.
    assert [(p.reason, p.name) for p in plan.problems] == [
        (ProblemReason.SCHEDULED, "weekly_sales")
    ]


def test_the_target_port_answers_locked_tags_and_missing_connections(
    package: Path, workspace: MemoryWorkspace
) -> None:
    workspace.locked_tags.add("daily")
    workspace.environment.discard(("connection", "ssh_conn"))
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset, scheduling=SchedulingPolicy.PAUSE_AND_RESTORE)
    found = {(p.reason, p.name, p.reference) for p in plan.problems}
    assert (ProblemReason.LOCKED_TAG, "daily_sales", None) in found
    assert (ProblemReason.MISSING_REFERENCE, "ssh_conn", ("connection", "ssh_conn")) in found
    missing = next(p for p in plan.problems if p.reference == ("connection", "ssh_conn"))
    assert ("job", "daily_sales") in missing.used_by


def test_the_applier_writes_a_plan_through_the_target_port_and_a_new_plan_finds_it_unchanged(
    package: Path, workspace: MemoryWorkspace
) -> None:
    scheduling = SchedulingPolicy.PAUSE_AND_RESTORE
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(workspace, reader, workset, scheduling=scheduling)
        assert plan.problems_total == 0
        request = overwriting(scheduling=scheduling)
        source = package_source(reader).workspace_id
        applier = Applier(
            workspace.writer(), SCOPE, request, "task-1", source, package_sha256=reader.sha256
        )
        outcome = apply_plan(applier, plan, workset, reader.sha256)
        names = {name for _, name in planned_actions(plan, workset)}
    assert (outcome.written, outcome.failed) == (6, 0)
    log = workspace.log
    # The scheduled job is stopped, overwritten and started again, in that order.
    at = log.index(("overwrite", "job", "weekly_sales"))
    assert log[at - 1] == ("job.stop", "job", "weekly_sales")
    assert log[at + 1] == ("job.start", "job", "weekly_sales")
    assert workspace.objects[("job", "weekly_sales")].status == "RUNNING"
    assert ("create", "job", "daily_sales") in log
    assert ("create", "resource", "udf_jar") in log
    assert log[-1][0] == "import.apply"
    assert len(workspace.subtasks) == 7
    assert {c.name for c in workspace.changes} == names - {"daily_sales_sh"}
    assert len(workspace.ledger) == 7  # every object of the package, the unchanged one too

    with PackageReader(package) as reader, Workset(None) as workset:
        again = plan_into(workspace, reader, workset)
        assert set(planned_actions(again, workset).values()) == {PlanAction.UNCHANGED}
