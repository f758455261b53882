"""The secrets a database holds encrypted with the server's secret key: one of each kind, for
checking at start-up that the key opens them (``services/support/secretbox.py``)."""

from __future__ import annotations

from sqlalchemy import Column, select

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
