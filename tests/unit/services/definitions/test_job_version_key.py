"""A job's top-level ``version`` is the server's: show_job answers the job's latest submitted
version there, and a body or a package carrying one (a show answer saved back, a DataArts
export's ``"1"``, ``"2"``, DataArts' own example's ``"1.0"``) does not get to store it, so it
neither fakes the count show_job answers nor shows as a change of the job (docs/design.md,
"What a definition holds")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from jobferry.api.presenters.definitions import job_document
from jobferry.domain.enums import ObjectKind, SameNamePolicy
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import tables
from jobferry.storage.rows import document_sha256
from support.builders import make_job
from support.console import seeded_admin
from support.planning import (
    import_package,
    jobs_package,
    jobs_with_dependencies,
    plan_of,
    workspace,
    write_objects,
)

SUBMIT = {"targetStatus": "SUBMITTED"}


def _shown(services: Services, scope: Scope, name: str) -> dict[str, Any]:
    """show_job's answer, as a raw HTTP or CLI client reads it."""
    return job_document(services.jobs.show(scope, name))


def test_a_show_answer_saved_back_does_not_fix_the_version_show_job_answers(
    services: Services,
) -> None:
    scope = seeded_admin(services)
    services.jobs.update(scope, "daily_sales", make_job("daily_sales") | SUBMIT)  # version 2
    services.jobs.update(scope, "daily_sales", make_job("daily_sales") | SUBMIT)  # version 3
    shown = _shown(services, scope, "daily_sales")
    assert shown["version"] == "3"
    services.jobs.update(scope, "daily_sales", shown | {"description": "edited"} | SUBMIT)  # 4
    services.jobs.update(scope, "daily_sales", shown | {"description": "again"} | SUBMIT)  # 5

    assert _shown(services, scope, "daily_sales")["version"] == "5"
    assert "version" not in services.jobs.show(scope, "daily_sales").document
    compared = services.comparisons.compare(scope, ObjectKind.JOB, "daily_sales", (3, 4))
    assert [c.path for c in compared.changes] == ["description"]


def test_a_version_key_saved_alone_is_no_change_of_the_job(services: Services) -> None:
    scope = seeded_admin(services)
    shown = _shown(services, scope, "daily_sales")
    services.jobs.update(scope, "daily_sales", shown | {"targetStatus": "SAVED"})

    compared = services.comparisons.compare(scope, ObjectKind.JOB, "daily_sales")
    assert compared.changes == ()


def test_a_never_submitted_job_answers_no_version_whatever_its_body_carried(
    services: Services,
) -> None:
    scope = seeded_admin(services)
    services.jobs.create(scope, make_job("weekly", version="7") | {"targetStatus": "SAVED"})

    assert "version" not in _shown(services, scope, "weekly")


def _imported_twice(services: Services, tmp_path: Path, first: str, second: str) -> Any:
    scope = workspace(services, "versions")
    one = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("ja", version=first)))
    import_package(services, scope, one, targetStatus="SUBMITTED")
    two = write_objects(tmp_path / "2.zip", jobs_with_dependencies(make_job("ja", version=second)))
    return scope, plan_of(services, scope, two, same_name_policy=SameNamePolicy.OVERWRITE)


def test_a_package_differing_only_in_its_jobs_version_key_is_unchanged(
    services: Services, tmp_path: Path
) -> None:
    scope, plan = _imported_twice(services, tmp_path, "1.0", "2.0")

    assert plan.line("ja")["action"] == "UNCHANGED"
    assert "version" not in services.jobs.show(scope, "ja").document
    assert _shown(services, scope, "ja")["version"] == "1"


def test_a_stored_definition_holding_a_version_key_plans_as_the_same_job(
    services: Services, tmp_path: Path
) -> None:
    # A database written before the key was the server's: the development state and its
    # submitted version both hold it, and their hashes are of that text.
    scope = workspace(services, "older")
    package = jobs_package(tmp_path / "p.zip", "ja")
    import_package(services, scope, package, targetStatus="SUBMITTED")
    older = make_job("ja", version="3")
    written = orjson.dumps(older).decode()
    with services.db.transaction() as tx:
        job_id = tx.conn.execute(
            sa.select(tables.jobs.c.id).where(tables.jobs.c.name == "ja")
        ).scalar_one()
        tx.conn.execute(
            sa.update(tables.jobs)
            .where(tables.jobs.c.id == job_id)
            .values(document=written, document_sha256=document_sha256(written))
        )
        versions = tables.job_versions
        tx.conn.execute(
            sa.update(versions).where(versions.c.job_id == job_id).values(document=written)
        )

    assert _shown(services, scope, "ja")["version"] == "1"
    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)
    assert {action for _, _, action in plan.actions()} == {"UNCHANGED"}
    assert services.comparisons.compare(scope, ObjectKind.JOB, "ja").changes == ()
