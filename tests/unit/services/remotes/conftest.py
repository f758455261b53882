"""The remote most of these tests drive: the DataArts stand-in holding one job (a module that
needs another holds its own ``standin``), and its shadow, refreshed once."""

from __future__ import annotations

import pytest

from support.builders import make_job
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin


@pytest.fixture
def standin() -> DataArtsStandin:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    return standin


shadow = shadow_fixture()
