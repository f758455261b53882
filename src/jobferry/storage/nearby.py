"""Names near one that is not there: the candidates of a refusal's "did you mean"."""

from __future__ import annotations

from sqlalchemy import Table, select

from jobferry.storage.tables import jobs, scripts
from jobferry.storage.tx import Tx

NEAR_PREFIX = 2
"""How many first characters a candidate shares with the name asked (case aside)."""

NEAR_MOST = 500
"""The most candidates read: a workspace of many names alike is not read whole for a hint."""


def job_names_alike(tx: Tx, workspace_id: str, name: str) -> list[str]:
    """:func:`names_starting_alike` of the workspace's jobs."""
    return names_starting_alike(tx, jobs, workspace_id, name)


def script_names_alike(tx: Tx, workspace_id: str, name: str) -> list[str]:
    """:func:`names_starting_alike` of the workspace's scripts."""
    return names_starting_alike(tx, scripts, workspace_id, name)


def names_starting_alike(tx: Tx, table: Table, workspace_id: str, name: str) -> list[str]:
    """Up to :data:`NEAR_MOST` names of ``table``'s rows of the workspace that start with the
    first :data:`NEAR_PREFIX` characters of ``name``, case aside (``Daily`` for ``daily``)."""
    c = table.c
    stmt = (
        select(c.name)
        .where(
            c.workspace_id == workspace_id,
            c.name.istartswith(name[:NEAR_PREFIX], autoescape=True),
        )
        .limit(NEAR_MOST)
    )
    return [str(row.name) for row in tx.conn.execute(stmt)]
