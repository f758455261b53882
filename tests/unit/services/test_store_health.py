"""The package store's state for ``GET /health``: ``local`` for the data folder; for an S3
package store ``ok`` or ``unavailable`` after one short look at its bucket, which stands for a
while (a health check polled every few seconds costs the store one call a period)."""

from __future__ import annotations

import socket
from pathlib import Path

from jobferry.services.support.storehealth import StoreHealth
from jobferry.storage.blobs import LocalBlobStore, ObjectStorage, S3BlobStore, S3Config
from support.s3server import S3Server


def s3_store(endpoint: str, bucket: str) -> S3BlobStore:
    storage = ObjectStorage(S3Config(endpoint, "us-east-1", "test", "test"))
    return S3BlobStore(storage, bucket, "jobferry/packages/")


def test_the_local_package_store_is_local(tmp_path: Path) -> None:
    assert StoreHealth(LocalBlobStore(tmp_path)).state() == "local"


def test_an_s3_package_store_that_answers_is_ok_and_the_answer_stands_a_while(
    s3_server: S3Server, bucket: str
) -> None:
    health = StoreHealth(s3_store(s3_server.endpoint, bucket), every=3600)
    assert health.state() == "ok"
    s3_server.client.delete_bucket(Bucket=bucket)
    assert health.state() == "ok", "looked at again only once the period is over"
    assert StoreHealth(s3_store(s3_server.endpoint, bucket), every=0).state() == "unavailable"


def test_an_s3_package_store_nothing_answers_for_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert StoreHealth(s3_store(endpoint, "jf-packages")).state() == "unavailable"
