"""A signed release file: a release package carried across an air gap with its approvals.

One zip of three entries: ``release.json`` (``{"format": "jobferry-release/1"}``),
``package.zip`` (the package file the release's plan imports, byte for byte) and
``approvals.json`` (its approvals file, ``package.approvals``: the plan's facts and hash, the
statement, each signature with its public key). The server that takes it in plans the same
package against its own production and imports it only when the plan hash it makes is the one
approved and the approvals verify with keys it trusts.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import orjson

from jobferry.package.manifest import MANIFEST_NAME, deleted_objects

FORMAT = "jobferry-release/1"
HEAD, PACKAGE, APPROVALS = "release.json", "package.zip", "approvals.json"


@dataclass(frozen=True)
class SignedRelease:
    """What a signed release file holds."""

    package: bytes
    approvals: dict[str, Any]

    @property
    def package_sha256(self) -> str:
        """The package file's sha256."""
        return hashlib.sha256(self.package).hexdigest()


def write_release(release: SignedRelease) -> bytes:
    """The file's bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(HEAD, orjson.dumps({"format": FORMAT}))
        archive.writestr(PACKAGE, release.package, compress_type=zipfile.ZIP_STORED)
        archive.writestr(APPROVALS, orjson.dumps(release.approvals, option=orjson.OPT_INDENT_2))
    return out.getvalue()


def read_release(data: bytes) -> SignedRelease:
    """The file's content; ValueError saying what is wrong with it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if names != {HEAD, PACKAGE, APPROVALS}:
                raise ValueError(f"it holds {sorted(names)}, not {HEAD}, {PACKAGE}, {APPROVALS}")
            head = orjson.loads(archive.read(HEAD))
            if not isinstance(head, dict) or head.get("format") != FORMAT:
                raise ValueError(f"{HEAD} is not {FORMAT}")
            approvals = orjson.loads(archive.read(APPROVALS))
            if not isinstance(approvals, dict):
                raise ValueError(f"{APPROVALS} is not an object")
            return SignedRelease(archive.read(PACKAGE), approvals)
    except (zipfile.BadZipFile, orjson.JSONDecodeError) as exc:
        raise ValueError(f"not a signed release file ({exc})") from exc


def release_source(package: bytes) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The workspace a release's package was cut from (its objects carry that workspace's
    identities; ``None`` when its manifest names none) and the deletions it carries (kind,
    uid, name); ValueError when it has no readable manifest."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            manifest = orjson.loads(archive.read(MANIFEST_NAME))
    except (zipfile.BadZipFile, KeyError, orjson.JSONDecodeError) as exc:
        raise ValueError(f"its package has no readable {MANIFEST_NAME} ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ValueError(f"its package's {MANIFEST_NAME} is not an object")
    source = manifest.get("source")
    found = source.get("workspaceId") if isinstance(source, dict) else None
    return (found if isinstance(found, str) and found else None), deleted_objects(manifest)
