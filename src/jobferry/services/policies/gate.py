"""Policies, when a plan is applied: the refusal before an import (a plain import, a route's
promotion, a release's deploy) is queued.

The policy may have changed since the plan was made, and a freeze window may have begun: before
the import's task is queued, the policies the plan keeps now are checked against the clock and
the kept plan's typed lines — the freeze windows, the deletion limit (the plan's DELETE lines),
and in an ATOMIC import the naming rules (the names its lines create, overwrite or rename) —
and a breach refuses the call with ``PolicyViolationError``, naming the rule, the policy and the
objects. The rules that read the objects' definitions (owners, protected connections) are
checked where the definitions are read: the import plans again in its own transaction, with
the policies as they are then, and a breach there refuses it as any plan problem does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import orjson

from jobferry.domain.enums import ImportMode, ObjectKind, PlanAction
from jobferry.domain.policies import RULE_WORDS, PolicyRule
from jobferry.domain.policy_rules import (
    Breach,
    WrittenObject,
    deletion_breach,
    freeze_breach,
    written_breaches,
)
from jobferry.domain.remedies import Remedy
from jobferry.errors import PolicyViolationError
from jobferry.services.context import Scope
from jobferry.services.importing.plan import PlanLine
from jobferry.services.importing.request import ImportRequest
from jobferry.services.policies.governing import HeldPolicy, governing
from jobferry.storage import Database, Tx
from jobferry.storage.importing import plans as plan_repo

PAGE = 1000
"""Kept plan lines read at a time."""
NAMED = 20
"""Objects a refusal names (it counts them all)."""
_NAMED_KINDS = (ObjectKind.JOB, ObjectKind.SCRIPT)


Found = list[tuple[HeldPolicy, list[Breach]]]
"""Every breach found, by the policy it breaks (the policies in the order they govern)."""


def refuse_breaches(
    db: Database, scope: Scope, request: ImportRequest, now: datetime | None = None
) -> None:
    """Refuse applying ``request`` into the scope's workspace when a policy it keeps forbids
    it now (``PolicyViolationError``, naming every rule broken); nothing is written either
    way."""
    with db.transaction(readonly=True) as tx:
        found = breaches(tx, scope, request, now)
    if found:
        raise violation(found)


def breaches(tx: Tx, scope: Scope, request: ImportRequest, now: datetime | None = None) -> Found:
    """Every rule of the policies kept now that applying ``request`` breaks: the freeze
    windows holding ``now``, and the kept plan's deletions and names."""
    held = governing(tx, scope, request.path)
    if not held:
        return []
    moment = now or datetime.now(UTC)
    planned = request.plan_id is not None and (
        plan_repo.get_plan(tx, scope.workspace.id, request.plan_id) is not None
    )  # no kept plan of this workspace: the import refuses an unknown one itself
    found: Found = []
    for item in held:
        freeze = freeze_breach(item.policy, moment)
        broken = [freeze] if freeze is not None else []
        if planned:
            broken += _plan_breaches(tx, item, request)
        if broken:
            found.append((item, broken))
    return found


def _plan_breaches(tx: Tx, item: HeldPolicy, request: ImportRequest) -> list[Breach]:
    """The breaches of the kept plan's lines (its deletions; its names in an ATOMIC import)."""
    assert request.plan_id is not None
    policy = item.policy
    found: list[Breach] = []
    if policy.max_deletions is not None:
        deleted = [
            (str(line.kind), line.target_name)
            for line in kept_lines(tx, request.plan_id, PlanAction.DELETE)
        ]
        breach = deletion_breach(policy, deleted)
        if breach is not None:
            found.append(breach)
    if request.mode is ImportMode.ATOMIC and (policy.job_names or policy.script_names):
        found += _naming_breaches(tx, item, request.plan_id)
    return found


def _naming_breaches(tx: Tx, item: HeldPolicy, plan_id: str) -> list[Breach]:
    """The naming rule's breaches by the names the plan creates, overwrites or renames."""
    found: list[Breach] = []
    for action in (PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME):
        for kind in _NAMED_KINDS:
            for line in kept_lines(tx, plan_id, action, kind):
                named = WrittenObject(str(line.kind), line.name)
                breaches = written_breaches(item.policy, named)
                found += [b for b in breaches if b.rule is PolicyRule.NAMING]
    return found


def kept_lines(
    tx: Tx, plan_id: str, action: PlanAction, kind: ObjectKind | None = None
) -> Iterator[PlanLine]:
    """The kept plan's lines of ``action`` (and ``kind``), a page at a time."""
    offset = 0
    while True:
        total, texts = plan_repo.plan_objects(
            tx,
            plan_id,
            offset=offset,
            limit=PAGE,
            action=str(action),
            kind=None if kind is None else str(kind),
        )
        for text in texts:
            yield PlanLine.of_stored(orjson.loads(text))
        offset += len(texts)
        if not texts or offset >= total:
            return


def violation(
    found: Found,
    fix: str | None = None,
    remedy: Remedy = Remedy.FOLLOW_POLICY,
    outcome: str = "nothing was imported",
    whole: str = "plan",
    **context: str,
) -> PolicyViolationError:
    """The refusal of every breach ``found``: each policy, each rule and its objects, what
    was not done (``outcome``) and the fix (``fix``: the caller's own, e.g. a release's, with
    its ``context``; else a plan's). ``whole``: the name a breach of the whole package (a
    freeze, the deletion limit) is listed under (a release: its package's name)."""
    first, firsts = found[0]
    rules = broken_rules(found)
    every = [b for _, broken in found for b in broken]
    said = "; ".join(_said(item, broken) for item, broken in found)
    objects = [{"kind": b.kind, "name": b.name} for b in every if b.kind != "package"]
    return PolicyViolationError(
        f"{said}; {outcome}.",
        fix=fix or _plan_fix(found, rules),
        remedy=remedy,
        rule=str(firsts[0].rule),
        rules=[str(r) for r in rules],
        breaches=[
            {
                "rule": str(b.rule),
                "kind": b.kind,
                "name": whole if b.kind == "package" else b.name,
                "policy": item.said(),
            }
            for item, broken in found
            for b in broken
        ][:NAMED],
        policy_version=first.version,
        objects=objects[:NAMED],
        objects_total=len(objects),
        **first.holder.context(),
        **context,
    )


def broken_rules(found: Found) -> list[PolicyRule]:
    """The rules ``found`` breaks, each once, in the order found."""
    return list(dict.fromkeys(b.rule for _, broken in found for b in broken))


def rule_words(rules: list[PolicyRule]) -> str:
    """The rules in words: "the freeze window and the naming rule"."""
    words = [f"the {RULE_WORDS[r]}" for r in rules]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _said(item: HeldPolicy, broken: list[Breach]) -> str:
    """One policy's breaches: each rule, then the objects breaking it."""
    parts = []
    for rule in dict.fromkeys(b.rule for b in broken):
        of = [b for b in broken if b.rule is rule]
        named = "; ".join(
            b.detail if b.kind == "package" else f"{b.kind} '{b.name}': {b.detail}"
            for b in of[:NAMED]
        )
        more = f" (and {len(of) - NAMED} more)" if len(of) > NAMED else ""
        parts.append(f"the {RULE_WORDS[rule]}: {named}{more}")
    return f"{item.said()[0].upper()}{item.said()[1:]} refuses applying this plan by " + (
        "; by ".join(parts)
    )


def _plan_fix(found: Found, rules: list[PolicyRule]) -> str:
    paths = ", ".join(
        dict.fromkeys(f"PUT /v1/{{project_id}}{item.holder.path()}" for item, _ in found)
    )
    return (
        f"Change the plan so it keeps {rule_words(rules)} and make a new one"
        + (", wait for the freeze window to end," if PolicyRule.FREEZE in rules else ",")
        + f" or have an admin change the policy ({paths})."
    )
