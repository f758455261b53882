"""Environment profiles: every saved version of every profile of a workspace."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert

from jobferry.storage.records import record
from jobferry.storage.tables import env_profiles
from jobferry.storage.tx import Tx
from jobferry.storage.versioned import VersionedDocuments

_SAVED = VersionedDocuments(env_profiles, env_profiles.c.workspace_id)


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
    return _SAVED.latest_version(tx, workspace_id, name)


def insert_version(tx: Tx, item: ProfileRecord) -> None:
    """Save a new version."""
    tx.conn.execute(insert(env_profiles).values(**item.__dict__))


def get(tx: Tx, workspace_id: str, name: str, version: int | None = None) -> ProfileRecord | None:
    """A version of a profile (the newest when ``version`` is None)."""
    row = _SAVED.get(tx, workspace_id, name, version)
    return record(ProfileRecord, row) if row else None


def versions(tx: Tx, workspace_id: str, name: str) -> list[ProfileRecord]:
    """Every version of a profile, newest first."""
    return [record(ProfileRecord, r) for r in _SAVED.versions(tx, workspace_id, name)]


def latest_all(tx: Tx, workspace_id: str) -> list[ProfileRecord]:
    """The newest version of every profile of the workspace, by name."""
    return [record(ProfileRecord, r) for r in _SAVED.latest_all(tx, workspace_id)]


def delete_profile(tx: Tx, workspace_id: str, name: str) -> bool:
    """Remove every version of a profile; whether it existed."""
    return _SAVED.remove(tx, workspace_id, name)
