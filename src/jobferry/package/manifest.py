"""``manifest.json``: what a package holds, entry by entry, so it can be verified offline.

Format version 1::

    {
      "formatVersion": 1,
      "producer": {"name": "jobferry", "version": "0.1.0"},
      "source": {"projectId": "...", "workspaceId": "...", "workspace": "default"},
      "createdAt": "2026-11-21T05:00:00.000Z",
      "options": {"exportDepend": true, "exportStatus": "DEVELOP", ...},
      "entries": [{"path", "kind", "name", "objectId", "size", "sha256"}, ...],
      "requires": [{"kind": "connection", "name": "dws_conn", "type": "DWS",
                    "secrets": ["password"]}, {"kind": "dli_queue", "name": "q1"}, ...],
      "unresolved": [{"kind": "script", "name": "gone", "job": "daily"}, ...]
    }

``requires`` lists every environment object the jobs and scripts name. For a connection the
source workspace has registered, it also gives the connection's type and the NAMES of the
secrets it has set (never their values), so import can check the target has them set too.

``createdAt`` is the time of the newest change among the exported objects, not the wall clock:
the same definitions give the same bytes. Keys are sorted, entries are in path order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"  # Ed25519 signature of the manifest bytes (package.signature)


@dataclass(frozen=True)
class ManifestEntry:
    """One file of the package."""

    path: str
    kind: str
    name: str
    object_id: str
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        """The wire form of the entry."""
        return {
            "path": self.path,
            "kind": self.kind,
            "name": self.name,
            "objectId": self.object_id,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, order=True)
class Requirement:
    """An environment object the package needs in the target (secret names, never values)."""

    kind: str
    name: str
    type: str | None = None
    secrets: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The manifest form."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.type:
            out["type"] = self.type
        if self.secrets:
            out["secrets"] = list(self.secrets)
        return out


def parse_requirements(manifest: dict[str, Any] | None) -> list[Requirement]:
    """The ``requires`` list of a manifest (entries that are not well-formed are ignored)."""
    items = manifest.get("requires") if isinstance(manifest, dict) else None
    out: list[Requirement] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind, name, type_ = item.get("kind"), item.get("name"), item.get("type")
        secrets = item.get("secrets")
        if not isinstance(kind, str) or not isinstance(name, str):
            continue
        keys = tuple(s for s in secrets if isinstance(s, str)) if isinstance(secrets, list) else ()
        out.append(Requirement(kind, name, type_ if isinstance(type_, str) else None, keys))
    return out


@dataclass(frozen=True)
class ManifestHeader:
    """Everything in the manifest except the entries."""

    producer_version: str
    project_id: str
    workspace_id: str
    workspace_name: str
    created_at_ms: int
    options: dict[str, Any]
    requires: Sequence[Requirement] = ()
    unresolved: Sequence[dict[str, str]] = field(default_factory=list)


def iso_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def render_manifest(header: ManifestHeader, entries: Sequence[ManifestEntry]) -> bytes:
    """The manifest bytes: canonical JSON (sorted keys, two-space indent, final newline)."""
    document = {
        "formatVersion": FORMAT_VERSION,
        "producer": {"name": "jobferry", "version": header.producer_version},
        "source": {
            "projectId": header.project_id,
            "workspaceId": header.workspace_id,
            "workspace": header.workspace_name,
        },
        "createdAt": iso_ms(header.created_at_ms),
        "options": header.options,
        "entries": [e.as_json() for e in entries],
        "requires": [r.as_json() for r in sorted(set(header.requires))],
        "unresolved": sorted(
            header.unresolved, key=lambda u: (u.get("kind", ""), u.get("name", ""))
        ),
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
