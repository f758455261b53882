"""Policies, their rules: what each rule of a policy (``domain/policies.py``) finds wrong with
what a plan does — an object it writes, the objects it deletes, the moment it is applied — as
breaches naming the rule, the object and why, in words any client can show."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from jobferry.domain.policies import ANY_OWNER, Policy, PolicyRule


@dataclass(frozen=True)
class Breach:
    """One rule a plan breaks: the rule, the object (kind ``package``: the whole plan), why."""

    rule: PolicyRule
    kind: str
    name: str
    detail: str


@dataclass(frozen=True)
class WrittenObject:
    """What the rules read of an object a plan creates, overwrites or renames."""

    kind: str
    name: str
    owner: str | None = None
    """A job's owner (``None`` for other kinds)."""
    connections: frozenset[str] = frozenset()


def written_breaches(policy: Policy, obj: WrittenObject) -> list[Breach]:
    """The rules an object the plan creates, overwrites or renames breaks."""
    found: list[Breach] = []
    pattern = policy.pattern_of(obj.kind)
    if pattern is not None and _compiled(pattern).fullmatch(obj.name) is None:
        found.append(
            Breach(
                PolicyRule.NAMING,
                obj.kind,
                obj.name,
                f"its name does not match the {obj.kind} naming rule '{pattern}'",
            )
        )
    if obj.kind == "job" and policy.owners and not _owner_allowed(policy.owners, obj.owner):
        said = f"owner '{obj.owner}'" if obj.owner else "no owner"
        allowed = "an owner" if policy.owners == (ANY_OWNER,) else ", ".join(policy.owners)
        found.append(
            Breach(
                PolicyRule.OWNERS,
                obj.kind,
                obj.name,
                f"it has {said}, and the owner rule asks for {allowed}",
            )
        )
    used = sorted(obj.connections & policy.protected_connections)
    if used:
        found.append(
            Breach(
                PolicyRule.PROTECTED_CONNECTIONS,
                obj.kind,
                obj.name,
                f"it uses the protected connection(s) {', '.join(used)}",
            )
        )
    return found


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _owner_allowed(owners: tuple[str, ...], owner: str | None) -> bool:
    if not owner:
        return False
    return ANY_OWNER in owners or owner in owners


def deletion_breach(policy: Policy, deleted: Sequence[tuple[str, str]]) -> Breach | None:
    """The deletion limit's breach by a plan deleting ``deleted`` ((kind, name) of each)."""
    limit = policy.max_deletions
    if limit is None or len(deleted) <= limit:
        return None
    named = ", ".join(f"{kind} '{name}'" for kind, name in deleted[:10])
    more = f" and {len(deleted) - 10} more" if len(deleted) > 10 else ""
    return Breach(
        PolicyRule.MAX_DELETIONS,
        "package",
        "plan",
        f"the plan deletes {len(deleted)} object{'' if len(deleted) == 1 else 's'} "
        f"({named}{more}), over the limit of {limit}",
    )


def freeze_breach(policy: Policy, now: datetime) -> Breach | None:
    """The freeze window ``now`` (aware) falls in, if any."""
    for window in policy.freeze:
        if window.covers(now):
            return Breach(
                PolicyRule.FREEZE,
                "package",
                "plan",
                f"no plan is applied during the freeze window {window.describe()}",
            )
    return None
