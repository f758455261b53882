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


# A profile's versions, by workspace id and name (``latest_version`` is 0 when there are none;
# ``get`` answers the newest when no version is named; ``versions`` newest first).
_SAVED = VersionedDocuments(env_profiles, env_profiles.c.workspace_id, ProfileRecord)
latest_version = _SAVED.latest_version
insert_version = _SAVED.insert_version
get = _SAVED.get
versions = _SAVED.versions
latest_all = _SAVED.latest_all
delete_profile = _SAVED.remove
