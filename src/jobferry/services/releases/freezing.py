"""What freezes a release package: its file, written from the items' submitted versions and
deletions, and what production held of each object it touches when it was planned (a deploy
is refused, naming them, when any changed since): under the name it releases it by, and under
the name production holds it by when a rename is to release."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import orjson

from jobferry.domain.definitions import definition_hash
from jobferry.domain.enums import ObjectKind, Role
from jobferry.domain.releases import UpdateType
from jobferry.domain.remedies import Remedy
from jobferry.errors import BasisChangedError, ConflictError
from jobferry.package.layout import Layout
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.package import write_package
from jobferry.services.exporting.selection import ordered
from jobferry.storage import Tx
from jobferry.storage import exports as export_repo
from jobferry.storage.importing import ledger as promotion_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.releases import ItemRecord, PackageRecord

_BY_NAME = {
    ObjectKind.JOB.value: target_repo.target_jobs,
    ObjectKind.SCRIPT.value: target_repo.target_scripts,
}


def write_items(tx: Tx, scope: Scope, items: list[ItemRecord], path: Path) -> None:
    """The package file of ``items``: each job's and script's submitted version (the one
    the item names) and the deletions."""
    jobs = _names_now(tx, scope, items, ObjectKind.JOB)
    scripts = set(_names_now(tx, scope, items, ObjectKind.SCRIPT))
    heads = export_repo.job_heads(tx, scope.workspace.id, jobs)
    deletions = [
        {"kind": i.kind, "uid": i.uid, "name": i.name, "deletedAt": i.submit_timestamp}
        for i in items
        if i.update_type == UpdateType.DELETE
    ]
    options = ExportOptions(export_depend=False, submitted=True, with_manifest=True)
    write_package(
        tx,
        replace(scope, role=Role.ADMIN),
        ordered(heads, Layout.SINGLE),
        options,
        path,
        also={ObjectKind.SCRIPT.value: scripts},
        deletions=deletions,
    )


def _names_now(tx: Tx, scope: Scope, items: list[ItemRecord], kind: ObjectKind) -> list[str]:
    """The names the jobs or scripts ``items`` submit have now, found by their stable
    identifier: one renamed since it was submitted is written under its new name (by name it
    was left out, and the release said it released it). One that is gone is refused, naming
    it: nothing is released then."""
    wanted = [i for i in items if i.kind == kind and i.update_type != UpdateType.DELETE]
    held = target_repo.objects_by_uid(tx, scope.workspace.id, kind, [i.uid for i in wanted])
    gone = [i.name for i in wanted if i.uid not in held]
    if gone:
        raise ConflictError(
            f"The package's {kind} item(s) {', '.join(gone[:20])} name objects that are no "
            f"longer in workspace '{scope.workspace.name}'; nothing was released.",
            fix="Cancel the package and package the pending items again.",
        )
    return [held[i.uid].name for i in wanted]


def refuse_changed(tx: Tx, package: PackageRecord, production: Scope) -> None:
    """Refuse when an object the package touches changed in production since the package
    was planned, naming each (``replan`` plans it again against production as it is)."""
    kept: dict[str, str | None] = json.loads(package.basis or "{}")
    now = hashes(tx, production.workspace.id, list(kept))
    changed = [key for key, value in kept.items() if now.get(key) != value]
    if changed:
        said = [f"{kind} '{name}'" for kind, name in (key.split("/", 1) for key in changed)]
        raise production_moved(package.id, ", ".join(said[:20]), changed)


def production_moved(package_id: int, what: str, changed: list[str]) -> BasisChangedError:
    """The refusal of a package whose production moved since it was planned: ``what`` says
    what moved, ``changed`` names each object (``kind/name``) when known."""
    return BasisChangedError(
        f"Production changed since release package '{package_id}' was planned: {what}; "
        "nothing was deployed.",
        fix=f"Review the change, then plan the package again (POST /v2/{{project_id}}/"
        f"factory/release-packages/{package_id}/plan) and deploy it.",
        remedy=Remedy.REPLAN_RELEASE,
        package_id=str(package_id),
        changed=[{"kind": k.split("/", 1)[0], "name": k.split("/", 1)[1]} for k in changed],
    )


def hashes(tx: Tx, workspace_id: str, keys: list[str]) -> dict[str, str | None]:
    """``kind/name`` → the definition hash production holds (``None``: it holds none)."""
    out: dict[str, str | None] = {key: None for key in keys}
    by_kind: dict[str, list[str]] = {}
    for key in keys:
        kind, name = key.split("/", 1)
        by_kind.setdefault(kind, []).append(name)
    for kind, names in by_kind.items():
        for name, obj in _BY_NAME[kind](tx, workspace_id, names).items():
            out[f"{kind}/{name}"] = definition_hash(kind, orjson.loads(obj.document))
    return out


def basis(tx: Tx, workspace_id: str, items: list[ItemRecord]) -> dict[str, str | None]:
    """What production holds of each item's object now (``kind/name`` → hash or ``None``):
    under the item's name and, for an object production holds under another name (a rename
    to release), under that name too, so the plan hash the approvers sign binds what the
    rename changes (a change there since refuses the deploy and moves the hash)."""
    keys = [f"{i.kind}/{i.name}" for i in items]
    return hashes(tx, workspace_id, keys + _held_as(tx, workspace_id, items))


def _held_as(tx: Tx, production_id: str, items: list[ItemRecord]) -> list[str]:
    """``kind/name`` of each job or script of ``items`` production holds under another name
    than the item's, found by the identity its releases gave it (the promotion ledger)."""
    found: list[str] = []
    for kind in _BY_NAME:
        mine = [i for i in items if i.kind == kind and i.update_type != UpdateType.ADD]
        if not mine:
            continue
        uids = [i.uid for i in mine]
        rows = promotion_repo.ledger_rows(tx, production_id, mine[0].workspace_id, kind, uids)
        targets = [r.target_uid for r in rows.values()]
        held = target_repo.objects_by_uid(tx, production_id, kind, targets)
        for item in mine:
            row = rows.get(item.uid)
            now = held.get(row.target_uid) if row is not None else None
            if now is not None and now.name != item.name:
                found.append(f"{kind}/{now.name}")
    return found
