"""A promotion story told along a route and checked step by step (:class:`Journey`), shared by
the generated promotions into a workspace of this server
(``tests/unit/services/routes/test_generated_promotions.py``, which says the promises checked)
and into a remote's shadow (``test_generated_remote_promotions.py``, which subclasses it where
a remote plans, pushes and rolls back otherwise)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import event, note

from jobferry.domain.enums import PlanAction, SkipReason, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.taskviews import Task
from support.console import admin_scope
from support.plan_checks import WRITING, assert_as_planned, kept_then_rewritten, left_by
from support.planning import workspace
from support.promotion_stories import Step, act, identities
from support.workspace_state import State, definitions, workspace_state

SERIAL = itertools.count()
"""Numbers the workspaces, remotes and routes each story makes its own."""
Key = tuple[str, str]
"""(kind, stable identifier in the source)."""


@dataclass
class Promoted:
    """A promotion applied: its import's task, the target before and after it, its plan, and
    what had landed in the target before it."""

    task_id: str
    before: State
    after: State
    plan: Plan
    landed: dict[Key, dict[str, Any]]


@dataclass
class Journey:
    """A story being told: the admin, the route's ends, what landed in the target (the source
    version of each object the target took), and the promotions applied, newest last."""

    services: Services
    admin: Scope
    route: str
    settings: dict[str, Any]
    source: Scope
    target: Scope
    landed: dict[Key, dict[str, Any]] = field(default_factory=dict)
    applied: list[Promoted] = field(default_factory=list)
    folder: str | None = None
    """The folder the route selects (``None``: every job)."""

    @classmethod
    def of(cls, services: Services, route: dict[str, Any]) -> Journey:
        n = next(SERIAL)
        source, target = workspace(services, f"dev{n}"), workspace(services, f"prod{n}")
        admin = admin_scope(services)
        ends = {"source": {"workspace": f"dev{n}"}, "target": {"workspace": f"prod{n}"}}
        services.routes.put(admin, f"r{n}", {**ends, **route})
        return cls(services, admin, f"r{n}", route, source, target)

    def state(self, scope: Scope) -> State:
        return workspace_state(self.services, scope.workspace.id)

    def take(self, step: Step) -> None:
        if step.side == "source":
            act(self.services, self.source, step)
        elif step.side == "target":
            act(self.services, self.target, step)
        elif step.act == "promote":
            self.promote(*step.args)
        elif step.act == "select":
            self.select(*step.args)
        else:
            self.roll_back()

    def select(self, folder: str | None) -> None:
        """Edit the route to select one folder's jobs (``None``: every job)."""
        self.folder = folder
        selection = {"kind": "ALL"} if folder is None else {"kind": "FOLDERS", "values": [folder]}
        saved = self.services.routes.get(self.admin, self.route).route
        ends = {"source": {"workspace": saved.source.workspace}}
        ends["target"] = {"workspace": saved.target.workspace}
        self.services.routes.put(
            self.admin, self.route, {**ends, **self.settings, "selection": selection}
        )

    def selected(self, source: State) -> set[tuple[str, str]]:
        """(kind, name) of the source's objects the route selects: every one, or the jobs of
        its folder and the scripts they run."""
        if self.folder is None:
            return set(definitions(source))
        inside = self.folder.rstrip("/") + "/"
        jobs = {
            key: held
            for key, held in source.items()
            if key[0] == "job" and (held["directory"] + "/").startswith(inside)
        }
        scripts = {
            ("script", n) for held in jobs.values() for k, n, _ in held["refs"] if k == "script"
        }
        return set(jobs) | scripts

    # -- the steps a target of another kind takes otherwise ----------------------------------

    def planned(self, overrides: dict[str, Any]) -> Plan | None:
        """Plan a promotion with ``overrides``; its plan (``None``: nothing changed)."""
        planned = self.services.route_plans.plan(self.admin, self.route, overrides)
        assert planned.planning_task is None
        if planned.plan is None:
            assert planned.package.promotion is None
        return planned.plan

    def imported(self, plan: Plan, before: State) -> Task | None:
        """Apply ``plan`` and run its import; its task with the subtasks, or ``None`` when the
        apply was refused (then the target is as ``before``)."""
        try:
            applied = self.services.route_plans.apply(self.admin, self.route, plan.plan_id)
        except JobferryError as refused:
            note(f"apply refused: {refused}")
            event(f"apply refused {type(refused).__name__}")
            assert self.state(self.target) == before
            return None
        self.services.imports.run(applied.prepared)
        return self.services.tasks.show(applied.prepared.scope, applied.task_id, subtasks=1000)

    def settled(self) -> None:
        """After a promotion landed: what the target's kind promises beyond the plan."""

    # -- a promotion ---------------------------------------------------------------------------

    def promote(self, overrides: dict[str, Any], again: bool) -> None:
        """Plan and apply a promotion; check what it did, and (``again``) that planning again
        right after it finds nothing to write."""
        source = self.state(self.source)
        plan = self.planned(overrides)
        before = self.state(self.target)  # as planned (a plan may bring the target up to date)
        if plan is None:
            self.assert_carried(source, before, None)
            assert self.deleted(source, before) == {}, "deletions left behind, unsaid"
            return
        task = self.imported(plan, before)
        if task is None:
            return
        event(f"promotion: problems={bool(plan.summary.problems)} {task.status}")
        mode = overrides.get("mode", self.settings["mode"])
        if plan.summary.problems and (mode == "ATOMIC" or task.status == TaskStatus.FAILED):
            assert task.status == TaskStatus.FAILED, task.message
            assert self.state(self.target) == before
            return
        ok = TaskStatus.WARNING if plan.summary.problems else TaskStatus.SUCCESSFUL
        assert task.status == ok, task.message
        self.settled()
        after = self.state(self.target)
        done = written(plan, task)
        package = {key: held["document"] for key, held in definitions(source).items()}
        assert_as_planned(done, package, before, after)
        landed = dict(self.landed)
        self.assert_carried(source, after, plan, done)
        propagate = overrides.get("propagateDeletes", self.settings["propagateDeletes"])
        self.assert_deleted(source, (before, after), plan, propagate)
        if any(line.action in WRITING for line in done.lines):
            self.applied.append(Promoted(task.id, before, after, done, landed))
        if again:
            self.assert_nothing_left(overrides, plan, done)

    def assert_carried(
        self, source: State, target: State, plan: Plan | None, done: Plan | None = None
    ) -> None:
        """Every object the source changed since its version landed is in the target as the
        source holds it, or the plan says it left it out (or, PER_OBJECT, the import failed
        it: ``done`` holds the lines that happened); what is there now landed."""
        skipped = set()
        if plan is not None and done is not None:
            skipped = {(str(ln.kind), ln.name) for ln in plan.lines if ln not in done.lines}
            skipped |= {
                (str(ln.kind), ln.name) for ln in done.lines if ln.action is PlanAction.SKIP
            }
        selected = self.selected(source)
        for key, (name, document) in identities(source).items():
            if self.landed.get(key) == document or (key[0], name) not in selected:
                continue
            held = target.get((key[0], name))
            if held is not None and held["document"] == document:
                self.landed[key] = document
                continue
            assert (key[0], name) in skipped, f"{key[0]} {name} left behind, unsaid"

    def deleted(self, source: State, target: State) -> dict[Key, str]:
        """The objects the source deleted since they landed in the target that the target
        still holds (by the ledger's row of each): source identity → name in the target."""
        held, gone = identities(target), {}
        for key in set(self.landed) - set(identities(source)):
            row = target.get(("ledger", f"{key[0]}:{key[1]}"))
            found = None if row is None else held.get((key[0], row["target"]))
            if found is not None:
                gone[key] = found[0]
            else:
                del self.landed[key]  # gone from the target too
        return gone

    def assert_deleted(
        self, source: State, states: tuple[State, State], plan: Plan, propagate: bool
    ) -> None:
        """What the source deleted since it landed is gone from the target when the promotion
        propagated deletes, unless a line of the plan says it kept it; else the plan lists it
        as not applied (and it is not offered again: keeping it is the route's setting)."""
        before, after = states
        lines = {(str(ln.kind), ln.target_name): ln.action for ln in plan.lines}
        left = {(str(n.kind), n.name) for n in plan.not_applied}
        for key, name in self.deleted(source, before).items():
            if not propagate:
                assert (key[0], name) in left, f"{key[0]} {name}: deletion not listed"
                del self.landed[key]
                continue
            if lines.get((key[0], name)) not in (None, PlanAction.DELETE):
                continue  # kept, and the plan says so
            row = after.get(("ledger", f"{key[0]}:{key[1]}"))
            still = row is not None and (key[0], row["target"]) in identities(after)
            assert not still, f"{key[0]} {name} deleted in the source, still in the target"
            assert lines.get((key[0], name)) is PlanAction.DELETE, f"{key[0]} {name} unsaid"

    def assert_nothing_left(self, overrides: dict[str, Any], plan: Plan, done: Plan) -> None:
        """Planning again with the same overrides writes nothing (but the jobs ``plan`` kept
        for their drift and rewrote for its renames, and what its import failed, PER_OBJECT:
        ``done`` holds the lines that happened)."""
        again = self.planned(overrides)
        if again is None:
            return
        undone = kept_then_rewritten(plan) | first_skipped(plan)
        undone |= {(str(ln.kind), ln.target_name) for ln in plan.lines if ln not in done.lines}
        left = [
            (ln.name, ln.action)
            for ln in again.lines
            if ln.action in WRITING and (str(ln.kind), ln.target_name) not in undone
        ]
        assert left == []

    def roll_back(self) -> None:
        """Roll back the newest promotion that wrote something (one that only linked has
        nothing to roll back, and its links go with this rollback): refused only when the
        target changed since (then nothing changes); else the target is as before it."""
        if not self.applied:
            return
        newest = self.applied[-1]
        now = self.state(self.target)
        untouched = definitions(now) == definitions(newest.after)  # a later import may link
        try:
            self.services.rollback.rollback(self.target, newest.task_id)
        except JobferryError as refused:
            note(f"rollback refused: {refused}")
            event(f"rollback refused untouched={untouched}")
            assert not untouched
            assert self.state(self.target) == now
            return
        event(f"rollback ok untouched={untouched}")
        if untouched:
            assert self.state(self.target) == given_back(newest, now)
        self.applied.pop()
        self.landed = newest.landed


def given_back(newest: Promoted, now: State) -> State:
    """The target once ``newest`` is rolled back, untouched since (``now``): as before it,
    with the tombstones of what it made and what the later promotions rolled back since made
    (``left_since``)."""
    expected = {**newest.before, **left_since(newest.after, now)}
    expected.update(left_by(newest.plan, newest.after))
    return expected


def left_since(after: State, now: State) -> State:
    """The tombstones the rollbacks of later promotions left (of the objects they made)."""
    return {k: v for k, v in now.items() if k[0] == "tombstone" and k not in after}


def first_skipped(plan: Plan) -> set[tuple[str, str]]:
    """(kind, name in the target) of the objects the plan skipped because ``sameNamePolicy``
    AUTO skips on a first import from the source: the next plan overwrites them."""
    return {
        (str(ln.kind), ln.target_name)
        for ln in plan.lines
        if ln.skip is not None and ln.skip.reason is SkipReason.FIRST_IMPORT
    }


def written(plan: Plan, task: Task) -> Plan:
    """The plan without the lines its import failed (PER_OBJECT: those with problems, and
    what needs them), as the task's subtasks say."""
    failed = {
        (st["id"], st["action"]) for st in task.subtasks or () if st["status"] == TaskStatus.FAILED
    }
    lines = tuple(ln for ln in plan.lines if (f"{ln.kind}:{ln.name}", ln.action) not in failed)
    return replace(plan, lines=lines, lines_total=plan.lines_total - len(plan.lines) + len(lines))
