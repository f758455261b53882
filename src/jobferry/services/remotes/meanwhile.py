"""Changes a person made in the remote meanwhile: what an undo must not write over.

A push's calls that ended ``done`` have what they left read back once their level of calls
ended (:func:`read_back_of`, :func:`left_by`): the hash of the object's definition as
:mod:`.reading` reads it, kept in the call's undo as ``left``. Read against read, DataArts' own
defaults and normalising show on both sides, so they never read as a change.

Before an undo puts a before-image back, deletes what the push created, renames a job back or
makes again what the push deleted, it reads the object again — in bulk, with the other objects
of its chunk of calls, just before the chunk's writes (:mod:`.undoing`) — and
:func:`changed_meanwhile` decides from that read: one that no longer reads as the push left it
— edited, deleted or renamed in DataArts since — is left as the person left it, and so is
another object a person made under a name the push deleted (the deleted definition is said,
not put back over it). The undo names each with what changed (by whom and when, when the
remote says) and the fix. An object read as its before-image is one an earlier undo put back
already (a recovery killed before it wrote that down), and is undone as ever; so is one gone
from its name as the delete or rename back of an earlier undo leaves it, that undo journalled
as sent (``tried``) before it was.

A call not read back while the push ran — its process died before its level ended (``done``
or ``pending`` in the level being sent, or a rollback's call: a rollback reads back once its
calls all ended) — is read back by the recovery, in bulk, before it undoes anything
(:func:`read_back_settled`; the recovery waited until a ``pending`` call can no longer land).
That read cannot tell the push's write from a person's: what a person changed between the kill
and the recovery's read is taken as what the push left, and undone as ever. What it covers is
the time after it — the undo itself, a remote out of reach the recovery waits for, a recovery
killed and taken over. A ``failed`` call (its answer lost, the push's own undo waiting for it
to land) is not read back there: it may land after the read, and its own write would then
read as a person's change. A journal written before also has its calls read back so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import orjson

from jobferry.domain.enums import ObjectKind
from jobferry.errors import RemoteError
from jobferry.services.remotes.client import DataArtsClient
from jobferry.services.remotes.journal import UNDONE_STATES
from jobferry.services.remotes.reading import RemoteState, job_named, read_state
from jobferry.services.remotes.refresh import digest
from jobferry.services.remotes.shadow import last_change
from jobferry.services.remotes.writes import Step, Undo, UndoOp
from jobferry.storage.remotes_journal import CallRecord

GUARDED = frozenset({UndoOp.UPDATE, UndoOp.CREATED, UndoOp.RENAMED})
"""The undo ops that write over (or delete) an object the push left."""
DONE = frozenset({"done"})
SETTLED = frozenset({"done", "pending"})
"""The calls a recovery reads back (:func:`read_back_settled`): those that took effect, and
those that may have, whose effect can no longer change (the recovery waits for them to land)."""


def _where(kind: ObjectKind, name: str, undo: Undo) -> tuple[ObjectKind, str]:
    """The object a call left: a renamed job under its new name, else the one it addressed."""
    return (ObjectKind.JOB, str(undo.to)) if undo.op is UndoOp.RENAMED else (kind, name)


def _unread(call: CallRecord, states: frozenset[str] = DONE) -> tuple[Undo, ObjectKind, str] | None:
    """A call that ended ``done`` (or is in ``states``) whose undo writes over what it left,
    not read back yet."""
    if call.state not in states:
        return None
    undo = Undo.of(orjson.loads(call.undo))
    if undo is None or undo.op not in GUARDED or undo.left is not None:
        return None
    kind, name = _where(ObjectKind(call.kind), call.name, undo)
    return undo, kind, name


def read_back_of(calls: Sequence[CallRecord], states: frozenset[str] = DONE) -> dict[str, set[str]]:
    """The objects to read back (kind → names): those the calls that ended left (or those
    of ``states``), unread."""
    touched: dict[str, set[str]] = {}
    for call in calls:
        if (unread := _unread(call, states)) is not None:
            touched.setdefault(unread[1].value, set()).add(unread[2])
    return touched


def left_by(
    calls: Sequence[CallRecord], state: RemoteState, states: frozenset[str] = DONE
) -> list[tuple[int, str]]:
    """The calls' undo with what each left (``state``: read back after them), as the journal
    keeps it: (seq, undo as JSON) each, for the calls (ended ``done``, or of ``states``) whose
    object ``state`` holds."""
    rows = []
    for call in calls:
        unread = _unread(call, states)
        if unread is not None and state.has(unread[1], unread[2]):
            undo, kind, name = unread
            left = replace(undo, left=digest(state.doc(kind, name)))
            rows.append((call.seq, orjson.dumps(left.as_json()).decode()))
    return rows


def read_back(client: DataArtsClient, calls: Sequence[CallRecord]) -> list[tuple[int, str]]:
    """Read back what the calls that ended left (in bulk); their undo with it, as
    :func:`left_by`. A read that fails reads back nothing: the push goes on (its next call
    says whether the remote is out of reach), and those calls are undone as ever."""
    touched = read_back_of(calls)
    if not touched:
        return []
    try:
        return left_by(calls, read_state(client, touched))
    except RemoteError:
        return []


def read_back_settled(client: DataArtsClient, calls: Sequence[CallRecord]) -> list[tuple[int, str]]:
    """What a recovery reads back before it undoes (in bulk; their undo with it, as
    :func:`left_by`): the objects left by the calls not read back while the push ran — its
    process died before their level ended — that ended ``done`` or are ``pending`` (the
    recovery waited until those can no longer land), each read for the newest such call on
    its object only (an older one's object is the newer call's to say). What the remote holds
    now is taken as what the push left: a change a person made between the kill and this read
    cannot be told from the push's own write, and is undone as ever; one made after it (while
    the undo runs, waits for the remote or is taken over) is left as the person made it."""
    newest = newest_on_each(calls)
    touched = read_back_of(newest, SETTLED)
    if not touched:
        return []
    try:
        return left_by(newest, read_state(client, touched), SETTLED)
    except RemoteError:
        return []


def newest_on_each(calls: Sequence[CallRecord]) -> list[CallRecord]:
    """The calls that may still be undone and are the newest such call on the object they
    left (a call on an object a newer call writes is not read back: that object is not what
    it left). Starting or stopping a job changes nothing of its definition (what is hashed)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for call in reversed(calls):
        undo = Undo.of(orjson.loads(call.undo))
        if call.state not in UNDONE_STATES or undo is None or undo.op is UndoOp.STATUS:
            continue
        mine = {(call.kind, call.name)}
        if undo.op is UndoOp.RENAMED:
            mine.add((ObjectKind.JOB.value, str(undo.to)))
        if not mine & seen:
            out.append(call)
        seen |= mine
    return out


def changed_meanwhile(client: DataArtsClient, step: Step, state: RemoteState) -> str | None:
    """Why the object ``step`` left is not the push's to undo any more (changed, gone or
    renamed in the remote since the push wrote it), in a sentence, as ``state`` (read by the
    undo just before, :mod:`.undoing`) holds it; ``None``: it reads as the push left it, or as
    its before-image, or nothing says what the push left."""
    undo = step.undo
    if undo is not None and undo.op is UndoOp.DELETED:
        return _made_again(client, step, undo, state)
    if undo is None or undo.op not in GUARDED or undo.left is None:
        return None
    kind, name = _where(step.kind, step.name, undo)
    if not state.has(kind, name):
        if _undone_before(step, undo, state):
            return None
        return (
            f"{kind} '{name}' is no longer in the remote under that name: it was deleted or "
            "renamed there after the push wrote it."
        )
    now = digest(state.doc(kind, name))
    before = undo.before if undo.op is UndoOp.UPDATE else None
    if now == undo.left or (before is not None and now == digest({**before, "name": name})):
        return None
    by = _by(client, kind, name)
    return f"{kind} '{name}' was changed in the remote after the push wrote it{by}."


def _undone_before(step: Step, undo: Undo, state: RemoteState) -> bool:
    """Whether the object the push left is gone from its name as an earlier undo of the call
    (sent, its process killed before it wrote down how it went) leaves it: a created object
    deleted, a renamed job back under its old name."""
    if not undo.tried:
        return False
    return undo.op is UndoOp.CREATED or (
        undo.op is UndoOp.RENAMED and state.has(ObjectKind.JOB, step.name)
    )


def _made_again(client: DataArtsClient, step: Step, undo: Undo, state: RemoteState) -> str | None:
    """Why the name a push deleted an object from is not the undo's to fill again: a person
    made another object under it meanwhile (one that does not read as the object deleted);
    ``None``: the name is free (the object is made again), or holds the deleted object (the
    delete never landed, or an earlier undo made it again already)."""
    kind, name = step.kind, step.name
    if not state.has(kind, name):
        return None
    if undo.before is not None and digest(state.doc(kind, name)) == digest(
        {**undo.before, "name": name}
    ):
        return None
    by = _by(client, kind, name)
    return (
        f"{kind} '{name}' was made again in the remote after the push deleted it{by}: the "
        "definition the push deleted was not put back over it."
    )


def _by(client: DataArtsClient, kind: ObjectKind, name: str) -> str:
    """Who changed a job last and when, as the remote says (``""``: it does not)."""
    if kind is not ObjectKind.JOB:
        return ""
    for item in job_named(client, name):
        if item.get("name") == name and (changed := last_change(item)) is not None:
            at, by = changed
            when = datetime.fromtimestamp(at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            return f" (the remote says by '{by}', at {when})"
    return ""
