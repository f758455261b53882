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
refused when it says what it was made from (the editor does)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from jobferry.domain.enums import CautionKind
from jobferry.errors import DefinitionChangedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions import jobs, renames
from jobferry.services.definitions.renames import Renamed
from support.builders import make_job
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
    review = services.reviews.job(scope, name, body, body)
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
