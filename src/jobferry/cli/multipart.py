"""The body of an upload: multipart/form-data with one file field, read from disk as it is
sent (never held in memory), and started again from its first byte when the request is sent
once more."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO

CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]
"""Called with (bytes done, bytes in all or None) while a body goes up or comes down."""


ESCAPED = {'"': "%22", "\r": "%0D", "\n": "%0A"}
"""What a file name cannot hold as it is inside the quoted ``filename`` parameter, escaped as
browsers escape it (the HTML standard's multipart/form-data encoding)."""


def _quoted(name: str) -> str:
    """A file name as the ``filename`` parameter carries it: its UTF-8 as it is (the server
    reads it so), only the quote and line breaks escaped; not URL-encoded, which the server
    would keep as it came (``my%20package.zip`` in the task's title)."""
    return "".join(ESCAPED.get(char, char) for char in name)


class MultipartFile:
    """A multipart/form-data body with one file field, read from disk as it is sent."""

    def __init__(self, path: Path, field: str, progress: Progress | None) -> None:
        self.boundary = f"jobferry-{uuid.uuid4().hex}"
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{_quoted(path.name)}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._path = path
        self._parts: list[bytes | IO[bytes]] = []
        self._size = len(self._head) + path.stat().st_size + len(self._tail)
        self._sent = 0
        self._progress = progress
        self.rewind()

    def rewind(self) -> None:
        """Start the body again from its first byte (to send it once more)."""
        self.close()
        self._parts = [self._head, self._path.open("rb"), self._tail]
        self._sent = 0

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        wanted = CHUNK if size is None or size < 0 else size
        while self._parts:
            part = self._parts[0]
            if isinstance(part, bytes):
                chunk, rest = part[:wanted], part[wanted:]
                if rest:
                    self._parts[0] = rest
                else:
                    self._parts.pop(0)
            else:
                chunk = part.read(wanted)
                if not chunk:
                    part.close()
                    self._parts.pop(0)
                    continue
            self._sent += len(chunk)
            if self._progress is not None:
                self._progress(self._sent, self._size)
            return chunk
        return b""

    def close(self) -> None:
        for part in self._parts:
            if not isinstance(part, bytes):
                part.close()
        self._parts = []
