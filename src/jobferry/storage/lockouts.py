"""Access keys, with the count of their failed signatures in a row and their lock."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from jobferry.storage.tables import access_key_lockouts, credentials
from jobferry.storage.tx import Tx


@dataclass(frozen=True)
class KeyState:
    """What a signature check needs to know about an access key."""

    secret_encrypted: str
    failures: int
    locked_until: int | None


# Built once: every API write's signature check reads its key's state with it.
_KEY_STATE = (
    select(
        credentials.c.secret_encrypted,
        access_key_lockouts.c.failures,
        access_key_lockouts.c.locked_until,
    )
    .select_from(credentials.outerjoin(access_key_lockouts))
    .where(credentials.c.access_key == bindparam("_access_key"))
)


def key_state(tx: Tx, access_key: str) -> KeyState | None:
    """The access key's encrypted secret and lockout state; None for an unknown key."""
    row = tx.conn.execute(_KEY_STATE, {"_access_key": access_key}).first()
    if row is None:
        return None
    return KeyState(row.secret_encrypted, row.failures or 0, row.locked_until)


def count_failure(tx: Tx, access_key: str) -> int:
    """Add one failed signature to the access key's count; returns the new count.

    The increment is one ``UPDATE`` (it takes the row's lock), so failures seen by several
    processes at once are all counted. Raises nothing for a key deleted meanwhile (returns 0).
    """
    column = access_key_lockouts.c.failures
    where = access_key_lockouts.c.access_key == access_key
    if not tx.conn.execute(
        update(access_key_lockouts).where(where).values(failures=column + 1)
    ).rowcount:
        try:
            with tx.conn.begin_nested():
                tx.conn.execute(
                    insert(access_key_lockouts).values(access_key=access_key, failures=1)
                )
        except IntegrityError:  # another process inserted it first, or the key is gone
            tx.conn.execute(update(access_key_lockouts).where(where).values(failures=column + 1))
    found: int | None = tx.conn.execute(select(column).where(where)).scalar_one_or_none()
    return found or 0


def lock(tx: Tx, access_key: str, until: int) -> None:
    """Lock the access key until ``until`` (ms) and start counting afresh."""
    tx.conn.execute(
        update(access_key_lockouts)
        .where(access_key_lockouts.c.access_key == access_key)
        .values(failures=0, locked_until=until)
    )


def clear(tx: Tx, access_key: str) -> None:
    """Forget the access key's failures and lock (after a good signature)."""
    tx.conn.execute(
        delete(access_key_lockouts).where(access_key_lockouts.c.access_key == access_key)
    )
