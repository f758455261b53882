"""At start the server looks at its package store in object storage once: an endpoint nothing
answers at, a bucket that does not exist, are refused naming the setting to correct, before
the server listens (``jobferry serve`` calls ``Services.check_package_store``)."""

from __future__ import annotations

import socket

import pytest

from jobferry.errors import ObjectStoreUnavailableError
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from support.s3server import S3_ENV, S3Server

pytestmark = pytest.mark.databases("sqlite")


def closed_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def check(settings: Settings, endpoint: str, bucket: str) -> None:
    configured = settings.model_copy(
        update={
            "s3_endpoint_url": endpoint,
            "package_store": "s3",
            "s3_bucket": bucket,
            "s3_connect_timeout_seconds": 1,
            **S3_ENV,
        }
    )
    db = Database(configured.resolved_database_url())
    try:
        Services.build(configured, db).check_package_store()
    finally:
        db.dispose()


def test_a_package_store_nothing_answers_for_stops_the_start(settings: Settings) -> None:
    endpoint = closed_endpoint()
    with pytest.raises(ObjectStoreUnavailableError) as refused:
        check(settings, endpoint, "jf-packages")
    message = refused.value.message
    assert message.startswith("JOBFERRY_PACKAGE_STORE=s3, but the object storage at ")
    assert endpoint in message
    assert "Correct JOBFERRY_S3_ENDPOINT_URL" in message
    assert "retry_after" not in refused.value.context, "a start is not retried by a client"


def test_a_package_store_bucket_that_does_not_exist_stops_the_start(
    settings: Settings, s3_server: S3Server
) -> None:
    with pytest.raises(ObjectStoreUnavailableError) as refused:
        check(settings, s3_server.endpoint, "jf-no-such-bucket")
    message = refused.value.message
    assert "has no bucket 'jf-no-such-bucket'" in message
    assert "bucket 'jf-no-such-bucket', JOBFERRY_S3_BUCKET" in message
    assert ") (bucket" not in message, "the bucket is named once, not twice in a row"
    assert "404" not in message, "said in words, not as the store's status"
    assert message.endswith(
        "Create bucket 'jf-no-such-bucket' at JOBFERRY_S3_ENDPOINT_URL (or set "
        "JOBFERRY_S3_BUCKET to a bucket that exists there), and start the server again."
    )
    assert refused.value.context["setting"] == "JOBFERRY_S3_BUCKET"


def test_a_package_store_that_answers_passes(
    settings: Settings, s3_server: S3Server, bucket: str
) -> None:
    check(settings, s3_server.endpoint, bucket)


def test_the_local_package_store_needs_no_look(services: Services) -> None:
    services.check_package_store()
