"""Submitted versions of jobs and scripts: each keeps its newest ``VERSIONS_KEPT`` (100, as
DataArts); storing a version drops the ones it pushes past that many, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Table, bindparam, delete

from jobferry.domain.definitions import VERSIONS_KEPT
from jobferry.storage.tx import Tx


def drop_past_kept(
    tx: Tx, versions: Table, owner: Column[object], stored: Iterable[tuple[object, int]]
) -> None:
    """For each (owner id, version just stored) of ``versions`` (``owner`` its owner's
    column), drop that owner's versions ``VERSIONS_KEPT`` or more older. Only an owner past
    that many versions costs a statement: most are not."""
    past = [
        {"owner_id": owner_id, "oldest_dropped": version - VERSIONS_KEPT}
        for owner_id, version in stored
        if version > VERSIONS_KEPT
    ]
    if past:
        stmt = delete(versions).where(
            owner == bindparam("owner_id"), versions.c.version <= bindparam("oldest_dropped")
        )
        tx.conn.execute(stmt, past)
