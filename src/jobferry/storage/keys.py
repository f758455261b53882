"""Package signing keys: a workspace's own signing key and the public keys it trusts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from jobferry.storage.records import all_records, first_record
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
    """A public key whose signatures the workspace accepts."""

    workspace_id: str
    key_id: str
    name: str
    public_key: str
    added_at: int
    added_by: str


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
    tx.conn.execute(insert(signing_keys).values(**item.__dict__))


def delete_signing_key(tx: Tx, workspace_id: str) -> bool:
    """Remove the workspace's signing key; whether it had one."""
    result = tx.conn.execute(
        delete(signing_keys).where(signing_keys.c.workspace_id == workspace_id)
    )
    return bool(result.rowcount)


def trusted(tx: Tx, workspace_id: str) -> list[TrustedKeyRecord]:
    """The workspace's trusted public keys, by name."""
    order = [trusted_keys.c.name, trusted_keys.c.key_id]
    return all_records(tx, TrustedKeyRecord, trusted_keys, order, workspace_id=workspace_id)


def get_trusted(tx: Tx, workspace_id: str, key_id: str) -> TrustedKeyRecord | None:
    """One trusted key by id."""
    return first_record(
        tx, TrustedKeyRecord, trusted_keys, workspace_id=workspace_id, key_id=key_id
    )


def add_trusted(tx: Tx, item: TrustedKeyRecord) -> None:
    """Trust a public key."""
    tx.conn.execute(insert(trusted_keys).values(**item.__dict__))


def remove_trusted(tx: Tx, workspace_id: str, key_id: str) -> bool:
    """Stop trusting a key; whether it was trusted."""
    result = tx.conn.execute(
        delete(trusted_keys).where(
            trusted_keys.c.workspace_id == workspace_id, trusted_keys.c.key_id == key_id
        )
    )
    return bool(result.rowcount)
