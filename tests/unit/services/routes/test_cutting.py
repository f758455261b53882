"""Cutting a route's package (``services/routes/cutting.py``): the selected jobs of the source
(all, by name, by folder) with what they use, only those changed since a moment, nothing
written when nothing changed, a cut of every job read by the import as the whole source
workspace, the job cap, and a route that asks for signed packages refused, naming the fix,
while its source has no key."""

from __future__ import annotations

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
from jobferry.services.routes.cutting import Cut, RouteCutter
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.console import admin_scope, seed
from support.exporting import entries
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


def test_a_route_of_every_job_cuts_them_with_what_they_use(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    path = tmp_path / "all.zip"
    assert _cutter(services).write(source, _route(), Cut(None, None), path) == (2, 0)
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
    assert _cutter(services).write(source, named, Cut(None, None), tmp_path / "n.zip") == (1, 0)
    assert _jobs(tmp_path / "n.zip") == {"weekly_sales"}
    services.jobs.create(source, make_job("finance_close", directory="/finance/month"))
    folder = _route(selection={"kind": "FOLDERS", "values": ["/finance"]})
    assert _cutter(services).write(source, folder, Cut(None, None), tmp_path / "f.zip") == (1, 0)
    assert _jobs(tmp_path / "f.zip") == {"finance_close"}


def test_only_jobs_changed_since_the_moment_are_cut_and_nothing_is_written_when_none(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    moment = now_ms()
    path = tmp_path / "since.zip"
    assert _cutter(services).write(source, _route(), Cut(moment, moment), path) == (0, 0)
    assert not path.exists()
    services.jobs.update(source, "weekly_sales", make_job("weekly_sales", logPath="obs://b/new"))
    assert _cutter(services).write(source, _route(), Cut(moment - 1, None), path) == (1, 0)
    assert _jobs(path) == {"weekly_sales"}


def test_a_route_asking_for_signed_packages_is_refused_without_a_key(
    services: Services, source: Scope, tmp_path: Path
) -> None:
    route = replace(_route(), require_signature=True)
    path = tmp_path / "signed.zip"
    with pytest.raises(InvalidRequestError, match="jobferry keys create") as refused:
        _cutter(services).write(source, route, Cut(None, None), path)
    assert refused.value.context["route"] == "out"
    assert not path.exists()
