"""A real jobferry server per backend, with obs:// mapped to a loopback S3 server, and the
Terraform provider's client for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.s3server import S3Server, s3_server  # noqa: F401
from support.server import ServerProcess, new_workspace, serving
from support.terraform import TerraformClient


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    s3_server: S3Server,  # noqa: F811
) -> Iterator[ServerProcess]:
    env = {
        "JOBFERRY_S3_ENDPOINT_URL": s3_server.endpoint,
        "JOBFERRY_S3_REGION": "us-east-1",
        "JOBFERRY_S3_ACCESS_KEY_ID": "test",
        "JOBFERRY_S3_SECRET_ACCESS_KEY": "test",
    }
    with serving(request.param, tmp_path_factory.mktemp("tf-server"), **env) as proc:
        yield proc


@pytest.fixture
def tf(server: ServerProcess) -> TerraformClient:
    """The provider's ``dataarts-dlf`` client (endpoint ending in "/", as configured)."""
    return TerraformClient(server.url + "/", server.project_id, server.ak, server.sk)


@pytest.fixture
def workspace(server: ServerProcess, request: pytest.FixtureRequest) -> str:
    """A fresh workspace per test, its id as workspace_id."""
    return new_workspace(server, f"tf_{abs(hash(request.node.nodeid)) % 10**10}")
