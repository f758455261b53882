"""Generated promotions along a route into a remote: a DataArts workspace (the stand-in)
mirrored in its shadow, which the route's plans refresh first and whose imports are pushes
(docs/remotes.md). The stories are the local ones (``support/promotion_stories.py``): a source
workspace of this server edited, promoted again and again with generated overrides, the newest
promotion rolled back now and then; but what the target does by hand, a person does in
DataArts (a job or a script edited, a job described, started or stopped, a job or a script of
their own), the shadow refreshed after or not. Whatever the story, the route keeps the local
promises (``test_generated_promotions.py``) where they hold for a remote, compared but for the
jobs' descriptions (no call carries one: docs/remotes.md, "A job's description"; a job that
differs from the remote only there is ``UNCHANGED``), and:

- a PER_OBJECT promotion is a problem of its plan (rule ``remote.atomic``: a push is all or
  nothing), and a promotion whose plan has problems, or whose apply is refused, changes
  neither the remote nor the shadow;
- after a promotion a refresh finds nothing to change (the shadow holds what the remote holds);
- rolling back the newest promotion gives the remote back what it was before it (what the push
  changed; a person's other changes since stay), and the shadow too when nothing changed
  there since; it is refused only when something the push wrote changed since, in the remote
  or in the shadow, and then changes neither;
- no call, field or type the official SDKs would not send reaches the remote.

(``targetStatus`` SAVED, the plan problem ``remote.submits``, is no route setting: a route's
import always submits.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import event, example, given, note
from hypothesis import strategies as st

from jobferry.domain.enums import PlanAction, RefreshAction, TaskKind, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.taskviews import Task
from support.console import admin_actor, admin_scope
from support.import_chains import changed, changed_since, given_back
from support.import_stories import definition, generated, job_document
from support.planning import workspace
from support.promotion_journeys import SERIAL, Journey
from support.promotion_journeys import given_back as shadow_given_back
from support.promotion_stories import (
    JOBS,
    SCRIPTS,
    PromotionStory,
    Step,
    act,
    promotion_stories,
)
from support.standin import DataArtsStandin, held_state, remote_shadow, undescribed_held
from support.workspace_state import State, definitions, undescribed, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(10)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
IN_DATAARTS = ("edit", "describe", "start", "stop", "own", "refresh")
"""What a person does in DataArts between promotions (``refresh``: the shadow refreshed)."""
CHANGED = (RefreshAction.CREATED, RefreshAction.UPDATED, RefreshAction.DELETED)


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


@dataclass(kw_only=True)
class RemoteJourney(Journey):
    """A story told into remote ``remote`` (the stand-in's workspace ``remote_id``), whose
    shadow is the route's target."""

    standin: DataArtsStandin
    remote: str
    remote_id: str
    stale: bool = False
    """A person acted in DataArts since the shadow's last refresh."""
    pushed: dict[str, tuple[State, State]] = field(default_factory=dict)
    """The remote before and after each promotion's push, by its import's task."""
    refreshed: State = field(default_factory=dict)
    """The remote as the shadow last read it (a refresh, or a rollback's read after it)."""

    @classmethod
    def told(
        cls, services: Services, standin: DataArtsStandin, route: dict[str, Any]
    ) -> RemoteJourney:
        n = next(SERIAL)
        name, remote_id = f"prod{n}", f"{n + 1:032x}"
        source = workspace(services, f"dev{n}")
        target = remote_shadow(services, standin, name, remote_id)
        admin = admin_scope(services)
        ends = {"source": {"workspace": f"dev{n}"}, "target": {"workspace": name}}
        services.routes.put(admin, f"r{n}", {**ends, **route})
        return cls(
            services,
            admin,
            f"r{n}",
            route,
            source,
            target,
            standin=standin,
            remote=name,
            remote_id=remote_id,
        )

    def state(self, scope: Scope) -> State:
        """A workspace's state, its jobs compared but for their descriptions."""
        whole = workspace_state(self.services, scope.workspace.id)
        return {**whole, **undescribed(whole)}

    def held(self, descriptions: bool = False) -> State:
        """What the remote holds, by (kind, name); its jobs' descriptions only when asked."""
        return held_state(self.standin, self.remote_id, descriptions=descriptions)

    def take(self, step: Step) -> None:
        if step.side == "target":
            self.in_dataarts(step)
        else:
            super().take(step)

    def in_dataarts(self, step: Step) -> None:
        """A person's act in DataArts (or the shadow refreshed)."""
        ws = self.standin.workspaces[self.remote_id]
        if step.act == "refresh":
            self.refresh()
            return
        (name,) = step.args
        job = ws.jobs.get(name)
        if step.act == "own":
            if name in SCRIPTS and name not in ws.scripts:
                ws.put_script(definition("script", name, 9))
            elif name in JOBS and job is None and ws.scripts:
                ws.put_job(job_document(name, min(ws.scripts), None, [], 9))
            else:
                return
        elif step.act == "edit" and name in ws.scripts:
            ws.scripts[name]["content"] = "select 'edited in DataArts';"
        elif job is None:
            return
        elif step.act == "edit":
            ws.edit_job(name, logPath="obs://bucket/logs/edited-in-dataarts")
        elif step.act == "describe":
            ws.edit_job(name, description="described in DataArts")
        else:
            job.status = "SCHEDULING" if step.act == "start" else "STOPPED"
        self.stale = True
        event(f"in DataArts: {step.act}")

    def refresh(self) -> dict[RefreshAction, int]:
        """Refresh the shadow; what it found changed (created, updated, deleted)."""
        refreshed = self.services.remotes.refresh(admin_actor(self.services), self.remote)
        self.stale, self.refreshed = False, self.held(descriptions=True)
        assert self.standin.refused() == []
        return {action: refreshed.total(action) for action in CHANGED}

    # -- a promotion into the remote -----------------------------------------------------------

    def planned(self, overrides: dict[str, Any]) -> Plan | None:
        """Plan into the shadow: a task that refreshes it first, then plans (docs/remotes.md,
        "Plans are made on a fresh read")."""
        planned = self.services.route_plans.plan(self.admin, self.route, overrides)
        if planned.planning_task is None:
            assert planned.plan is None
            assert planned.package.promotion is None
            return None
        claimed = self.services.tasks.claim((TaskKind.PLAN,))
        assert claimed is not None
        assert claimed.id == planned.planning_task
        self.services.imports.run(self.services.imports.resume(claimed))
        task = self.services.tasks.show(self.target, planned.planning_task)
        assert task.status in (TaskStatus.SUCCESSFUL, TaskStatus.WARNING), task.message
        self.stale, self.refreshed = False, self.held(descriptions=True)
        assert self.standin.refused() == []
        plan_id = self.services.route_plans.waiting_plan(self.admin, self.route)
        assert plan_id is not None
        return self.services.route_plans.kept(self.admin, self.route, plan_id).plan

    def imported(self, plan: Plan, before: State) -> Task | None:
        """The push; a refused apply, a push that failed, changes neither the remote nor the
        shadow."""
        # Every job the source holds has a description, which the plan warns no call carries
        # (docs/remotes.md, "A job's description": ``descriptionsNotSent``).
        sent = {
            ln.name
            for ln in plan.lines
            if str(ln.kind) == "job" and ln.action in (PlanAction.CREATE, PlanAction.OVERWRITE)
        }
        if plan.unsent_total == len(plan.unsent):
            assert sent <= set(plan.unsent), plan.unsent
        remote_before = self.held(descriptions=True)
        self.standin.reset()
        task = super().imported(plan, before)
        assert self.standin.refused() == []
        if task is None or task.status is TaskStatus.FAILED:
            assert self.held(descriptions=True) == remote_before, self.standin.writes()
            assert self.state(self.target) == before
            return task
        self.pushed[task.id] = (remote_before, self.held(descriptions=True))
        event("a push wrote" if self.standin.writes() else "a push wrote nothing")
        return task

    def settled(self) -> None:
        """After a push a refresh finds nothing to change."""
        assert self.refresh() == dict.fromkeys(CHANGED, 0)

    def roll_back(self) -> None:
        """Roll back the newest promotion that wrote something: refused only when what its
        push wrote changed since, in the remote or in the shadow (then neither changes); else
        the remote is given back what the push changed, and the shadow is as before the
        promotion when nothing changed there since."""
        if not self.applied:
            return
        newest = self.applied[-1]
        now, remote_now = self.state(self.target), self.held(descriptions=True)
        remote_before, remote_after = self.pushed[newest.task_id]
        # A description a person gave a job the push wrote is a change since (the rollback
        # would delete or overwrite it), though no call can give one back.
        since = changed_since(remote_before, remote_after, remote_now)
        # A rollback that deletes what the push made (or renames a job back) is refused while
        # a job the shadow has not read (new or saved in the remote since the last refresh)
        # uses one of those names (docs/remotes.md, what a rollback reads).
        freed = set(remote_after) - set(remote_before)
        unread = {
            key
            for key in remote_now
            if key[0] == "job" and remote_now[key] != self.refreshed.get(key)
        } - changed(remote_before, remote_after)
        unread_users = {key for key in unread if uses(remote_now[key]) & freed}
        untouched = definitions(now) == definitions(newest.after)
        self.standin.reset()
        try:
            self.services.rollback.rollback(self.target, newest.task_id)
        except JobferryError as refused:
            reason = str(refused)
        else:
            reason = ""
        assert self.standin.refused() == []
        if reason:
            note(f"rollback refused: {reason}")
            event(
                f"rollback refused: since={bool(since)} shadow={not untouched} stale={self.stale}"
            )
            assert since or not untouched or unread_users, f"refused for no reason: {reason}"
            assert self.held(descriptions=True) == remote_now, self.standin.writes()
            assert self.state(self.target) == now
            return
        event(f"rollback ok untouched={untouched} stale={self.stale}")
        assert not since, since
        undescribed = [undescribed_held(s) for s in (remote_now, remote_before, remote_after)]
        assert self.held() == given_back(*undescribed)
        # As a local rollback is refused while a job it did not write uses a name it made
        # (docs/design.md, rollback), no job of the remote is left running a script it deleted.
        assert dangling(self.held()) <= dangling(remote_now), dangling(self.held())
        if untouched:
            assert self.state(self.target) == shadow_given_back(newest, now)
        if not self.stale:
            assert self.refresh() == dict.fromkeys(CHANGED, 0)
        for key in changed(remote_before, remote_after):  # read again after its calls
            self.refreshed[key] = self.held(descriptions=True).get(key, {})
        self.applied.pop()
        self.landed = newest.landed


def uses(held: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, name) of each script a job runs and each job it depends on."""
    doc = held["document"]
    scripts = {
        ("script", prop["value"])
        for node in doc.get("nodes", ())
        for prop in node.get("properties", ())
        if prop.get("name") == "scriptName"
    }
    depend = (doc.get("schedule") or {}).get("cron", {}).get("dependJobs") or {}
    return scripts | {("job", name) for name in depend.get("jobs", ())}


def dangling(remote: State) -> set[tuple[str, str]]:
    """(job, script) of each job of ``remote`` running a script the remote lacks."""
    return {
        (name, prop["value"])
        for (kind, name), held in remote.items()
        if kind == "job"
        for node in held["document"].get("nodes", ())
        for prop in node.get("properties", ())
        if prop.get("name") == "scriptName" and ("script", prop["value"]) not in remote
    }


def promoted_then(*steps: Step) -> PromotionStory:
    """Script sa and job ja promoted; then ``steps``, and a promotion again."""
    route = {"sameNamePolicy": "AUTO", "onDrift": "FAIL", "propagateDeletes": True}
    route.update(mode="ATOMIC", scheduling="REFUSE")
    first = (Step("source", "script", ("sa", 0)), Step("source", "job", ("ja", "sa", None, 0)))
    promote = Step("route", "promote", ({}, True))
    return PromotionStory(route, first, (promote, *steps, promote))


def remote_stories() -> st.SearchStrategy[PromotionStory]:
    """The local stories, a person's acts in DataArts for the target's, the route ATOMIC (a
    PER_OBJECT promotion only as an override: a problem of its plan), opening with a promotion
    and with rollbacks as often as promotions, so that a rollback often follows a promotion and
    a person's act."""
    kinds = {"target": 4, "rollback": 3, "source": 3, "promote": 3, "select": 1}
    stories = promotion_stories(
        by_hand=IN_DATAARTS, fixed={"mode": "ATOMIC"}, kinds=kinds, min_steps=1, max_steps=4
    )
    opening = Step("route", "promote", ({}, False))
    return stories.map(lambda story: replace(story, steps=(opening, *story.steps)))


def in_dataarts(act: str, name: str) -> Step:
    return Step("target", act, (name,))


REFRESH = Step("target", "refresh")
ROLLBACK = Step("route", "rollback")


@GENERATED
@given(story=remote_stories())
@example(  # a job a person made since the refresh, running sa, refuses it (it deleted sa)
    story=promoted_then(
        in_dataarts("own", "sc"), in_dataarts("own", "jb"), ROLLBACK, REFRESH, ROLLBACK
    )
)
def test_promotions_into_a_remote_keep_their_promises(
    services: Services, standin: DataArtsStandin, story: PromotionStory
) -> None:
    note(repr(story))
    journey = RemoteJourney.told(services, standin, story.route)
    for step in story.first:
        assert act(services, journey.source, step), step
    for step in story.steps:
        journey.take(step)
