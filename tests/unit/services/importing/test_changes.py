"""The change port (``services.importing.changes``): every object write of an apply is a typed
line handed to one ``write`` method, the import's record written apart from it.

An import run through an executor that notes its lines and writes none of them leaves every
object of the workspace as it was — creates, overwrites, a rename, a deletion and a pause
included — while its record (task, change records) is written: nothing the apply writes goes
around the port."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import ObjectKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.changes import (
    LINES,
    Change,
    ChangePort,
    Committed,
    PutJobs,
    TaskEnd,
    Written,
)
from jobferry.services.importing.delivery import Attempt, LocalDelivery, PreparedImport
from jobferry.services.importing.local import LocalChanges
from jobferry.storage import Tx
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.importing import target as target_repo
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    write_objects,
)
from support.planning import workspace as new_workspace


def test_the_port_has_one_write_method_and_a_closed_set_of_lines() -> None:
    assert set(typing.get_args(Change)) == set(LINES)
    members = {name for name in vars(ChangePort) if not name.startswith("_")}
    assert members == {"write", "job", "commit", "abort"}


class Held(LocalChanges):
    """Notes every line and writes none (new jobs get made-up ids)."""

    def __init__(self, tx: Tx, scope: Scope, seen: list[Change]) -> None:
        super().__init__(tx, scope)
        self.seen = seen

    def write(self, line: Change) -> Written:
        self.seen.append(line)
        if isinstance(line, PutJobs):
            return Written(ids={row.name: (-n, f"made-{n}") for n, row in enumerate(line.new, 1)})
        if hasattr(line, "object_id"):
            return Written(state={"row": {"name": "?", "document": "{}"}, "versions": []})
        return Written()

    def commit(self, end: TaskEnd) -> Committed:
        self.seen.append("commit")  # type: ignore[arg-type]
        return Committed(" Held.", {"held": True})


class HeldDelivery(LocalDelivery):
    def __init__(self) -> None:
        self.seen: list[Change] = []

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        return attempt(lambda tx, scope: Held(tx, scope, self.seen))


def _objects(services: Services, scope: Scope) -> dict[tuple[str, str], Any]:
    with services.db.transaction(readonly=True) as tx:
        return {
            (kind, o.name): (o.id, o.document, o.status, o.latest_version)
            for kind in (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
            for o in target_repo.objects_after(tx, scope.workspace.id, kind, "", 10_000)
        }


@pytest.fixture
def scope(services: Services, tmp_path: Path) -> Scope:
    """A workspace that received daily_sales, weekly_sales (scheduled) and old_sales from
    ``ws-test``."""
    scope = new_workspace(services, "prod")
    first = [make_job("daily_sales"), make_job("weekly_sales"), make_job("old_sales")]
    import_package(
        services, scope, write_objects(tmp_path / "1.zip", jobs_with_dependencies(*first))
    )
    services.jobs.start(scope, "weekly_sales")
    return scope


def test_an_apply_writes_no_object_but_through_the_change_port(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldDelivery()
    monkeypatch.setattr(services.imports.deliveries, "of", lambda workspace: held)
    before = _objects(services, scope)
    weekly = {**make_job("weekly_sales"), "description": "changed"}
    second = write_objects(
        tmp_path / "2.zip",
        jobs_with_dependencies(make_job("hourly_sales"), weekly, make_job("monthly_sales")),
        uids={"hourly_sales": uid_of("job", "daily_sales")},  # daily_sales, renamed
        deleted=(("job", uid_of("job", "old_sales"), "old_sales"),),
    )
    task = run_import(
        services,
        scope,
        upload(services, scope, second),
        scheduling="PAUSE_AND_RESTORE",
        propagateDeletes=True,
    )
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert task.message.endswith(" Held.")  # the executor's commit said its part
    kinds = {type(line).__name__ for line in held.seen if line != "commit"}
    assert {"PutScripts", "PutResources", "PutJobs", "PutJobDetails", "Rename", "Delete"} <= kinds
    assert "SetScheduling" in kinds  # weekly_sales paused and restored around its write
    assert held.seen[-1] == "commit"
    assert _objects(services, scope) == before  # nothing written past the port
    with services.db.transaction(readonly=True) as tx:  # while the record was written
        changed = rollback_repo.changes_of(tx, scope.workspace.id, task.id, None, 100, None)
    assert {c.name for c in changed} >= {
        "hourly_sales",
        "weekly_sales",
        "monthly_sales",
        "old_sales",
    }
