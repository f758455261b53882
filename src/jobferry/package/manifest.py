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

Reading checks a manifest before trusting it: ``formatVersion`` from 1 to :data:`FORMAT_VERSION`
(a newer one is refused naming both), ``entries`` a list of ``{path, size, sha256}`` without a
path twice, and every entry read against its listed size and sha256 (all mismatches reported
together).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from jobferry.package.refusals import refuse, show

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"  # Ed25519 signature of the manifest bytes (package.signature)
MAX_LISTED_PROBLEMS = 10


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


# -- reading: the checks a package with a manifest must pass ---------------------------


def check_version(manifest: dict[str, Any]) -> None:
    """Refuse a formatVersion that is not 1 to :data:`FORMAT_VERSION` (``manifest.version``)."""
    version = manifest.get("formatVersion")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise refuse(
            "manifest.version",
            f"formatVersion is {show(repr(version))}, not a package format version "
            f"(this jobferry reads 1 to {FORMAT_VERSION})",
            "export the package again with jobferry",
            entry=MANIFEST_NAME,
            supported=FORMAT_VERSION,
        )
    if version > FORMAT_VERSION:
        raise refuse(
            "manifest.version",
            f"package format {version} is newer than this jobferry reads ({FORMAT_VERSION})",
            "upgrade jobferry",
            entry=MANIFEST_NAME,
            version=version,
            supported=FORMAT_VERSION,
        )


def listed_entries(manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """path → (size, sha256) of every entry the manifest lists."""
    entries = manifest.get("entries")
    if not isinstance(entries, list):
        raise refuse(
            "manifest.invalid",
            '"entries" is not a list',
            "export the package again with jobferry",
            entry=MANIFEST_NAME,
        )
    listed: dict[str, tuple[int, str]] = {}
    for index, item in enumerate(entries):
        path = item.get("path") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        sha256 = item.get("sha256") if isinstance(item, dict) else None
        if (
            not isinstance(path, str)
            or not isinstance(size, int)
            or isinstance(size, bool)
            or not isinstance(sha256, str)
        ):
            raise refuse(
                "manifest.invalid",
                f"entries[{index}] needs a string path, an integer size and a string sha256",
                "export the package again with jobferry",
                entry=MANIFEST_NAME,
            )
        if path in listed:
            raise refuse(
                "manifest.invalid",
                f"entries[{index}] lists '{show(path)}' a second time",
                "export the package again with jobferry",
                entry=MANIFEST_NAME,
            )
        if path not in (MANIFEST_NAME, SIGNATURE_NAME):
            listed[path] = (size, sha256.lower())
    return listed


def mismatches(
    contents: dict[str, bytes], listed: dict[str, tuple[int, str]]
) -> list[dict[str, str]]:
    """Every entry read whose size or sha256 is not what the manifest lists."""
    problems: list[dict[str, str]] = []
    for path, data in contents.items():
        size, expected = listed[path]
        if len(data) != size:
            problems.append(
                problem(
                    path,
                    "manifest.size",
                    f"{len(data)} bytes where manifest.json lists {size}",
                )
            )
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            problems.append(
                problem(
                    path,
                    "manifest.hash",
                    f"sha256 {actual[:12]}… where manifest.json lists {expected[:12]}…",
                )
            )
    return problems


def problem(entry: str, rule: str, message: str) -> dict[str, str]:
    """One manifest mismatch, for :func:`raise_problems`."""
    return {"entry": show(entry), "rule": rule, "message": message}


def raise_problems(problems: list[dict[str, str]]) -> None:
    """Refuse the package naming every mismatch (the first ten in the message), if any."""
    if not problems:
        return
    problems.sort(key=lambda p: (p["entry"], p["rule"]))
    rules = {p["rule"] for p in problems}
    rule = rules.pop() if len(rules) == 1 else "manifest.mismatch"
    shown = "; ".join(f"'{p['entry']}': {p['message']}" for p in problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    if more > 0:
        shown += f"; and {more} more"
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    raise refuse(
        rule,
        f"manifest.json does not match the package ({count}: {shown})",
        "the package was changed after export; export it again from its source workspace",
        entry=problems[0]["entry"],
        problems=problems,
    )
