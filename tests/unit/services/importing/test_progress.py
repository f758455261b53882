"""A plan says how many of the package's objects it checked as it checks them, an import how
many it wrote as it writes them, and a rollback how many changes it checked, from inside their
one transaction too (``services/importing/progress.py``): a poll on another connection sees
the task move while the work goes on (``TaskService.advance``: on PostgreSQL in the task's row,
on SQLite in its progress file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import TaskKind
from jobferry.services import taskprogress
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing import apply as apply_module
from jobferry.services.importing import planner as planner_module
from jobferry.services.importing import rollback as rollback_module
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.remotes import submitted as submitted_module
from jobferry.storage.importing import rollbacks
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    upload,
    workspace,
    write_objects,
)
from support.standin import DataArtsStandin, remote_shadow

JOBS = [f"job_{n}" for n in range(5)]


@pytest.fixture
def prod(services: Services) -> Scope:
    return workspace(services, "prod")


@pytest.fixture
def polled(
    services: Services, prod: Scope, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, str]]:
    """What a poll on another connection reads of a task of ``prod`` each time the task says
    how far it got (batches of two objects, progress written as often as said)."""
    monkeypatch.setattr(apply_module, "BATCH", 2)
    monkeypatch.setattr(planner_module, "BATCH", 2)
    monkeypatch.setattr(rollback_module, "BATCH", 2)
    monkeypatch.setattr(taskprogress, "PROGRESS_EVERY", 0.0)
    reads: list[tuple[int, str]] = []
    advance = services.tasks.advance

    def polling(task_id: str, progress: int, message: str, *, often: bool = False) -> None:
        advance(task_id, progress, message, often=often)
        task = services.tasks.show(prod, task_id, subtasks=0)
        reads.append((task.progress, task.message))

    monkeypatch.setattr(services.tasks, "advance", polling)
    return reads


def package(tmp_path: Path) -> Path:
    return write_objects(tmp_path / "p.zip", jobs_with_dependencies(*map(make_job, JOBS)))


def test_an_import_says_how_many_objects_it_wrote_as_it_writes_them(
    services: Services, prod: Scope, tmp_path: Path, polled: list[tuple[int, str]]
) -> None:
    task = import_package(services, prod, package(tmp_path))

    writing = [read for read in polled if read[1].startswith("Wrote ")]
    total = task.outcome["written"]
    assert writing[0] == (40 + 55 * 2 // total, f"Wrote 2 of {total} object(s).")
    assert writing[-1] == (95, f"Wrote {total} of {total} object(s).")
    assert [p for p, _ in writing] == sorted(p for p, _ in writing)
    assert services.tasks.show(prod, task.id).progress == 100


def test_a_rollback_says_how_many_changes_it_checked_as_it_undoes_them(
    services: Services,
    prod: Scope,
    tmp_path: Path,
    polled: list[tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    task = import_package(services, prod, package(tmp_path))
    services.rollback.start(prod, task.id)
    polled.clear()
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    counts: list[int] = []
    count = rollbacks.count_changes

    def counting(*args: Any) -> int:
        counts.append(count(*args))
        return counts[-1]

    monkeypatch.setattr(rollbacks, "count_changes", counting)
    services.rollback.run(claimed)

    assert len(counts) == 1  # counted once, for the first message and the undo's total

    undoing = [read for read in polled if read[1].startswith("Undoing: ")]
    total = int(polled[0][1].split()[3])  # "Checking and undoing N change(s) of import …"
    assert undoing[0] == (10 + 85 * 2 // total, f"Undoing: 2 of {total} change(s) checked.")
    assert undoing[-1] == (95, f"Undoing: {total} of {total} change(s) checked.")
    assert services.tasks.show(prod, claimed.id).progress == 100


def test_a_plan_says_how_many_objects_it_checked_as_it_checks_them(
    services: Services, prod: Scope, tmp_path: Path, polled: list[tuple[int, str]]
) -> None:
    path = upload(services, prod, package(tmp_path))
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    prepared = services.imports.prepare(prod, request.as_dry_run())
    services.imports.run(prepared)

    checking = [read for read in polled if read[1].startswith("Checked ")]
    total = int(polled[1][1].split()[1])  # "Checking N object(s)."
    assert checking[0] == (30 + 65 * 2 // total, f"Checked 2 of {total} object(s).")
    assert checking[-1] == (95, f"Checked {total} of {total} object(s).")
    ended = services.tasks.show(prod, prepared.task_id)
    assert ended.progress == 100
    assert ended.message.startswith("Plan ready: ")


def test_an_import_planned_in_its_own_transaction_says_both(
    services: Services, prod: Scope, tmp_path: Path, polled: list[tuple[int, str]]
) -> None:
    task = import_package(services, prod, package(tmp_path))  # no plan kept: planned in it

    said = [message.split()[0] for _, message in polled]
    assert said.index("Checked") < said.index("Wrote")
    checked = [read for read in polled if read[1].startswith("Checked ")]
    assert checked[-1][0] == 40  # the plan ends where the writes begin
    assert services.tasks.show(prod, task.id).status == "SUCCESSFUL"


def test_a_plan_into_a_stale_shadow_says_how_far_its_refresh_read_then_goes_on_from_there(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan of a promotion into a remote's shadow refreshes the shadow first (a minute or
    more for a large remote): its task's progress moves with the jobs the refresh read,
    between 2 % and half way, as a refresh's own task does; the plan says the rest after."""
    standin = DataArtsStandin()
    names = [f"job_{n:03}" for n in range(250)]
    for name in names:
        standin.workspace.put_job(make_job(name))
    shadow = remote_shadow(services, standin, "prod")  # refreshed once: 250 jobs listed
    for name in names:  # each changed there since: the next refresh exports them all again
        standin.workspace.edit_job(name, description="hot-fixed")
    monkeypatch.setattr(taskprogress, "PROGRESS_EVERY", 0.0)
    # Exports of 10 jobs, not 100: 250 jobs move the progress in as many steps as tens of
    # thousands do in exports of 100.
    monkeypatch.setattr(submitted_module, "EXPORT_BATCH", 10)
    polled: list[tuple[int, str]] = []
    advance = services.tasks.advance

    def polling(task_id: str, progress: int, message: str, *, often: bool = False) -> None:
        advance(task_id, progress, message, often=often)
        task = services.tasks.show(shadow, task_id, subtasks=0)
        polled.append((task.progress, task.message))

    monkeypatch.setattr(services.tasks, "advance", polling)
    path = upload(services, shadow, package(tmp_path))

    planning = services.imports.plan(shadow, parse_import_request({"path": path}))
    assert not isinstance(planning, Plan)  # stale: a task that refreshes first
    claimed = services.tasks.claim((TaskKind.PLAN,))
    assert claimed is not None
    services.imports.run(services.imports.resume(claimed))

    reading = [p for p, said in polled if said.startswith("Read ")]
    assert len(set(reading)) >= 2, polled  # it moves as the jobs are read
    assert all(2 <= p < 50 for p in reading), polled
    assert reading[-1] > 2, polled
    assert [p for p, _ in polled] == sorted(p for p, _ in polled), polled  # never back
    assert (2 + 48 * 85 // 100, "Writing what changed into shadow workspace 'prod'.") in polled
    assert (50 + 50 * 5 // 100, "Reading the package.") in polled  # the plan: from half way
    assert services.tasks.show(shadow, planning.task_id).progress == 100
