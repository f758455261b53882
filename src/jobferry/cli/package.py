"""``jobferry package …``: offline package tools, no server needed.

They reuse the server's own code, so a package passes here exactly when it would pass there:
:func:`jobferry.package.reader.read_package` (every safety rule and the manifest hashes) and
:func:`jobferry.domain.diff.diff` (the plan's field-level diff).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.planview import change_line
from jobferry.cli.session import JsonOption, session
from jobferry.domain.diff import diff
from jobferry.package.reader import (
    KIND_ORDER,
    PackageObject,
    ReadLimits,
    ReadPackage,
    read_package,
)

app = typer.Typer(help="Offline package tools (no server needed).", no_args_is_help=True)

PackageArg = Annotated[
    Path,
    typer.Argument(help="A package (zip) file.", exists=True, dir_okay=False, readable=True),
]


class Limits(StrEnum):
    """Which read limits to check against."""

    JOBFERRY = "jobferry"
    DATAARTS = "dataarts"


LimitsOption = Annotated[
    Limits,
    typer.Option(
        "--limits",
        help="Read limits: jobferry's defaults, or DataArts' own (10 MB / 10 MB).",
    ),
]


def read(path: Path, limits: Limits = Limits.JOBFERRY) -> ReadPackage:
    """Read a package with every rule the server applies (PackageError when it breaks one)."""
    return read_package(path, ReadLimits.dataarts() if limits is Limits.DATAARTS else ReadLimits())


def object_view(obj: PackageObject) -> dict[str, Any]:
    """An object of a package, without its document."""
    return {"kind": obj.kind, "name": obj.name, "path": obj.path, "folder": obj.folder}


@app.command("inspect")
def inspect_package(
    ctx: typer.Context,
    file: PackageArg,
    limits: LimitsOption = Limits.JOBFERRY,
    json_mode: JsonOption = False,
) -> None:
    """What a package holds: layout, objects, manifest (reading verifies every hash)."""
    s = session(ctx, json_mode)
    pkg = read(file, limits)
    out = s.output
    manifest = pkg.manifest
    view = {
        "file": str(file),
        "size": pkg.size,
        "sha256": pkg.sha256,
        "layout": pkg.layout,
        "signed": pkg.signature is not None,
        "manifest": manifest,
        "objects": [object_view(o) for o in pkg.objects],
    }
    if out.json_mode:
        out.emit(view)
        return
    source = (manifest or {}).get("source") or {}
    producer = (manifest or {}).get("producer") or {}
    out.fields(
        [
            ("file", file),
            ("size", pkg.size),
            ("sha256", pkg.sha256),
            ("layout", pkg.layout),
            (
                "manifest",
                f"format {manifest.get('formatVersion')}, {producer.get('name', '?')} "
                f"{producer.get('version', '')}, hashes verified"
                if manifest
                else "none (a DataArts export)",
            ),
            (
                "source",
                f"workspace {source.get('workspace')} of project {source.get('projectId')}"
                if source
                else "",
            ),
            ("created", (manifest or {}).get("createdAt", "")),
            ("signed", "yes (manifest.sig)" if pkg.signature is not None else "no"),
        ]
    )
    out.table(
        ("kind", "name", "path"), [(o.kind, o.name, o.path) for o in pkg.objects], title="Objects"
    )
    if manifest:
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


@app.command("diff")
def diff_packages(
    ctx: typer.Context,
    before: Annotated[Path, typer.Argument(help="The older package.", exists=True, dir_okay=False)],
    after: Annotated[Path, typer.Argument(help="The newer package.", exists=True, dir_okay=False)],
    json_mode: JsonOption = False,
) -> None:
    """Compare two packages object by object, and field by field where both have an object."""
    s = session(ctx, json_mode)
    old, new = read(before), read(after)
    old_objects = {(o.kind, o.name): o for o in old.objects}
    new_objects = {(o.kind, o.name): o for o in new.objects}
    lines: list[dict[str, Any]] = []
    for key in sorted(old_objects.keys() | new_objects.keys(), key=_order):
        kind, name = key
        if key not in new_objects:
            lines.append({"kind": kind, "name": name, "status": "removed"})
        elif key not in old_objects:
            lines.append({"kind": kind, "name": name, "status": "added"})
        else:
            changes = diff(old_objects[key].document, new_objects[key].document)
            line: dict[str, Any] = {
                "kind": kind,
                "name": name,
                "status": "changed" if changes else "same",
            }
            if changes:
                line["diff"] = [c.as_json() for c in changes]
            lines.append(line)
    summary = {k: sum(1 for line in lines if line["status"] == k) for k in _STATUSES}
    out = s.output
    if out.json_mode:
        out.emit(
            {
                "before": {"file": str(before), "sha256": old.sha256},
                "after": {"file": str(after), "sha256": new.sha256},
                "identical": old.sha256 == new.sha256,
                "summary": summary,
                "objects": lines,
            }
        )
        return
    out.table(
        ("status", "kind", "name"),
        [
            (line["status"], line["kind"], line["name"])
            for line in lines
            if line["status"] != "same"
        ],
        empty="no object differs",
    )
    for line in lines:
        if line.get("diff"):
            out.line(f"{line['kind']} {line['name']}", style="bold")
            for change in line["diff"]:
                out.line(change_line(change))
    out.line(", ".join(f"{count} {status}" for status, count in summary.items()))


_STATUSES = ("added", "removed", "changed", "same")


def _order(key: tuple[str, str]) -> tuple[int, str]:
    return KIND_ORDER.get(key[0], len(KIND_ORDER)), key[1]
