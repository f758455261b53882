"""A workspace's drift at the service (``services/definitions/drift.py``): what an import
wrote, compared with what the workspace holds now, a batch at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from jobferry.domain.enums import ObjectKind
from jobferry.services.container import Services
from jobferry.services.definitions import drift as drift_module
from jobferry.storage import Tx, tables
from support.builders import make_job
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects


def test_an_edit_after_an_import_is_drift_and_batches_miss_nothing(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drift_module, "BATCH", 2)
    prod = workspace(services, "prod")
    jobs = [make_job(f"job_{n}") for n in range(3)]
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(*jobs))
    task = import_package(services, prod, package)
    clean = services.drift.report(prod)
    assert (clean.compared, clean.total, clean.objects) == (10, 0, [])  # 3 jobs, 6 scripts, jar

    services.jobs.update(prod, "job_2", make_job("job_2", description="hot-fixed"))
    report = services.drift.report(prod)
    assert (report.compared, report.total) == (10, 1)
    (drifted,) = report.objects
    assert (drifted.kind, drifted.name, drifted.import_task_id) == ("job", "job_2", task.id)
    assert [(c.path, c.after) for c in drifted.changes] == [("description", "hot-fixed")]
    assert drifted.updated_by == prod.actor.name


def test_the_report_lists_the_first_objects_within_its_character_budget(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod = workspace(services, "prod")
    jobs = [make_job(f"job_{n}") for n in range(3)]
    import_package(services, prod, write_objects(tmp_path / "p.zip", jobs_with_dependencies(*jobs)))
    for n in range(3):
        services.jobs.update(prod, f"job_{n}", make_job(f"job_{n}", description="x" * 100))
    monkeypatch.setattr(drift_module, "KEPT_CHARACTERS", 150)  # room for one description
    report = services.drift.report(prod)
    assert (report.total, len(report.objects)) == (3, 1)
    monkeypatch.setattr(drift_module, "KEPT_CHARACTERS", 10)  # the first is listed whole
    assert len(services.drift.report(prod).objects) == 1
    monkeypatch.setattr(drift_module, "KEPT_CHARACTERS", 10_000)
    monkeypatch.setattr(drift_module, "SHOWN", 2)
    listed = [d.name for d in services.drift.report(prod).objects]
    assert len(listed) == 2
    assert listed == sorted(listed)  # by name


def test_an_object_whose_hash_is_not_kept_is_compared_by_its_text(
    services: Services, tmp_path: Path
) -> None:
    """Every write keeps a definition's hash (0042 filled the rows before it); a row without
    one is read and compared as the report compared every object before: found when changed,
    not when it holds what was written."""
    prod = workspace(services, "prod")
    jobs = [make_job("job_0"), make_job("job_1")]
    import_package(services, prod, write_objects(tmp_path / "p.zip", jobs_with_dependencies(*jobs)))
    services.jobs.update(prod, "job_1", make_job("job_1", description="hot-fixed"))
    with services.db.transaction() as tx:
        tx.conn.execute(update(tables.jobs).values(document_sha256=None))
    report = services.drift.report(prod)
    assert (report.compared, report.total) == (7, 1)  # 2 jobs, 4 scripts, the jar
    assert [(d.name, [c.path for c in d.changes]) for d in report.objects] == [
        ("job_1", ["description"])
    ]


def test_the_report_reads_one_moment_though_a_change_is_committed_as_it_reads(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its count of the compared objects and its drifted ones are read by several statements:
    an edit committed between them is in neither (on PostgreSQL each statement of a plain
    transaction reads the moment it starts: the report counted 10 objects, none drifted, and
    listed the edit made after)."""
    prod = workspace(services, "prod")
    jobs = [make_job(f"job_{n}") for n in range(3)]
    import_package(services, prod, write_objects(tmp_path / "p.zip", jobs_with_dependencies(*jobs)))
    counted = drift_module.written_count
    edited: list[bool] = []

    def edited_meanwhile(tx: Tx, workspace_id: str, kind: ObjectKind) -> int:
        found = counted(tx, workspace_id, kind)
        if not edited:  # another client's edit, committed as the report reads
            edited.append(True)
            services.jobs.update(prod, "job_2", make_job("job_2", description="hot-fixed"))
        return found

    monkeypatch.setattr(drift_module, "written_count", edited_meanwhile)
    report = services.drift.report(prod)
    assert edited == [True]
    assert (report.compared, report.total, report.objects) == (10, 0, [])
    assert services.drift.report(prod).total == 1  # read after it
