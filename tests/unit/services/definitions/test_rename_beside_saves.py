"""A job's rename beside a save of another job of its workspace, over a real database (SQLite
and PostgreSQL): the two go one after the other, and the outcome is always one a save made
before or after the rename gives.

A save of a job through the job calls does not look up the jobs its dependencies name: like
DataArts' own saves, it takes a definition naming a job the workspace lacks, and the editor's
review cautions about it (``review.py``). So a save naming a job being renamed, beside the
rename, is a save before it (the rename, seeing the saved reference, rewrites it) or a save
after it (naming the old name, which the review then cautions about), never something
neither order gives. A save that holds a job the rename rewrites is waited for, and the
rename rewrites what it saved; a save made from the definition the rename rewrote since is
refused when it says what it was made from (the editor does). A save that says the cautions
of the review it confirms (the editor's) is refused when a rename since makes them others
(``cautions.py``), and beside the rename holds the job it names: the rename waits for it, or
it waits for the rename and is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from jobferry.domain.enums import CautionKind
from jobferry.errors import CautionsChangedError, DefinitionChangedError, JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions import jobs, renames
from jobferry.services.definitions.renames import Renamed
from jobferry.services.definitions.review import DefinitionReview
from support.builders import make_job, make_script
from support.console import admin_scope
from support.interleaving import WAITS, held_at, second_waits


def _depending(name: str, upstream: str | None, description: str = "") -> dict[str, Any]:
    """Job ``name`` depending on job ``upstream`` (``None``: on none)."""
    job = make_job(name, description=description)
    if upstream is not None:
        job["schedule"]["cron"]["dependJobs"] = {"jobs": [upstream]}
    return job


def _depends_on(services: Services, scope: Scope, name: str) -> list[str]:
    cron = services.jobs.show(scope, name).document["schedule"]["cron"]
    jobs_named: list[str] = (cron.get("dependJobs") or {}).get("jobs", [])
    return jobs_named


def _missing_jobs(services: Services, scope: Scope, name: str) -> list[str]:
    """The jobs the review of job ``name``'s stored definition cautions are missing."""
    body = services.jobs.show(scope, name).document
    return _jobs_cautioned(services.reviews.job(scope, name, body, body))


def _jobs_cautioned(review: DefinitionReview) -> list[str]:
    """The jobs ``review`` cautions are missing."""
    return [
        c.name
        for c in review.cautions
        if c.kind is CautionKind.MISSING_REFERENCE and c.object_kind == "job"
    ]


@pytest.fixture
def scope(services: Services) -> Scope:
    """The admin's workspace, holding jobs 'daily' (depending on nothing) and 'upstream'."""
    admin = admin_scope(services)
    services.jobs.create(admin, _depending("daily", None))
    services.jobs.create(admin, make_job("upstream"))
    return admin


def _rename(services: Services, scope: Scope, renamed: list[Renamed]) -> None:
    renamed.append(services.jobs.rename(scope, "upstream", "upstream_v2"))


def test_a_save_naming_a_job_renamed_before_it_is_taken_and_cautioned(
    services: Services, scope: Scope
) -> None:
    """What a save after a rename does: the old name is saved as it was sent (as DataArts
    saves a job naming one it lacks), and the review says it is missing."""
    services.jobs.rename(scope, "upstream", "upstream_v2")

    services.jobs.update(scope, "daily", _depending("daily", "upstream"))

    assert _depends_on(services, scope, "daily") == ["upstream"]
    assert _missing_jobs(services, scope, "daily") == ["upstream"]


def test_a_save_adding_a_dependency_beside_its_rename_is_a_save_before_or_after_it(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'daily''s save has written its definition (naming 'upstream') and not yet committed
    when 'upstream' is renamed. SQLite's writers go one at a time: the rename waits for the
    save and rewrites the dependency it saved. On PostgreSQL the rename neither waits nor
    sees the uncommitted save, and commits first: the save lands after it, naming the old
    name, as the same save sent a moment later would (the review cautions about it)."""
    hold = held_at(monkeypatch, jobs, "save_job")  # written, not committed
    renamed: list[Renamed] = []
    sqlite = services.db.dialect == "sqlite"

    with ThreadPoolExecutor(1) as pool:
        body = _depending("daily", "upstream")
        saving = pool.submit(services.jobs.update, scope, "daily", body)
        rename = partial(_rename, services, scope, renamed)
        # On PostgreSQL the rename ends before the save lets go, on a busy machine too.
        waited = second_waits(saving, hold, rename, WAITS if sqlite else 10 * WAITS)

    assert waited is sqlite
    assert [r.dependents for r in renamed] == [["daily"] if sqlite else []]
    named = _depends_on(services, scope, "daily")
    assert named == (["upstream_v2"] if sqlite else ["upstream"])
    assert _missing_jobs(services, scope, "daily") == ([] if sqlite else ["upstream"])


def test_a_rename_beside_a_save_of_its_dependent_waits_and_rewrites_what_it_saved(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'daily' depends on 'upstream' already; its save (another description) holds it when
    the rename comes to rewrite it: the rename waits for the save, then rewrites the saved
    definition, keeping the save's change."""
    services.jobs.update(scope, "daily", _depending("daily", "upstream"))
    hold = held_at(monkeypatch, jobs, "save_job")
    renamed: list[Renamed] = []

    with ThreadPoolExecutor(1) as pool:
        body = _depending("daily", "upstream", description="saved beside the rename")
        saving = pool.submit(services.jobs.update, scope, "daily", body)
        waited = second_waits(saving, hold, lambda: _rename(services, scope, renamed))

    assert waited
    assert [r.dependents for r in renamed] == [["daily"]]
    shown = services.jobs.show(scope, "daily").document
    assert shown["description"] == "saved beside the rename"
    assert _depends_on(services, scope, "daily") == ["upstream_v2"]


def test_a_save_made_before_a_rename_rewrote_its_job_is_refused_when_it_says_so(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rename has rewritten 'daily' (not committed) when a save of 'daily' made from its
    definition before the rename comes: the save waits for the rename, and, saying what it
    was made from (as the editor does), is refused rather than put the old name back."""
    services.jobs.update(scope, "daily", _depending("daily", "upstream"))
    base = services.jobs.show(scope, "daily").document
    hold = held_at(monkeypatch, renames, "_rewrite")  # 'daily' rewritten, not committed
    refused: list[DefinitionChangedError] = []

    def save() -> None:
        body = _depending("daily", "upstream", description="made before the rename")
        try:
            services.jobs.update(scope, "daily", body, base)
        except DefinitionChangedError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(1) as pool:
        renaming = pool.submit(services.jobs.rename, scope, "upstream", "upstream_v2")
        waited = second_waits(renaming, hold, save)

    assert waited
    (error,) = refused
    assert error.code == "DLF.9087"
    assert any("dependJobs" in field for field in error.context["changed_fields"])
    assert _depends_on(services, scope, "daily") == ["upstream_v2"]
    assert services.jobs.show(scope, "daily").document.get("description", "") == ""


def test_a_save_confirming_a_review_made_before_a_rename_is_refused_and_writes_nothing(
    services: Services, scope: Scope
) -> None:
    """The editor's save says the cautions of the review the person confirmed: none, for a
    dependency on 'upstream'. 'upstream' is renamed between that review and the save, so the
    save would name a job the workspace lacks, which the review did not say: refused, nothing
    written. Reviewed again, the caution is said, and the save confirming it is taken."""
    base = services.jobs.show(scope, "daily").document
    body = _depending("daily", "upstream", description="confirmed")
    review = services.reviews.job(scope, "daily", body, base)
    assert _jobs_cautioned(review) == []
    services.jobs.rename(scope, "upstream", "upstream_v2")

    with pytest.raises(CautionsChangedError) as refused:
        services.jobs.update(scope, "daily", body, base, cautions=review.cautions)

    envelope = refused.value.envelope()
    assert envelope["error_code"] == "DLF.9074"
    assert (envelope["kind"], envelope["name"]) == ("job", "daily")
    field = "schedule.cron.dependJobs.jobs[0]"
    assert envelope["missing"] == [{"kind": "job", "name": "upstream", "field": field}]
    assert "job 'upstream', which the workspace no longer has" in envelope["error_msg"]
    assert "nothing was saved" in envelope["error_msg"]
    shown = services.jobs.show(scope, "daily").document
    assert (_depends_on(services, scope, "daily"), shown.get("description", "")) == ([], "")
    again = services.reviews.job(scope, "daily", body, base)
    assert _jobs_cautioned(again) == ["upstream"]
    services.jobs.update(scope, "daily", body, base, cautions=again.cautions)
    assert _depends_on(services, scope, "daily") == ["upstream"]
    services.jobs.update(scope, "daily", _depending("daily", "gone"))  # the API: no review


def test_a_create_whose_cautioned_job_was_made_since_its_review_is_refused(
    services: Services, scope: Scope
) -> None:
    """The other way round: the review cautioned that 'upstream_v2' is missing; renamed to
    it since, the workspace has it, and the save, whose review said otherwise, is refused."""
    body = _depending("weekly", "upstream_v2")
    review = services.reviews.job(scope, "", body)
    assert _jobs_cautioned(review) == ["upstream_v2"]
    services.jobs.rename(scope, "upstream", "upstream_v2")

    with pytest.raises(CautionsChangedError) as refused:
        services.jobs.create(scope, body, cautions=review.cautions)

    assert refused.value.context["found"] == [
        {"kind": "job", "name": "upstream_v2", "field": "schedule.cron.dependJobs.jobs[0]"}
    ]
    assert "job 'upstream_v2', which the workspace has now" in refused.value.message
    with pytest.raises(JobNotFoundError):
        services.jobs.show(scope, "weekly")
    services.jobs.create(scope, body, cautions=services.reviews.job(scope, "", body).cautions)
    assert _depends_on(services, scope, "weekly") == ["upstream_v2"]


def test_a_script_save_whose_reviewed_connection_was_registered_since_is_refused(
    services: Services, scope: Scope
) -> None:
    services.scripts.create(scope, make_script("load_sql", content="select 1;"))
    base = services.scripts.show(scope, "load_sql").document
    body = make_script("load_sql", connectionName="dws_new", content="select 2;")
    review = services.reviews.script(scope, "load_sql", body, base)
    assert [c.name for c in review.cautions] == ["dws_new"]
    services.environment.put(scope, "connection", "dws_new", {"type": "DWS", "config": {}})

    with pytest.raises(CautionsChangedError):
        services.scripts.update(scope, "load_sql", body, base, cautions=review.cautions)
    with pytest.raises(CautionsChangedError):
        services.scripts.create(scope, body | {"name": "other_sql"}, cautions=review.cautions)

    assert services.scripts.show(scope, "load_sql").document["content"] == "select 1;"
    services.scripts.update(scope, "load_sql", body, base, cautions=())
    assert services.scripts.show(scope, "load_sql").document["content"] == "select 2;"


def test_a_rename_beside_a_save_confirming_its_review_waits_and_rewrites_what_it_saved(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor's save of 'daily' adding a dependency on 'upstream' (its review cautioned
    about nothing) has written and not committed when 'upstream' is renamed. The save holds
    'upstream' (PostgreSQL: ``FOR KEY SHARE``; SQLite: its one writer), so the rename waits
    for it and rewrites the dependency it saved: never a job naming a missing 'upstream' the
    confirmed review did not say."""
    base = services.jobs.show(scope, "daily").document
    body = _depending("daily", "upstream", description="confirmed")
    review = services.reviews.job(scope, "daily", body, base)
    assert _jobs_cautioned(review) == []
    hold = held_at(monkeypatch, jobs, "save_job")  # checked and written, not committed
    renamed: list[Renamed] = []

    with ThreadPoolExecutor(1) as pool:
        save = partial(services.jobs.update, scope, "daily", body, base, cautions=review.cautions)
        saving = pool.submit(save)
        waited = second_waits(saving, hold, partial(_rename, services, scope, renamed))

    assert waited
    assert [r.dependents for r in renamed] == [["daily"]]
    assert _depends_on(services, scope, "daily") == ["upstream_v2"]
    assert _missing_jobs(services, scope, "daily") == []


def test_a_save_confirming_its_review_beside_a_rename_waits_and_is_refused(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other order: the rename of 'upstream' has renamed it and not committed when the
    editor's save naming 'upstream' (no caution reviewed) comes. The save waits for the rename
    (PostgreSQL: the row the rename holds whole), then finds 'upstream' gone: refused, nothing
    written, as a save after the rename is."""
    base = services.jobs.show(scope, "daily").document
    body = _depending("daily", "upstream", description="confirmed")
    review = services.reviews.job(scope, "daily", body, base)
    hold = held_at(monkeypatch, renames, "_rewrite")  # renamed, not committed
    refused: list[CautionsChangedError] = []

    def save() -> None:
        try:
            services.jobs.update(scope, "daily", body, base, cautions=review.cautions)
        except CautionsChangedError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(1) as pool:
        renaming = pool.submit(services.jobs.rename, scope, "upstream", "upstream_v2")
        waited = second_waits(renaming, hold, save)

    assert waited
    (error,) = refused
    assert [m["name"] for m in error.context["missing"]] == ["upstream"]
    shown = services.jobs.show(scope, "daily").document
    assert (_depends_on(services, scope, "daily"), shown.get("description", "")) == ([], "")
