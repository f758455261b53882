"""``manifest.json`` and ``manifest.entries``: what a package holds, entry by entry, so it can
be verified offline.

Format version 2 (written since the streaming pipeline)::

    manifest.json
    {
      "createdAt": "2026-11-21T05:00:00.000Z",
      "entries": {"count": 20201, "file": "manifest.entries", "sha256": "…", "size": 3140000},
      "formatVersion": 2,
      "options": {"exportDepend": true, "exportStatus": "DEVELOP", ...},
      "producer": {"name": "jobferry", "version": "0.1.0"},
      "requires": [{"kind": "connection", "name": "dws_conn", "type": "DWS",
                    "secrets": ["password"]}, {"kind": "dli_queue", "name": "q1"}, ...],
      "source": {"projectId": "...", "workspaceId": "...", "workspace": "default"},
      "unresolved": [{"kind": "script", "name": "gone", "job": "daily"}, ...],
      "route": {"name": "test-prod", "since": 1764000000000, "snapshotAt": 1764003600000,
                "sourceWorkspace": "test", "sourceWorkspaceId": "..."}
    }

    manifest.entries (JSON Lines: one entry per line, keys sorted, in path order)
    {"kind":"job","name":"daily","objectId":"12","path":"jobs/daily.job","sha256":"…","size":812}

Format version 1 listed the entries inside ``manifest.json`` (``"entries": [{…}, …]``). A
100,000-job workspace lists 200,000 entries: 46 MB of manifest that had to be parsed whole (150
MB of objects) and held whole to check its signature. Version 2 keeps ``manifest.json`` small
(the signature in ``manifest.sig`` still covers its exact bytes) and has it pin the listing by
size and sha256, so the listing is read line by line while the package streams. Both versions
are read; version 2 is written.

``requires`` lists every environment object the jobs and scripts name. For a connection the
source workspace has registered, it also gives the connection's type and the NAMES of the
secrets it has set (never their values), so import can check the target has them set too.

``createdAt`` is the time of the newest change among the exported objects, not the wall clock:
the same definitions give the same bytes. Keys are sorted, entries are in path order.

``route`` (optional) is the identity of a package carried along a route to another server
(:mod:`.routeblock`); readers that do not know it ignore it, the signature covers it.
``basis`` (optional) is the snapshot of a remote a package carried to the remote's side was
planned against, with the hash each object it writes or deletes had there (:mod:`.basisblock`).

Reading checks a manifest before trusting it: ``formatVersion`` from 1 to :data:`FORMAT_VERSION`
(a newer one is refused naming both), the listing well formed (``{path, size, sha256}`` per
entry, no path twice; in version 2 the listing file of the size, sha256 and count pinned), and
every entry read against its listed size and sha256 (all mismatches reported together).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from jobferry.package.basisblock import BasisBlock
from jobferry.package.refusals import refuse, show
from jobferry.package.routeblock import RouteBlock

FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"  # Ed25519 signature of the manifest bytes (package.signature)
ENTRIES_NAME = "manifest.entries"  # format 2: the listing, one JSON line an entry
RESERVED_NAMES = frozenset({MANIFEST_NAME, SIGNATURE_NAME, ENTRIES_NAME})
MAX_LISTED_PROBLEMS = 10
MAX_KEPT_PROBLEMS = 1000
"""Mismatches kept in a refusal's ``problems`` (a hostile package may have millions)."""


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


def inventory_kinds(manifest: dict[str, Any] | None) -> set[str]:
    """The kinds a manifest says its package holds whole (``inventory``; none when absent)."""
    kinds = manifest.get("inventory") if isinstance(manifest, dict) else None
    return {k for k in kinds if isinstance(k, str)} if isinstance(kinds, list) else set()


def deleted_objects(manifest: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(kind, uid, name) of what a manifest says its source deleted (``deleted``)."""
    items = manifest.get("deleted") if isinstance(manifest, dict) else None
    out: list[tuple[str, str, str]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            kind, uid, name = item.get("kind"), item.get("uid"), item.get("name")
            if isinstance(kind, str) and isinstance(uid, str) and isinstance(name, str):
                out.append((kind, uid, name))
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
    inventory: Sequence[str] = ()
    """Kinds of which the package holds everything its source workspace has (a whole
    workspace export): a target may delete what it received of those kinds from that source
    and the package no longer has."""
    deleted: Sequence[dict[str, Any]] = ()
    """Objects the source deleted since a moment: ``{kind, uid, name, deletedAt}``."""
    route: RouteBlock | None = None
    """The route a carried package was cut for (``None``: any other package)."""
    basis: BasisBlock | None = None
    """The snapshot of a remote a package carried to the remote's side was planned against."""


def iso_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def created_ms(manifest: dict[str, Any]) -> int | None:
    """A manifest's ``createdAt`` as epoch milliseconds (``None``: missing or not a time).

    The inverse of :func:`iso_ms`; a time without a zone (a hand-edited manifest) is read as
    UTC, as jobferry writes it, never as the reading server's local time.
    """
    text = manifest.get("createdAt")
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class Listing(NamedTuple):
    """How ``manifest.json`` (format 2) pins ``manifest.entries``."""

    entries: int
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        """The manifest form."""
        return {
            "count": self.entries,
            "file": ENTRIES_NAME,
            "sha256": self.sha256,
            "size": self.size,
        }


def entry_line(entry: ManifestEntry) -> bytes:
    """One line of ``manifest.entries``: the entry as canonical JSON, then a newline."""
    return orjson.dumps(entry.as_json(), option=orjson.OPT_SORT_KEYS) + b"\n"


def render_manifest(header: ManifestHeader, listing: Listing) -> bytes:
    """The ``manifest.json`` bytes (format 2): canonical JSON (sorted keys, two-space indent,
    final newline) pinning the listing."""
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
        "entries": listing.as_json(),
        "requires": [r.as_json() for r in sorted(set(header.requires))],
        "unresolved": sorted(
            header.unresolved, key=lambda u: (u.get("kind", ""), u.get("name", ""))
        ),
    }
    if header.inventory:
        document["inventory"] = sorted(header.inventory)
    if header.deleted:
        document["deleted"] = list(header.deleted)
    if header.route is not None:
        document["route"] = header.route.as_json()
    if header.basis is not None:
        document["basis"] = header.basis.as_json()
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


def _malformed(where: str, entry: str = MANIFEST_NAME) -> Exception:
    return refuse(
        "manifest.invalid",
        f"{where} needs a string path, an integer size and a string sha256",
        "export the package again with jobferry",
        entry=entry,
    )


Listed = tuple[str, int, str, str | None]
"""(path, size, sha256 in lower case, object id) of one listed entry."""


def _listed(item: Any) -> Listed | None:
    """One listed entry, or ``None`` when malformed (the object id is optional)."""
    if not isinstance(item, dict):
        return None
    path, size, sha256 = item.get("path"), item.get("size"), item.get("sha256")
    if (
        not isinstance(path, str)
        or not isinstance(size, int)
        or isinstance(size, bool)
        or not isinstance(sha256, str)
    ):
        return None
    object_id = item.get("objectId")
    return (
        path,
        size,
        sha256.lower(),
        object_id if isinstance(object_id, str) and object_id else None,
    )


def listed_v1(manifest: dict[str, Any]) -> Iterator[tuple[int, Listed]]:
    """(index, listed entry) of every entry a format-1 manifest lists (its object ids are not
    stable identifiers: format 1 jobs were listed by row id, so they are dropped)."""
    entries = manifest.get("entries")
    if not isinstance(entries, list):
        raise refuse(
            "manifest.invalid",
            '"entries" is not a list',
            "export the package again with jobferry",
            entry=MANIFEST_NAME,
        )
    for index, item in enumerate(entries):
        listed = _listed(item)
        if listed is None:
            raise _malformed(f"entries[{index}]")
        yield index, (*listed[:3], None)


def entry_count(manifest: dict[str, Any] | None) -> int:
    """How many entries a manifest lists (format 1: its list; format 2: the count pinning
    ``manifest.entries``); 0 without a manifest."""
    entries = (manifest or {}).get("entries")
    if isinstance(entries, dict):
        count = entries.get("count")
        return count if isinstance(count, int) and not isinstance(count, bool) else 0
    return len(entries) if isinstance(entries, list) else 0


def listing_of(manifest: dict[str, Any]) -> Listing:
    """How a format-2 manifest pins its listing (``manifest.invalid`` when it does not)."""
    pinned = manifest.get("entries")
    fields: tuple[Any, ...] = (
        (pinned.get("file"), pinned.get("count"), pinned.get("size"), pinned.get("sha256"))
        if isinstance(pinned, dict)
        else (None, None, None, None)
    )
    if (
        fields[0] != ENTRIES_NAME
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in fields[1:3])
        or not isinstance(fields[3], str)
    ):
        raise refuse(
            "manifest.invalid",
            f'"entries" must name "{ENTRIES_NAME}" with its integer count and size and its sha256',
            "export the package again with jobferry",
            entry=MANIFEST_NAME,
        )
    return Listing(int(fields[1]), int(fields[2]), str(fields[3]).lower())


def listed_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, Listed]]:
    """(line number, listed entry) of every line of ``manifest.entries`` (format 2: object
    ids are the objects' stable identifiers in their source workspace)."""
    number, rest = 0, b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            yield number, _listed_line(line, number)
    if rest:
        yield number + 1, _listed_line(rest, number + 1)


def _listed_line(line: bytes, number: int) -> Listed:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        item = None
    listed = _listed(item)
    if listed is None:
        raise _malformed(f"line {number}", ENTRIES_NAME)
    return listed


def listed_twice(where: str, path: str, entry: str) -> Exception:
    """The refusal of a listing that names a path a second time."""
    return refuse(
        "manifest.invalid",
        f"{where} lists '{show(path)}' a second time",
        "export the package again with jobferry",
        entry=entry,
    )


def mismatch(path: str, data: bytes, listed: tuple[int, str]) -> dict[str, str] | None:
    """How an entry read differs from its listed size and sha256 (``None``: it does not)."""
    size, expected = listed
    if len(data) != size:
        return problem(path, "manifest.size", f"{len(data)} bytes where manifest.json lists {size}")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        return problem(
            path,
            "manifest.hash",
            f"sha256 {actual[:12]}… where manifest.json lists {expected[:12]}…",
        )
    return None


def problem(entry: str, rule: str, message: str) -> dict[str, str]:
    """One manifest mismatch, for :func:`raise_problems`."""
    return {"entry": show(entry), "rule": rule, "message": message}


def raise_problems(problems: list[dict[str, str]], total: int | None = None) -> None:
    """Refuse the package naming every mismatch (the first ten in the message), if any.

    ``total`` counts the mismatches when only the first of them were kept in ``problems``."""
    if not problems:
        return
    problems.sort(key=lambda p: (p["entry"], p["rule"]))
    rules = {p["rule"] for p in problems}
    rule = rules.pop() if len(rules) == 1 else "manifest.mismatch"
    shown = "; ".join(f"'{p['entry']}': {p['message']}" for p in problems[:MAX_LISTED_PROBLEMS])
    found = max(total or 0, len(problems))
    more = found - MAX_LISTED_PROBLEMS
    if more > 0:
        shown += f"; and {more} more"
    count = "1 problem" if found == 1 else f"{found} problems"
    raise refuse(
        rule,
        f"manifest.json does not match the package ({count}: {shown})",
        "export it again from its source workspace and carry the new file unchanged (its "
        "sha256 is the one the export printed)",
        entry=problems[0]["entry"],
        problems=problems,
    )
