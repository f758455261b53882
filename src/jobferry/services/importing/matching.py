"""Import, match: what each object of the package is in the target.

A package written by jobferry (format 2) names its source workspace and each object's stable
identifier; the target keeps a ledger of what it received from each source. An object is
matched **by identity** when the ledger knows it and its target object still exists (a name
changed in the source is then a RENAME), else **by name** as DataArts does. Name matching
yields to identity: a target object that the ledger ties to *another* object of the same source
is left to that object when the package holds it (it is renamed away) or when the import deletes
it (``propagateDeletes``); the object of the package is then new. Otherwise the package's
object adopts it. An object whose name is held by a target object that does not go away is a
conflict, decided once the whole package is read (:mod:`.ordering`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.package.manifest import created_ms, deleted_objects, inventory_kinds
from jobferry.services.importing.model import PlannedObject
from jobferry.services.importing.ports import OpenedPackage, TargetReader
from jobferry.services.importing.request import ImportRequest
from jobferry.storage.importing.ledger import LedgerRow
from jobferry.storage.importing.target import TargetObject

IDENTIFIED = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
"""Kinds with a stable identifier (CDM jobs are environment objects, matched by name)."""


@dataclass(frozen=True)
class Source:
    """Where a package comes from, as its manifest says (format 2)."""

    workspace_id: str | None
    """The source workspace's id; ``None``: a package without identities (format 1, DataArts)."""
    inventory: frozenset[str] = frozenset()
    """Kinds the package holds whole."""
    deleted: frozenset[tuple[str, str]] = frozenset()
    """(kind, uid) the source deleted since the moment the export named."""
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, uid) → name of the deleted objects."""
    created_at: int | None = None
    """The manifest's ``createdAt`` (epoch ms): the newest change the package carries
    (``None``: not given)."""


def package_source(reader: OpenedPackage) -> Source:
    """The source of a package being read."""
    manifest: dict[str, Any] | None = reader.manifest
    if not manifest or manifest.get("formatVersion", 1) < 2:
        return Source(None)
    source = manifest.get("source")
    ws = source.get("workspaceId") if isinstance(source, dict) else None
    if not isinstance(ws, str) or not ws:
        # no identities (a folder): the kinds it holds whole are pruned with propagateDeletes
        return Source(None, frozenset(inventory_kinds(manifest)))
    deleted = deleted_objects(manifest)
    return Source(
        ws,
        frozenset(inventory_kinds(manifest)),
        frozenset((kind, uid) for kind, uid, _ in deleted),
        {(kind, uid): name for kind, uid, name in deleted},
        created_ms(manifest) or None,
    )


class Matcher:
    """Matches a batch's objects to the target's (and reads what it needs to)."""

    def __init__(
        self,
        state: TargetReader,
        source: Source,
        reader: OpenedPackage,
        request: ImportRequest,
    ) -> None:
        self.state, self.source, self.reader = state, source, reader
        self.request = request

    def goes_away(self, row: LedgerRow, listed: set[str] | None = None) -> bool:
        """Whether the import deletes the target object ``row`` leads to (its source object
        is gone from the source, as the package says, and deletes are propagated).
        ``listed``: the uids the package lists among a batch of rows, looked up at once."""
        if not self.request.propagate_deletes:
            return False
        if (row.kind, row.source_uid) in self.source.deleted:
            return True
        if row.kind not in self.source.inventory:
            return False
        if listed is None:
            listed = self.reader.listed_uids([row.source_uid])
        return row.source_uid not in listed

    def match(self, items: list[PlannedObject]) -> None:
        """Set each item's ``target`` (and ledger row, previous name, name holder)."""
        by_uid: dict[tuple[str, str], TargetObject] = {}
        if self.source.workspace_id is not None:
            self._ledger(items)
            by_uid = self._targets_by_uid(items)
        # A target found by identity holds its own name (names are unique per kind): read by
        # name only what identity did not find, so a re-import reads each definition once.
        by_name = {(kind, t.name): t for (kind, _), t in by_uid.items()}
        by_name.update(
            self.state.stored(_names([i for i in items if (i.kind, i.name) not in by_name]))
        )
        owners = self._owners(items, by_name, by_uid)
        for item in items:
            self._match(item, by_name.get((item.kind, item.name)), by_uid, owners)

    def _ledger(self, items: list[PlannedObject]) -> None:
        wanted: dict[str, list[str]] = {}
        for item in items:
            if item.uid is not None and item.kind in IDENTIFIED:
                wanted.setdefault(item.kind, []).append(item.uid)
        assert self.source.workspace_id is not None
        source = self.source.workspace_id
        for kind, uids in wanted.items():
            rows = self.state.ledger_rows(source, kind, uids)
            unknown = [uid for uid in uids if uid not in rows]
            gone = self.state.ledger_deletions(source, kind, unknown) if unknown else {}
            for item in items:
                if item.kind == kind and item.uid is not None:
                    item.ledger, item.deleted = rows.get(item.uid), gone.get(item.uid)

    def _targets_by_uid(self, items: list[PlannedObject]) -> dict[tuple[str, str], TargetObject]:
        wanted: dict[str, list[str]] = {}
        for item in items:
            if item.ledger is not None:
                wanted.setdefault(item.kind, []).append(item.ledger.target_uid)
        return self.state.stored_by_uid(wanted)

    def _owners(
        self,
        items: list[PlannedObject],
        by_name: dict[tuple[str, str], TargetObject],
        by_uid: dict[tuple[str, str], TargetObject],
    ) -> dict[tuple[str, str], LedgerRow]:
        """(kind, target uid) → the ledger row of this source tying that object to its source
        object, for the target objects holding the names of items not matched by identity."""
        if self.source.workspace_id is None:
            return {}
        wanted: dict[str, list[str]] = {}
        for item in items:
            held = by_name.get((item.kind, item.name))
            matched = item.ledger is not None and (item.kind, item.ledger.target_uid) in by_uid
            if held is not None and not matched and item.kind in IDENTIFIED:
                wanted.setdefault(item.kind, []).append(held.uid)
        out: dict[tuple[str, str], LedgerRow] = {}
        for kind, uids in wanted.items():
            for uid, row in self.state.ledger_by_target(kind, uids).items():
                if row.source_workspace_id == self.source.workspace_id:
                    out[(kind, uid)] = row
        return out

    def _match(
        self,
        item: PlannedObject,
        held: TargetObject | None,
        by_uid: dict[tuple[str, str], TargetObject],
        owners: dict[tuple[str, str], LedgerRow],
    ) -> None:
        ledger = item.ledger
        target = by_uid.get((item.kind, ledger.target_uid)) if ledger is not None else None
        if target is None:
            item.stale, item.ledger = ledger, None
            owner = owners.get((item.kind, held.uid)) if held is not None else None
            if held is not None and owner is not None and owner.source_uid != item.uid:
                if self.reader.listed_uids([owner.source_uid]) or self.goes_away(owner):
                    item.holder = held.uid  # it goes away: this object is new
                    return
                item.adopted = owner  # this object takes it over
            target = held
            if owner is not None and owner.source_uid == item.uid:
                item.ledger = owner
        elif held is not None and held.uid != target.uid:
            item.holder = held.uid  # the new name is another object's: a conflict unless it goes
        item.target = target
        if target is not None and target.name != item.name:
            item.previous_name = target.name


def _names(items: Sequence[PlannedObject]) -> dict[str, list[str]]:
    wanted: dict[str, list[str]] = {}
    for item in items:
        wanted.setdefault(item.kind, []).append(item.name)
    return wanted
