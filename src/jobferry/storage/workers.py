"""Server processes' heartbeats, so any process can tell which tasks lost their owner."""

from __future__ import annotations

from sqlalchemy import delete, insert, update

from jobferry.storage.presence import database_started
from jobferry.storage.tables import workers
from jobferry.storage.tx import Tx


def register(tx: Tx, worker_id: str, host: str, pid: int, now: int) -> None:
    """Record a starting process."""
    tx.conn.execute(
        insert(workers).values(id=worker_id, host=host, pid=pid, started_at=now, heartbeat_at=now)
    )


def beat(tx: Tx, worker_id: str, now: int) -> bool:
    """Record that a process is alive; ``False`` when its row is gone (see ``forget_stale``)."""
    beaten = tx.conn.execute(
        update(workers).where(workers.c.id == worker_id).values(heartbeat_at=now)
    )
    return bool(beaten.rowcount)


def forget_stale(tx: Tx, older_than: int) -> None:
    """Drop processes that stopped beating long ago."""
    tx.conn.execute(delete(workers).where(workers.c.heartbeat_at < older_than))


def forget_gone(tx: Tx, skew_ms: int) -> None:
    """Drop the processes a process starting alone (no other holds a presence mark) knows
    are gone: all of them, save any whose last beat came before the database server last
    started (``skew_ms`` later, for the clocks of its machine and the database's): its mark
    went with the restart, and it takes the mark back at its next beat if it lives. The
    heartbeat rule keeps such a process's tasks meanwhile."""
    started = database_started(tx)
    gone = delete(workers)
    if started is not None:
        gone = gone.where(workers.c.heartbeat_at > started + skew_ms)
    tx.conn.execute(gone)


def unregister(tx: Tx, worker_id: str) -> None:
    """Remove a process that stops cleanly."""
    tx.conn.execute(delete(workers).where(workers.c.id == worker_id))
