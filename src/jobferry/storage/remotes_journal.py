"""The journal of pushes into remotes: one row per push (its task, remote and state) and one
row per remote call (before it is made, and after), with what undoes it.

Each row is written in its own short transaction, before the call it describes and after it,
so a process killed mid-push leaves exactly what stands: the calls that were made (``done``),
the one that may or may not have been (``pending``), and what undoes each. The tables share
the schema's metadata; ``migrations/env.py`` imports this module so Alembic sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from jobferry.domain.enums import TaskStatus
from jobferry.storage.columns import project_id, workspace_id
from jobferry.storage.records import all_records, first_record, insert_record
from jobferry.storage.tables import metadata, system_tasks, workers
from jobferry.storage.tx import Tx

remote_pushes = Table(
    "remote_pushes",
    metadata,
    Column("task_id", String(64), primary_key=True),
    project_id(),
    workspace_id(index=True),
    Column("remote", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("owner", String(64), nullable=True),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    # A recovery waiting on its remote (``waiting``): when it is tried next; one running
    # (``recovering``): when its claim lapses unless renewed (0038).
    Column("retry_at", BigInteger, nullable=True),
    Column("tries", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text, nullable=True),
)

remote_push_calls = Table(
    "remote_push_calls",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("call", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    # What the call sends (JSON: path values and body), and what undoes it (JSON: the
    # before-image, or "created", "renamed from", "deleted" with its definition).
    Column("body", Text, nullable=False),
    Column("undo", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("at", BigInteger, nullable=False),
)

OPEN = ("pushing", "undoing", "recovering", "waiting")
"""States of a push that is not over: its remote may hold part of it (``waiting``: its
recovery could not reach the remote and is tried again at ``retry_at``)."""


@dataclass(frozen=True)
class PushRecord:
    """A push as journalled."""

    task_id: str
    project_id: str
    workspace_id: str
    remote: str
    state: str
    owner: str | None
    started_at: int
    ended_at: int | None
    retry_at: int | None = None
    """``waiting``: when its recovery is tried next; ``recovering``: when the claim lapses."""
    tries: int = 0
    """Recoveries of it that could not reach the remote, in a row."""
    last_error: str | None = None
    """Why the last of them could not (the remote's answer, or that there was none)."""


@dataclass(frozen=True)
class CallRecord:
    """One remote call of a push as journalled."""

    task_id: str
    seq: int
    kind: str
    name: str
    call: str
    state: str
    body: str
    undo: str
    note: str | None
    at: int


def start_push(tx: Tx, item: PushRecord) -> None:
    """Journal a push about to make its first call."""
    insert_record(tx, remote_pushes, item)


def get_push(tx: Tx, task_id: str) -> PushRecord | None:
    """A push by its task id."""
    return first_record(tx, PushRecord, remote_pushes, task_id=task_id)


def set_push_state(tx: Tx, task_id: str, state: str, ended_at: int | None = None) -> None:
    """A push's new state (``ended_at`` once it is over)."""
    tx.conn.execute(
        update(remote_pushes)
        .where(remote_pushes.c.task_id == task_id)
        .values(state=state, ended_at=ended_at)
    )


def claim_push(tx: Tx, item: PushRecord, owner: str, until: int) -> bool:
    """Take an open push over (to finish its undo) until ``until``, when the claim lapses
    unless :func:`renew_claim` pushes it back; ``False`` when another process did first."""
    same_owner = (
        remote_pushes.c.owner.is_(None)
        if item.owner is None
        else remote_pushes.c.owner == item.owner
    )
    claimed = tx.conn.execute(
        update(remote_pushes)
        .where(
            remote_pushes.c.task_id == item.task_id,
            remote_pushes.c.state == item.state,
            same_owner,
        )
        .values(state="recovering", owner=owner, retry_at=until)
    )
    return bool(claimed.rowcount)


def renew_claim(tx: Tx, task_id: str, until: int) -> None:
    """The recovery of a push is still at work: its claim lapses at ``until`` now."""
    tx.conn.execute(
        update(remote_pushes)
        .where(remote_pushes.c.task_id == task_id, remote_pushes.c.state == "recovering")
        .values(retry_at=until)
    )


def wait_push(tx: Tx, task_id: str, error: str, retry_at: int) -> None:
    """The recovery of a push could not reach its remote (``error``, in words): it waits, to
    be tried again at ``retry_at`` by whichever process takes it then."""
    c = remote_pushes.c
    tx.conn.execute(
        update(remote_pushes)
        .where(c.task_id == task_id)
        .values(state="waiting", owner=None, retry_at=retry_at, tries=c.tries + 1, last_error=error)
    )


def open_in_workspace(tx: Tx, workspace_id: str) -> list[PushRecord]:
    """The pushes into a shadow's remote that are not over."""
    stmt = select(remote_pushes).where(
        remote_pushes.c.workspace_id == workspace_id, remote_pushes.c.state.in_(OPEN)
    )
    return [PushRecord(**row._mapping) for row in tx.conn.execute(stmt)]


def orphaned(tx: Tx, alive_since: int, now: int) -> list[PushRecord]:
    """Open pushes nobody is finishing: their task is no longer RUNNING (its process died and
    the heartbeat failed it), or the process running them (a rollback has no task) or that took
    them over stopped beating, or its claim lapsed (``now``: past ``retry_at``); and those
    whose recovery waits on the remote and is due."""
    alive = select(workers.c.id).where(workers.c.heartbeat_at >= alive_since)
    ended = select(system_tasks.c.id).where(system_tasks.c.status != TaskStatus.RUNNING)
    c = remote_pushes.c
    stmt = select(remote_pushes).where(
        or_(
            and_(
                c.state.in_(("pushing", "undoing")),
                or_(c.task_id.in_(ended), c.owner.not_in(alive)),
            ),
            and_(
                c.state == "recovering",
                or_(c.owner.is_(None), c.owner.not_in(alive), c.retry_at < now),
            ),
            and_(c.state == "waiting", or_(c.retry_at.is_(None), c.retry_at <= now)),
        )
    )
    return [PushRecord(**row._mapping) for row in tx.conn.execute(stmt)]


def open_among(tx: Tx, task_ids: Sequence[str]) -> list[PushRecord]:
    """The pushes (and rollbacks) journalled under ``task_ids`` that are not over."""
    stmt = select(remote_pushes).where(
        remote_pushes.c.task_id.in_(task_ids), remote_pushes.c.state.in_(OPEN)
    )
    return [PushRecord(**row._mapping) for row in tx.conn.execute(stmt)]


def alive_among(tx: Tx, owners: set[str], alive_since: int) -> set[str]:
    """Which of the processes ``owners`` have beaten since ``alive_since``."""
    stmt = select(workers.c.id).where(
        workers.c.id.in_(owners), workers.c.heartbeat_at >= alive_since
    )
    return {str(row.id) for row in tx.conn.execute(stmt)}


def add_calls(tx: Tx, rows: Sequence[CallRecord]) -> None:
    """Journal calls about to be made (state ``pending``)."""
    if rows:
        tx.conn.execute(insert(remote_push_calls), [row.__dict__ for row in rows])


def set_call(
    tx: Tx, task_id: str, seq: int, state: str, note: str | None = None, undo: str | None = None
) -> None:
    """A call's new state (with what was said about it, and what undoes it when that was
    learnt from the call's answer)."""
    values: dict[str, object] = {"state": state, "note": note}
    if undo is not None:
        values["undo"] = undo
    tx.conn.execute(
        update(remote_push_calls)
        .where(remote_push_calls.c.task_id == task_id, remote_push_calls.c.seq == seq)
        .values(**values)
    )


def set_calls(tx: Tx, task_id: str, outcomes: Sequence[tuple[int, str, str | None]]) -> None:
    """Several calls' new states at once: (seq, state, what was said about it) each."""
    if outcomes:
        stmt = (
            update(remote_push_calls)
            .where(
                remote_push_calls.c.task_id == task_id,
                remote_push_calls.c.seq == bindparam("_seq"),
            )
            .values(state=bindparam("_state"), note=bindparam("_note"))
        )
        rows = [{"_seq": seq, "_state": state, "_note": note} for seq, state, note in outcomes]
        tx.conn.execute(stmt, rows)


def set_undos(tx: Tx, task_id: str, undos: Sequence[tuple[int, str]]) -> None:
    """Several calls' undo (JSON) at once, made more precise once the call ended: (seq, undo)
    each."""
    if undos:
        stmt = (
            update(remote_push_calls)
            .where(
                remote_push_calls.c.task_id == task_id,
                remote_push_calls.c.seq == bindparam("_seq"),
            )
            .values(undo=bindparam("_undo"))
        )
        tx.conn.execute(stmt, [{"_seq": seq, "_undo": undo} for seq, undo in undos])


def calls(tx: Tx, task_id: str) -> list[CallRecord]:
    """Every call of a push, in the order they were journalled."""
    return all_records(
        tx, CallRecord, remote_push_calls, [remote_push_calls.c.seq], task_id=task_id
    )


def drop_calls_ended_before(tx: Tx, before: int, limit: int, keep: Sequence[str] = ()) -> int:
    """Forget the calls of up to ``limit`` pushes (and push rollbacks) that ended before
    ``before`` and still have calls, but those of ``keep`` (task ids): what each sent and what
    undoes it. The pushes' own rows stay. How many pushes lost their calls."""
    p, c = remote_pushes.c, remote_push_calls.c
    ended = (
        select(p.task_id)
        .where(
            p.ended_at < before,
            exists().where(c.task_id == p.task_id),
            p.task_id.not_in(keep) if keep else true(),
        )
        .limit(limit)
    )
    task_ids = [str(task_id) for task_id in tx.conn.execute(ended).scalars()]
    if task_ids:
        tx.conn.execute(delete(remote_push_calls).where(c.task_id.in_(task_ids)))
    return len(task_ids)


def count_calls(tx: Tx, task_id: str, state: str) -> int:
    """How many calls of a push are in ``state``."""
    stmt = select(func.count()).where(
        remote_push_calls.c.task_id == task_id, remote_push_calls.c.state == state
    )
    return int(tx.conn.execute(stmt).scalar() or 0)


def newest_pending(tx: Tx, task_id: str) -> int | None:
    """When the newest call of a push still ``pending`` was journalled (``None``: none is), the
    last moment a call of it may have been sent without an answer."""
    column = func.max(remote_push_calls.c.at)
    stmt = select(column).where(
        remote_push_calls.c.task_id == task_id, remote_push_calls.c.state == "pending"
    )
    found = tx.conn.execute(stmt).scalar()
    return None if found is None else int(found)


def next_seq(tx: Tx, task_id: str) -> int:
    """The number the next call of a push takes (one ``max`` on the key, not the calls
    journalled so far read back each time a window of calls is journalled)."""
    column = func.max(remote_push_calls.c.seq)
    found = tx.conn.execute(select(column).where(remote_push_calls.c.task_id == task_id))
    return int(found.scalar() or 0) + 1


def tell_task(tx: Tx, task_id: str, status: str, message: str, result: str, now: int) -> None:
    """Say on an ended push's task what its undo left (a task the heartbeat failed while its
    process was gone learns so once another process finished the undo)."""
    tx.conn.execute(
        update(system_tasks)
        .where(system_tasks.c.id == task_id)
        .values(status=status, message=message, result=result, last_update=now)
    )
