"""Cutting a route's package (``services/routes/cutting.py``): the selected jobs of the source
(all, by name, by folder) with what they use, only those changed since a moment, nothing
written when nothing changed, and a route that asks for signed packages refused, naming the
fix, while its source has no key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from jobferry.domain.routes import Route, parse_route
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.routes.cutting import Cut, RouteCutter
from support.builders import make_job
from support.console import admin_scope, seed
from support.exporting import entries


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
