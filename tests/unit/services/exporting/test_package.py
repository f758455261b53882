"""Writing the package (``services.exporting.package``): the same definitions give the same
bytes, the manifest records the options, layout, the kinds held whole, and the deletions the
export carries (since a moment, or since the last export for a named target)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jobferry.package.layout import Layout
from jobferry.package.manifest import iso_ms
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.package import deleted_since, write_package
from jobferry.services.exporting.selection import ordered, select_jobs
from jobferry.storage.importing import ledger
from support.console import admin_scope, seed
from support.exporting import entries, manifest


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = admin_scope(services)
    seed(services, scope, ("a_job", "b_job"))
    return scope


def written(services: Services, scope: Scope, path: Path, **kw: Any) -> bytes:
    inventory = kw.pop("inventory", False)
    with services.db.transaction(readonly=True) as tx:
        selection = ordered(select_jobs(tx, scope, ["a_job", "b_job"]), Layout.SINGLE)
        write_package(tx, scope, selection, ExportOptions(**kw), path, inventory=inventory)
    return path.read_bytes()


def test_the_same_workspace_gives_the_same_bytes(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    first = written(services, scope, tmp_path / "1.zip")
    assert written(services, scope, tmp_path / "2.zip") == first
    assert "manifest.json" in entries(first)
    header = manifest(first)
    assert header["options"] == {
        "exportDepend": True,
        "exportStatus": "DEVELOP",
        "withUpstream": False,
        "layout": "single",
    }
    assert header["source"]["workspaceId"] == scope.workspace.id
    assert "inventory" not in header


def test_a_whole_workspace_says_which_kinds_it_holds_whole(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    assert manifest(written(services, scope, tmp_path / "1.zip", inventory=True))["inventory"] == [
        "job",
        "resource",
        "script",
    ]
    jobs_only = written(services, scope, tmp_path / "2.zip", inventory=True, export_depend=False)
    assert manifest(jobs_only)["inventory"] == ["job"]


def test_without_a_manifest_only_the_entries_are_written(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    data = written(services, scope, tmp_path / "1.zip", with_manifest=False)
    assert sorted(entries(data))[0] == "jobs/a_job.job"
    assert not any(name.startswith("manifest") for name in entries(data))


def test_deletions_are_carried_since_a_moment_or_since_the_last_export_for_a_target(
    services: Services, scope: Scope
) -> None:
    services.jobs.delete(scope, "b_job")
    with services.db.transaction(readonly=True) as tx:
        assert deleted_since(tx, scope, ExportOptions()) == []
        [gone] = deleted_since(tx, scope, ExportOptions(deletions_for="prod"))
        assert (gone["kind"], gone["name"]) == ("job", "b_job")
        assert deleted_since(tx, scope, ExportOptions(deletions_since=now_ms() + 60_000)) == []
    with services.db.transaction() as tx:
        ledger.set_export_to(tx, scope.workspace.id, "prod", now_ms() + 60_000)
    with services.db.transaction(readonly=True) as tx:
        assert deleted_since(tx, scope, ExportOptions(deletions_for="prod")) == []
        assert len(deleted_since(tx, scope, ExportOptions(deletions_for="test"))) == 1


def test_a_package_of_deletions_only_is_dated_by_its_newest_deletion(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    services.jobs.delete(scope, "a_job")
    services.jobs.delete(scope, "b_job")
    path = tmp_path / "gone.zip"
    with services.db.transaction(readonly=True) as tx:
        selection = ordered(select_jobs(tx, scope, []), Layout.SINGLE)
        write_package(tx, scope, selection, ExportOptions(deletions_since=0), path)
        gone = deleted_since(tx, scope, ExportOptions(deletions_since=0))
    header = manifest(path.read_bytes())
    assert [d["name"] for d in header["deleted"]] == ["a_job", "b_job"]
    newest = max(d["deletedAt"] for d in gone)
    assert header["createdAt"] == iso_ms(newest)  # not 1970-01-01
    assert header["createdAt"] > "2020"


def test_a_package_of_submitted_versions_is_dated_by_when_they_were_submitted(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    # Saved since they were submitted, a job and a script are exported as their versions:
    # the package holds nothing newer than those, and an import compares its date with the
    # date of the package that last wrote each object (docs/design.md, "An older package").
    time.sleep(0.01)
    saved_at = now_ms()
    job = {**services.jobs.show(scope, "a_job").document, "description": "saved"}
    job = {k: v for k, v in job.items() if k not in ("id", "createTime", "lastUpdateUser")}
    services.jobs.update(scope, "a_job", {**job, "targetStatus": "SAVED"})
    script = {**services.scripts.show(scope, "b_job_sql").document, "content": "select 2;"}
    services.scripts.update(scope, "b_job_sql", {**script, "targetStatus": "SAVED"})

    submitted = manifest(written(services, scope, tmp_path / "v.zip", submitted=True))
    developed = manifest(written(services, scope, tmp_path / "d.zip"))

    assert submitted["createdAt"] < iso_ms(saved_at) <= developed["createdAt"]
