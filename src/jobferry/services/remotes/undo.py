"""Undo a push: every call it made (or may have made), newest first, from its journal.

Each journalled call is undone by the step :func:`~.writes.inverse` decides from what the
remote holds now (read in bulk for a chunk of calls, the calls of one level of the push undone
together: :mod:`.undoing`): restore the before-image, delete what it created, rename back,
recreate what it deleted, restore scheduling. A call the remote refused took no effect and is
skipped. What cannot be undone is said with the object, the reason and the exact fix (the
definition to put back included), and the journal keeps it as ``stuck``. An object changed in
the remote since the push wrote it (:mod:`.meanwhile`) is not written: the call is journalled
``left``, the rest are undone, and the undo ends ``stuck`` naming it, what changed and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction, TaskStatus
from jobferry.errors import RemoteAuthError, RemoteError
from jobferry.services.definitions.documents import dump, load
from jobferry.services.remotes.journal import UNDONE_STATES, Journal
from jobferry.services.remotes.reading import RemoteState
from jobferry.services.remotes.undoing import Attempt, Undoing, chunks, groups
from jobferry.services.remotes.writes import RemoteWrites, Step, Undo, UndoOp, transient
from jobferry.storage import Tx
from jobferry.storage import tasks as task_repo
from jobferry.storage.remotes_journal import CallRecord

ROLLBACK = "rollback-"
"""The journal key of a rollback starts so (:func:`~.rollback.journal_id`)."""
WRITTEN = frozenset({PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE})
"""The subtasks' actions that wrote an object (a failed push keeps none of them)."""
PAGE = 500
NOTHING = "nothing to undo"
"""The note of a call whose undo found nothing to undo (it had not landed)."""
TRIED = frozenset({UndoOp.CREATED, UndoOp.RENAMED})
"""The undo ops whose undo, landed, leaves the object the push left gone from its name."""
LEFT = "left"
"""The journal state of a call whose object was changed in the remote since the push wrote it:
the undo left it as it found it."""


@dataclass
class UndoReport:
    """What an undo did: the calls undone, and what it could not undo."""

    undone: list[str] = field(default_factory=list)
    stuck: list[dict[str, Any]] = field(default_factory=list)
    left: list[dict[str, Any]] = field(default_factory=list)
    """The objects changed in the remote since the push wrote them, left as they were found."""

    def describe(self, what: str = "push") -> str:
        """What the undo of ``what`` (a push, a rollback) did, in sentences for the task's
        message."""
        done, stuck = len(self.undone), len(self.stuck)
        if not stuck and not self.left:
            said = (
                f"Its {done} change(s) in the remote were undone"
                if done
                else ("It had changed nothing in the remote")
            )
            return f"{said}; the remote is as it was before the {what}."
        if not stuck:
            return f"Its other {done} change(s) in the remote were undone.{self._left()}"
        items = "; ".join(
            f"{s['object']}: {s['reason']} Fix: {s['fix'].rstrip('.')}" for s in self.stuck
        )
        said = (
            f"{done} of its changes in the remote were undone, but {stuck} could NOT be"
            if (done)
            else f"{stuck} of its changes in the remote could NOT be undone"
        )
        return f"{said}: {items}.{self._left()}"

    def _left(self) -> str:
        if not self.left:
            return ""
        items = "; ".join(
            f"{s['object']}: {s['reason'].rstrip('.')}. Fix: {s['fix'].rstrip('.')}"
            for s in self.left
        )
        return (
            f" {len(self.left)} object(s) changed in the remote since the push wrote them were "
            f"left as they are, not undone: {items}."
        )

    def final(self) -> str:
        """The journal's state once the undo is over (``stuck``: the remote is not as before,
        something could not be undone or was left as someone changed it)."""
        return "stuck" if self.stuck or self.left else "undone"

    def as_json(self) -> dict[str, Any]:
        """The task result's ``undo``."""
        out: dict[str, Any] = {"undone": self.undone, "notUndone": self.stuck}
        if self.left:
            out["changedMeanwhile"] = self.left
        return out


def undo_step(call: CallRecord) -> Step:
    """A journalled call as the step it was (its undo typed)."""
    sent = orjson.loads(call.body)
    kind = ObjectKind(call.kind)
    undo = Undo.of(orjson.loads(call.undo))
    return Step(kind, call.name, call.call, sent["body"], sent["key"], undo)


def fix_for(step: Step, remote: str, task_id: str) -> str:
    """The exact fix of a change that could not be undone (``task_id``: the push's, whose
    task keeps the definition to put back; a rollback's journal has no task)."""
    assert step.undo is not None
    kept = "the definition given with this refusal ('definition' under push.notUndone)"
    if not task_id.startswith(ROLLBACK):
        shows = f"jobferry tasks show {task_id} -w {remote} --json"
        kept = f"the definition task {task_id} keeps ({shows}: result.push.notUndone)"
    return step.undo.fix(step.kind, step.name, remote, kept)


def _undone_meanwhile(writes: RemoteWrites, step: Step) -> bool:
    """Whether the remote, read again after its undo call was refused, holds what the undo
    wanted: the same undo, sent by a process that died before it ended, landed in between
    (the call is refused as its object is already gone, or there)."""
    try:
        return writes.inverse(step) is None
    except RemoteError:
        return False


def out_of_reach(exc: RemoteError) -> bool:
    """Whether a call failed as the remote could not be reached or would not serve it now (no
    answer, a 5xx or 429, its key refused): a recovery waits and tries again later, rather
    than calling the change one that could not be undone."""
    return transient(exc) or isinstance(exc, RemoteAuthError)


def undo_push(
    journal: Journal,
    writes: RemoteWrites,
    remote: str,
    over: bool = True,
    *,
    recovering: bool = False,
    waits: bool = False,
    width: int = 1,
) -> UndoReport:
    """Undo every call of the push journalled as done, pending or failed, newest first, a
    chunk at a time (:mod:`.undoing`: read in bulk, a level's calls ``width`` in flight);
    ``over``: end the journal (else the caller ends it, :meth:`UndoReport.final`, with what it
    undoes beside the remote in the same transaction). ``recovering``: a recovery's undo,
    whose journal stays ``recovering`` meanwhile. A recovery's undo, or one that ``waits``
    (a push's own), stops once the remote is out of reach for a call (:func:`out_of_reach`,
    raised after the calls in flight beside it ended): the calls undone so far stay undone and
    the recovery tries the rest later."""
    report = UndoReport()
    if not recovering:
        journal.state("undoing")
    undo = _Undo(journal, Undoing(writes, width), remote, report, recovering or waits)
    try:
        for chunk in chunks(list(reversed(journal.calls()))):
            undo.chunk(chunk)
    finally:
        undo.undoing.close()
    if over:
        journal.state(report.final(), over=True)
    return report


@dataclass
class _Undo:
    """One undo under way: where it notes how each call went (``stops``: raise when the
    remote is out of reach, rather than call the change stuck)."""

    journal: Journal
    undoing: Undoing
    remote: str
    report: UndoReport
    stops: bool

    def chunk(self, calls: list[CallRecord]) -> None:
        """Undo a chunk's calls: what they need read in bulk, then a group at a time."""
        steps = [undo_step(call) for call in calls if call.state in UNDONE_STATES]
        try:
            state: RemoteState | None = self.undoing.read(steps)
        except RemoteError as exc:
            if self.stops and out_of_reach(exc):
                raise
            state = None
        for group in groups(calls):
            if group[0].state not in UNDONE_STATES:
                _earlier(group[0], self.remote, self.journal.task_id, self.report)
            elif state is None:  # the bulk read refused (one object in it?): each alone
                for call in group:
                    self.alone(call)
            else:
                self.group(group, state)

    def alone(self, call: CallRecord) -> None:
        """Undo a call whose chunk could not be read in bulk, what it needs read alone: a
        refusal of that read (its object gone between a list and the export, say) costs only
        its own undo, which writes nothing."""
        step = undo_step(call)
        try:
            state = self.undoing.read([step])
        except RemoteError as exc:
            if self.stops and out_of_reach(exc):
                raise
            self.note(call, Attempt(step, error=exc))
            return
        self.group([call], state)

    def group(self, calls: list[CallRecord], state: RemoteState) -> None:
        """Undo calls independent of one another together; on the first out-of-reach error
        (``stops``), send none of them not sent yet and raise it once those in flight ended
        (``on_its_way`` when any of theirs got no answer: the recovery waits for it to land)."""
        steps = [undo_step(call) for call in calls]
        self.journal.undos(sent_back(calls, steps))
        out: list[RemoteError] = []
        for call, tried in zip(calls, self.undoing.attempts(steps, state), strict=True):
            if tried is not None and (exc := self.note(call, tried)) is not None:
                out.append(exc)
                self.undoing.stop()  # the rest waits for the remote, with the recovery
        if out:
            out[0].on_its_way = any(exc.on_its_way for exc in out)
            raise out[0]

    def note(self, call: CallRecord, tried: Attempt) -> RemoteError | None:
        """Journal and report how the undo of ``call`` went; the error to stop on, if any."""
        step, exc, back = tried.step, tried.error, tried.back
        journal, report = self.journal, self.report
        if tried.changed is not None:
            journal.mark(call.seq, LEFT, tried.changed)
            report.left.append(_left(step, tried.changed, self.remote))
        elif exc is None:
            journal.mark(call.seq, "undone", back.title() if back else NOTHING)
            if back is not None:
                report.undone.append(step.title())
        elif self.stops and out_of_reach(exc):
            return exc
        elif back is not None and _undone_meanwhile(self.undoing.writes, step):
            journal.mark(call.seq, "undone", back.title())
            report.undone.append(step.title())
        else:
            journal.mark(call.seq, "stuck", exc.message)
            report.stuck.append(_stuck(step, exc.message, self.remote, journal.task_id))
        return None


def sent_back(calls: Sequence[CallRecord], steps: Sequence[Step]) -> list[tuple[int, str]]:
    """The calls whose undo is about to be sent and, once landed, leaves the object the push
    left gone from its name (a delete, a rename back), with ``tried`` in their undo: a
    recovery after a kill then tells that undo's doing from a person's
    (:func:`~.meanwhile.changed_meanwhile`)."""
    rows = []
    for call, step in zip(calls, steps, strict=True):
        undo = step.undo
        if undo is not None and undo.op in TRIED and undo.left is not None and not undo.tried:
            rows.append((call.seq, orjson.dumps(replace(undo, tried=True).as_json()).decode()))
    return rows


def _earlier(call: CallRecord, remote: str, task_id: str, report: UndoReport) -> None:
    """What an earlier undo of ``call`` did (a recovery that stopped, waiting on the remote or
    killed), counted again in ``report``: the task's end says the whole undo."""
    if call.state == "undone" and call.note != NOTHING:
        report.undone.append(undo_step(call).title())
    elif call.state == "stuck":
        report.stuck.append(_stuck(undo_step(call), call.note or "", remote, task_id))
    elif call.state == LEFT:
        report.left.append(_left(undo_step(call), call.note or "", remote))


def _left(step: Step, reason: str, remote: str) -> dict[str, Any]:
    """An object the undo left as someone changed it in the remote, as the report says it."""
    assert step.undo is not None
    name = step.undo.to if step.undo.op is UndoOp.RENAMED else step.name
    what = f"{step.kind} '{name}'"
    left: dict[str, Any] = {
        "object": what,
        "call": step.call,
        "reason": reason,
        "fix": (
            f"look at {what} in remote '{remote}' in DataArts and keep or change it there, "
            f"then refresh the remote (jobferry remotes refresh {remote}) and plan again"
        ),
    }
    if step.undo.op is UndoOp.DELETED and step.undo.before:  # what the push deleted
        left["definition"] = step.undo.before
    return left


def _stuck(step: Step, reason: str, remote: str, task_id: str) -> dict[str, Any]:
    """A change that could not be undone, as the report says it (with the definition to put
    back, when there is one)."""
    stuck: dict[str, Any] = {
        "object": f"{step.kind} '{step.name}'",
        "call": step.call,
        "reason": reason,
        "fix": fix_for(step, remote, task_id),
    }
    definition = step.undo.before if step.undo is not None else None
    if definition:
        stuck["definition"] = definition
    return stuck


def fail_subtasks(tx: Tx, task_id: str, why: str) -> None:
    """Mark every write of the failed push's import (its subtasks that created, overwrote,
    renamed or deleted an object) FAILED, saying ``why`` before what it had done: the shadow
    does not keep it, and the import has nothing a rollback could undo."""
    after = 0
    while page := task_repo.subtask_rows(tx, task_id, after, PAGE):
        rows = []
        for seq, line in page:
            sub = load(line)
            if sub.get("action") in WRITTEN and sub.get("status") != TaskStatus.FAILED:
                sub["status"] = TaskStatus.FAILED
                sub["message"] = f"{why} Undone: {sub.get('message', '')}"
            rows.append((seq, str(sub.get("status")), dump(sub)))
        task_repo.replace_subtasks(tx, task_id, rows)
        after = page[-1][0]


def sentence(text: str) -> str:
    """``text`` ended as a sentence (a remote's message may end without its full stop)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
