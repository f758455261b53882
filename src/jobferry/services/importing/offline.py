"""A package rewritten for its target environment, offline (``jobferry package transform``).

The objects go through exactly the transform an import applies (:func:`transform.transform_object`:
the profile's renames, parameters, execute user, owner, directory rewrite and time-zone move),
and the result is written as a new package:

* same entry paths, definitions as compact JSON in their own key order;
* with a manifest when the source had one: same source, time and options, plus
  ``options.transform`` (the profile's name and version, the time-zone move) so the package
  says what was done to it; ``requires`` carries the renamed names; the entry hashes are new;
* the source's ``manifest.sig`` no longer fits the new manifest, so it is dropped — the result
  is signed again only when a private key is given;
* nothing is written when a schedule cannot be moved (every such problem is reported).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson

import jobferry
from jobferry.domain.diff import Change, diff
from jobferry.domain.enums import AnyRefKind, ref_kind
from jobferry.domain.profile import Profile, TimeZoneMove
from jobferry.errors import InvalidRequestError
from jobferry.package.manifest import (
    ManifestHeader,
    Requirement,
    created_ms,
    deleted_objects,
    inventory_kinds,
    parse_requirements,
)
from jobferry.package.reader import ReadPackage
from jobferry.package.signature import no_manifest_to_sign, sign_manifest
from jobferry.package.writer import PackageWriter
from jobferry.services.importing.model import Problem, shift_json
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.transform import Transform, transform_object


@dataclass
class TransformedObject:
    """What the transform did to one object."""

    kind: str
    name: str
    path: str
    changes: list[Change] = field(default_factory=list)
    schedule: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    """What a schedule move cannot keep ({field, note}): from when a keepInstant move fires
    off because a zone changes its offset (daylight saving time)."""

    def as_json(self) -> dict[str, Any]:
        """The report line: kind, name, path, field changes, schedule moves and their notes."""
        return {
            "kind": self.kind,
            "name": self.name,
            "path": self.path,
            "diff": [c.as_json() for c in self.changes],
            "schedule": self.schedule,
            "notes": self.notes,
        }


@dataclass
class TransformedPackage:
    """The new package's bytes (``None`` when problems stopped it) and the report."""

    data: bytes | None
    objects: list[TransformedObject]
    problems: list[Problem]
    signed: bool = False


def _renamed(
    requirements: list[Requirement], renames: dict[tuple[AnyRefKind, str], str]
) -> list[Requirement]:
    out: list[Requirement] = []
    for req in requirements:
        try:
            kind = ref_kind(req.kind)
        except ValueError:
            out.append(req)
            continue
        new = renames.get((kind, req.name))
        out.append(Requirement(req.kind, new, req.type, req.secrets) if new else req)
    return out


def _header(
    manifest: dict[str, Any], transform: Transform, label: dict[str, Any]
) -> ManifestHeader:
    source = manifest.get("source") if isinstance(manifest.get("source"), dict) else {}
    assert isinstance(source, dict)
    options = manifest.get("options") if isinstance(manifest.get("options"), dict) else {}
    assert isinstance(options, dict)
    unresolved = manifest.get("unresolved")
    return ManifestHeader(
        producer_version=jobferry.__version__,
        project_id=str(source.get("projectId", "")),
        workspace_id=str(source.get("workspaceId", "")),
        workspace_name=str(source.get("workspace", "")),
        created_at_ms=created_ms(manifest) or 0,
        options={**options, "transform": label},
        requires=_renamed(parse_requirements(manifest), transform.renames),
        unresolved=[u for u in unresolved if isinstance(u, dict)]
        if isinstance(unresolved, list)
        else [],
        inventory=sorted(inventory_kinds(manifest)),
        deleted=[
            {"kind": k, "uid": u, "name": n, **_deleted_at(manifest, u)}
            for k, u, n in deleted_objects(manifest)
        ],
    )


def _deleted_at(manifest: dict[str, Any], uid: str) -> dict[str, Any]:
    for item in manifest.get("deleted") or []:
        if isinstance(item, dict) and item.get("uid") == uid and "deletedAt" in item:
            return {"deletedAt": item["deletedAt"]}
    return {}


def transform_package(
    package: ReadPackage,
    profile: Profile | None,
    time_zone: TimeZoneMove | None,
    *,
    label: dict[str, Any],
    private_pem: bytes | None = None,
) -> TransformedPackage:
    """Apply the profile (and/or a time-zone move, which wins over the profile's) to every
    object of ``package``; ``label`` goes into the manifest as ``options.transform``."""
    if profile is None and time_zone is None:
        raise InvalidRequestError("Nothing to do: give a profile or a time-zone move.")
    transform = Transform(
        ImportRequest(path="(offline)", time_zone=time_zone), profile, datetime.now(UTC)
    )
    transform.check_zone("The time zone")
    objects: list[TransformedObject] = []
    problems: list[Problem] = []
    documents: list[tuple[str, str, str, dict[str, Any]]] = []
    for obj in package.objects:
        before = orjson.loads(orjson.dumps(obj.document))
        item = transform_object(transform, obj)
        document = item.document
        problems += item.problems
        objects.append(
            TransformedObject(
                obj.kind,
                obj.name,
                obj.path,
                diff(before, document),
                [shift_json(s) for s in item.schedule],
                [{"field": s.field, "note": s.note} for s in item.schedule if s.note],
            )
        )
        documents.append((obj.path, obj.kind, obj.name, document))
    if problems:
        return TransformedPackage(None, objects, problems)
    notes = [{"kind": o.kind, "name": o.name, **n} for o in objects for n in o.notes]
    recorded = {**label, "notes": notes} if notes else label  # the manifest keeps them
    data, signed = _write(package, _header_of(package, transform, recorded), documents, private_pem)
    return TransformedPackage(data, objects, [], signed=signed)


def _header_of(
    package: ReadPackage, transform: Transform, label: dict[str, Any]
) -> ManifestHeader | None:
    return _header(package.manifest, transform, label) if package.manifest else None


def _write(
    package: ReadPackage,
    header: ManifestHeader | None,
    documents: list[tuple[str, str, str, dict[str, Any]]],
    private_pem: bytes | None,
) -> tuple[bytes, bool]:
    """The new package's bytes (same entry paths and object ids), and whether it is signed."""
    ids = {o.path: o.uid or "" for o in package.objects}
    signer: Callable[[bytes], bytes] | None = None
    if private_pem is not None:
        if header is None:
            raise no_manifest_to_sign()
        signer = partial(sign_manifest, private_pem=private_pem)
    out = io.BytesIO()
    writer = PackageWriter(out, header, signer)
    by_path = {path: (kind, name, document) for path, kind, name, document in documents}
    for repeat, kept in package.repeats.items():  # shared scripts repeated per job folder
        if kept in by_path:
            by_path[repeat] = by_path[kept]
            ids[repeat] = ids.get(kept, "")
    for path in sorted(by_path):
        kind, name, document = by_path[path]
        writer.add(path, kind, name, ids.get(path, ""), orjson.dumps(document))
    writer.close()
    return out.getvalue(), signer is not None
