"""Package signing keys: a workspace's own signing key and the public keys it trusts, or
distrusts (a distrusted key stays, marked, so that a package it signs is refused)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from jobferry.storage.records import all_records, first_record, insert_record, locked_record
from jobferry.storage.tables import signing_keys, trusted_keys, workspaces
from jobferry.storage.tx import Tx


@dataclass(frozen=True)
class SigningKeyRecord:
    """A workspace's signing key (the private half encrypted)."""

    workspace_id: str
    key_id: str
    public_key: str
    private_key_encrypted: str
    created_at: int
    created_by: str


@dataclass(frozen=True)
class TrustedKeyRecord:
    """A public key whose signatures the workspace accepts, or distrusts (``distrusted_at``)."""

    workspace_id: str
    key_id: str
    name: str
    public_key: str
    added_at: int
    added_by: str
    distrusted_at: int | None = None
    """When the key was distrusted (ms; None: it is trusted)."""
    distrusted_by: str | None = None


def get_signing_key(tx: Tx, workspace_id: str) -> SigningKeyRecord | None:
    """The workspace's signing key, if it has one."""
    return first_record(tx, SigningKeyRecord, signing_keys, workspace_id=workspace_id)


def project_signing_keys(tx: Tx, project_id: str) -> list[str]:
    """The public halves of the signing keys of every workspace of a project."""
    rows = tx.conn.execute(
        select(signing_keys.c.public_key)
        .join(workspaces, workspaces.c.id == signing_keys.c.workspace_id)
        .where(workspaces.c.project_id == project_id)
        .order_by(signing_keys.c.workspace_id)
    )
    return [str(row[0]) for row in rows]


def put_signing_key(tx: Tx, item: SigningKeyRecord) -> None:
    """Set (replace) the workspace's signing key."""
    tx.conn.execute(delete(signing_keys).where(signing_keys.c.workspace_id == item.workspace_id))
    insert_record(tx, signing_keys, item)


def delete_signing_key(tx: Tx, workspace_id: str) -> bool:
    """Remove the workspace's signing key; whether it had one."""
    result = tx.conn.execute(
        delete(signing_keys).where(signing_keys.c.workspace_id == workspace_id)
    )
    return bool(result.rowcount)


def trusted(tx: Tx, workspace_id: str) -> list[TrustedKeyRecord]:
    """The workspace's trusted public keys (not those it distrusts), by name."""
    return _keys(tx, workspace_id, distrusted_at=None)


def all_keys(tx: Tx, workspace_id: str) -> list[TrustedKeyRecord]:
    """Every key the workspace trusts or distrusts, by name."""
    return _keys(tx, workspace_id)


def distrusted(tx: Tx, workspace_id: str) -> list[TrustedKeyRecord]:
    """The keys the workspace distrusts, by name."""
    return [k for k in _keys(tx, workspace_id) if k.distrusted_at is not None]


def _keys(tx: Tx, workspace_id: str, **key: object) -> list[TrustedKeyRecord]:
    order = [tx.by_name(trusted_keys.c.name), trusted_keys.c.key_id]  # code point order
    return all_records(tx, TrustedKeyRecord, trusted_keys, order, workspace_id=workspace_id, **key)


def hold_distrusts(tx: Tx, workspace_id: str) -> None:
    """Hold off every distrust of the workspace's keys until the transaction ends (an import's
    apply that reads which keys it distrusts, then imports what one may have signed): its row
    locked ``FOR KEY SHARE``, which :func:`lock_for_distrust` waits for; a trust, a change of
    the workspace and another apply are not held. SQLite has one writer: nothing to lock."""
    query = select(workspaces.c.id).where(workspaces.c.id == workspace_id)
    tx.conn.execute(query.with_for_update(read=True, key_share=True))


def lock_for_distrust(tx: Tx, workspace_id: str) -> None:
    """Lock the workspace's row for a distrust of one of its keys: it waits for the applies
    that read its distrusted keys before (:func:`hold_distrusts`) to end, and an apply that
    starts reading them meanwhile waits for it."""
    query = select(workspaces.c.id).where(workspaces.c.id == workspace_id)
    tx.conn.execute(query.with_for_update())


def get_key(tx: Tx, workspace_id: str, key_id: str) -> TrustedKeyRecord | None:
    """One key by id, trusted or distrusted, its row locked until the transaction ends (a
    trust or a distrust decides on it: two at once must not both see it unmarked)."""
    return locked_record(
        tx, TrustedKeyRecord, trusted_keys, workspace_id=workspace_id, key_id=key_id
    )


def add_trusted(tx: Tx, item: TrustedKeyRecord) -> None:
    """Add a public key the workspace has neither trusted nor distrusted: trusted, or
    distrusted when ``item`` is marked so (a key distrusted by its public key)."""
    insert_record(tx, trusted_keys, item)


def trust_again(tx: Tx, item: TrustedKeyRecord) -> None:
    """Trust a distrusted key again: its mark cleared, its label and who added it now."""
    tx.conn.execute(
        update(trusted_keys)
        .where(
            trusted_keys.c.workspace_id == item.workspace_id,
            trusted_keys.c.key_id == item.key_id,
        )
        .values(**item.__dict__)
    )


def mark_distrusted(tx: Tx, workspace_id: str, key_id: str, at: int, by: str) -> None:
    """Distrust a trusted key: it stays, marked with when and by whom."""
    tx.conn.execute(
        update(trusted_keys)
        .where(trusted_keys.c.workspace_id == workspace_id, trusted_keys.c.key_id == key_id)
        .values(distrusted_at=at, distrusted_by=by)
    )
