"""The remote most of these tests drive: the DataArts stand-in holding one job (a module that
needs another holds its own ``standin``), and its shadow, refreshed once."""

from __future__ import annotations

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.standin import DataArtsStandin, remote_shadow


@pytest.fixture
def standin() -> DataArtsStandin:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    return standin


@pytest.fixture
def shadow(services: Services, standin: DataArtsStandin) -> Scope:
    return remote_shadow(services, standin)
