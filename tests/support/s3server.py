"""A real S3-compatible HTTP server on loopback (moto's server mode) for object-storage tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class S3Server:
    """Where the test S3 server listens, and a client for it."""

    endpoint: str
    client: Any

    def new_bucket(self, prefix: str = "jf") -> str:
        """A new, empty bucket with a unique name."""
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.client.create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1, a free port (moto and boto3 are imported here: every
    test process loads this module through ``conftest.py``, few of them use it)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    yield S3Server(endpoint, client)
    server.stop()


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    """A new, empty bucket on the test S3 server."""
    return s3_server.new_bucket()


def server_env(s3: S3Server) -> dict[str, str]:
    """The environment of a jobferry server whose obs:// paths map to ``s3``."""
    return {
        "JOBFERRY_S3_ENDPOINT_URL": s3.endpoint,
        "JOBFERRY_S3_REGION": "us-east-1",
        "JOBFERRY_S3_ACCESS_KEY_ID": "test",
        "JOBFERRY_S3_SECRET_ACCESS_KEY": "test",
    }


S3_ENV = {
    "s3_region": "us-east-1",
    "s3_access_key_id": "test",
    "s3_secret_access_key": "test",
}
