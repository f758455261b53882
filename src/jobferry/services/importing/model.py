"""The plan: what import will do with each object, the problems found, and the wire form.

A plan is made a batch at a time (:class:`PlannedObject` while one batch is in hand) and each
object's outcome is kept as a :class:`Record` in the import's working set on disk; what stays in
memory is :class:`PlanOutcome`: the counts, the first problems, the fingerprint and the order of
the objects.
"""

from __future__ import annotations

import hashlib
import marshal
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from jobferry.domain.cronshift import ShiftError
from jobferry.domain.diff import Change
from jobferry.domain.enums import (
    AnyRefKind,
    ObjectKind,
    PlanAction,
    SkipReason,
)
from jobferry.domain.references import (
    Reference,
    first_occurrences,
    job_references,
    script_references,
)
from jobferry.domain.report import Violation
from jobferry.domain.timeshift import ScheduleShift
from jobferry.domain.validation import validate_job, validate_resource, validate_script
from jobferry.package.signature import SignatureCheck
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.policy import PolicyChoice
from jobferry.services.importing.problem import Problem as Problem
from jobferry.services.workspaces.profiles import ResolvedProfile
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.rows import job_columns, typed_columns

_JOB, _SCRIPT = ObjectKind.JOB, ObjectKind.SCRIPT
WRITES = frozenset({PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME})
"""Actions that write the package's definition (a DELETE writes nothing of it)."""
SHOWN_PROBLEMS = 1000
"""Problems a plan view lists in full (every object still carries its own)."""


@dataclass
class PlannedObject:
    """What import will do with one object of the package (while its batch is planned).

    What is derived from the definition (its text, references, rule violations, row columns)
    is computed once, when first asked for, or arrives computed already from the reader's
    helper process (:mod:`.prepare`), with the definition as text that is parsed only if
    something needs the document. Whoever changes the document says so (:meth:`changed`)."""

    kind: ObjectKind
    name: str
    path: str
    definition: dict[str, Any] | str
    """The definition as it will be imported: the document, or its text."""
    action: PlanAction = PlanAction.CREATE
    target: TargetObject | None = None
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    schedule: list[ScheduleShift] = field(default_factory=list)
    uid: str | None = None
    """The object's stable identifier in its source workspace (format-2 packages)."""
    raw: str | None = None
    """The definition as the package holds it, before transforms (what the ledger keeps)."""
    ledger: LedgerRow | None = None
    """What the target's ledger says this object became at the last import."""
    adopted: LedgerRow | None = None
    """The ledger row of another source object whose target object this one takes over."""
    stale: LedgerRow | None = None
    """This object's ledger row when it names a target object that is gone (deleted by
    hand): not a match, but the row the import's replaces, which its rollback puts back."""
    holder: str | None = None
    """The uid of the target object holding this object's name when that is not its match."""
    previous_name: str | None = None
    drift: list[Change] | None = None
    """What changed in the target since the last import wrote the object (``None``: no drift)."""
    newer: int | None = None
    """The ``createdAt`` of the newer package of the same source that last wrote the object,
    when this package is older and holds another definition of it, or whose import deleted it
    (``None``: not so)."""
    deleted: LedgerDeletion | None = None
    """What an import deleted of this source object (its ledger row gone), if it did."""
    kept: list[tuple[str, Any, Any]] = field(default_factory=list)
    """Target-owned fields whose target values were kept: (path, package's, target's)."""
    pause: bool = False
    """A scheduled job the import stops, writes and starts again."""
    skip: SkipReason | None = None
    """Why the object is a SKIP (``None`` for other actions)."""
    locked_by: str | None = None
    """The user whose lock on the target's object the import passes over (the soft lock
    policy: the lock only warns); ``None``: no such lock."""
    prepacked: tuple[str, bytes, bytes] | None = None
    """(sha256, compressed text, compressed raw or ``b""`` when it is the text) of the
    definition as prepared, for the ledger; ``None`` when not prepared (or changed since)."""
    stored: tuple[bytes, bytes] | None = None
    """The package entry's bytes and deflate stream, for an identified object read but not
    prepared: what its ledger copy is made from if it is written."""
    _text: str | None = None
    _refs: list[Reference] | None = None
    _distinct: list[Reference] | None = None
    _violations: list[Violation] | None = None
    _columns: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.definition, str):
            self._text = self.definition

    @property
    def document(self) -> dict[str, Any]:
        """The definition as it will be imported, parsed."""
        if isinstance(self.definition, str):
            self.definition = load(self.definition)
        return self.definition

    @property
    def text(self) -> str:
        """The definition as it will be stored (serialised once)."""
        if self._text is None:
            self._text = dump(self.document)
        return self._text

    @property
    def refs(self) -> list[Reference]:
        """The references of a job, or of a script (its connection and DLI queue), after
        transforms (computed once; none for other kinds)."""
        if self._refs is None:
            if self.kind == _JOB:
                self._refs = job_references(self.document)
            elif self.kind == _SCRIPT:
                self._refs = script_references(self.document)
            else:
                self._refs = []
        return self._refs

    @property
    def distinct_refs(self) -> list[Reference]:
        """The first reference to each (kind, name, workspace), in document order
        (computed once: the checks, the look-ups and the record all go through them)."""
        if self._distinct is None:
            self._distinct = first_occurrences(self.refs)
        return self._distinct

    def violations(self, max_nodes: int, workspace: tuple[str, ...] = ()) -> list[Violation]:
        """The rules the definition breaks in the workspace of that name and id (computed once;
        jobs, scripts and resources)."""
        if self._violations is None:
            found = definition_violations(self.kind, self.document, max_nodes, workspace)
            self._violations = found
        return self._violations

    @property
    def columns(self) -> tuple[str, ...]:
        """(row name, directory, process type or type) of the row the definition becomes, and
        a job's summary (``rows.job_columns``)."""
        if self._columns is None:
            columns = job_columns if self.kind is ObjectKind.JOB else typed_columns
            self._columns = columns(self.document)
        return self._columns

    def changed(self) -> None:
        """The document was changed: what was derived from it is derived again."""
        self._text, self._refs, self._distinct, self._violations = None, None, None, None
        self._columns, self.prepacked = None, None


def definition_violations(
    kind: str, document: dict[str, Any], max_nodes: int, workspace: tuple[str, ...] = ()
) -> list[Violation]:
    """The rules a job, script or resource definition breaks (nothing for other kinds), saved
    in the workspace of that name and id (a job's dependency naming it is one of its own)."""
    if kind == _JOB:
        return validate_job(document, max_nodes=max_nodes, workspace=workspace)
    if kind == ObjectKind.SCRIPT:
        return validate_script(document)
    if kind == ObjectKind.RESOURCE:
        return validate_resource(document)
    return []


def shift_json(shift: ScheduleShift) -> dict[str, Any]:
    """A schedule move with the next firings from now (none when they cannot be listed)."""
    try:
        return shift.as_json(after=datetime.now(UTC))
    except ShiftError:
        return shift.as_json_without_firings()


class Record(NamedTuple):
    """One object's outcome as the working set keeps it (plain values: :func:`marshal`)."""

    kind: str
    name: str
    path: str
    action: str
    text: str | None
    """The definition as it will be stored (objects to write only)."""
    columns: tuple[str, ...] | None
    """(name, directory, process type or type): the row's columns derived from the
    definition (objects to write only)."""
    target: tuple[str, int | None, str, str | None] | None
    """(id, latest version, status, definition before) of the target's object of that name;
    the definition only when the import overwrites it."""
    refs: list[tuple[str, str, str]] | None
    """The distinct (kind, name, other workspace or "") references of a job or script to
    write."""
    problems: list[tuple[Any, ...]]
    diff: bytes | None
    """The field changes of an OVERWRITE or RENAME, as JSON."""
    schedule: bytes | None
    """The schedule moves of an object to write, as JSON."""
    uid: str | None = None
    raw: str | None = None
    previous_name: str | None = None
    drift: bytes | None = None
    """The changes made in the target since the last import wrote it, as JSON (drift)."""
    pause: bool = False
    ledger: tuple[Any, ...] | None = None
    """The ledger row of this object before the import (a ``LedgerRow``'s values)."""
    adopted: tuple[Any, ...] | None = None
    """The ledger row of the object this one takes over, if any."""
    target_uid: str | None = None
    relink: bool = False
    """An UNCHANGED object whose ledger row the import writes (new, or out of date)."""
    prepacked: tuple[str, bytes, bytes] | None = None
    """(sha256, compressed text, compressed raw or ``b""``) of ``text`` when the reader's
    helper prepared them (:attr:`PlannedObject.prepacked`); else apply computes them."""
    skip: str | None = None
    """Why a SKIP is one (a :class:`SkipReason`)."""
    kept: tuple[str, ...] = ()
    """The paths of the target-owned fields the plan kept as the target holds them where the
    package held a value of its own (a remote's job description among them: no call carries
    one, and the plan says so)."""
    deleted: tuple[Any, ...] | None = None
    """What an import deleted of this source object (a ``LedgerDeletion``'s values): a
    rollback of the import that makes it again puts it back."""
    locked_by: str | None = None
    """The user whose lock on the target's object the import writes or deletes anyway (the
    soft lock policy)."""

    def target_name(self) -> str:
        """The name the target's object has before the import (its old name for a RENAME)."""
        return self.previous_name if self.previous_name is not None else self.name

    def prepacked_for(self, written: str) -> tuple[str, bytes, bytes] | None:
        """:attr:`prepacked` when ``written`` is the text it was packed from."""
        return self.prepacked if written == self.text else None

    def sha256_of(self, written: str) -> str:
        """The sha256 of ``written`` (the one the helper computed, when it is the text)."""
        prepacked = self.prepacked_for(written)
        if prepacked is not None:
            return prepacked[0]
        return hashlib.sha256(written.encode()).hexdigest()

    def packed(self) -> bytes:
        """The record's bytes."""
        return marshal.dumps(tuple(self))

    @classmethod
    def unpacked(cls, data: bytes) -> Record:
        """The record of these bytes."""
        return cls(*marshal.loads(data))

    def all_problems(self, late: list[bytes]) -> list[Problem]:
        """The object's problems: found while planning it, then once the package was read."""
        found = [Problem.unpacked(p) for p in self.problems]
        return found + [Problem.unpacked(marshal.loads(p)) for p in late]


@dataclass(frozen=True)
class MissingEnvironmentObject:
    """An environment object neither the target nor the package has, with the jobs and the
    scripts using it and how to supply it."""

    kind: AnyRefKind
    name: str
    jobs: tuple[str, ...]
    fix: str
    scripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvironmentReport:
    """Is a profile enough for a package (``POST /profiles/check``)? What is missing, the
    state of each connection secret the package requires, and what was checked."""

    missing: tuple[MissingEnvironmentObject, ...]
    secrets: tuple[tuple[str, str], ...]
    """(connection, state) of each required connection: ``set``, or what is wrong."""
    profile: ResolvedProfile | None = None
    package_sha256: str = ""

    @property
    def complete(self) -> bool:
        """Nothing missing and every required secret set."""
        return not self.missing and all(state == "set" for _, state in self.secrets)


@dataclass(frozen=True)
class NotApplied:
    """A DELETE a plan leaves out because ``propagateDeletes`` was not asked: the object, why
    the source no longer has it, and the option that would apply it."""

    kind: str
    name: str
    reason: str
    option: str
    fix: str

    def stored(self) -> tuple[str, str, str, str, str]:
        """Its values in field order."""
        return (self.kind, self.name, self.reason, self.option, self.fix)


@dataclass
class PlanOutcome:
    """The whole plan: counts, problems, fingerprint and the order of the objects.

    ``package_problems`` concern the package as a whole (its signature): they refuse the import
    in every mode, where object problems only fail their objects in PER_OBJECT mode. ``order``
    holds the objects' sequence numbers in apply order; ``failing`` those that cannot be
    imported (their own problems, or something of the package they need), with why.
    """

    fingerprint: str
    counts: dict[str, int]
    problems: list[Problem]
    problems_total: int
    order: array[int]
    failing: dict[int, str] = field(default_factory=dict)
    package_problems: list[Problem] = field(default_factory=list)
    signature: SignatureCheck | None = None
    profile: ResolvedProfile | None = None
    environment: EnvironmentReport | None = None
    """What ``POST /profiles/check`` answers (planned with ``environment_report``)."""
    policy: PolicyChoice | None = None
    """The ``sameNamePolicy`` the plan applied, for the one asked (:mod:`.policy`)."""
    not_applied: list[NotApplied] = field(default_factory=list)
    """The first DELETEs the plan leaves out because ``propagateDeletes`` was not asked."""
    not_applied_total: int = 0
    rewrites: int = 0
    """How many jobs outside the package the import rewrites for its renames (the working
    set keeps which: :mod:`.rewrites`)."""
    rewrites_locked: tuple[tuple[str, str], ...] = ()
    """(name, holder) of each job it rewrites so that another user holds a lock on (the soft
    lock policy: the lock only warns)."""

    @property
    def objects(self) -> int:
        """How many objects the plan holds."""
        return len(self.order)

    def describe(self) -> str:
        """The counts in words, e.g. '3 to create, 1 to overwrite, 0 skipped, 2 unchanged'
        (renames and deletes named when there are any)."""
        c = self.counts
        moves = "".join(
            f", {c[action]} to {action.lower()}"
            for action in (PlanAction.RENAME, PlanAction.DELETE)
            if c.get(action)
        )
        return (
            f"{c[PlanAction.CREATE]} to create, {c[PlanAction.OVERWRITE]} to overwrite{moves}, "
            f"{c[PlanAction.SKIP]} skipped, {c[PlanAction.UNCHANGED]} unchanged"
            + (
                f", {self.not_applied_total} deletion(s) not applied (deletions were not asked "
                "to propagate)"
                if self.not_applied_total
                else ""
            )
        )
