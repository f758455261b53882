"""Two states of a job or a script compared (``services/definitions/compare.py``): the
development state against the latest submitted version, a version against the one before
it, any two versions either way; and the refusals of a comparison with nothing to compare."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.domain.definitions import VERSIONS_KEPT
from jobferry.domain.enums import ObjectKind
from jobferry.errors import JobNotFoundError, ScriptNotFoundError, VersionNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import jobs as job_repo
from jobferry.storage.importing.snapshots import rename
from jobferry.storage.records import VersionRecord
from support.builders import editable, make_job, make_script
from support.console import seeded_admin

JOB, SCRIPT = ObjectKind.JOB, ObjectKind.SCRIPT
SUBMIT = {"targetStatus": "SUBMITTED"}
SAVE = {"targetStatus": "SAVED"}


@pytest.fixture
def scope(services: Services) -> Scope:
    """The admin in the default workspace, holding daily_sales with its scripts, and the job
    weekly and the script kpi_sql, saved but never submitted."""
    admin = seeded_admin(services)
    services.jobs.create(admin, make_job("weekly") | SAVE)
    services.scripts.create(admin, make_script("kpi_sql") | SAVE)
    return admin


def _save_job(services: Services, scope: Scope, submit: bool = True, **fields: Any) -> None:
    body = editable(services.jobs.show(scope, "weekly").document) | fields
    services.jobs.update(scope, "weekly", body | (SUBMIT if submit else SAVE))


def _paths(changes: Any) -> list[tuple[str, str]]:
    return [(c.path, c.op) for c in changes]


def test_the_development_state_is_compared_with_the_latest_submitted_version(
    services: Services, scope: Scope
) -> None:
    _save_job(services, scope, description="first")  # version 1
    _save_job(services, scope, submit=False, description="draft")

    compared = services.comparisons.compare(scope, JOB, "weekly")

    assert (compared.older, compared.newer) == (1, None)
    assert [(c.path, c.before, c.after) for c in compared.changes] == [
        ("description", "first", "draft")
    ]


def test_a_version_is_compared_with_the_one_before_it_and_any_two_either_way(
    services: Services, scope: Scope
) -> None:
    _save_job(services, scope, description="one")  # 1
    _save_job(services, scope, description="two", tags=["etl"])  # 2
    _save_job(services, scope, description="two")  # 3: as 2

    second = services.comparisons.compare(scope, JOB, "weekly", (None, 2))
    assert (second.older, second.newer) == (1, 2)
    assert ("description", "changed") in _paths(second.changes)
    assert ("tags", "added") in _paths(second.changes)

    backwards = services.comparisons.compare(scope, JOB, "weekly", (3, 1))
    assert _paths(backwards.changes) == [("description", "changed"), ("tags", "removed")]
    assert (backwards.changes[0].before, backwards.changes[0].after) == ("two", "one")

    assert services.comparisons.compare(scope, JOB, "weekly", (2, 2)).changes == ()
    unchanged = services.comparisons.compare(scope, JOB, "weekly")
    assert (unchanged.older, unchanged.changes) == (3, ())


def test_the_keys_a_server_owns_are_not_compared(services: Services, scope: Scope) -> None:
    _save_job(services, scope)  # 1
    _save_job(services, scope)  # 2: the same definition, saved again later

    assert services.comparisons.compare(scope, JOB, "weekly", (None, 2)).changes == ()


def test_a_script_s_content_is_compared_as_its_other_fields_are(
    services: Services, scope: Scope
) -> None:
    body = editable(services.scripts.show(scope, "kpi_sql").document)
    services.scripts.update(scope, "kpi_sql", body | SUBMIT)  # 1
    services.scripts.update(scope, "kpi_sql", body | SAVE | {"content": "select 2;"})

    compared = services.comparisons.compare(scope, SCRIPT, "kpi_sql")

    assert (compared.older, compared.newer) == (1, None)
    assert [(c.path, c.before, c.after) for c in compared.changes] == [
        ("content", "select 1;", "select 2;")
    ]
    assert [v.version for v in services.comparisons.versions(scope, SCRIPT, "kpi_sql")] == [1]


def test_an_object_never_submitted_has_nothing_to_compare(services: Services, scope: Scope) -> None:
    with pytest.raises(VersionNotFoundError) as refused:
        services.comparisons.compare(scope, JOB, "weekly")
    assert refused.value.message == (
        "The job 'weekly' has never been submitted: it has no version to compare its "
        "development state with. Submit it first, or show its development state as it is."
    )
    with pytest.raises(VersionNotFoundError, match="script 'kpi_sql' has never"):
        services.comparisons.compare(scope, SCRIPT, "kpi_sql")


def test_a_first_version_has_nothing_before_it(services: Services, scope: Scope) -> None:
    _save_job(services, scope)  # 1

    with pytest.raises(VersionNotFoundError) as refused:
        services.comparisons.compare(scope, JOB, "weekly", (None, 1))
    assert refused.value.message.startswith(
        "Version 1 is the first version the job 'weekly' keeps: there is no earlier one"
    )


def test_a_version_the_object_does_not_have_or_no_longer_keeps_is_refused(
    services: Services, scope: Scope
) -> None:
    _save_job(services, scope)  # 1
    with services.db.transaction() as tx:  # versions 2 to 102: the first two dropped
        job = job_repo.get_job(tx, scope.workspace.id, "weekly")
        assert job is not None
        record = job_repo.get_version(tx, job.id, 1)
        assert record is not None
        for n in range(2, VERSIONS_KEPT + 3):
            stored = VersionRecord(n, "SUBMITTED", record.document, 0, "admin")
            job_repo.add_versions(tx, [job.id], [stored])

    for older, newer in ((5, 200), (0, None), (-1, 4), (2**40, 4)):
        with pytest.raises(VersionNotFoundError, match="has no submitted version"):
            services.comparisons.compare(scope, JOB, "weekly", (older, newer))
    with pytest.raises(VersionNotFoundError) as refused:
        services.comparisons.compare(scope, JOB, "weekly", (2, 5))
    assert refused.value.message == (
        "The job 'weekly' has no submitted version 2; its latest version is 102 and it "
        "keeps its newest 100 (as DataArts does). List its versions and compare two it has."
    )
    with pytest.raises(VersionNotFoundError, match="Version 3 is the first version"):
        services.comparisons.compare(scope, JOB, "weekly", (None, 3))


def test_an_unknown_object_is_refused_with_its_nearest_name(
    services: Services, scope: Scope
) -> None:
    with pytest.raises(JobNotFoundError, match="daily_sales"):
        services.comparisons.compare(scope, JOB, "daily_sale")
    with pytest.raises(ScriptNotFoundError, match="daily_sales_sql"):
        services.comparisons.compare(scope, SCRIPT, "daily_sales_sq")


def test_a_job_created_submitted_compares_its_draft(services: Services, scope: Scope) -> None:
    services.jobs.create(scope, make_job("monthly") | SUBMIT)
    assert services.comparisons.compare(scope, JOB, "monthly").changes == ()


def test_a_script_s_submitted_version_is_shown_and_one_it_lacks_refused(
    services: Services, scope: Scope
) -> None:
    script = editable(services.scripts.show(scope, "kpi_sql").document)
    services.scripts.update(scope, "kpi_sql", script | {"content": "select 1"} | SUBMIT)
    services.scripts.update(scope, "kpi_sql", script | {"content": "select 2"} | SAVE)

    first = services.scripts.show(scope, "kpi_sql", 1)

    assert (first.document["content"], first.version) == ("select 1", 1)
    assert services.scripts.show(scope, "kpi_sql").document["content"] == "select 2"
    with pytest.raises(VersionNotFoundError) as refused:
        services.scripts.show(scope, "kpi_sql", 2)
    assert refused.value.message.endswith("List its versions and show one it has.")


def test_a_script_s_version_is_shown_under_its_present_name(
    services: Services, scope: Scope
) -> None:
    """As a job's is: a version taken before an import renamed the script holds the old name
    in its definition, and showing it answered that name."""
    script = editable(services.scripts.show(scope, "kpi_sql").document)
    services.scripts.update(scope, "kpi_sql", script | SUBMIT)
    with services.db.transaction() as tx:  # as an import's rename does
        rename(tx, "script", [(services.scripts.show(scope, "kpi_sql").id, "kpi_v2")])

    first = services.scripts.show(scope, "kpi_v2", 1)

    assert (first.name, first.document["name"]) == ("kpi_v2", "kpi_v2")
