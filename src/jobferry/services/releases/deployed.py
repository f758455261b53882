"""Which development version of an object production holds: what a pending item calls its
``deployed_version``, after releases, rollbacks and restores alike.

The release ledger says which entry last changed each object in production; that entry says
which version it is: a release put its item's version, a rollback brought back what production
held before the release it undid, a restore what production held right after the release it
restored (both found again in the ledger), and a deletion puts none (0). An object no entry
touched (released before the ledger was kept, or never) has the version of the newest release
of it not rolled back, as the items say. An object an import as released wrote or deleted
last has what that import left (``as_released``).
"""

from __future__ import annotations

from collections.abc import Sequence

from jobferry.domain.releases import UpdateType
from jobferry.services.releases import ledger
from jobferry.services.releases.as_released import imported_versions
from jobferry.storage import Tx
from jobferry.storage import ledger as ledger_repo
from jobferry.storage import pending as undone
from jobferry.storage import releases as repo
from jobferry.storage.ledger import DELETE, EntryRecord, ObjectState
from jobferry.storage.releases import ItemRecord


class _Resolver:
    """Resolves the development version an entry's state of an object stands for, from the
    versions every release of the objects put (``released``: package id → uid → version)."""

    def __init__(self, entries: dict[int, EntryRecord], released: dict[int, dict[str, int]]):
        self.entries = entries
        self.released = released

    def version(self, states: list[ObjectState], limit: int) -> int | None:
        """The version production held of the object after entry ``limit`` (``None``: no
        entry up to it touched the object)."""
        while True:
            found = [s for s in states if s.entry_id <= limit]
            if not found:
                return None
            state = found[-1]
            if state.action == DELETE:
                return 0
            entry = self.entries[state.entry_id]
            if entry.action == ledger.DEPLOY:
                return self.released.get(entry.package_id or 0, {}).get(state.uid, 0)
            if entry.target_entry is None:
                return None
            # A rollback: what production held before the release it undid; a restore: what
            # production held right after the release it restored.
            back = entry.action == ledger.ROLLBACK
            limit = entry.target_entry - 1 if back else entry.target_entry


class _Entries:
    """The workspace's ledger entries, read once when first asked for."""

    def __init__(self, tx: Tx, workspace_id: str) -> None:
        self.tx, self.workspace_id = tx, workspace_id
        self.read: dict[int, EntryRecord] | None = None

    def all(self) -> dict[int, EntryRecord]:
        if self.read is None:
            self.read = {e.id: e for e in ledger_repo.entries(self.tx, self.workspace_id)}
        return self.read

    def tasks(self) -> set[str]:
        """The tasks the entries name (a release's, a restore's, a rollback's)."""
        return {e.task_id for e in self.all().values() if e.task_id}


def deployed_versions(tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]) -> dict[str, int]:
    """uid → the development version production holds of each object (absent: 0)."""
    if not uids:
        return {}
    entries = _Entries(tx, workspace_id)
    found = _from_ledger(tx, entries, kind, uids)
    rest = [u for u in uids if u not in found]
    if rest:
        found.update(repo.deployed_versions(tx, workspace_id, kind, rest))
    # What an import as released wrote or deleted since, outside the ledger.
    found.update(imported_versions(tx, workspace_id, kind, uids, entries.tasks))
    return {uid: version for uid, version in found.items() if version}


def _from_ledger(tx: Tx, entries: _Entries, kind: str, uids: Sequence[str]) -> dict[str, int]:
    """uid → the version the ledger's entries say production holds, of the objects an entry
    touched."""
    by_uid: dict[str, list[ObjectState]] = {}
    for state in ledger_repo.states_of(tx, entries.workspace_id, kind, uids):
        by_uid.setdefault(state.uid, []).append(state)
    found: dict[str, int] = {}
    if by_uid:
        released = repo.released_versions(tx, entries.workspace_id, kind, list(by_uid))
        resolver = _Resolver(entries.all(), released)
        newest = max(entries.all())
        for uid, states in by_uid.items():
            version = resolver.version(states, newest)
            if version is not None:
                found[uid] = version
    return found


def deployed_version(tx: Tx, workspace_id: str, kind: str, uid: str) -> int:
    """:func:`deployed_versions` of one object."""
    return deployed_versions(tx, workspace_id, kind, [uid]).get(uid, 0)


def tell_waiting(
    tx: Tx, workspace_id: str, objects: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Production's version of these objects ((kind, uid) each) changed: their items still
    waiting (not in a package) say which version it holds now, an addition or a change as
    that version says, a deletion that version (or it goes, when production holds none and
    no waiting package carries the object); so do the items of packages still waiting (a
    deletion of what production no longer holds stays: the package is frozen); (kind, uid) →
    the version (a query a kind, not an object)."""
    found: dict[tuple[str, str], int] = {}
    for kind in sorted({k for k, _ in objects}):
        uids = [u for k, u in objects if k == kind]
        versions = deployed_versions(tx, workspace_id, kind, uids)
        waiting = repo.open_items(tx, workspace_id, kind, uids)
        for uid in uids:
            version = found[(kind, uid)] = versions.get(uid, 0)
            item = waiting.get(uid)
            if item is not None:
                _tell(tx, item, version)
        for item in undone.waiting_package_items(tx, workspace_id, kind, uids):
            repo.update_item(tx, item.id, _told(item, versions.get(item.uid, 0)))
    return found


def _tell(tx: Tx, item: ItemRecord, version: int) -> None:
    """Waiting ``item`` says production holds ``version`` of its object."""
    if (
        item.update_type == UpdateType.DELETE
        and version == 0
        and not undone.in_waiting_package(tx, item.workspace_id, item.kind, item.uid)
    ):
        # Production no longer holds the object: nothing left to delete (as a deletion of
        # an object never released, ``pending.note_delete``).
        undone.drop_open_item(tx, item.id)
        return
    repo.update_item(tx, item.id, _told(item, version))


def _told(item: ItemRecord, version: int) -> dict[str, object]:
    """What an item says once production holds ``version`` of its object: that version, an
    addition or a change as it says, a deletion the version it deletes."""
    values: dict[str, object] = {"deployed_version": version}
    if item.update_type == UpdateType.DELETE:
        values["pending_version"] = version  # a deletion names what it deletes
    elif version == 0 and item.update_type == UpdateType.CHANGE:
        values["update_type"] = int(UpdateType.ADD)
    elif version and item.update_type == UpdateType.ADD:
        values["update_type"] = int(UpdateType.CHANGE)
    return values
