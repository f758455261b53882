"""What ``package inspect`` shows of a package: its facts (when it was cut, in UTC; the route
and chain link of a package carried along a route), its objects, and every deletion it carries
(a package of deletions only showed "Objects: (none)" and a creation time of 1970-01-01)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.cli.output import Output, epoch_ms, moment
from jobferry.package.manifest import created_ms, deleted_objects
from jobferry.package.reader import ReadPackage
from jobferry.package.routeblock import route_block

EPOCH_2000_MS = 946_684_800_000


def show_package(out: Output, file: Path, pkg: ReadPackage) -> None:
    """The human view of a read package: its facts, objects and what its manifest lists."""
    manifest = pkg.manifest or {}
    out.fields(
        [
            ("file", file),
            ("size", pkg.size),
            ("sha256", pkg.sha256),
            ("layout", pkg.layout),
            ("manifest", _manifest_line(manifest)),
            ("source", _source_line(manifest.get("source") or {})),
            ("newest change", _created_line(manifest)),
            ("signed", "yes (manifest.sig)" if pkg.signature is not None else "no"),
            *_route_lines(manifest),
        ]
    )
    deletions = deleted_objects(manifest)
    out.table(
        ("kind", "name", "path"),
        [(o.kind, o.name, o.path) for o in pkg.objects],
        title="Objects",
        empty="none (the package carries deletions only)" if deletions else "(none)",
    )
    if not manifest:
        return
    out.table(
        ("kind", "name", "deleted (UTC)"),
        [(kind, name, epoch_ms(_deleted_at(manifest, uid))) for kind, uid, name in deletions],
        title="Deletions the package carries (the target deletes them with --propagate-deletes)",
    )
    requires = manifest.get("requires") or []
    out.table(
        ("kind", "name"),
        [(r.get("kind"), r.get("name")) for r in requires],
        title="Environment objects the jobs need",
    )
    unresolved = manifest.get("unresolved") or []
    if unresolved:
        out.table(
            ("kind", "name", "job"),
            [(u.get("kind"), u.get("name"), u.get("job")) for u in unresolved],
            title="References that did not resolve at export",
        )


def _manifest_line(manifest: dict[str, Any]) -> str:
    if not manifest:
        return "none (a DataArts export)"
    producer = manifest.get("producer") or {}
    return (
        f"format {manifest.get('formatVersion')}, {producer.get('name', '?')} "
        f"{producer.get('version', '')}, hashes verified"
    )


def _created_line(manifest: dict[str, Any]) -> str:
    """The time of the newest change the package carries, in UTC (``createdAt``: not when it
    was cut, so that the same definitions give the same package; a time before 2000 is no
    time: an old jobferry dated a package of deletions only 1970-01-01)."""
    created = created_ms(manifest)
    if created is None or created < EPOCH_2000_MS:
        return "not recorded" if manifest else ""
    return moment(created)


def _deleted_at(manifest: dict[str, Any], uid: str) -> int | None:
    for item in manifest.get("deleted") or []:
        if isinstance(item, dict) and item.get("uid") == uid:
            at = item.get("deletedAt")
            return at if isinstance(at, int) else None
    return None


def _route_lines(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The route a carried package was cut for and its link in the route's chain."""
    block = route_block(manifest) if manifest else None
    if block is None:
        return []
    link = (
        f"continues the package cut at {moment(block.since)} (import that one first)"
        if block.since is not None
        else "a full package (it continues no other)"
    )
    return [
        ("route", f"{block.name}, from workspace {block.source_workspace}"),
        ("cut at", moment(block.snapshot_at)),
        ("chain", link),
    ]


def _source_line(source: dict[str, Any]) -> str:
    if not source:
        return ""
    return f"workspace {source.get('workspace')} of project {source.get('projectId')}"
