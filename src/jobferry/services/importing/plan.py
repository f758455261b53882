"""Import, keep: the kept plan as typed values, from the planner to storage and back.

A :class:`Plan` is the head of a kept plan (its counts, its first problems, how it chose and
what it read) with its first lines; each :class:`PlanLine` says what the import does with one
object. The counts (:class:`PlanSummary`) are by action, and the number of problems stands
beside them, never among them. The API's presenters (``api/presenters/plans.py``) say a plan in
DataArts' camelCase; the console renders the record.

What storage keeps of a plan (a plan's head row, its line rows, a dry run's task result) is
the stored form written here (:meth:`Plan.stored`, :meth:`PlanLine.stored`): plain JSON values
in field order, read back by :meth:`Plan.of_stored` and :meth:`PlanLine.of_stored`. A plan
kept by an earlier version (in the wire form) is not read back: :class:`UnreadablePlanError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from jobferry.domain.enums import (
    DriftPolicy,
    ObjectKind,
    PlanAction,
    SameNamePolicy,
    SkipReason,
)
from jobferry.package.signature import SignatureCheck
from jobferry.services.importing.model import WRITES, NotApplied, PlanOutcome, Problem, Record
from jobferry.services.importing.policy import PolicyChoice

STORED_FORMAT = 1
"""The version of the stored form a plan's head says it is written in."""
Document = Mapping[str, Any]
"""A part of a line written elsewhere as a document: a field change (``decide.change_lines``),
a schedule move (``ScheduleShift.as_json``)."""


class UnreadablePlanError(ValueError):
    """A stored plan that is not in the stored form (kept by an earlier version)."""


@dataclass(frozen=True)
class PlanSummary:
    """How many objects the plan gives each action, and how many problems it found."""

    create: int = 0
    overwrite: int = 0
    skip: int = 0
    unchanged: int = 0
    rename: int = 0
    delete: int = 0
    problems: int = 0

    @classmethod
    def of(cls, counts: Mapping[str, int], problems: int) -> PlanSummary:
        """The summary of counts by action (a :class:`PlanOutcome`'s) and of a problem count."""
        return cls(**{str(a).lower(): int(counts.get(a, 0)) for a in PlanAction}, problems=problems)

    def count(self, action: PlanAction) -> int:
        """How many objects the plan gives ``action``."""
        return int(getattr(self, action.lower()))

    def by_action(self) -> Iterator[tuple[PlanAction, int]]:
        """(action, count) of every action, in :class:`PlanAction` order."""
        for action in PlanAction:
            yield action, self.count(action)

    def describe(self) -> str:
        """The counts in words, e.g. '3 to create, 1 to overwrite, 0 skipped, 2 unchanged'."""
        return (
            f"{self.create} to create, {self.overwrite} to overwrite, "
            f"{self.skip} skipped, {self.unchanged} unchanged"
        )


@dataclass(frozen=True)
class SkipNote:
    """Why a plan line is a SKIP: the rule, and the option that would write the package's
    definition."""

    reason: SkipReason
    detail: str
    fix: str

    @classmethod
    def of(cls, reason: SkipReason, kind: str, name: str, held: str | None = None) -> SkipNote:
        """The note of an object ``kind`` ``name`` skipped for ``reason`` (``held``: its name
        in the target when that is another, which the note names it by: the target's ``name``
        may be another object)."""
        label = f"{kind} '{name}'" if held is None else f"{kind} '{held}' (the package's '{name}')"
        if reason == SkipReason.KEPT_DRIFT:
            detail = (
                f"{label} changed in the target since the last import, and this import keeps "
                "such changes"
            )
            fix = (
                f"import with onDrift {DriftPolicy.TAKE_PACKAGE} to write the package's definition"
            )
        elif reason == SkipReason.KEPT_NEWER:
            detail = (
                f"{label} was last written by a newer package of the same source, and this "
                "import keeps what such a package wrote"
            )
            fix = (
                f"import with onDrift {DriftPolicy.TAKE_PACKAGE} to write this package's "
                "(older) definition"
            )
        elif reason == SkipReason.KEPT_DELETED:
            detail = (
                f"{label} was deleted by the import of a newer package of the same source, and "
                "this import keeps it deleted"
            )
            fix = f"import with onDrift {DriftPolicy.TAKE_PACKAGE} to make it again"
        elif reason == SkipReason.FIRST_IMPORT:
            detail = (
                f"{label} differs from the target's, and this is the first import from the "
                "package's source into this workspace (the same-name policy auto keeps the "
                "target's)"
            )
            fix = "import with sameNamePolicy OVERWRITE to write the package's definition"
        else:
            detail = f"{label} differs from the target's, and the same-name policy is to skip it"
            fix = "import with sameNamePolicy OVERWRITE to write the package's definition"
        return cls(reason, detail, fix)

    @classmethod
    def of_record(cls, record: Record) -> SkipNote:
        """Why a record's SKIP is one (a record of an older plan without a reason: the
        policy)."""
        reason = SkipReason(record.skip) if record.skip else SkipReason.SAME_NAME_POLICY
        return cls.of(reason, record.kind, record.name, _held_as(record))


@dataclass(frozen=True)
class RemoteRead:
    """What a plan against a remote's shadow read of a line's object in the remote: the hash
    of the definition its last refresh read (``None``: the object was not there)."""

    sha256: str | None


@dataclass(frozen=True)
class PlanLine:
    """What the import does with one object."""

    kind: ObjectKind
    name: str
    action: PlanAction
    path: str
    previous_name: str | None = None
    """The object's name in the target before the import when the package names it otherwise:
    a RENAME's old name, or the target's name of an object a SKIP keeps (matched by its
    identity, which the source renamed)."""
    diff: tuple[Document, ...] | None = None
    """An OVERWRITE's or RENAME's field changes (``None`` for other actions)."""
    drift_diff: tuple[Document, ...] | None = None
    """What changed in the target since the last import wrote the object (``None``: no
    drift)."""
    skip: SkipNote | None = None
    pause: bool = False
    """A scheduled job the import stops, then writes and starts again (or deletes)."""
    schedule: tuple[Document, ...] | None = None
    """The schedule moves of an object to write."""
    problems: tuple[Problem, ...] = ()
    remote_read: RemoteRead | None = None
    """What the plan read of the object in the workspace's truth; ``None``: it read this
    server's rows only."""
    locked_by: str | None = None
    """The user holding a lock on the target's object that the import overwrites, renames or
    deletes anyway: the workspace's soft lock policy only warns (under the hard policy the lock
    is a ``locked`` problem instead). Not a problem: nothing refuses it."""

    @property
    def drift(self) -> bool:
        """The object changed in the target since the last import wrote it."""
        return self.drift_diff is not None

    @property
    def telling(self) -> bool:
        """The line says something a person reviewing the plan must see: the import changes
        (or skips, or deletes) the object, or found a problem with it; an ``UNCHANGED`` line
        without problems is the rest. A kept plan lists its telling lines first."""
        return self.action is not PlanAction.UNCHANGED or bool(self.problems)

    @property
    def target_name(self) -> str:
        """The object's name in the target before the import (a RENAME: its old name; a SKIP:
        the name the target holds it by)."""
        return self.previous_name or self.name

    @classmethod
    def of(cls, record: Record, late: list[bytes]) -> PlanLine:
        """The line of a planned object's record and of the problems found once the package
        was read (``late``)."""
        action = PlanAction(record.action)
        writes = action in WRITES
        moves = action in (PlanAction.OVERWRITE, PlanAction.RENAME)
        return cls(
            kind=ObjectKind(record.kind),
            name=record.name,
            action=action,
            path=record.path,
            previous_name=_held_as(record) if action in _NAMED_AS_HELD else None,
            diff=tuple(orjson.loads(record.diff or b"[]")) if moves else None,
            drift_diff=None if record.drift is None else tuple(orjson.loads(record.drift)),
            skip=SkipNote.of_record(record) if action is PlanAction.SKIP else None,
            pause=record.pause and (writes or action is PlanAction.DELETE),
            schedule=tuple(orjson.loads(record.schedule))
            if record.schedule is not None and writes
            else None,
            problems=tuple(record.all_problems(late)),
            locked_by=record.locked_by if moves or action is PlanAction.DELETE else None,
        )

    def stored(self) -> list[Any]:
        """The line as storage keeps it (plain values in field order)."""
        skip = self.skip
        read = self.remote_read
        return [
            str(self.kind),
            self.name,
            str(self.action),
            self.path,
            self.previous_name,
            None if self.diff is None else list(self.diff),
            None if self.drift_diff is None else list(self.drift_diff),
            None if skip is None else [str(skip.reason), skip.detail, skip.fix],
            self.pause,
            None if self.schedule is None else list(self.schedule),
            [p.stored() for p in self.problems],
            None if read is None else [read.sha256],
            self.locked_by,
        ]

    @classmethod
    def of_stored(cls, values: Any) -> PlanLine:
        """The line storage kept (:meth:`stored`; a line kept before lines said who holds a
        lock has one value less)."""
        if not isinstance(values, list) or len(values) not in (12, 13):
            raise UnreadablePlanError("a plan line not in the stored form")
        kind, name, action, path, previous, diff, drift, skip, pause, schedule, found, read = (
            values[:12]
        )
        locked_by = values[12] if len(values) == 13 else None
        return cls(
            kind=ObjectKind(kind),
            name=name,
            action=PlanAction(action),
            path=path,
            previous_name=previous,
            diff=None if diff is None else tuple(diff),
            drift_diff=None if drift is None else tuple(drift),
            skip=None if skip is None else SkipNote(SkipReason(skip[0]), skip[1], skip[2]),
            pause=bool(pause),
            schedule=None if schedule is None else tuple(schedule),
            problems=tuple(Problem.of_stored(p) for p in found),
            remote_read=None if read is None else RemoteRead(read[0]),
            locked_by=locked_by,
        )


@dataclass(frozen=True)
class UsedProfile:
    """The environment profile a plan applied (``name`` ``None``: given inline)."""

    name: str | None
    version: int | None


@dataclass(frozen=True)
class Plan:
    """A kept plan: its head and its first lines (the rest are paged from storage)."""

    plan_id: str
    package_sha256: str
    fingerprint: str
    """What the import that names the plan must find again (the target unchanged since)."""
    summary: PlanSummary
    problems: tuple[Problem, ...]
    """The first problems (``summary.problems`` counts them all)."""
    lines: tuple[PlanLine, ...]
    """The first lines as the plan lists them (``lines_total`` counts them all): its telling
    lines (:attr:`PlanLine.telling`) in plan order, then the unchanged ones in plan order."""
    lines_total: int
    signature: SignatureCheck | None = None
    profile: UsedProfile | None = None
    policy: PolicyChoice | None = None
    """The ``sameNamePolicy`` the plan applied, for the one asked."""
    not_applied: tuple[NotApplied, ...] = ()
    """The first DELETEs the plan leaves out because ``propagateDeletes`` was not asked."""
    not_applied_total: int = 0
    remote_state: Mapping[str, Any] | None = None
    """What a plan against a remote's shadow was made on, as the delivery reports it."""
    rewrites: tuple[str, ...] = ()
    """The first jobs outside the package whose references to a renamed object the import
    rewrites to its new name (``rewrites_total`` counts them all); those of ``rewrites_locked``
    first."""
    rewrites_total: int = 0
    rewrites_locked: tuple[tuple[str, str], ...] = ()
    """(name, holder) of every job it rewrites so though another user holds a lock on it: the
    soft lock policy only warns, as on the line of an object the import overwrites."""
    unsent: tuple[str, ...] = ()
    """The first jobs whose description the workspace's truth will not get (a remote's:
    DataArts' job API has no field for one; ``unsent_total`` counts them all)."""
    unsent_total: int = 0

    @classmethod
    def of(
        cls,
        outcome: PlanOutcome,
        plan_id: str,
        package_sha256: str,
        lines: tuple[PlanLine, ...],
        remote_state: Mapping[str, Any] | None,
        rewrites: tuple[str, ...] = (),
    ) -> Plan:
        """The kept plan of a planner's outcome, with its first lines."""
        profile = outcome.profile
        return cls(
            plan_id=plan_id,
            package_sha256=package_sha256,
            fingerprint=outcome.fingerprint,
            summary=PlanSummary.of(outcome.counts, outcome.problems_total),
            problems=tuple(outcome.problems),
            lines=lines,
            lines_total=outcome.objects,
            signature=outcome.signature,
            profile=None if profile is None else UsedProfile(profile.name, profile.version),
            policy=outcome.policy,
            not_applied=tuple(outcome.not_applied),
            not_applied_total=outcome.not_applied_total,
            remote_state=remote_state,
            rewrites=rewrites,
            rewrites_total=outcome.rewrites,
            rewrites_locked=outcome.rewrites_locked,
        )

    def stored(self, *, with_lines: bool = True) -> dict[str, Any]:
        """The plan as storage keeps it (a head row: ``with_lines=False``, its lines are rows of
        their own)."""
        summary = self.summary
        signature, profile, policy = self.signature, self.profile, self.policy
        return {
            "format": STORED_FORMAT,
            "plan_id": self.plan_id,
            "package_sha256": self.package_sha256,
            "fingerprint": self.fingerprint,
            "summary": [count for _, count in summary.by_action()] + [summary.problems],
            "problems": [p.stored() for p in self.problems],
            "lines": [line.stored() for line in self.lines] if with_lines else [],
            "lines_total": self.lines_total,
            "signature": None
            if signature is None
            else [signature.state, signature.key_id, signature.detail],
            "profile": None if profile is None else [profile.name, profile.version],
            "policy": None
            if policy is None
            else [str(policy.asked), str(policy.applied), policy.why],
            "not_applied": [list(n.stored()) for n in self.not_applied],
            "not_applied_total": self.not_applied_total,
            "remote_state": None if self.remote_state is None else dict(self.remote_state),
            "rewrites": list(self.rewrites),
            "rewrites_total": self.rewrites_total,
            "rewrites_locked": [list(locked) for locked in self.rewrites_locked],
            "unsent": list(self.unsent),
            "unsent_total": self.unsent_total,
        }

    @classmethod
    def of_stored(cls, values: Any, lines: tuple[PlanLine, ...] | None = None) -> Plan:
        """The plan storage kept (:meth:`stored`); ``lines``: its first lines, read from their
        own rows (else those the stored plan holds)."""
        if not isinstance(values, dict) or values.get("format") != STORED_FORMAT:
            raise UnreadablePlanError("a plan not in the stored form")
        *counts, problems = values["summary"]
        signature, profile, policy = values["signature"], values["profile"], values["policy"]
        return cls(
            plan_id=values["plan_id"],
            package_sha256=values["package_sha256"],
            fingerprint=values["fingerprint"],
            summary=PlanSummary.of(dict(zip(PlanAction, counts, strict=True)), problems),
            problems=tuple(Problem.of_stored(p) for p in values["problems"]),
            lines=lines
            if lines is not None
            else tuple(PlanLine.of_stored(v) for v in values["lines"]),
            lines_total=values["lines_total"],
            signature=None if signature is None else SignatureCheck(*signature),
            profile=None if profile is None else UsedProfile(*profile),
            policy=None
            if policy is None
            else PolicyChoice(SameNamePolicy(policy[0]), SameNamePolicy(policy[1]), policy[2]),
            not_applied=tuple(NotApplied(*n) for n in values["not_applied"]),
            not_applied_total=values["not_applied_total"],
            remote_state=values["remote_state"],
            rewrites=tuple(values["rewrites"]),
            rewrites_total=values["rewrites_total"],
            rewrites_locked=tuple((n, by) for n, by in values.get("rewrites_locked", ())),
            unsent=tuple(values.get("unsent", ())),  # kept before plans said it: none
            unsent_total=values.get("unsent_total", 0),
        )

    def with_lines(self, lines: tuple[PlanLine, ...]) -> Plan:
        """The same plan listing ``lines`` first."""
        return replace(self, lines=lines)


_NAMED_AS_HELD = (PlanAction.RENAME, PlanAction.SKIP)
"""The actions whose line names the target's object by its name there, when the package names
it otherwise (the other actions write or delete the object under the package's name)."""


def _held_as(record: Record) -> str | None:
    """The name the target holds a record's object by, when it is not the package's."""
    previous = record.previous_name
    return previous if previous is not None and previous != record.name else None
