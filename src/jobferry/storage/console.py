"""Web console sign-in: password hashes, failed-attempt counters and sessions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, update

from jobferry.storage.records import first_record, insert_record
from jobferry.storage.tables import console_sessions, users
from jobferry.storage.tx import Tx


@dataclass(frozen=True)
class SignInRecord:
    """What sign-in needs to know about a user."""

    id: int
    project_id: str
    name: str
    is_project_admin: bool
    password_hash: str | None
    failed_logins: int
    locked_until: int | None


@dataclass(frozen=True)
class SessionRecord:
    """A console session (``id`` is the sha256 of the cookie's token) with its user."""

    id: str
    user_id: int
    csrf_token: str
    created_at: int
    expires_at: int
    last_seen: int


def sign_in_record(tx: Tx, project_id: str, name: str) -> SignInRecord | None:
    """A user of the project by name, with password hash and lockout state."""
    return first_record(tx, SignInRecord, users, project_id=project_id, name=name)


def sign_in_record_by_id(tx: Tx, user_id: int) -> SignInRecord | None:
    """A user by id, with password hash and lockout state."""
    return first_record(tx, SignInRecord, users, id=user_id)


def set_password_hash(tx: Tx, user_id: int, password_hash: str) -> None:
    """Store a new password hash and clear the failure counter and lockout."""
    tx.conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=password_hash, failed_logins=0, locked_until=None)
    )


def record_failure(tx: Tx, user_id: int, failed_logins: int, locked_until: int | None) -> None:
    """Remember a failed sign-in: the new failure count and when the next attempt may come."""
    tx.conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(failed_logins=failed_logins, locked_until=locked_until)
    )


def clear_failures(tx: Tx, user_id: int) -> None:
    """Forget failed sign-ins after a good one."""
    tx.conn.execute(
        update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=None)
    )


def insert_session(tx: Tx, session: SessionRecord) -> None:
    """Store a new session."""
    insert_record(tx, console_sessions, session)


def get_session(tx: Tx, session_id: str) -> SessionRecord | None:
    """A session by id (the token's sha256)."""
    return first_record(tx, SessionRecord, console_sessions, id=session_id)


def touch_session(tx: Tx, session_id: str, now: int) -> None:
    """Record that the session was used."""
    tx.conn.execute(
        update(console_sessions).where(console_sessions.c.id == session_id).values(last_seen=now)
    )


def delete_session(tx: Tx, session_id: str) -> None:
    """End one session."""
    tx.conn.execute(delete(console_sessions).where(console_sessions.c.id == session_id))


def delete_sessions_of_user(tx: Tx, user_id: int, now: int, idle_before: int) -> int:
    """End every session of a user (after a password change); returns how many were live at
    ``now`` (not past their end nor unused since ``idle_before``: those were over already)."""
    statement = delete(console_sessions).where(console_sessions.c.user_id == user_id)
    ends = console_sessions.c.expires_at, console_sessions.c.last_seen
    rows = tx.conn.execute(statement.returning(*ends)).all()
    return sum(1 for end, seen in rows if end > now and seen >= idle_before)


def delete_stale_sessions(tx: Tx, now: int, idle_before: int) -> int:
    """Remove sessions past their end or unused since ``idle_before``; returns how many."""
    result = tx.conn.execute(
        delete(console_sessions).where(
            or_(console_sessions.c.expires_at <= now, console_sessions.c.last_seen < idle_before)
        )
    )
    return int(result.rowcount or 0)
