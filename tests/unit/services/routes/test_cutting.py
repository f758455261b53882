"""Cutting a route's package (``services/routes/cutting.py``): the selected jobs of the source
(all, by name, by folder) with what they use, only those changed since a moment, nothing
written when nothing changed, a cut of every job read by the import as the whole source
workspace, the job cap, and a route that asks for signed packages refused, naming the fix,
while its source has no key. A route of every job carries the scripts and resources no job
uses, first whole and then each changed or new one (their deletions too); a route of folders
never carries them."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from jobferry.domain.enums import PlanAction
from jobferry.domain.routes import Route, parse_route
from jobferry.errors import InvalidRequestError
from jobferry.package.reader import PackageReader
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.matching import package_source
from jobferry.services.routes.cutting import Cut, CutSize, RouteCutter
from jobferry.storage.importing.workset import Workset
from support.builders import make_job, make_resource, make_script
from support.console import admin_scope, seed
from support.exporting import entries, manifest
from support.planning import plan_into, planned_actions, workspace


@pytest.fixture
def source(services: Services) -> Scope:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_sales"))
    return scope


def _route(**document: object) -> Route:
    base = {"source": {"workspace": "default"}, "target": {"carried": True}}
    return parse_route("out", {**base, **document})


def _jobs(path: Path) -> set[str]:
    return {
        e.rsplit("/", 1)[-1][: -len(".job")]
        for e in entries(path.read_bytes())
        if e.endswith(".job")
    }


def _cutter(services: Services) -> RouteCutter:
    return RouteCutter(services.db, services.keys, 1000)


def _moment() -> int:
    """A moment after everything done so far and before anything done next (the clock has
    passed it when this returns)."""
    moment = now_ms()
    while now_ms() <= moment:
        time.sleep(0.001)
    return moment


def _held(path: Path) -> set[str]:
    """The scripts and resources a package holds, as ``kind:name``."""
    found = set()
    for entry in entries(path.read_bytes()):
        folder, _, file = entry.rpartition("/")
        if folder in ("scripts", "resources"):
            found.add(f"{folder[:-1]}:{file.rsplit('.', 1)[0]}")
    return found


def test_a_route_of_every_job_cuts_them_with_what_they_use(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    path = tmp_path / "all.zip"
    assert _cutter(services).write(source, _route(), Cut(None, None), path) == CutSize(
        2, 0, scripts=4, resources=1
    )
    assert _jobs(path) == {"daily_sales", "weekly_sales"}
    assert any(e.endswith("daily_sales_sql.script") for e in entries(path.read_bytes()))


def test_a_cut_of_every_job_is_read_by_the_import_as_the_whole_source_workspace(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    path = tmp_path / "all.zip"
    _cutter(services).write(source, _route(), Cut(None, None), path)
    target = workspace(services, "prod")
    with (
        PackageReader(path) as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        assert package_source(reader).workspace_id == source.workspace.id
        assert package_source(reader).inventory == {"job", "script", "resource"}
        plan = plan_into(LocalWorkspace(tx, target), reader, workset)
        actions = planned_actions(plan, workset)
    assert plan.problems_total == 0
    assert actions == {
        (kind, f"{job}{suffix}"): PlanAction.CREATE
        for job in ("daily_sales", "weekly_sales")
        for kind, suffix in (("script", "_sql"), ("script", "_sh"), ("job", ""))
    } | {("resource", "udf_jar"): PlanAction.CREATE}


def test_a_cut_stops_at_the_job_cap_writing_nothing(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    path = tmp_path / "capped.zip"
    capped = RouteCutter(services.db, services.keys, 1)
    with pytest.raises(InvalidRequestError, match="over the cap of 1"):
        capped.write(source, _route(), Cut(None, None), path)
    assert not path.exists()


def test_a_selection_by_name_or_folder_cuts_only_those_jobs(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    named = _route(selection={"kind": "NAMES", "values": ["weekly_sales"], "withUpstream": False})
    assert _cutter(services).write(source, named, Cut(None, None), tmp_path / "n.zip").jobs == 1
    assert _jobs(tmp_path / "n.zip") == {"weekly_sales"}
    services.jobs.create(source, make_job("finance_close", directory="/finance/month"))
    folder = _route(selection={"kind": "FOLDERS", "values": ["/finance"]})
    assert _cutter(services).write(source, folder, Cut(None, None), tmp_path / "f.zip").jobs == 1
    assert _jobs(tmp_path / "f.zip") == {"finance_close"}


def test_only_jobs_changed_since_the_moment_are_cut_and_nothing_is_written_when_none(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    moment = _moment()
    path = tmp_path / "since.zip"
    assert _cutter(services).write(source, _route(), Cut(moment, moment), path).empty
    assert not path.exists()
    services.jobs.update(source, "weekly_sales", make_job("weekly_sales", logPath="obs://b/new"))
    assert _cutter(services).write(source, _route(), Cut(moment, None), path)[:3] == (1, 0, 0)
    assert _jobs(path) == {"weekly_sales"}


def test_a_route_of_every_job_carries_unused_scripts_and_resources_each_time_they_change(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    """ALL is the workspace whole: its first package holds what no job uses, and so does each
    later one when that changed, was made or was deleted since (the deletion as a deletion)."""
    services.scripts.create(source, make_script("orphan_sql"))
    services.resources.create(source, make_resource("spare_jar"))
    first = tmp_path / "first.zip"
    assert _cutter(services).write(source, _route(), Cut(None, None), first)[:3] == (2, 0, 0)
    assert {"script:orphan_sql", "resource:spare_jar"} <= _held(first)

    edited = _moment()
    services.scripts.update(source, "orphan_sql", make_script("orphan_sql", content="select 2;"))
    path = tmp_path / "edited.zip"
    assert _cutter(services).write(source, _route(), Cut(edited, edited), path)[:3] == (0, 0, 1)
    assert _held(path) == {"script:orphan_sql"}
    assert _jobs(path) == set()

    made = _moment()
    services.scripts.create(source, make_script("new_sql"))
    services.resources.create(source, make_resource("new_jar"))
    path = tmp_path / "made.zip"
    assert _cutter(services).write(source, _route(), Cut(made, made), path)[:3] == (0, 0, 2)
    assert _held(path) == {"script:new_sql", "resource:new_jar"}

    deleted = _moment()
    services.scripts.delete(source, "orphan_sql")
    path = tmp_path / "deleted.zip"
    assert _cutter(services).write(source, _route(), Cut(deleted, deleted), path)[:3] == (0, 1, 0)
    [gone] = manifest(path.read_bytes())["deleted"]
    assert (gone["kind"], gone["name"]) == ("script", "orphan_sql")


def test_the_first_cut_of_every_job_carries_a_source_holding_no_job(
    services: Services, tmp_path: Path
) -> None:
    """A source of scripts and resources alone (its jobs not made yet, or deleted before the
    first promotion) is not "nothing changed": its first package holds them (it said so
    until a job was made, and none of them travelled)."""
    source = workspace(services, "dev")
    services.scripts.create(source, make_script("orphan_sql"))
    services.resources.create(source, make_resource("spare_jar"))
    path = tmp_path / "first.zip"
    size = _cutter(services).write(source, _route(), Cut(None, None), path)
    assert not size.empty
    assert (size.jobs, size.scripts, size.resources) == (0, 1, 1)
    assert _held(path) == {"script:orphan_sql", "resource:spare_jar"}
    assert set(manifest(path.read_bytes())["inventory"]) == {"job", "script", "resource"}


def test_a_route_of_folders_never_carries_a_script_no_selected_job_uses(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    services.scripts.create(source, make_script("orphan_sql"))
    folder = _route(selection={"kind": "FOLDERS", "values": ["/sales"]})
    first = tmp_path / "first.zip"
    assert _cutter(services).write(source, folder, Cut(None, None), first)[:3] == (2, 0, 0)
    assert "script:orphan_sql" not in _held(first)
    assert "script:daily_sales_sql" in _held(first)

    edited = _moment()
    services.scripts.update(source, "orphan_sql", make_script("orphan_sql", content="select 2;"))
    services.scripts.create(source, make_script("new_sql"))
    path = tmp_path / "edited.zip"
    assert _cutter(services).write(source, folder, Cut(edited, edited), path).empty
    assert not path.exists()


def test_a_route_asking_for_signed_packages_is_refused_without_a_key(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    route = replace(_route(), require_signature=True)
    path = tmp_path / "signed.zip"
    with pytest.raises(InvalidRequestError, match="jobferry keys create") as refused:
        _cutter(services).write(source, route, Cut(None, None), path)
    assert refused.value.context["route"] == "out"
    assert not path.exists()
