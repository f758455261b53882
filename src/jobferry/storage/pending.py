"""A pending item whose change is undone before any release: an object added in development
and deleted again, which production never held and no waiting package carries, leaves nothing
to release, so its item goes (``services/releases/pending.py``); and the items packages still
waiting carry (``services/releases/deployed.py`` tells them what production holds); and the
versions development submitted of objects, which say which of them an import as released put
in production (``services/releases/as_released.py``), and what their items told of it, once
development keeps those versions no more; and the packages still waiting, whose
approvers a user's removal may leave too few (``services/accounts/leaving.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import delete, exists, or_, select

from jobferry.domain.releases import DeployStatus
from jobferry.storage.records import record
from jobferry.storage.releases import ItemRecord, PackageRecord
from jobferry.storage.releases import release_items as _item
from jobferry.storage.releases import release_packages as _pkg
from jobferry.storage.tables import job_versions, jobs, script_versions, scripts
from jobferry.storage.tx import Tx, chunks

_UNRELEASED = (int(DeployStatus.PENDING), int(DeployStatus.FAILED), int(DeployStatus.RELEASING))


def in_waiting_package(tx: Tx, workspace_id: str, kind: str, uid: str) -> bool:
    """Whether a package not yet released (waiting, failed or releasing) nor cancelled holds
    an item of the object: its deploy would still bring the object to production."""
    held = (
        select(_item.c.id)
        .join(_pkg, _pkg.c.id == _item.c.package_id)
        .where(
            _item.c.workspace_id == workspace_id,
            _item.c.kind == kind,
            _item.c.uid == uid,
            _pkg.c.status.in_(_UNRELEASED),
            _pkg.c.delete_flag == 0,
        )
    )
    return bool(tx.conn.execute(select(exists(held))).scalar())


def waiting_package_items(
    tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]
) -> list[ItemRecord]:
    """The items of packages not yet released nor cancelled (as :func:`in_waiting_package`
    reads them) that carry these objects of one kind."""
    found: list[ItemRecord] = []
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(_item)
            .join(_pkg, _pkg.c.id == _item.c.package_id)
            .where(
                _item.c.workspace_id == workspace_id,
                _item.c.kind == kind,
                _item.c.uid.in_(part),
                _pkg.c.status.in_(_UNRELEASED),
                _pkg.c.delete_flag == 0,
            )
            .order_by(_item.c.id)
        )
        found.extend(record(ItemRecord, r) for r in rows)
    return found


def waiting_packages(tx: Tx, workspace_ids: Sequence[str]) -> list[PackageRecord]:
    """The packages of these workspaces not yet released nor cancelled (as
    :func:`in_waiting_package` reads them), oldest first: a deploy may still take each."""
    found: list[PackageRecord] = []
    for part in chunks(list(workspace_ids), tx.chunk):
        rows = tx.conn.execute(
            select(_pkg)
            .where(
                _pkg.c.workspace_id.in_(part),
                _pkg.c.status.in_(_UNRELEASED),
                _pkg.c.delete_flag == 0,
            )
            .order_by(_pkg.c.id)
        )
        found.extend(record(PackageRecord, r) for r in rows)
    return sorted(found, key=lambda p: p.id)


def drop_open_item(tx: Tx, item_id: int) -> None:
    """Remove a pending item no package holds."""
    tx.conn.execute(delete(_item).where(_item.c.id == item_id, _item.c.package_id.is_(None)))


def told_versions(tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]) -> dict[str, int]:
    """uid → the version production holds of each of these objects as its newest item says
    it (``deployed_version``), of the items no release took: open, or of a package waiting or
    cancelled (every such item was told each move of production since it was made)."""
    found: dict[str, int] = {}
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(_item.c.uid, _item.c.deployed_version)
            .select_from(_item.outerjoin(_pkg, _pkg.c.id == _item.c.package_id))
            .where(
                _item.c.workspace_id == workspace_id,
                _item.c.kind == kind,
                _item.c.uid.in_(part),
                or_(_item.c.package_id.is_(None), _pkg.c.status != int(DeployStatus.SUCCESS)),
            )
            .order_by(_item.c.uid, _item.c.id.desc())
        )
        for r in rows:
            found.setdefault(str(r.uid), int(r.deployed_version))
    return found


class Submitted(NamedTuple):
    """A version a workspace's job or script submitted: its number, when, and its
    definition."""

    version: int
    at: int
    """When it was submitted (epoch ms)."""
    document: str


def submitted_documents(
    tx: Tx, workspace_id: str, kind: str, uids: Sequence[str]
) -> dict[str, list[Submitted]]:
    """uid → each version the workspace's job (``kind`` "job") or script submitted, newest
    first (a script's uid is its id)."""
    if kind == "job":
        owner, uid, stored = jobs, jobs.c.uid, job_versions
        joined = owner.join(stored, stored.c.job_id == owner.c.id)
    else:
        owner, uid, stored = scripts, scripts.c.id, script_versions
        joined = owner.join(stored, stored.c.script_id == owner.c.id)
    found: dict[str, list[Submitted]] = {}
    for part in chunks(list(uids), tx.chunk):
        rows = tx.conn.execute(
            select(uid.label("uid"), stored.c.version, stored.c.created_at, stored.c.document)
            .select_from(joined)
            .where(owner.c.workspace_id == workspace_id, uid.in_(part))
            .order_by(uid, stored.c.version.desc())
        )
        for r in rows:
            submitted = Submitted(int(r.version), int(r.created_at), str(r.document))
            found.setdefault(str(r.uid), []).append(submitted)
    return found
