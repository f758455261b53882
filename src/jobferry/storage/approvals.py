"""Signed approvals: the public keys users approve with, the approvals they signed, and a
workspace's approval rule for its release packages.

The tables share the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports
this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from jobferry.storage.columns import BigId, at_and_by, user_id, workspace_id
from jobferry.storage.records import all_records, first_record, insert_record, record
from jobferry.storage.tables import metadata
from jobferry.storage.tx import Tx

# A user's approval keys: Ed25519 public keys, several per user (rotation); a revoked key
# stays (its approvals are kept, and refused from then on).
approval_keys = Table(
    "approval_keys",
    metadata,
    user_id(primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("user_name", String(128), nullable=False),
    Column("label", String(128), nullable=False),
    Column("public_key", Text, nullable=False),
    *at_and_by("registered"),
    Column("revoked_at", BigInteger, nullable=True),
)

# Approvals: a user's signature of a plan's statement (a package's or a route's).
plan_approvals = Table(
    "plan_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    workspace_id(),
    Column("subject", String(400), nullable=False),
    Column("plan_hash", String(64), nullable=False),
    Column("user_id", BigId, nullable=False),
    Column("user_name", String(128), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Column("approved_at", BigInteger, nullable=False),
    Index("ix_plan_approvals_subject", "workspace_id", "subject"),
)

# How many approvals a workspace's release packages need (no row: none).
approval_rules = Table(
    "approval_rules",
    metadata,
    workspace_id(primary_key=True),
    Column("required", Integer, nullable=False),
    *at_and_by("set"),
)


@dataclass(frozen=True)
class ApprovalKeyRecord:
    """A user's approval key."""

    user_id: int
    key_id: str
    user_name: str
    label: str
    public_key: str
    registered_at: int
    registered_by: str
    revoked_at: int | None


@dataclass(frozen=True)
class ApprovalRecord:
    """A signed approval."""

    id: int
    workspace_id: str
    subject: str
    plan_hash: str
    user_id: int
    user_name: str
    key_id: str
    signature: str
    approved_at: int


def user_keys(tx: Tx, user_ids: list[int]) -> list[ApprovalKeyRecord]:
    """The approval keys of these users (revoked ones too), by user then registration."""
    if not user_ids:
        return []
    k = approval_keys.c
    rows = tx.conn.execute(
        select(approval_keys)
        .where(k.user_id.in_(user_ids))
        .order_by(k.user_name, k.registered_at, k.key_id)
    )
    return [record(ApprovalKeyRecord, r) for r in rows]


def get_key(tx: Tx, user_id: int, key_id: str) -> ApprovalKeyRecord | None:
    """One of a user's approval keys."""
    return first_record(tx, ApprovalKeyRecord, approval_keys, user_id=user_id, key_id=key_id)


def keys_with_id(tx: Tx, key_id: str) -> list[ApprovalKeyRecord]:
    """Every user's key of that id (revoked ones too)."""
    order = [approval_keys.c.user_id]
    return all_records(tx, ApprovalKeyRecord, approval_keys, order, key_id=key_id)


def add_key(tx: Tx, item: ApprovalKeyRecord) -> None:
    """Register an approval key."""
    insert_record(tx, approval_keys, item)


def revoke_key(tx: Tx, user_id: int, key_id: str, at: int) -> None:
    """Mark a key revoked."""
    k = approval_keys.c
    tx.conn.execute(
        update(approval_keys)
        .where(k.user_id == user_id, k.key_id == key_id, k.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def approvals(tx: Tx, workspace: str, subject: str) -> list[ApprovalRecord]:
    """Every approval signed for a subject (every plan hash), oldest first."""
    order = [plan_approvals.c.approved_at, plan_approvals.c.id]
    return all_records(
        tx, ApprovalRecord, plan_approvals, order, workspace_id=workspace, subject=subject
    )


def add_approval(tx: Tx, values: dict[str, object]) -> None:
    """Keep an approval."""
    tx.conn.execute(insert(plan_approvals).values(**values))


def drop_approvals(tx: Tx, workspace: str, subject: str, user_id: int, plan_hash: str) -> None:
    """Forget a user's earlier approval of the same plan (a new signature replaces it)."""
    a = plan_approvals.c
    tx.conn.execute(
        delete(plan_approvals).where(
            a.workspace_id == workspace,
            a.subject == subject,
            a.user_id == user_id,
            a.plan_hash == plan_hash,
        )
    )


def required(tx: Tx, workspace: str) -> int:
    """How many approvals the workspace's release packages need (0: none)."""
    found = tx.conn.execute(
        select(approval_rules.c.required).where(approval_rules.c.workspace_id == workspace)
    ).scalar()
    return int(found or 0)


def set_required(tx: Tx, workspace: str, count: int, at: int, by: str) -> None:
    """Set (0: remove) the workspace's rule."""
    tx.conn.execute(delete(approval_rules).where(approval_rules.c.workspace_id == workspace))
    if count:
        tx.conn.execute(
            insert(approval_rules).values(
                workspace_id=workspace, required=count, set_at=at, set_by=by
            )
        )
