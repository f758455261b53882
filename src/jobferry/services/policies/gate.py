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


def refuse_breaches(
    db: Database, scope: Scope, request: ImportRequest, now: datetime | None = None
) -> None:
    """Refuse applying ``request`` into the scope's workspace when a policy it keeps forbids
    it now (``PolicyViolationError``); nothing is written either way."""
    with db.transaction(readonly=True) as tx:
        held = governing(tx, scope, request.path)
        if not held:
            return
        moment = now or datetime.now(UTC)
        for item in held:
            breach = freeze_breach(item.policy, moment)
            if breach is not None:
                raise violation(item, [breach])
        if (
            request.plan_id is None
            or plan_repo.get_plan(tx, scope.workspace.id, request.plan_id) is None
        ):
            return  # no kept plan of this workspace: the import refuses an unknown one itself
        for item in held:
            found = _plan_breaches(tx, item, request)
            if found:
                raise violation(item, found)


def _plan_breaches(tx: Tx, item: HeldPolicy, request: ImportRequest) -> list[Breach]:
    """The breaches of the kept plan's lines (its deletions; its names in an ATOMIC import)."""
    assert request.plan_id is not None
    policy = item.policy
    if policy.max_deletions is not None:
        deleted = [
            (str(line.kind), line.target_name)
            for line in kept_lines(tx, request.plan_id, PlanAction.DELETE)
        ]
        breach = deletion_breach(policy, deleted)
        if breach is not None:
            return [breach]
    if request.mode is not ImportMode.ATOMIC or not (policy.job_names or policy.script_names):
        return []
    return _naming_breaches(tx, item, request.plan_id)


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


def violation(item: HeldPolicy, breaches: list[Breach]) -> PolicyViolationError:
    """The refusal of breaches of one policy: the rule, the policy, the objects, the fix."""
    rule = breaches[0].rule
    words = RULE_WORDS[rule]
    named = "; ".join(
        b.detail if b.kind == "package" else f"{b.kind} '{b.name}': {b.detail}"
        for b in breaches[:NAMED]
    )
    more = f" (and {len(breaches) - NAMED} more)" if len(breaches) > NAMED else ""
    objects = [{"kind": b.kind, "name": b.name} for b in breaches if b.kind != "package"]
    return PolicyViolationError(
        f"The {words} of {item.said()} refuses applying this plan: {named}{more}; nothing was "
        "imported.",
        fix=f"Change the plan so it keeps the {words} and make a new one"
        + (", wait for the freeze window to end," if rule is PolicyRule.FREEZE else ",")
        + f" or have an admin change the policy (PUT /v1/{{project_id}}{item.holder.path()}).",
        remedy=Remedy.FOLLOW_POLICY,
        rule=str(rule),
        policy_version=item.version,
        objects=objects[:NAMED],
        objects_total=len(objects),
        **item.holder.context(),
    )
