"""The release services' tests share one enterprise team, its connections registered."""

from __future__ import annotations

import pytest

from jobferry.services.container import Services
from support.releases import Team, connected_team


@pytest.fixture
def team(services: Services) -> Team:
    """An enterprise workspace (developer, deployer, admin) with the connections the built
    jobs use, on the test's database."""
    return connected_team(services)
