"""Deterministic zip writing: the same entries always give the same bytes.

Entries must be added in ascending path order (the writer refuses anything else, which is what
makes the output reproducible while streaming); every entry gets the same fixed timestamp and
permissions; ``manifest.json`` is written last, after every entry's size and sha256 is known,
followed by ``manifest.sig`` when a signer is given (it signs the manifest bytes).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from jobferry.package.manifest import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    ManifestEntry,
    ManifestHeader,
    render_manifest,
)

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6


@dataclass(frozen=True)
class WrittenPackage:
    """What was written."""

    entries: tuple[ManifestEntry, ...]
    with_manifest: bool


class PackageWriter:
    """Streams entries into a zip file object."""

    def __init__(
        self,
        fileobj: IO[bytes],
        header: ManifestHeader | None,
        signer: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self._zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED)
        self._header = header
        self._signer = signer
        self._entries: list[ManifestEntry] = []
        self._last_path: str | None = None

    def add(self, path: str, kind: str, name: str, object_id: str, data: bytes) -> None:
        """Add one entry; paths must arrive in strictly ascending order."""
        if self._last_path is not None and path <= self._last_path:
            raise ValueError(
                f"package entries must be added in ascending path order without duplicates: "
                f"'{path}' came after '{self._last_path}'"
            )
        if path in (MANIFEST_NAME, SIGNATURE_NAME):
            raise ValueError(f"{path} is written by the writer itself")
        self._last_path = path
        self._write(path, data)
        self._entries.append(
            ManifestEntry(path, kind, name, object_id, len(data), hashlib.sha256(data).hexdigest())
        )

    def _write(self, path: str, data: bytes) -> None:
        info = zipfile.ZipInfo(path, date_time=FIXED_DATE_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o100644 << 16
        self._zip.writestr(info, data, compresslevel=COMPRESS_LEVEL)

    def close(self) -> WrittenPackage:
        """Write the manifest (if any) and finish the zip."""
        if self._header is not None:
            manifest = render_manifest(self._header, self._entries)
            self._write(MANIFEST_NAME, manifest)
            if self._signer is not None:
                self._write(SIGNATURE_NAME, self._signer(manifest))
        self._zip.close()
        return WrittenPackage(tuple(self._entries), self._header is not None)
