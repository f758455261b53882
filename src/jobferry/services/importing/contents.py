"""Import, read: what a package holds, told without importing anything (DataArts'
``show_file_info``), as a typed record the API, the console and the CLI each render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.package.signature import SignatureCheck
from jobferry.services.importing.ports import OpenedPackage


@dataclass(frozen=True)
class ListedJob:
    """A job of the package: its folder and the values its parameters have there."""

    name: str
    path: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ListedObject:
    """Another object of the package (a script has a folder; the others do not)."""

    kind: ObjectKind
    name: str
    path: str | None = None


@dataclass(frozen=True)
class PackageContents:
    """What a package holds, and whether the workspace would trust its signature."""

    jobs: tuple[ListedJob, ...]
    scripts: tuple[ListedObject, ...]
    others: tuple[ListedObject, ...]
    layout: str
    manifest: bool
    signed: bool
    signature: SignatureCheck
    sha256: str
    size: int


def _params(document: dict[str, Any]) -> dict[str, Any]:
    params = document.get("params")
    return {
        str(p.get("name")): p.get("value")
        for p in (params if isinstance(params, list) else [])
        if isinstance(p, dict)
    }


def contents_of(reader: OpenedPackage, signature: SignatureCheck) -> PackageContents:
    """Read ``reader`` through once, listing its objects in package order."""
    jobs: list[ListedJob] = []
    scripts: list[ListedObject] = []
    others: list[ListedObject] = []
    for obj in reader.objects():
        directory = str(obj.document.get("directory") or "/")
        if obj.kind == ObjectKind.JOB:
            jobs.append(ListedJob(obj.name, directory, _params(obj.document)))
        elif obj.kind == ObjectKind.SCRIPT:
            scripts.append(ListedObject(ObjectKind.SCRIPT, obj.name, directory))
        else:
            others.append(ListedObject(ObjectKind(obj.kind), obj.name))
    return PackageContents(
        tuple(jobs),
        tuple(scripts),
        tuple(others),
        reader.layout,
        reader.manifest is not None,
        reader.signature is not None,
        signature,
        reader.sha256,
        reader.size,
    )
