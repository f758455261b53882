"""Signatures of accepted state-changing requests (replay protection)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jobferry.storage.tables import used_signatures
from jobferry.storage.tx import Tx

# Built once (SQLite's, PostgreSQL's): every API write records its signature with them.
_REMEMBER = tuple(
    insert(used_signatures)
    .on_conflict_do_nothing(index_elements=[used_signatures.c.signature])
    .returning(used_signatures.c.accepted_at)
    for insert in (sqlite_insert, pg_insert)
)
_ACCEPTED_AT = select(used_signatures.c.accepted_at).where(
    used_signatures.c.signature == bindparam("_signature")
)


def remember_signature(
    tx: Tx, signature: str, access_key: str, accepted_at: int, expires_at: int
) -> int | None:
    """Record a signature as used until ``expires_at`` (ms).

    Returns ``None`` when it was not recorded yet (it is now), else the moment (ms) it was
    first accepted. The primary key decides, so two processes inserting the same signature at
    once cannot both succeed. One ``INSERT … ON CONFLICT DO NOTHING``: a signature already
    there inserts nothing (and spoils no PostgreSQL transaction), without the savepoint and
    its two round trips that catching the key's violation would need on every request.
    """
    values = {
        "signature": signature,
        "access_key": access_key,
        "accepted_at": accepted_at,
        "expires_at": expires_at,
    }
    added = tx.conn.execute(_REMEMBER[tx.dialect == "postgresql"], values).first()
    if added is not None:
        return None
    first: int | None = tx.conn.execute(
        _ACCEPTED_AT, {"_signature": signature}
    ).scalar_one_or_none()
    return first


def forget_expired_signatures(tx: Tx, now: int) -> int:
    """Remove signatures whose window ended before ``now`` (ms); returns how many."""
    result = tx.conn.execute(delete(used_signatures).where(used_signatures.c.expires_at < now))
    return int(result.rowcount)


def forget_signature(tx: Tx, signature: str, accepted_at: int) -> int:
    """Remove the record of ``signature`` made at ``accepted_at`` (ms): a request that recorded
    it was then refused with nothing of it written. Returns how many (0 or 1)."""
    result = tx.conn.execute(
        delete(used_signatures).where(
            and_(
                used_signatures.c.signature == signature,
                used_signatures.c.accepted_at == accepted_at,
            )
        )
    )
    return int(result.rowcount)
