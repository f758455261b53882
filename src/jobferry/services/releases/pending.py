"""Pending items: every submit and every delete of a job or script in an enterprise workspace,
and every rename of a submitted job, keeps one item per object until a release package takes
it.

Called in the transaction that submits, renames or deletes (``save_job``, ``save_script``,
``rename_job``, ``remember_deletion``, an import's end), so an item exists exactly when the
change does. A change submitted again before it is packaged updates the object's open item (its
version, its submitter) rather than adding another: a package takes the object as it is then.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobferry.domain.enums import ObjectKind
from jobferry.domain.releases import UpdateType
from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.deployed import deployed_version, deployed_versions
from jobferry.storage import Tx
from jobferry.storage import pending as undone
from jobferry.storage import releases as repo
from jobferry.storage.importing import ledger as promotion_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.releases import ItemRecord

ITEM_KINDS = (ObjectKind.JOB, ObjectKind.SCRIPT)
"""What becomes a pending item (DataArts releases jobs and scripts)."""


def note_submit(
    tx: Tx, scope: Scope, kind: str, uid: str, object_id: str, name: str, version: int
) -> None:
    """``version`` of ``kind`` ``name`` was submitted in ``scope``'s workspace: its item is
    added or brought up to date (nothing outside enterprise mode)."""
    if not scope.workspace.enterprise or kind not in ITEM_KINDS:
        return
    _note(tx, scope, kind, (uid, object_id, name), version, deleted=False)


def note_submits(
    tx: Tx, scope: Scope, kind: str, submitted: Sequence[tuple[str, str, str, int]]
) -> None:
    """Many objects of one kind submitted at once (an import): ``(uid, object id, name,
    version)`` each; their items added or brought up to date a batch of queries at a time."""
    if not scope.workspace.enterprise or kind not in ITEM_KINDS or not submitted:
        return
    ws = scope.workspace.id
    uids = [uid for uid, _, _, _ in submitted]
    waiting = repo.open_items(tx, ws, kind, uids)
    deployed = deployed_versions(tx, ws, kind, uids)
    added = []
    for uid, object_id, name, version in submitted:
        values = _values(scope, (object_id, name), version, deployed.get(uid, 0), deleted=False)
        found = waiting.get(uid)
        if found is not None:
            repo.update_item(tx, found.id, values)
        else:
            added.append(values | {"workspace_id": ws, "kind": kind, "uid": uid})
    repo.insert_items(tx, added)


def note_delete(tx: Tx, scope: Scope, kind: str, uid: str, name: str) -> None:
    """``kind`` ``name`` was deleted in ``scope``'s workspace: its item says so."""
    if not scope.workspace.enterprise or kind not in ITEM_KINDS:
        return
    # The item names the object by the id its submits named it by (a job's number), as
    # DataArts' task_id does; the object is gone, so its last item says which.
    object_id = repo.object_id_of(tx, scope.workspace.id, kind, uid) or uid
    if _never_released(tx, scope, kind, uid):
        # Added and deleted again before any release: nothing to release, no item.
        found = repo.open_item(tx, scope.workspace.id, kind, uid)
        if found is not None:
            undone.drop_open_item(tx, found.id)
        return
    _note(tx, scope, kind, (uid, object_id, name), 0, deleted=True)


def note_rename(
    tx: Tx, scope: Scope, kind: str, identity: tuple[str, str, str], version: int | None
) -> None:
    """``kind`` ``(uid, object id, new name)`` was renamed in ``scope``'s workspace; its
    submitted ``version`` (``None``: never submitted) is what production would hold. A rename
    is a change to release (DataArts' enterprise mode): the object's item takes the new name,
    or one is added, a change its release renames in production. A rename back to the name
    production holds, with nothing else submitted since the release, leaves nothing to
    release: its item goes."""
    if not scope.workspace.enterprise or kind not in ITEM_KINDS or version is None:
        return
    uid, _, name = identity
    ws = scope.workspace.id
    found = repo.open_item(tx, ws, kind, uid)
    if found is not None and found.update_type == UpdateType.DELETE:
        return
    deployed = deployed_version(tx, ws, kind, uid)
    if deployed == version and _released_as(tx, scope, kind, uid) == name:
        if found is not None:
            undone.drop_open_item(tx, found.id)
        return
    if found is not None:
        version = found.pending_version  # the rename changes the name, not the version
    _note(tx, scope, kind, identity, version, deleted=False)


def released_since(tx: Tx, scope: Scope, item: ItemRecord) -> bool:
    """Whether production already holds what a cancelled package's ``item`` would release:
    its version or a newer one of the object (another package released it since), under the
    item's name. Such an item is not pending again: it would release nothing, or an older
    version than production's."""
    if item.update_type == UpdateType.DELETE:
        return False  # ``deployed.tell_waiting`` drops one production holds nothing of
    deployed = deployed_version(tx, scope.workspace.id, item.kind, item.uid)
    if item.pending_version != deployed:
        return item.pending_version < deployed
    return _released_as(tx, scope, item.kind, item.uid) == item.name


def _released_as(tx: Tx, scope: Scope, kind: str, uid: str) -> str | None:
    """The name production holds the object under, when it holds it and no package waiting
    for its release carries it (its deploy would change that name)."""
    ws, production = scope.workspace.id, scope.workspace.production_id
    if production is None or undone.in_waiting_package(tx, ws, kind, uid):
        return None
    row = promotion_repo.ledger_rows(tx, production, ws, kind, [uid]).get(uid)
    if row is None:
        return None
    held = target_repo.objects_by_uid(tx, production, kind, [row.target_uid]).get(row.target_uid)
    return held.name if held is not None else None


def _never_released(tx: Tx, scope: Scope, kind: str, uid: str) -> bool:
    """Whether production holds nothing of the object and no package waiting for its
    release carries it (a delete item would then delete nothing)."""
    ws, production = scope.workspace.id, scope.workspace.production_id
    if production is None or undone.in_waiting_package(tx, ws, kind, uid):
        return False
    row = promotion_repo.ledger_rows(tx, production, ws, kind, [uid]).get(uid)
    return row is None or not target_repo.objects_by_uid(tx, production, kind, [row.target_uid])


def _note(
    tx: Tx,
    scope: Scope,
    kind: str,
    identity: tuple[str, str, str],
    version: int,
    *,
    deleted: bool,
) -> None:
    uid, object_id, name = identity
    ws = scope.workspace.id
    deployed = deployed_version(tx, ws, kind, uid)
    values = _values(scope, (object_id, name), version, deployed, deleted=deleted)
    found = repo.open_item(tx, ws, kind, uid)
    if found is not None:
        repo.update_item(tx, found.id, values)
        return
    repo.insert_item(tx, values | {"workspace_id": ws, "kind": kind, "uid": uid})


def _values(
    scope: Scope, named: tuple[str, str], version: int, deployed: int, *, deleted: bool
) -> dict[str, object]:
    """An item's columns but its identity: what it does, its versions, who submitted it."""
    update = UpdateType.DELETE if deleted else UpdateType.CHANGE if deployed else UpdateType.ADD
    object_id, name = named
    return {
        "name": name,
        "object_id": object_id,
        "update_type": int(update),
        "pending_version": version if not deleted else deployed,
        "deployed_version": deployed,
        "submit_user_id": str(scope.actor.user_id),
        "submit_user_name": scope.actor.name,
        "submit_timestamp": now_ms(),
    }
