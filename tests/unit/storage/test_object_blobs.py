"""Object storage that fails on its side (no answer, a hung endpoint, a 5xx, a bucket or
credentials it refuses) is refused as the server's problem (503, ``DLF.9505``) naming the
endpoint's setting, never as a malformed path; the package store's refusals name the store,
not the keys it keeps. Against moto's S3 server on loopback, and a socket that never answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jobferry.errors import ObjectStoreUnavailableError, ObsReadError
from jobferry.storage.blobs import ObjectStorage, S3BlobStore, S3Config
from support.s3server import S3Server


def config(endpoint: str, *, read_timeout: float = 20, attempts: int = 2) -> S3Config:
    return S3Config(endpoint, "us-east-1", "test", "test", 0.5, read_timeout, attempts)


def store_at(endpoint: str, bucket: str = "jf-packages", **kw: float) -> S3BlobStore:
    storage = ObjectStorage(config(endpoint, **kw))  # type: ignore[arg-type]
    return S3BlobStore(storage, bucket, "jobferry/packages/", "the package store (bucket X)")


@pytest.fixture
def closed_port() -> str:
    """An endpoint on loopback where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hung() -> Iterator[str]:
    """An endpoint that takes connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


class _Failing(BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        body = b"<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_DELETE = _fail  # noqa: N815  (the names http.server calls)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing() -> Iterator[str]:
    """An endpoint that answers every call 503."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def package(tmp_path: Path) -> Path:
    source = tmp_path / "package.zip"
    source.write_bytes(b"PK package")
    return source


def assert_store_unavailable(refused: ObjectStoreUnavailableError, endpoint: str) -> None:
    assert refused.status == 503
    assert refused.code == "DLF.9505"
    assert "the package store (bucket X)" in refused.message
    assert "JOBFERRY_S3_ENDPOINT_URL" in refused.message
    assert endpoint in refused.message
    assert "Retry" in refused.message
    assert "obs://" not in refused.message, "the store's keys are no path the user gave"
    assert refused.context["retry_after"] > 0
    assert refused.context["setting"] == "JOBFERRY_S3_ENDPOINT_URL"


def test_an_upload_to_a_store_nothing_answers_is_a_503_naming_the_store(
    tmp_path: Path, closed_port: str
) -> None:
    with pytest.raises(ObjectStoreUnavailableError) as refused:
        store_at(closed_port).put("ws/upload.zip", package(tmp_path))
    assert_store_unavailable(refused.value, closed_port)


def test_every_call_of_a_store_that_answers_5xx_is_a_503_naming_the_store(
    tmp_path: Path, failing: str
) -> None:
    store = store_at(failing)
    calls = [
        lambda: store.put("ws/upload.zip", package(tmp_path)),
        lambda: store.fetch("jobferry/packages/a.zip", tmp_path / "out.zip"),
        lambda: store.read("jobferry/packages/a.zip"),
        lambda: store.remove("jobferry/packages/a.zip"),
        store.check,
    ]
    for call in calls:
        with pytest.raises(ObjectStoreUnavailableError) as refused:
            call()
        assert_store_unavailable(refused.value, failing)
        assert "HTTP 503" in refused.value.message


def test_an_obs_path_of_an_unreachable_store_is_a_503_naming_the_path_not_a_path_error(
    tmp_path: Path, closed_port: str
) -> None:
    storage = ObjectStorage(config(closed_port))
    with pytest.raises(ObjectStoreUnavailableError) as refused:
        storage.get_to_file("exports", "a.zip", tmp_path / "out.zip", 1 << 20)
    assert "'obs://exports/a.zip'" in refused.value.message
    assert "JOBFERRY_S3_ENDPOINT_URL" in refused.value.message


def test_a_hung_store_fails_the_call_after_its_read_timeout(tmp_path: Path, hung: str) -> None:
    """botocore's own default waits 60 s per attempt; the configured timeout bounds it."""
    store = store_at(hung, read_timeout=0.3, attempts=2)
    outcome: list[BaseException] = []

    def upload() -> None:
        try:
            store.put("ws/upload.zip", package(tmp_path))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the upload still waits on a store that never answers"
    assert isinstance(outcome[0], ObjectStoreUnavailableError), outcome
    assert "timeout" in outcome[0].message.lower()


def test_the_client_has_the_configured_timeouts_and_attempts() -> None:
    storage = ObjectStorage(S3Config("http://127.0.0.1:9", "us-east-1", "a", "b", 3, 7, 4))
    client_config = storage._client.meta.config
    assert (client_config.connect_timeout, client_config.read_timeout) == (3, 7)
    assert client_config.retries == {"total_max_attempts": 4, "mode": "standard"}


def test_a_package_store_whose_bucket_is_gone_names_the_bucket_setting(
    tmp_path: Path, s3_server: S3Server
) -> None:
    store = store_at(s3_server.endpoint, bucket="jf-no-such-bucket")
    for call in (store.check, lambda: store.put("ws/upload.zip", package(tmp_path))):
        with pytest.raises(ObjectStoreUnavailableError) as refused:
            call()
        assert refused.value.status == 503
        assert "JOBFERRY_S3_BUCKET" in refused.value.message
        assert "obs://" not in refused.value.message


def test_a_package_the_store_no_longer_holds_is_a_read_error_without_its_key(
    tmp_path: Path, s3_server: S3Server, bucket: str
) -> None:
    store = store_at(s3_server.endpoint, bucket=bucket)
    store.check()
    with pytest.raises(ObsReadError) as refused:
        store.fetch("jobferry/packages/gone.zip", tmp_path / "out.zip")
    assert "no longer holds this package" in refused.value.message
    assert "obs://" not in refused.value.message


def test_an_obs_path_without_credentials_names_the_key_settings_and_asks_no_retry(
    tmp_path: Path, closed_port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No credentials at all is the server's configuration: a wait mends nothing, so the
    refusal carries no ``retry_after`` (the command line would wait a minute for nothing)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    storage = ObjectStorage(S3Config(closed_port, "us-east-1", None, None, 0.5, 1, 1))
    with pytest.raises(ObjectStoreUnavailableError) as refused:
        storage.get_to_file("exports", "a.zip", tmp_path / "out.zip", 1 << 20)
    assert refused.value.status == 503
    assert "retry_after" not in refused.value.context
    assert refused.value.context["setting"] == "JOBFERRY_S3_ACCESS_KEY_ID"
    assert "JOBFERRY_S3_SECRET_ACCESS_KEY" in refused.value.message
    assert "Retry in a minute" not in refused.value.message
