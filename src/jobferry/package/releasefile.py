"""A signed release file: a release package carried across an air gap with its approvals.

One zip of three entries: ``release.json`` (``{"format": "jobferry-release/1"}``),
``package.zip`` (the package file the release's plan imports, byte for byte) and
``approvals.json`` (its approvals file, ``package.approvals``: the plan's facts and hash, the
statement, each signature with its public key). The server that takes it in plans the same
package against its own production and imports it only when the plan hash it makes is the one
approved and the approvals verify with keys it trusts. Both sides stream the package between
files, so memory does not grow with it.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from jobferry.package.manifest import MANIFEST_NAME, deleted_objects

FORMAT = "jobferry-release/1"
HEAD, PACKAGE, APPROVALS = "release.json", "package.zip", "approvals.json"


MAX_SMALL_BYTES = 16 * 1024 * 1024
"""The most ``release.json`` or ``approvals.json`` may hold."""
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SignedRelease:
    """What a signed release file holds: its package, copied to a file of its own (the
    reader's to delete), with that file's sha256, and the approvals file."""

    package: Path
    package_sha256: str
    approvals: dict[str, Any]


def write_release(out: BinaryIO, package: Path, approvals: dict[str, Any]) -> None:
    """Write the signed release of ``package`` (a file, streamed) and its ``approvals``."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(HEAD, orjson.dumps({"format": FORMAT}))
        archive.write(package, PACKAGE, compress_type=zipfile.ZIP_STORED)
        archive.writestr(APPROVALS, orjson.dumps(approvals, option=orjson.OPT_INDENT_2))


def read_release(source: Path, package_out: Path, max_package_bytes: int) -> SignedRelease:
    """The file's content, its package streamed to ``package_out`` (at most
    ``max_package_bytes``); ValueError saying what is wrong with it."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if names != {HEAD, PACKAGE, APPROVALS}:
                raise ValueError(f"it holds {sorted(names)}, not {HEAD}, {PACKAGE}, {APPROVALS}")
            head = _small_json(archive, HEAD)
            if not isinstance(head, dict) or head.get("format") != FORMAT:
                raise ValueError(f"{HEAD} is not {FORMAT}")
            approvals = _small_json(archive, APPROVALS)
            if not isinstance(approvals, dict):
                raise ValueError(f"{APPROVALS} is not an object")
            sha256 = _copy(archive, package_out, max_package_bytes)
            return SignedRelease(package_out, sha256, approvals)
    except (zipfile.BadZipFile, orjson.JSONDecodeError) as exc:
        raise ValueError(f"not a signed release file ({exc})") from exc


def _small_json(archive: zipfile.ZipFile, name: str) -> Any:
    if archive.getinfo(name).file_size > MAX_SMALL_BYTES:
        raise ValueError(f"{name} holds more than {MAX_SMALL_BYTES} bytes")
    return orjson.loads(archive.read(name))


def _copy(archive: zipfile.ZipFile, out: Path, cap: int) -> str:
    """Copy the package entry to ``out`` a chunk at a time; its sha256."""
    digest, size = hashlib.sha256(), 0
    with archive.open(PACKAGE) as src, out.open("wb") as dst:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            if size > cap:
                raise ValueError(f"its {PACKAGE} holds more than {cap} bytes")
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def release_source(package: Path) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The workspace a release's package was cut from (its objects carry that workspace's
    identities; ``None`` when its manifest names none) and the deletions it carries (kind,
    uid, name); ValueError when it has no readable manifest."""
    try:
        with zipfile.ZipFile(package) as archive:
            manifest = orjson.loads(archive.read(MANIFEST_NAME))
    except (zipfile.BadZipFile, KeyError, orjson.JSONDecodeError) as exc:
        raise ValueError(f"its package has no readable {MANIFEST_NAME} ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ValueError(f"its package's {MANIFEST_NAME} is not an object")
    source = manifest.get("source")
    found = source.get("workspaceId") if isinstance(source, dict) else None
    return (found if isinstance(found, str) and found else None), deleted_objects(manifest)
