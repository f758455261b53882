"""An over-limit package upload is refused with 413 and the limit named, before its body is
read: at once from ``Content-Length``, and a chunked body as soon as it passes the limit. Both
are sent over a raw socket that never finishes the body: an answer arrives only if the server
stopped reading."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
import requests

from jobferry.signing import UNSIGNED_PAYLOAD
from support.importing import multipart
from support.server import ServerProcess, new_workspace, serving, upload_package

pytestmark = pytest.mark.e2e

CAP = 1024 * 1024


@pytest.fixture(scope="module")
def small_cap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("upload-limit")
    with serving("sqlite", data_dir, JOBFERRY_IMPORT_MAX_PACKAGE_BYTES=str(CAP)) as server:
        yield server


def _connect(server: ServerProcess) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict[str, object]]:
    """The status and JSON body of the answer (``Content-Length`` long)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b": ", 1) for line in head.lower().split(b"\r\n")[1:] if b": " in line)
    while len(body) < int(fields[b"content-length"]):
        body += sock.recv(65536)
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _head(server: ServerProcess, *extra: str, signed: bool = False) -> bytes:
    """The request's head; ``signed`` as the SDK signs an upload (``UNSIGNED-PAYLOAD``): an
    unsigned call is refused before its body is read, an upload's size never counted."""
    path = f"/v1/{server.project_id}/packages"
    headers = {
        "Host": server.url.removeprefix("http://"),
        "Content-Type": "multipart/form-data; boundary=b0undary",
    }
    if signed:
        headers["X-Sdk-Content-Sha256"] = UNSIGNED_PAYLOAD
        headers.update(server.signer.sign("POST", path, "", headers, b"-", server.ak, server.sk))
    lines = [f"POST {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()), *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_an_upload_declaring_more_than_the_limit_is_answered_before_its_body_is_sent(
    small_cap_server: ServerProcess,
) -> None:
    with _connect(small_cap_server) as sock:
        sock.sendall(_head(small_cap_server, f"Content-Length: {48 * CAP}"))
        status, body = _answer(sock)  # not one byte of the body was sent
    assert status == 413
    assert body["error_code"] == "DLF.9413"
    assert body["limit"] == CAP
    assert f"larger than {CAP} bytes" in str(body["error_msg"])
    assert "JOBFERRY_IMPORT_MAX_PACKAGE_BYTES" in str(body["error_msg"])


def test_a_chunked_upload_stops_being_read_once_it_passes_the_limit(
    small_cap_server: ServerProcess,
) -> None:
    part = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n'
        b"Content-Type: application/zip\r\n\r\n"
    )
    block = b"\0" * 65536

    def chunk(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    with _connect(small_cap_server) as sock:
        sock.sendall(_head(small_cap_server, "Transfer-Encoding: chunked", signed=True))
        sock.sendall(chunk(part))  # a file part whose content never ends
        for _ in range(CAP // len(block) + 2):  # past the limit and its framing room
            sock.sendall(chunk(block))
        # The body never ends (no last chunk): the server answers only because it stopped.
        status, body = _answer(sock)
    assert status == 413, body
    assert body["error_code"] == "DLF.9413"


def test_a_package_just_over_the_limit_is_refused_by_the_upload_itself(
    small_cap_server: ServerProcess,
) -> None:
    ws = new_workspace(small_cap_server, "limits")
    with pytest.raises(AssertionError, match=r"DLF\.9413"):
        upload_package(small_cap_server, b"\0" * (CAP + 1), ws)
    assert upload_package(small_cap_server, b"\0" * CAP, ws).startswith("upload://")


def test_the_refusal_is_the_envelope_with_a_request_id(small_cap_server: ServerProcess) -> None:
    raw = multipart(b"\0" * (2 * CAP))
    answer = requests.post(
        f"{small_cap_server.url}/v1/{small_cap_server.project_id}/packages",
        data=raw,
        headers={"Content-Type": "multipart/form-data; boundary=jobferryboundary7MA4YWxkTrZu0gW"},
        timeout=30,
    )
    assert answer.status_code == 413
    assert answer.json()["request_id"] == answer.headers["X-Request-Id"]
