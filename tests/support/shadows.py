"""The remote's shadow the remotes' service tests start from: one ``shadow`` fixture, which
each module makes with :func:`shadow_fixture`, saying only what its story needs beyond the
remote added and refreshed (the first push of :mod:`support.pushes`, jobs then scheduled on the
remote, a refresh after)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_actor
from support.planning import import_package
from support.pushes import first_package
from support.standin import DataArtsStandin, remote_shadow


def prepared_shadow(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    *,
    pushed: bool = False,
    scheduled: tuple[str, ...] = (),
    refreshed: bool = False,
) -> Scope:
    """The admin's scope in the shadow of ``standin`` added as remote ``prod`` (refreshed:
    :func:`~support.standin.remote_shadow`); ``pushed``: then the first push made into it
    (daily_sales, weekly_sales and hourly_sales with their scripts and resource); ``scheduled``:
    those jobs then scheduled on the remote; ``refreshed``: the shadow refreshed after (as a
    push's plan does first)."""
    scope = remote_shadow(services, standin)
    if pushed:
        import_package(services, scope, first_package(tmp_path))
    for name in scheduled:
        standin.workspace.jobs[name].status = "SCHEDULING"
    if refreshed:
        services.remotes.refresh(admin_actor(services), "prod")
    return scope


def shadow_fixture(
    *, pushed: bool = False, scheduled: tuple[str, ...] = (), refreshed: bool = False
) -> Any:
    """A module's ``shadow`` fixture (``shadow = shadow_fixture(...)``): the
    :func:`prepared_shadow` of the module's ``standin``, made so for each test."""

    @pytest.fixture
    def shadow(services: Services, standin: DataArtsStandin, tmp_path: Path) -> Scope:
        return prepared_shadow(
            services,
            standin,
            tmp_path,
            pushed=pushed,
            scheduled=scheduled,
            refreshed=refreshed,
        )

    return shadow
