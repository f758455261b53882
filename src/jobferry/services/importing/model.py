"""The plan: what import will do with each object, the problems found, and the wire form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobferry.domain.cronshift import ShiftError
from jobferry.domain.diff import Change
from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason
from jobferry.domain.references import Reference, job_references
from jobferry.domain.timeshift import CronSchedule, ScheduleShift
from jobferry.package.signature import SignatureCheck
from jobferry.services.profiles import ResolvedProfile
from jobferry.storage.imports import TargetObject

_JOB = ObjectKind.JOB
WRITES = frozenset({PlanAction.CREATE, PlanAction.OVERWRITE})


@dataclass(frozen=True)
class Problem:
    """One reason an object cannot be imported, with how to fix it."""

    reason: ProblemReason
    kind: str  # an ObjectKind, or "package" for a problem of the whole package
    name: str
    detail: str
    fix: str
    # (kind, name) of what a missing_reference problem could not find, so a client can offer
    # a mapping for it without parsing the detail text.
    reference: tuple[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {
            "reason": self.reason,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "fix": self.fix,
        }
        if self.reference is not None:
            out["reference"] = {"kind": self.reference[0], "name": self.reference[1]}
        return out


@dataclass
class PlannedObject:
    """What import will do with one object of the package."""

    kind: ObjectKind
    name: str
    path: str
    document: dict[str, Any]
    action: PlanAction = PlanAction.CREATE
    target: TargetObject | None = None
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    schedule: list[ScheduleShift] = field(default_factory=list)
    _refs: list[Reference] | None = None

    @property
    def refs(self) -> list[Reference]:
        """The job's references after transforms (computed once; jobs only)."""
        if self._refs is None:
            self._refs = job_references(self.document) if self.kind == _JOB else []
        return self._refs

    def as_json(self, with_diff: bool = True) -> dict[str, Any]:
        """The wire form of a plan line."""
        line: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "path": self.path,
        }
        if self.action == PlanAction.OVERWRITE and with_diff:
            line["diff"] = [c.as_json() for c in self.changes]
        if self.schedule and self.action in WRITES:
            line["schedule"] = [shift_json(s) for s in self.schedule]
        if self.problems:
            line["problems"] = [p.as_json() for p in self.problems]
        return line


def shift_json(shift: ScheduleShift) -> dict[str, Any]:
    """A schedule move with the next firings from now (none when they cannot be listed)."""
    try:
        return shift.as_json(after=datetime.now(UTC))
    except ShiftError:
        return {
            "field": shift.field,
            "mode": shift.mode.value,
            "before": _cron_json(shift.before),
            "after": _cron_json(shift.after),
        }


def _cron_json(cron: CronSchedule) -> dict[str, Any]:
    return {
        "expression": cron.expression,
        "timeZone": cron.time_zone,
        "startTime": cron.start_time,
        "endTime": cron.end_time,
        "nextFirings": [],
    }


@dataclass
class Plan:
    """The whole plan: objects in apply order, every problem, and the target fingerprint.

    ``package_problems`` concern the package as a whole (its signature): they refuse the import
    in every mode, where object problems only fail their objects in PER_OBJECT mode.
    """

    objects: list[PlannedObject]
    problems: list[Problem]
    fingerprint: str
    package_problems: list[Problem] = field(default_factory=list)
    signature: SignatureCheck | None = None
    profile: ResolvedProfile | None = None
    environment: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """How many objects get each action."""
        out = dict.fromkeys(PlanAction, 0)
        for obj in self.objects:
            out[obj.action] += 1
        return {str(action): count for action, count in out.items()}

    def describe(self) -> str:
        """The counts in words, e.g. '3 to create, 1 to overwrite, 0 skipped, 2 unchanged'."""
        c = self.counts()
        return (
            f"{c[PlanAction.CREATE]} to create, {c[PlanAction.OVERWRITE]} to overwrite, "
            f"{c[PlanAction.SKIP]} skipped, {c[PlanAction.UNCHANGED]} unchanged"
        )

    def as_json(self, with_diff: bool = True) -> dict[str, Any]:
        """The wire form of the plan."""
        out: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "summary": self.counts() | {"problems": len(self.problems)},
            "objects": [o.as_json(with_diff) for o in self.objects],
            "problems": [p.as_json() for p in self.problems],
        }
        if self.signature is not None:
            out["signature"] = self.signature.as_json()
        if self.profile is not None:
            out["profile"] = self.profile.as_json()
        if self.environment is not None:
            out["environment"] = self.environment
        return out
