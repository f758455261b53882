"""Generated policy stories (``support/policy_stories.py``): a source promoted along a route
into a target once, then changed; policies of the target workspace and of the route saved,
the promotion planned at one moment of a controlled clock, policies saved again or not, and
the plan applied at a later moment. Whatever the story, the policies keep their promises
(written from the documents: ``support/policy_model.py``):

- the plan lists exactly the problems the model predicts, of both policies (the workspace's
  and the route's), each naming the object (or the plan), the rule, whose policy and which
  version, and the fix;
- the apply is refused before its import is queued exactly when the policies as they are
  then, at the clock then, refuse it there (a freeze window, the deletion limit, in an ATOMIC
  import the naming rule), naming every rule broken; a refused apply changes nothing;
- an apply the gate lets through imports as the policies then decide: everything when they
  ask nothing more, nothing when an ATOMIC import breaks a rule, every object but those
  breaking one in a PER_OBJECT import;
- the policies' versions list and show as they were saved.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.errors import InvalidRequestError, PolicyViolationError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from support.console import admin_scope
from support.import_stories import generated
from support.planning import workspace
from support.policy_model import (
    RULE_WORDS,
    Breach,
    Held,
    Written,
    breaches,
    clock,
    failed_objects,
    faults,
    gate_breaches,
)
from support.policy_stories import (
    PolicyStory,
    Round,
    act,
    planned_in_a_freeze,
    policy_stories,
    renamed_and_made_again,
    written_of,
)
from support.promotion_stories import identities
from support.workspace_state import State, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(4)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=300 and a
``--hypothesis-seed`` for a longer run)."""
SERIAL = itertools.count()
WHOSE = re.compile(r"the policy of (?:workspace|route) '[^']+' \(version \d+\)")


class Told:
    """A story being told: the admin, the route, its ends, and the policies saved."""

    def __init__(self, services: Services, mode: str) -> None:
        n = next(SERIAL)
        self.services = services
        self.admin = admin_scope(services)
        self.source = workspace(services, f"pdev{n}")
        self.target = workspace(services, f"pprod{n}")
        self.route = f"pr{n}"
        ends = {"source": {"workspace": f"pdev{n}"}, "target": {"workspace": f"pprod{n}"}}
        settings = {"sameNamePolicy": "OVERWRITE", "onDrift": "FAIL", "mode": mode}
        settings |= {"propagateDeletes": True, "scheduling": "REFUSE"}
        services.routes.put(self.admin, self.route, {**ends, **settings})
        self.saved: dict[str, list[dict[str, Any]]] = {"workspace": [], "route": []}
        self.mode = mode
        self.holders = {"workspace": f"workspace 'pprod{n}'", "route": f"route '{self.route}'"}

    def state(self, scope: Scope) -> State:
        return workspace_state(self.services, scope.workspace.id)

    def save(self, holder: str, document: dict[str, Any]) -> None:
        """Save a policy; one the documents say is invalid is refused naming every fault, and
        saves nothing."""
        route = None if holder == "workspace" else self.route
        scope = self.target if holder == "workspace" else self.admin
        if faults(document):
            with pytest.raises(InvalidRequestError) as refused:
                self.services.policies.put(scope, route, document)
            assert refused.value.code == "DLF.3051"
            assert len(refused.value.context["problems"]) == faults(document), refused.value
            return
        saved = self.services.policies.put(scope, route, document)
        self.saved[holder].append(document)
        assert saved.version == len(self.saved[holder])

    def held(self) -> list[Held]:
        """The policies a plan along the route keeps now: the workspace's, then the route's."""
        return [
            Held(self.holders[h], len(docs), docs[-1])
            for h, docs in self.saved.items()
            if docs and docs[-1]
        ]

    def plan(self) -> Plan | None:
        planned = self.services.route_plans.plan(self.admin, self.route, {})
        assert planned.planning_task is None
        return planned.plan

    def imported(self, plan: Plan) -> TaskStatus:
        applied = self.services.route_plans.apply(self.admin, self.route, plan.plan_id)
        self.services.imports.run(applied.prepared)
        task = self.services.tasks.show(applied.prepared.scope, applied.task_id)
        note(f"import: {task.status} {task.message}")
        return task.status


def _problems(plan: Plan) -> list[Breach]:
    """The plan's policy problems as breaches, each checked to name its object, rule, policy
    and fix."""
    found: list[Breach] = []
    for problem in plan.problems:
        assert problem.reason is ProblemReason.POLICY, problem
        assert problem.rule is not None
        whole = problem.kind == "package"
        what = "the plan" if whole else f"{problem.kind} '{problem.name}'"
        assert problem.detail.startswith(f"{what} breaks the {RULE_WORDS[problem.rule]} of ")
        whose = WHOSE.search(problem.detail)
        assert whose is not None, problem.detail
        wanted = "freeze window" if problem.rule == "freeze" else RULE_WORDS[problem.rule]
        assert wanted in problem.fix, problem.fix
        found.append((problem.rule, problem.kind, "plan" if whole else problem.name, whose[0]))
    return found


Landed = dict[tuple[str, str], tuple[str, dict[str, Any]]]
"""(kind, source identity) → (name, definition) of what of the source landed in the target."""


@dataclass(frozen=True)
class Changes:
    """What a promotion of the source writes (by source identity) and what it deletes."""

    written: dict[tuple[str, str], Written]
    deleted: dict[tuple[str, str], str]
    """Source identity → name in the target."""

    @classmethod
    def since(cls, landed: Landed, now: Landed) -> Changes:
        written = {
            key: written_of(key[0], name, document, landed[key][0] if key in landed else None)
            for key, (name, document) in sorted(now.items())
            if landed.get(key) != (name, document)
        }
        return cls(written, {key: landed[key][0] for key in set(landed) - set(now)})

    def breaches(self, told: Told, moment: datetime) -> list[Breach]:
        return breaches(told.held(), list(self.written.values()), len(self.deleted), moment)


@GENERATED
@given(story=policy_stories())
@example(story=planned_in_a_freeze())
@example(story=renamed_and_made_again())
def test_policies_refuse_exactly_what_their_rules_say(
    services: Services, story: PolicyStory
) -> None:
    note(repr(story))
    told = Told(services, story.mode)
    for step in story.first:
        assert act(services, told.source, step), step
    moments = [story.rounds[0].planned_at]
    with clock(moments):
        first = told.plan()
        assert first is not None
        assert first.summary.problems == 0
        assert told.imported(first) == TaskStatus.SUCCESSFUL
        landed = identities(told.state(told.source))
        for turn in story.rounds:
            moments[0] = turn.planned_at
            landed = _round(told, turn, landed, moments)
    _versions_as_saved(told)


def _round(told: Told, turn: Round, landed: Landed, moments: list[datetime]) -> Landed:
    """Tell one round; what landed in the target after it."""
    for step in turn.changes:
        act(told.services, told.source, step)
    for holder, document in turn.before:
        told.save(holder, document)
    source = identities(told.state(told.source))
    changes = Changes.since(landed, source)
    plan = told.plan()
    if plan is None:
        assert not changes.written
        assert not changes.deleted
        return landed
    predicted = changes.breaches(told, turn.planned_at)
    assert Counter(_problems(plan)) == Counter(predicted)
    event(f"planned with problems: {len(predicted) > 0}")
    for holder, document in turn.between:
        told.save(holder, document)
    moments[0] = turn.applied_at
    took = _apply(told, plan, changes, changes.breaches(told, turn.applied_at), source)
    kept = {key: held for key, held in landed.items() if key not in took}
    return kept | {key: source[key] for key in took if key in source}


def _apply(
    told: Told, plan: Plan, changes: Changes, now: list[Breach], source: Landed
) -> set[tuple[str, str]]:
    """Apply the plan and check what the gate and the import did against the model (``now``:
    the breaches at the apply); the source identities of the objects it wrote and deleted."""
    atomic = told.mode == "ATOMIC"
    refusing = gate_breaches(now, atomic)
    before = told.state(told.target)
    if refusing:
        event("apply refused by the gate")
        with pytest.raises(PolicyViolationError) as refused:
            told.imported(plan)
        said = [
            (b["rule"], b["kind"], "plan" if b["kind"] == "package" else b["name"], b["policy"])
            for b in refused.value.context["breaches"]
        ]
        context = refused.value.context
        assert Counter(said) == Counter(refusing)
        assert set(context["rules"]) == {b[0] for b in refusing}
        first = f"the policy of {context['holder_kind']} '{context['holder']}'"
        assert (context["rule"], f"{first} (version {context['policy_version']})") == (
            refusing[0][0],
            refusing[0][3],
        )
        objects = Counter((o["kind"], o["name"]) for o in context["objects"])
        assert objects == Counter((b[1], b[2]) for b in refusing if b[1] != "package")
        assert all(f"the {RULE_WORDS[b[0]]}: " in refused.value.message for b in refusing)
        assert told.state(told.target) == before
        waiting = told.services.promotions.waiting(told.admin, told.route)
        assert waiting is not None
        assert waiting.task_id is None
        return set()
    status = told.imported(plan)
    event(f"imported: {status}")
    after = told.state(told.target)
    if now and (atomic or any(b[1] == "package" for b in now)):
        assert status == TaskStatus.FAILED
        assert after == before
        return set()
    failing = failed_objects(list(changes.written.values()), now)
    took = {key for key, obj in changes.written.items() if (obj.kind, obj.name) not in failing}
    took |= set(changes.deleted)
    ended = TaskStatus.WARNING if took else TaskStatus.FAILED  # PER_OBJECT, nothing taken
    assert status == (ended if failing else TaskStatus.SUCCESSFUL)
    freed = {(k[0], name) for k, name in changes.deleted.items()}
    freed |= {(o.kind, o.was) for k, o in changes.written.items() if k in took and o.was}
    for key, obj in changes.written.items():
        named = (obj.kind, obj.name)
        if key in took:
            assert after[named]["document"] == source[key][1], named
        else:  # as it was, unless what held its name moved away or went
            assert after.get(named) == (None if named in freed else before.get(named)), named
    names = {(obj.kind, obj.name) for obj in changes.written.values()}
    for (kind, _), name in changes.deleted.items():
        assert (kind, name) in names or (kind, name) not in after, name
    return took if status != TaskStatus.FAILED else set()


def _versions_as_saved(told: Told) -> None:
    """Every saved version lists and shows as it was saved, newest first."""
    policies = told.services.policies
    for holder, documents in told.saved.items():
        if not documents:
            continue
        route = None if holder == "workspace" else told.route
        scope = told.target if holder == "workspace" else told.admin
        listed = policies.versions(scope, route)
        assert [v.version for v in listed] == list(range(len(documents), 0, -1))
        assert [v.document for v in listed] == documents[::-1]
        for number, document in enumerate(documents, start=1):
            assert policies.get(scope, route, number).document == document
    newest = {(v.holder_kind, v.holder): v.version for v in policies.list_all(told.target)}
    for holder, documents in told.saved.items():
        if documents:
            name = told.target.workspace.name if holder == "workspace" else told.route
            assert newest[(holder, name)] == len(documents)
