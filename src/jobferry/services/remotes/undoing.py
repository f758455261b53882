"""An undo's calls a chunk at a time: what they need of the remote read in bulk first, then
their writes, the calls of one level of the push in flight together.

A chunk is the journal's next calls, newest first, up to :data:`CHUNK` of them and no two on
one object (a renamed job counts under both its names): what the chunk's undo needs of the
remote — the object a call left, for :mod:`.meanwhile`'s check, and whether it is there, its
id or its scheduling, for :func:`~.writes.inverse` — is read once, in bulk
(:func:`~.reading.read_state`: the lists by name, or whole when that takes fewer calls, and
the jobs' exports, 100 a call), before the chunk's first write. No other call of the chunk
writes those objects, so what was read is what each holds when its undo decides
(:class:`ReadHeld`), but for what someone else changes in the remote in the seconds between
that read and the write.
An undo that needs nothing of the remote (an update's put-back that was never read back) reads
nothing. A bulk read the remote refuses (one job of it deleted between its list and its export,
say) is read again a call at a time (:meth:`~.undo._Undo.alone`): the refusal costs the undo of
its own object only.

The calls journalled in one level of the push (sent together, independent of one another:
:mod:`.sending`) are undone together, up to ``width`` in flight; calls of different levels, or
of a journal that does not say (a rollback's calls, made one after another; a journal written
before), one after another. How each went is journalled in the journal's order, newest first,
as each ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import RemoteError
from jobferry.services.remotes.journal import UNDONE_STATES
from jobferry.services.remotes.meanwhile import changed_meanwhile
from jobferry.services.remotes.reading import RemoteState, read_state
from jobferry.services.remotes.writes import RemoteWrites, Step, UndoOp, inverse
from jobferry.storage.remotes_journal import CallRecord

CHUNK = 500
"""Calls whose objects are read together before their undo writes (5 exports of 100 jobs)."""
JOB, RESOURCE = ObjectKind.JOB, ObjectKind.RESOURCE


def _objects(call: CallRecord) -> set[tuple[str, str]]:
    """The objects the undo of ``call`` reads or writes (a renamed job under both names)."""
    undo = orjson.loads(call.undo)
    out = {(call.kind, call.name)}
    if undo.get("op") == UndoOp.RENAMED and undo.get("to"):
        out.add((JOB.value, str(undo["to"])))
    return out


def chunks(calls: Sequence[CallRecord]) -> Iterator[list[CallRecord]]:
    """``calls`` (newest first) cut into chunks: at most :data:`CHUNK`, and a new one before a
    call that may be undone on an object an earlier call of the chunk touches."""
    chunk: list[CallRecord] = []
    seen: set[tuple[str, str]] = set()
    for call in calls:
        mine = _objects(call) if call.state in UNDONE_STATES else set()
        if chunk and (len(chunk) >= CHUNK or mine & seen):
            yield chunk
            chunk, seen = [], set()
        chunk.append(call)
        seen |= mine
    if chunk:
        yield chunk


def level(call: CallRecord) -> int | None:
    """The push's level of calls ``call`` was sent in (``None``: the journal does not say)."""
    found = orjson.loads(call.body).get("level")
    return found if isinstance(found, int) else None


def groups(chunk: Sequence[CallRecord]) -> Iterator[list[CallRecord]]:
    """A chunk's calls in groups undone together: the calls that may be undone of one level,
    one after another in the journal; every other call alone."""
    group: list[CallRecord] = []
    for call in chunk:
        if group and (call.state not in UNDONE_STATES or not _together(group[-1], call)):
            yield group
            group = []
        group.append(call)
    if group:
        yield group


def _together(last: CallRecord, call: CallRecord) -> bool:
    return last.state in UNDONE_STATES and level(last) is not None and level(last) == level(call)


def needs(step: Step) -> set[tuple[str, str]]:
    """What the undo of ``step`` reads of the remote: the object it left when it was read back
    (the check), and what its inverse decides from."""
    undo = step.undo
    if undo is None:
        return set()
    here = {(step.kind.value, step.name)}
    if undo.op is UndoOp.UPDATE:
        left = here if undo.left is not None else set()
        return left | (here if step.kind is RESOURCE else set())
    if undo.op is UndoOp.RENAMED:
        return here | {(JOB.value, str(undo.to))}
    return here


class ReadHeld:
    """What the remote holds, as read in bulk before a chunk's undo: current for each call of
    the chunk (no other call of it writes the objects it reads)."""

    current = True

    def __init__(self, state: RemoteState) -> None:
        self.state = state

    def has(self, kind: ObjectKind, name: str) -> bool:
        return self.state.has(kind, name)

    def doc(self, kind: ObjectKind, name: str) -> dict[str, Any]:
        return {}  # an undo's own steps need none

    def key(self, kind: ObjectKind, name: str) -> str | None:
        if kind is RESOURCE:
            return self.state.resource_ids.get(name)
        return name if self.state.has(kind, name) else None

    def status(self, name: str) -> JobStatus | None:
        return self.state.status.get(name)


@dataclass(frozen=True)
class Attempt:
    """How the undo of one call went, before it is journalled: left as someone changed it
    (``changed``: why), or the undo call made (``back``; ``None``: nothing to undo), or the
    remote's error (``error``, ``back`` the call it refused)."""

    step: Step
    changed: str | None = None
    back: Step | None = None
    error: RemoteError | None = None


def attempt(writes: RemoteWrites, step: Step, state: RemoteState) -> Attempt:
    """Undo one call, deciding from ``state`` (what the chunk read): left alone when changed
    meanwhile, else its inverse made."""
    back = None
    try:
        if (changed := changed_meanwhile(writes.client, step, state)) is not None:
            return Attempt(step, changed=changed)
        back = inverse(step, ReadHeld(state))
        if back is not None:
            writes.make(back)
    except RemoteError as exc:
        return Attempt(step, back=back, error=exc)
    return Attempt(step, back=back)


@dataclass
class Undoing:
    """The undo's reads and writes against one remote, ``width`` calls in flight."""

    writes: RemoteWrites
    width: int = 1
    _pool: ThreadPoolExecutor | None = None
    _queued: list[Future[Attempt]] = field(default_factory=list)
    _stopped: bool = False

    def read(self, steps: Sequence[Step]) -> RemoteState:
        """What the undo of ``steps`` needs of the remote, read in bulk (nothing: no call)."""
        touched: dict[str, set[str]] = {}
        for step in steps:
            for kind, name in needs(step):
                touched.setdefault(kind, set()).add(name)
        return read_state(self.writes.client, touched) if touched else RemoteState()

    def attempts(self, steps: Sequence[Step], state: RemoteState) -> Iterator[Attempt | None]:
        """Undo ``steps`` (independent of one another), up to ``width`` in flight; how each
        went, in their order, each as soon as it and those before it ended (``None``: not
        made, the undo stopped before it: :meth:`stop`)."""
        if self.width <= 1 or len(steps) <= 1:
            for step in steps:
                yield None if self._stopped else attempt(self.writes, step, state)
            self._stopped = False
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.width)
        self._queued = [self._pool.submit(attempt, self.writes, step, state) for step in steps]
        for future in self._queued:
            yield None if future.cancelled() else future.result()
        self._queued, self._stopped = [], False

    def stop(self) -> None:
        """Make none of the group's calls not sent yet (those in flight end)."""
        self._stopped = True
        for future in self._queued:
            future.cancel()

    def close(self) -> None:
        """Wait for the calls in flight and let the threads go; the calls not sent yet (the
        undo stopped before them: the remote out of reach) are not sent."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
