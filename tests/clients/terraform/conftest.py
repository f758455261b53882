"""A real jobferry server per backend, with obs:// mapped to a loopback S3 server, and the
Terraform provider's client for it."""

from __future__ import annotations

import pytest

from support.server import ServerProcess, SharedServers, new_workspace
from support.terraform import TerraformClient


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    """The test process's shared server on each backend (obs:// on its S3 server)."""
    return shared_servers.get(request.param)


@pytest.fixture
def tf(server: ServerProcess) -> TerraformClient:
    """The provider's ``dataarts-dlf`` client (endpoint ending in "/", as configured)."""
    return TerraformClient(server.url + "/", server.project_id, server.ak, server.sk)


@pytest.fixture
def workspace(server: ServerProcess, request: pytest.FixtureRequest) -> str:
    """A fresh workspace per test, its id as workspace_id."""
    return new_workspace(server, f"tf_{abs(hash(request.node.nodeid)) % 10**10}")
