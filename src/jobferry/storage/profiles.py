"""Environment profiles: every saved version of every profile of a workspace."""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.storage.tables import env_profiles
from jobferry.storage.versioned import VersionedDocuments


@dataclass(frozen=True)
class ProfileRecord:
    """One saved version of a profile."""

    workspace_id: str
    name: str
    version: int
    document: str
    created_at: int
    created_by: str


PROFILES = VersionedDocuments(env_profiles, env_profiles.c.workspace_id, ProfileRecord)
"""A workspace's profiles: every version of each, by workspace id and name."""
