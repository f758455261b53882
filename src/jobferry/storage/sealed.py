"""The secrets a database holds encrypted with the server's secret key: one of each kind, for
checking at start-up that the key opens them, and all of them, to encrypt them again under a
new key (``services/support/secretbox.py``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, and_, select, update

from jobferry.storage.remotes import remotes
from jobferry.storage.tables import credentials, environment_secrets, signing_keys
from jobferry.storage.tx import Tx

SEALED: tuple[tuple[str, Column[str]], ...] = (
    ("the secret keys of access keys", credentials.c.secret_encrypted),
    ("the secret keys of remotes", remotes.c.secret_encrypted),
    ("environment secrets (connection passwords)", environment_secrets.c.secrets_encrypted),
    ("workspaces' signing keys", signing_keys.c.private_key_encrypted),
)
"""What holds an encrypted secret: how a person calls it, and its column."""


def one_of_each(tx: Tx) -> list[tuple[str, str]]:
    """One stored secret of each kind the database holds (what it is, its encrypted text), in
    one statement; empty for a database that holds none."""
    row = tx.conn.execute(
        select(*(select(column).limit(1).scalar_subquery() for _, column in SEALED))
    ).one()
    return [(what, token) for (what, _), token in zip(SEALED, row, strict=True) if token]


def reseal(tx: Tx, resealed: Callable[[str], str | None]) -> list[tuple[str, int, int]]:
    """Every stored secret encrypted again: ``resealed`` answers a secret's new text, or
    ``None`` to keep it as it is. For each kind, in ``SEALED``'s order: what it is, how many
    were written again and how many kept."""
    counts = []
    for what, column in SEALED:
        table = column.table
        keys = list(table.primary_key.columns)
        written = kept = 0
        for row in tx.conn.execute(select(*keys, column)).all():
            *key, token = row
            new = resealed(token)
            if new is None:
                kept += 1
                continue
            where = and_(*(c == value for c, value in zip(keys, key, strict=True)))
            tx.conn.execute(update(table).where(where).values({column.name: new}))
            written += 1
        counts.append((what, written, kept))
    return counts
