"""An older package of a source holding an object a newer package's import deleted: the import
forgets the object's ledger row, and remembers which package's import deleted it
(``promotion_ledger_deletions``), so the plan judges making it again as putting back what a
newer package undid (``older_package``), as it judges an older definition (docs/api.md, "An
older package")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from jobferry.domain.enums import (
    DriftPolicy,
    PlanAction,
    ProblemReason,
    SameNamePolicy,
    SkipReason,
    TaskStatus,
)
from jobferry.errors import JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.packages import HEADER
from support.planning import (
    import_package,
    jobs_with_dependencies,
    plan_of,
    run_import,
    upload,
    workspace,
    write_objects,
)

OLDER, NEWER = 1_760_000_000_000, 1_760_000_600_000


def _package(tmp_path: Path, name: str, at: int | None, *jobs: str) -> Path:
    """A package of ``jobs`` (and what they use) from the source ``ws-test``, the jobs held
    whole, made at ``at`` (``None``: no manifest time)."""
    header = replace(HEADER, created_at_ms=at) if at is not None else None
    objects = jobs_with_dependencies(*(make_job(j) for j in jobs))
    return write_objects(tmp_path / name, objects, header=header, inventory=("job",))


def _deleted_by_newer(services: Services, tmp_path: Path) -> tuple[Scope, Path]:
    """A target that took the older package (two jobs), then the newer one (one: the other
    deleted); the older package."""
    scope = workspace(services, "prod")
    older = _package(tmp_path, "older.zip", OLDER, "a_job", "x_job")
    import_package(services, scope, older)
    newer = _package(tmp_path, "newer.zip", NEWER, "a_job")
    import_package(services, scope, newer, propagateDeletes=True)
    with pytest.raises(JobNotFoundError):
        services.jobs.status(scope, "x_job")
    return scope, older


def _held(services: Services, scope: Scope, name: str) -> bool:
    return services.jobs.status(scope, name) is not None


def _older_problems(services: Services, scope: Scope, package: Path, **options: object) -> list:
    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE, **options)
    return [p for p in plan.problems if p.reason is ProblemReason.OLDER_PACKAGE]


def test_an_older_package_would_make_again_what_a_newer_one_deleted(
    services: Services, tmp_path: Path
) -> None:
    scope, older = _deleted_by_newer(services, tmp_path)

    problems = _older_problems(services, scope, older)
    assert [(p.kind, p.name) for p in problems] == [("job", "x_job")]
    assert "was deleted by the import of a package of the same source" in problems[0].detail
    assert "would make it again" in problems[0].detail
    assert "KEEP_TARGET (leave it deleted)" in problems[0].fix
    task = run_import(services, scope, upload(services, scope, older))
    assert task.status == TaskStatus.FAILED
    with pytest.raises(JobNotFoundError):
        services.jobs.status(scope, "x_job")

    kept = plan_of(
        services,
        scope,
        older,
        same_name_policy=SameNamePolicy.OVERWRITE,
        on_drift=DriftPolicy.KEEP_TARGET,
    )
    assert not [p for p in kept.problems if p.reason is ProblemReason.OLDER_PACKAGE]
    line = kept.line("x_job")
    assert line["action"] == PlanAction.SKIP
    assert line["reason"]["code"] == SkipReason.KEPT_DELETED
    assert "keeps it deleted" in line["reason"]["detail"]
    import_package(services, scope, older, onDrift="KEEP_TARGET")
    with pytest.raises(JobNotFoundError):
        services.jobs.status(scope, "x_job")


def test_taken_anyway_it_is_made_again_and_its_rollback_remembers_the_deletion(
    services: Services, tmp_path: Path
) -> None:
    scope, older = _deleted_by_newer(services, tmp_path)

    taken = import_package(services, scope, older, onDrift="TAKE_PACKAGE")
    assert _held(services, scope, "x_job")
    assert not _older_problems(services, scope, older)  # the ledger knows it again

    services.rollback.rollback(scope, taken.id)
    with pytest.raises(JobNotFoundError):
        services.jobs.status(scope, "x_job")
    assert [p.name for p in _older_problems(services, scope, older)] == ["x_job"]


def test_the_deleting_import_rolled_back_leaves_nothing_to_judge(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    older = _package(tmp_path, "older.zip", OLDER, "a_job", "x_job")
    import_package(services, scope, older)
    newer = _package(tmp_path, "newer.zip", NEWER, "a_job")
    deleting = import_package(services, scope, newer, propagateDeletes=True)

    services.rollback.rollback(scope, deleting.id)
    assert _held(services, scope, "x_job")
    assert not _older_problems(services, scope, older)
    assert plan_of(services, scope, older).line("x_job")["action"] == PlanAction.UNCHANGED


def test_a_package_of_unknown_time_or_a_newer_one_is_not_judged(
    services: Services, tmp_path: Path
) -> None:
    scope, _ = _deleted_by_newer(services, tmp_path)

    for name, at in (("untimed.zip", None), ("newest.zip", NEWER + 1)):
        package = _package(tmp_path, name, at, "a_job", "x_job")
        assert not _older_problems(services, scope, package), name
        assert plan_of(services, scope, package).line("x_job")["action"] == PlanAction.CREATE
