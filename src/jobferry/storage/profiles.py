"""Environment profiles: every saved version of every profile of a workspace."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from jobferry.storage.records import all_records, record
from jobferry.storage.tables import env_profiles
from jobferry.storage.tx import Tx


@dataclass(frozen=True)
class ProfileRecord:
    """One saved version of a profile."""

    workspace_id: str
    name: str
    version: int
    document: str
    created_at: int
    created_by: str


def latest_version(tx: Tx, workspace_id: str, name: str) -> int:
    """The newest version number of a profile (0 when it does not exist)."""
    value = tx.conn.execute(
        select(func.max(env_profiles.c.version)).where(
            env_profiles.c.workspace_id == workspace_id, env_profiles.c.name == name
        )
    ).scalar()
    return int(value or 0)


def insert_version(tx: Tx, item: ProfileRecord) -> None:
    """Save a new version."""
    tx.conn.execute(insert(env_profiles).values(**item.__dict__))


def get(tx: Tx, workspace_id: str, name: str, version: int | None = None) -> ProfileRecord | None:
    """A version of a profile (the newest when ``version`` is None)."""
    stmt = select(env_profiles).where(
        env_profiles.c.workspace_id == workspace_id, env_profiles.c.name == name
    )
    if version is not None:
        stmt = stmt.where(env_profiles.c.version == version)
    row = tx.conn.execute(stmt.order_by(env_profiles.c.version.desc()).limit(1)).first()
    return record(ProfileRecord, row) if row else None


def versions(tx: Tx, workspace_id: str, name: str) -> list[ProfileRecord]:
    """Every version of a profile, newest first."""
    order = [env_profiles.c.version.desc()]
    return all_records(tx, ProfileRecord, env_profiles, order, workspace_id=workspace_id, name=name)


def latest_all(tx: Tx, workspace_id: str) -> list[ProfileRecord]:
    """The newest version of every profile of the workspace, by name."""
    newest = (
        select(env_profiles.c.name, func.max(env_profiles.c.version).label("v"))
        .where(env_profiles.c.workspace_id == workspace_id)
        .group_by(env_profiles.c.name)
        .subquery()
    )
    rows = tx.conn.execute(
        select(env_profiles)
        .join(
            newest,
            (newest.c.name == env_profiles.c.name) & (newest.c.v == env_profiles.c.version),
        )
        .where(env_profiles.c.workspace_id == workspace_id)
        .order_by(env_profiles.c.name)
    )
    return [record(ProfileRecord, r) for r in rows]


def delete_profile(tx: Tx, workspace_id: str, name: str) -> bool:
    """Remove every version of a profile; whether it existed."""
    result = tx.conn.execute(
        delete(env_profiles).where(
            env_profiles.c.workspace_id == workspace_id, env_profiles.c.name == name
        )
    )
    return bool(result.rowcount)
