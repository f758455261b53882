"""What a workspace keeps and forgets as time passes, in a generated story
(``tests/unit/services/test_generated_retention.py``), written from docs/settings.md,
docs/operations.md ("What the database keeps") and docs/api.md, never from the code:

- ``JOBFERRY_TASK_LINES_DAYS`` (0: for ever): the sweep drops the per-object lines of a task
  that ended more than that many days before it (an import lists every object of its
  package); the task keeps its status and says when, after how many days and how many lines
  (``subtasksDropped``), in its view, its page of lines and the task list; a task still
  running (queued included) is never touched;
- ``JOBFERRY_ROLLBACK_DAYS`` (0: for ever): the sweep expires the rollback of an import that
  ended more than that many days before it; its rollback is then refused ``DLF.9016`` rule
  ``expired``, and its view says ``rollbackExpired`` (one rolled back says ``rolledBack``
  alone); the newest import of the workspace is rolled back otherwise (``rolled_back`` once
  done), at once or as a task of its own, which once accepted (queued) keeps what it undoes
  until it ends, whatever the sweeps meanwhile;
- ``JOBFERRY_DOWNLOAD_TTL_SECONDS``: an upload expires that long after it was made, a kept
  plan that long after it was made (docs/api.md: "plans are kept for the download-center
  TTL"); once swept, reading the plan or importing naming it is refused ``DLF.9015`` naming
  the plan, the TTL and the fix (make a plan), and no task is made;
- an import accepted (queued: ``RUNNING``) runs to its end whatever the sweeps meanwhile:
  the upload and the kept plan it names are what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Profile:
    """The settings a story runs under: lines days, rollback days, the package TTL (s)."""

    lines_days: int
    rollback_days: int
    ttl_seconds: int


@dataclass
class Imported:
    """An import the workspace ran: its task, when it ended, its lines; what the sweeps and
    rollbacks did to it."""

    task_id: str
    ended: int
    lines: int
    dropped: tuple[int, int, int] | None = None
    """(at, kept days, count) once its lines were dropped."""
    expired: tuple[int, int, int] | None = None
    """(ended, dropped at, kept days) once its rollback expired."""
    rolled_back: bool = False


@dataclass
class KeptPlan:
    """A plan kept for a later import: its id, when it was made (its upload with it), the
    workspace's state it was made on (how many writes the workspace had seen)."""

    plan_id: str
    path: str
    made: int
    basis: int
    forgotten: bool = False


@dataclass
class Model:
    """One workspace's imports, kept plans and the queued import, if any."""

    profile: Profile
    imports: list[Imported] = field(default_factory=list)
    plans: list[KeptPlan] = field(default_factory=list)
    queued: tuple[str, str] | None = None
    """The import accepted and not run yet: its task id, the plan it names."""
    undoing: tuple[str, Imported] | None = None
    """The rollback task queued and not run yet, and the import it undoes."""
    rollbacks: list[str] = field(default_factory=list)
    """The rollback tasks made (a rollback asked to run as a task)."""
    writes: int = 0
    """Imports and rollbacks the workspace has seen: a plan made before the last is stale."""

    def imported(self, task_id: str, at: int, lines: int) -> None:
        self.imports.append(Imported(task_id, at, lines))
        self.writes += 1

    def newest_plan(self) -> KeptPlan | None:
        return self.plans[-1] if self.plans else None

    def past_ttl(self, plan: KeptPlan, now: int) -> bool:
        """Whether ``plan`` is past its ``keptUntil``: its upload has expired."""
        return now >= plan.made + self.profile.ttl_seconds * 1000

    def sweep(self, now: int) -> None:
        """What the housekeeping sweep drops at ``now`` under the profile."""
        days, rollback_days = self.profile.lines_days, self.profile.rollback_days
        waited = self.undoing[1] if self.undoing is not None else None
        for done in self.imports:
            if days and done.dropped is None and done.ended < now - days * DAY_MS:
                done.dropped = (now, days, done.lines)
            old = done.ended < now - rollback_days * DAY_MS
            # an import whose rollback task, accepted in time, waits keeps what it replaced
            if rollback_days and done.expired is None and old and done is not waited:
                done.expired = (done.ended, now, rollback_days)
        needed = self._needed()
        for plan in self.plans:
            if plan.made < now - self.profile.ttl_seconds * 1000 and plan.plan_id not in needed:
                plan.forgotten = True

    def _needed(self) -> set[str]:
        """The plan the queued import names (kept while it waits)."""
        return set() if self.queued is None else {self.queued[1]}

    def rollback_refusal(self, done: Imported) -> str | None:
        """The rule a rollback of ``done`` is refused with, or None."""
        if done.rolled_back:
            return "rolled_back"
        if done.expired is not None:
            return "expired"
        return None
