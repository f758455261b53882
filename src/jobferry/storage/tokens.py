"""IAM tokens (``POST /v3/auth/tokens``): rows keyed by the token's sha256."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from jobferry.storage.records import first_record, insert_record
from jobferry.storage.tables import iam_tokens
from jobferry.storage.tx import Tx


@dataclass(frozen=True)
class TokenRecord:
    """An issued token: ``id`` is the sha256 of the token, never the token itself."""

    id: str
    user_id: int
    project_id: str
    issued_at: int
    expires_at: int


def insert_token(tx: Tx, token: TokenRecord) -> None:
    """Store a newly issued token."""
    insert_record(tx, iam_tokens, token)


def get_token(tx: Tx, token_id: str) -> TokenRecord | None:
    """A token by id (the token's sha256), ended or not."""
    return first_record(tx, TokenRecord, iam_tokens, id=token_id)


def delete_token(tx: Tx, token_id: str) -> bool:
    """Revoke one token; whether there was one."""
    result = tx.conn.execute(delete(iam_tokens).where(iam_tokens.c.id == token_id))
    return bool(result.rowcount)


def delete_tokens_of_user(tx: Tx, user_id: int, now: int) -> int:
    """Revoke every token of a user (after a password change); how many were live at ``now``
    (those past their end, left for the sweep, were not revoked by it)."""
    statement = delete(iam_tokens).where(iam_tokens.c.user_id == user_id)
    ends = tx.conn.execute(statement.returning(iam_tokens.c.expires_at)).scalars()
    return sum(1 for end in ends if end > now)


def delete_ended_tokens(tx: Tx, now: int) -> int:
    """Remove tokens past their end; how many."""
    result = tx.conn.execute(delete(iam_tokens).where(iam_tokens.c.expires_at <= now))
    return int(result.rowcount or 0)
