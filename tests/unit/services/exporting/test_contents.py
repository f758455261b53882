"""What a package holds beside its jobs (``services.exporting.contents``), read from a real
workspace: entries in ascending path order a batch at a time, each dependency once (or once per
job folder in the batch layout), references that did not resolve, and requirements naming a
connection's secrets but never their values."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.package.layout import Layout
from jobferry.package.manifest import Requirement
from jobferry.package.writer import NewEntry
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.contents import Summary, package_entries, requirements
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.selection import ordered, select_jobs
from support.builders import make_job
from support.console import admin_scope, seed


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = admin_scope(services)
    seed(services, scope, ("a_job", "b_job"))
    return scope


def entries(
    services: Services, scope: Scope, names: list[str], layout: Layout = Layout.SINGLE, **kw: Any
) -> tuple[list[NewEntry], Summary, list[Requirement]]:
    options = ExportOptions(**kw)
    summary = Summary()
    with services.db.transaction(readonly=True) as tx:
        selection = ordered(select_jobs(tx, scope, names), layout)
        found = [
            e for batch in package_entries(tx, scope, selection, options, summary) for e in batch
        ]
        needed = requirements(tx, scope, summary.requires)
    return found, summary, needed


def test_a_single_layout_package_holds_each_dependency_once_in_path_order(
    services: Services, scope: Scope
) -> None:
    found, summary, needed = entries(services, scope, ["b_job", "a_job"])

    assert [e.path for e in found] == [
        "jobs/a_job.job",
        "jobs/b_job.job",
        "resources/udf_jar.resource",
        "scripts/a_job_sh.script",
        "scripts/a_job_sql.script",
        "scripts/b_job_sh.script",
        "scripts/b_job_sql.script",
    ]
    assert b'"name":"a_job"' in found[0].data
    assert summary.unresolved == []
    assert summary.newest > 0
    dws = next(r for r in needed if r.name == "dws_conn")
    assert (dws.type, dws.secrets) == ("DWS", ("password",))
    assert not any(b"s3cr3t-pw" in e.data for e in found)


def test_without_export_depend_only_the_jobs_go_in_but_their_needs_are_noted(
    services: Services, scope: Scope
) -> None:
    found, summary, _ = entries(services, scope, ["a_job"], export_depend=False)
    assert [e.path for e in found] == ["jobs/a_job.job"]
    assert ("connection", "dws_conn") in summary.requires


def test_a_dependency_the_workspace_lacks_is_unresolved_naming_a_job_using_it(
    services: Services, scope: Scope
) -> None:
    orphan = make_job("orphan_job")
    orphan["nodes"] = orphan["nodes"][:1]
    orphan["nodes"][0]["properties"][0]["value"] = "ghost_sql"
    services.jobs.create(scope, orphan)

    found, summary, _ = entries(services, scope, ["orphan_job"])

    assert "scripts/ghost_sql.script" not in [e.path for e in found]
    assert summary.unresolved == [
        {"kind": "script", "name": "ghost_sql", "job": "orphan_job", "reason": "not found"}
    ]


def test_the_batch_layout_repeats_a_shared_dependency_in_each_job_folder(
    services: Services, scope: Scope
) -> None:
    found, _, _ = entries(services, scope, ["a_job", "b_job"], Layout.BATCH)
    paths = [e.path for e in found]
    assert paths == sorted(paths)
    assert "jobs/a_job/udf_jar.resource" in paths
    assert "jobs/b_job/udf_jar.resource" in paths
    assert "jobs/a_job/a_job_sql.script" in paths
    assert "jobs/a_job/b_job_sql.script" not in paths


def test_a_jobs_entry_carries_no_version_and_keeps_its_bytes_across_submits(
    services: Services, scope: Scope
) -> None:
    # A show answer saved back carries the version it was shown with: not stored, so not
    # exported, and submitting the job again unchanged does not change its entry.
    shown = services.jobs.show(scope, "a_job").document | {"version": "1"}
    services.jobs.update(scope, "a_job", shown | {"targetStatus": "SAVED"})
    before = entries(services, scope, ["a_job"], export_depend=False)[0]
    services.jobs.update(scope, "a_job", shown | {"targetStatus": "SUBMITTED"})
    after = entries(services, scope, ["a_job"], export_depend=False)[0]

    assert [e.data for e in after] == [e.data for e in before]
    assert b'"version"' not in before[0].data
