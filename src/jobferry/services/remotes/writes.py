"""The writes a push makes to a remote, one :class:`Step` each, and the step that undoes one.

:meth:`RemoteWrites.make` sends a step's call. A 429 is retried by the client (nothing
was done), for as long as its budget of waiting allows, and not again here; a 5xx, a timeout
or a dropped connection may have come after the call took effect, so the object is read again
before the call is retried (:meth:`RemoteWrites.landed`): a create whose object now exists, a
delete whose object is gone, a rename whose new name exists are done. Updates, starts and
stops are sent again as they are (each sets a whole state).

:func:`inverse` is the step that undoes a journalled one — the one dispatch of the undo
vocabulary (:class:`UndoOp`, :class:`Undo`) — decided from what the remote holds now (read
again: :meth:`RemoteWrites.inverse`; or read in bulk, by an undo a chunk of calls ahead or a
rollback), so an undo is right
whether or not the call it undoes took effect: a call journalled as ``pending`` may have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import RemoteError, RemoteUnreachableError
from jobferry.services.remotes.client import DataArtsClient
from jobferry.services.remotes.refresh import scheduling

TRANSIENT = frozenset({429, 500, 502, 503, 504})
JOB, SCRIPT, RESOURCE = ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE
_PATH = {JOB: "job_name", SCRIPT: "script_name", RESOURCE: "resource_id"}
_CREATE = {JOB: "create_job", SCRIPT: "create_script", RESOURCE: "create_resource"}
_UPDATE = {JOB: "update_job", SCRIPT: "update_script", RESOURCE: "update_resource"}
_DELETE = {JOB: "delete_job", SCRIPT: "delete_script", RESOURCE: "delete_resource"}


class UndoOp(StrEnum):
    """How a call of a push is undone (the journal keeps it as ``op``)."""

    UPDATE = "update"
    """Put the definition the remote held back (``before``)."""
    CREATED = "created"
    """Delete what the call created."""
    RENAMED = "renamed"
    """Rename the job back from the name it was given (``to``)."""
    DELETED = "deleted"
    """Create again what the call deleted, from its definition (``before``)."""
    STATUS = "status"
    """Set the job's scheduling back to what it was (``was``)."""


@dataclass(frozen=True)
class Undo:
    """What undoes one call: its :class:`UndoOp` and what the op needs. The journal keeps it as
    JSON in the same words as ever (:meth:`as_json`, :meth:`of`), so a journal written before
    is undone the same way."""

    op: UndoOp
    before: dict[str, Any] | None = None
    """The definition the remote held (``UPDATE``), or held before the delete (``DELETED``)."""
    to: str | None = None
    was: str | None = None
    """The scheduling the job had (``STATUS``), or had when deleted (``DELETED``)."""
    left: str | None = None
    """The hash of the definition the push left (``UPDATE``, ``CREATED``: the object's;
    ``RENAMED``: the job's under its new name), read back after its call (:mod:`.meanwhile`):
    the undo writes nothing over an object that no longer reads so (``None``: not read back,
    the call's level had not ended, or a journal written before)."""
    tried: bool = False
    """An undo of the call was sent (``CREATED``, ``RENAMED``: journalled before it is): it
    may have landed with nothing written down of it, its process killed, so an object gone
    from the name the push left it under is that undo's doing (:mod:`.meanwhile`)."""

    def as_json(self) -> dict[str, Any]:
        """The journal's form."""
        out: dict[str, Any] = {"op": self.op.value}
        if self.op is UndoOp.UPDATE:
            out["before"] = self.before
        elif self.op is UndoOp.DELETED:
            out.update(definition=self.before, status=self.was)
        elif self.op is UndoOp.RENAMED:
            out["to"] = self.to
        elif self.op is UndoOp.STATUS:
            out["was"] = self.was
        if self.left is not None:
            out["left"] = self.left
        if self.tried:
            out["tried"] = True
        return out

    @classmethod
    def of(cls, data: dict[str, Any]) -> Undo | None:
        """From the journal's form (``None``: a step with nothing to undo)."""
        if not data.get("op"):
            return None
        op = UndoOp(data["op"])
        before = data.get("definition") if op is UndoOp.DELETED else data.get("before")
        was = data.get("status") if op is UndoOp.DELETED else data.get("was")
        return cls(op, before, data.get("to"), was, data.get("left"), bool(data.get("tried")))

    def fix(self, kind: str, name: str, remote: str, kept: str) -> str:
        """The exact fix of a change that could not be undone (``kept``: where the definition
        to put back is)."""
        what = f"{kind} '{name}'"
        match self.op:
            case UndoOp.UPDATE:
                return (
                    f"in remote '{remote}', overwrite {what} with {kept} (DataArts' update_{kind})."
                )
            case UndoOp.CREATED:
                return f"in remote '{remote}', delete {what} (this push created it)."
            case UndoOp.RENAMED:
                return f"in remote '{remote}', rename job '{self.to}' back to '{name}'."
            case UndoOp.DELETED:
                return (
                    f"in remote '{remote}', create {what} again with {kept} (DataArts' "
                    f"create_{kind})."
                )
            case UndoOp.STATUS:
                return (
                    f"in remote '{remote}', set the scheduling of job '{name}' back to {self.was}."
                )


class Held(Protocol):
    """What the remote holds now, as an inverse needs it (read live, or read in bulk)."""

    current: bool
    """Whether it is what the remote holds before each inverse (read live: an inverse with
    nothing left to undo is skipped), or only before the first (read in bulk for a rollback of
    calls that all took effect, in order: every inverse is made)."""

    def has(self, kind: ObjectKind, name: str) -> bool: ...

    def doc(self, kind: ObjectKind, name: str) -> dict[str, Any]:
        """The definition held (``{}`` when not known: an undo's own steps need none)."""
        ...

    def key(self, kind: ObjectKind, name: str) -> str | None:
        """A resource's id."""
        ...

    def status(self, name: str) -> JobStatus | None: ...


def inverse(step: Step, held: Held) -> Step | None:
    """The one dispatch of the undo vocabulary: the step that undoes ``step`` given what the
    remote holds now, with what undoes it in turn; ``None`` when there is nothing to undo (the
    call never took effect, or was undone already)."""
    if step.undo is None:
        return None
    return _INVERSES[step.undo.op](step, step.undo, held)


def _put_back(step: Step, undo: Undo, held: Held) -> Step | None:
    kind, name = step.kind, step.name
    key = held.key(kind, name) if kind is RESOURCE else step.key
    return update(kind, name, {**(undo.before or {}), "name": name}, held.doc(kind, name), key)


def _remove(step: Step, undo: Undo, held: Held) -> Step | None:
    kind, name = step.kind, step.name
    if held.current and not held.has(kind, name):
        return None
    return delete(kind, name, held.doc(kind, name), held.key(kind, name))


def _rename_back(step: Step, undo: Undo, held: Held) -> Step | None:
    new = str(undo.to)
    if held.current and (not held.has(JOB, new) or held.has(JOB, step.name)):
        return None
    return rename(new, step.name)


def _recreate(step: Step, undo: Undo, held: Held) -> Step | None:
    if held.current and held.has(step.kind, step.name):
        return None
    return create(step.kind, step.name, undo.before or {})


def _reschedule(step: Step, undo: Undo, held: Held) -> Step | None:
    # a running job is SCHEDULING when batch, NORMAL when real-time: both are not STOPPED
    now, running = held.status(step.name), undo.was not in (None, JobStatus.STOPPED)
    if held.current and (now is None or (now != JobStatus.STOPPED) == running):
        return None
    return set_status(step.name, running, (now or JobStatus.STOPPED).value)


_INVERSES: dict[UndoOp, Callable[[Step, Undo, Held], Step | None]] = {
    UndoOp.UPDATE: _put_back,
    UndoOp.CREATED: _remove,
    UndoOp.RENAMED: _rename_back,
    UndoOp.DELETED: _recreate,
    UndoOp.STATUS: _reschedule,
}
"""Each op's inverse (every :class:`UndoOp` has one: ``test_writes.py``)."""


@dataclass(frozen=True)
class Step:
    """One remote call of a push: the call, the object it addresses and what undoes it."""

    kind: ObjectKind
    name: str
    call: str
    body: dict[str, Any] | None = None
    key: str | None = None
    """A resource's id (the path addresses resources by id)."""
    undo: Undo | None = None
    """What undoes the call (an undo's own steps need none)."""
    level: int | None = None
    """The push's level of calls it is sent in (:mod:`.steps`), journalled: the calls of one
    level are independent of one another, and :mod:`.undoing` undoes them together."""

    def title(self) -> str:
        """``call kind 'name'``, as messages say it."""
        return f"{self.call} {self.kind} '{self.name}'"

    def dump(self) -> tuple[str, str]:
        """(body, undo) as the journal keeps them (the level beside the body)."""
        body: dict[str, Any] = {"body": self.body, "key": self.key}
        if self.level is not None:
            body["level"] = self.level
        undo = self.undo.as_json() if self.undo is not None else {}
        return orjson.dumps(body).decode(), orjson.dumps(undo).decode()


def create(kind: ObjectKind, name: str, doc: dict[str, Any]) -> Step:
    """Create an object the remote does not hold."""
    return Step(kind, name, _CREATE[kind], doc, undo=Undo(UndoOp.CREATED))


def update(
    kind: ObjectKind, name: str, doc: dict[str, Any], before: dict[str, Any], key: str | None
) -> Step:
    """Overwrite an object with ``doc`` (``before``: what the remote held)."""
    return Step(kind, name, _UPDATE[kind], doc, key, Undo(UndoOp.UPDATE, before=before))


def delete(
    kind: ObjectKind, name: str, before: dict[str, Any], key: str | None, status: str | None = None
) -> Step:
    """Delete an object (``before``: its definition, to recreate it)."""
    undo = Undo(UndoOp.DELETED, before=before, was=status)
    return Step(kind, name, _DELETE[kind], None, key, undo)


def rename(old: str, new: str) -> Step:
    """Rename a job with the v2 call."""
    return Step(
        JOB, old, "update_factory_job_name", {"name": new}, undo=Undo(UndoOp.RENAMED, to=new)
    )


def set_status(name: str, running: bool, was: str) -> Step:
    """Start or stop a job's scheduling (``was``: its status before)."""
    call = "start_job" if running else "stop_job"
    return Step(JOB, name, call, {} if running else None, undo=Undo(UndoOp.STATUS, was=was))


class RemoteWrites:
    """A push's calls to one remote, retried safely."""

    def __init__(self, client: DataArtsClient, sleep: Callable[[float], None]) -> None:
        self.client = client
        self._sleep = sleep

    def make(self, step: Step) -> str | None:
        """Send a step's call until it is done (a created resource's id, else ``None``), or
        raise the error tree's :class:`RemoteError` once it failed for good."""
        attempts, unanswered = self.client.backoff.attempts, False
        for attempt in range(1, attempts + 1):
            try:
                return self._send(step)
            except RemoteError as exc:
                if unanswered and not transient(exc):
                    # refused, maybe as an earlier attempt with no answer has landed since
                    landed, key = self.landed(step)
                    if landed:
                        return key
                exc.on_its_way |= unanswered  # an earlier attempt may land yet
                if attempt == attempts or not transient(exc) or _throttled(exc):
                    raise
                unanswered = exc.on_its_way
                self._sleep(self.client.backoff.wait(attempt, None))
                landed, key = self.landed(step)
                if landed:
                    return key
        return None  # pragma: no cover - the loop returns or raises

    def _send(self, step: Step) -> str | None:
        path: dict[str, str] = {}
        if step.call not in ("create_job", "create_script", "create_resource"):
            path[_PATH[step.kind]] = (step.key or "") if step.kind is RESOURCE else step.name
        answer = self.client.send(step.call, path=path, body=step.body)
        if step.call == "create_resource" and answer.content:
            value = orjson.loads(answer.content)
            if isinstance(value, dict) and value.get("resourceId"):
                return str(value["resourceId"])
        return None

    def landed(self, step: Step) -> tuple[bool, str | None]:
        """Whether a step whose answer was lost took effect (read again); a created
        resource's id."""
        if step.call in ("create_job", "create_script", "create_resource"):
            key = self.find(step.kind, step.name)
            return key is not None, key if step.kind is RESOURCE else None
        if step.call in ("delete_job", "delete_script"):
            return self.find(step.kind, step.name) is None, None
        if step.call == "delete_resource":
            return self.find(step.kind, step.name) is None, None
        if step.call == "update_factory_job_name" and step.body:
            new = str(step.body["name"])
            return self.find(JOB, step.name) is None and self.find(JOB, new) is not None, None
        return False, None

    def inverse(self, step: Step) -> Step | None:
        """The step that undoes ``step``, given what the remote holds now (read again:
        :func:`inverse`)."""
        return inverse(step, LiveHeld(self))

    def find(self, kind: ObjectKind, name: str) -> str | None:
        """The object's name (a resource's id) when the remote holds it, else ``None``."""
        if kind is RESOURCE:
            query = {"resourceName": name}
            for item in self.client.pages("list_resources", "resources", query):
                if item.get("name") == name:
                    return str(item.get("id") or item.get("resourceId") or "")
            return None
        call, param = ("show_job", "job_name") if kind is JOB else ("show_script", "script_name")
        try:
            self.client.json(call, path={param: name})
        except RemoteError as exc:
            if exc.context.get("remote_status") in (400, 404):
                return None
            raise
        return name

    def status(self, name: str) -> JobStatus | None:
        """A job's scheduling status as a refresh reads it (``None``: the remote does not hold
        it)."""
        for item in self.client.jobs(name):
            if item.get("name") == name:
                return scheduling(item.get("status"))
        return None


def transient(exc: RemoteError) -> bool:
    """Whether a failed call may have taken effect (no answer, or a 5xx or 429 one), and is
    worth sending again."""
    return isinstance(exc, RemoteUnreachableError) or exc.context.get("remote_status") in TRANSIENT


def _throttled(exc: RemoteError) -> bool:
    """A 429 the client already waited out as long as it may: sending it again here would
    only wait that long once more."""
    return exc.context.get("remote_status") == 429


def outcome(exc: RemoteError) -> str:
    """How a call that failed for good is journalled: ``failed`` when it may have taken effect
    (the undo looks), ``refused`` when it did not (an answer said so, and no earlier attempt
    of it is still on its way)."""
    return "failed" if transient(exc) or exc.on_its_way else "refused"


class LiveHeld:
    """What the remote holds now, read as asked (each object at most once)."""

    current = True

    def __init__(self, writes: RemoteWrites) -> None:
        self.writes = writes
        self._found: dict[tuple[ObjectKind, str], str | None] = {}

    def _find(self, kind: ObjectKind, name: str) -> str | None:
        if (kind, name) not in self._found:
            self._found[(kind, name)] = self.writes.find(kind, name)
        return self._found[(kind, name)]

    def has(self, kind: ObjectKind, name: str) -> bool:
        return self._find(kind, name) is not None

    def doc(self, kind: ObjectKind, name: str) -> dict[str, Any]:
        return {}

    def key(self, kind: ObjectKind, name: str) -> str | None:
        return self._find(kind, name)

    def status(self, name: str) -> JobStatus | None:
        return self.writes.status(name)
