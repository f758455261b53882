"""The upload body of the command line: its file name reaches the server as the person sees it
(the server titles the import's task and audits the package with it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartParser

from jobferry.cli.multipart import MultipartFile


def _received_name(body: MultipartFile) -> str:
    """The file name the server's form parser reads from the body."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := body.read():
            yield chunk

    async def parse() -> str:
        headers = Headers({"content-type": f"multipart/form-data; boundary={body.boundary}"})
        form = await MultiPartParser(headers, chunks()).parse()
        upload = form["file"]
        assert isinstance(upload, UploadFile)
        await upload.close()
        return upload.filename or ""

    return asyncio.run(parse())


@pytest.mark.parametrize(
    "name",
    ["DLF_daily_sales.zip", "my package.zip", "folder my exämples", "100% done.zip", "日次.zip"],
)
def test_a_file_name_reaches_the_server_as_it_is_not_url_encoded(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    body = MultipartFile(path, "file", None)
    try:
        assert _received_name(body) == name
    finally:
        body.close()


def test_a_quote_in_a_file_name_cannot_end_the_parameter(tmp_path: Path) -> None:
    path = tmp_path / 'say "hi".zip'
    path.write_bytes(b"x")
    body = MultipartFile(path, "file", None)
    try:
        assert _received_name(body) == "say %22hi%22.zip"  # as a browser sends it
    finally:
        body.close()
