"""What a policy asks of a plan, written from the documents (docs/api.md, Policies;
docs/design.md, Policies) and not from the code, for the generated policy stories
(``tests/unit/services/policies/test_generated_policies.py``); and a controlled clock.

- a freeze window ``{from, to, zone}``: ISO dates or date-times read in the zone (an IANA
  name, ``UTC`` or ``GMT+08:00``) unless they carry their own offset; a date alone starts at
  its midnight and a ``to`` date ends with its day; a wall-clock time the zone skips is read
  with the offset before the change. A weekly window ``{days, zone}`` covers those whole days
  in its zone. A window holding the moment breaks the ``freeze`` rule, of the whole plan;
- ``maxDeletions``: more deletions than the limit break it, of the whole plan;
- ``naming`` (``jobs``, ``scripts``): every name the plan creates, overwrites or renames
  matches the pattern whole; ``owners``: every job it writes has an owner among them (``*``:
  any, but one); ``protectedConnections``: no job or script it writes uses one. Each of the
  objects it breaks them with;
- the workspace's policy governs every plan into it, the route's every plan of its
  promotions: a plan along the route keeps both, each rule broken of each listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

WEEK = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
RULE_WORDS = {
    "maxDeletions": "deletion limit",
    "protectedConnections": "protected connections",
    "naming": "naming rule",
    "owners": "owner rule",
    "freeze": "freeze window",
}
"""Each rule as the problems and refusals say it."""
PACKAGE_RULES = ("freeze", "maxDeletions")


@dataclass(frozen=True)
class Written:
    """An object a plan creates, overwrites or renames, as the rules read it."""

    kind: str
    name: str
    owner: str | None
    connection: str
    script: str | None = None
    """The script a job runs (a PER_OBJECT import fails a job needing a failing script)."""
    was: str | None = None
    """Its name in the target before (a rename frees it)."""


@dataclass(frozen=True)
class Held:
    """A policy as its holder keeps it: whose (``"workspace 'prod1'"``), its version, the
    document."""

    holder: str
    version: int
    document: dict[str, Any]

    def said(self) -> str:
        return f"the policy of {self.holder} (version {self.version})"


Breach = tuple[str, str, str, str]
"""(rule, kind, name, whose policy): kind ``package`` (name ``plan``) for the whole plan."""


def zone_of(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    found = re.fullmatch(r"GMT([+-])(\d\d):(\d\d)", name)
    if found:
        sign = 1 if found[1] == "+" else -1
        return timezone(sign * timedelta(hours=int(found[2]), minutes=int(found[3])))
    return ZoneInfo(name)


def _moment(text: str, zone: tzinfo, end: bool) -> datetime:
    if len(text) == 10:
        day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
        return datetime.combine(day, time(), tzinfo=zone)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone, fold=0)


def covers(window: dict[str, Any], now: datetime) -> bool:
    """Whether the window holds the (aware) moment ``now``."""
    zone = zone_of(window["zone"])
    if "days" in window:
        return WEEK[now.astimezone(zone).weekday()] in window["days"]
    start = _moment(window["from"], zone, end=False)
    return start <= now < _moment(window["to"], zone, end=True)


KEYS = frozenset({"description", "maxDeletions", "protectedConnections", "naming", "owners"})
"""The keys of a policy document (and ``freeze``): another is refused."""


def faults(document: dict[str, Any]) -> int:
    """How many reasons a save of ``document`` is refused for: an unknown key, a pattern that
    is no regular expression, a window that ends before it starts (each said)."""
    found = sum(key not in KEYS | {"freeze"} for key in document)
    for pattern in (document.get("naming") or {}).values():
        try:
            re.compile(pattern)
        except re.error:
            found += 1
    for window in document.get("freeze") or []:
        if "days" not in window:
            zone = zone_of(window["zone"])
            ends = _moment(window["to"], zone, end=True)
            found += ends <= _moment(window["from"], zone, end=False)
    return found


def object_breaches(policy: Held, written: list[Written]) -> list[Breach]:
    doc, said = policy.document, policy.said()
    found: list[Breach] = []
    for obj in written:
        pattern = (doc.get("naming") or {}).get(f"{obj.kind}s")
        if pattern is not None and re.fullmatch(pattern, obj.name) is None:
            found.append(("naming", obj.kind, obj.name, said))
        owners = doc.get("owners") or []
        allowed = obj.owner and ("*" in owners or obj.owner in owners)
        if obj.kind == "job" and owners and not allowed:
            found.append(("owners", obj.kind, obj.name, said))
        if obj.connection in (doc.get("protectedConnections") or []):
            found.append(("protectedConnections", obj.kind, obj.name, said))
    return found


def plan_breaches(policy: Held, deleted: int, now: datetime) -> list[Breach]:
    """The breaches of the whole plan: a window holding ``now``, the deletion limit."""
    doc, said = policy.document, policy.said()
    found: list[Breach] = []
    if any(covers(window, now) for window in doc.get("freeze") or []):
        found.append(("freeze", "package", "plan", said))
    limit = doc.get("maxDeletions")
    if limit is not None and deleted > limit:
        found.append(("maxDeletions", "package", "plan", said))
    return found


def breaches(
    policies: list[Held], written: list[Written], deleted: int, now: datetime
) -> list[Breach]:
    """Every rule of every policy a plan of ``written`` and ``deleted`` objects made (or
    applied) at ``now`` breaks."""
    found: list[Breach] = []
    for policy in policies:
        found += plan_breaches(policy, deleted, now) + object_breaches(policy, written)
    return found


def failed_objects(written: list[Written], found: list[Breach]) -> set[tuple[str, str]]:
    """(kind, name) of the objects a PER_OBJECT import fails: those breaking a rule, and
    whatever needs them (a job running a failing script; an object taking the name a failing
    rename frees)."""
    failed = {(b[1], b[2]) for b in found if b[1] != "package"}
    more = True
    while more:
        held = {(o.kind, o.was) for o in written if (o.kind, o.name) in failed and o.was}
        needing = {
            (o.kind, o.name)
            for o in written
            if ("script", o.script) in failed or ((o.kind, o.name) in held and o.was != o.name)
        }
        more = not needing <= failed
        failed |= needing
    return failed


def gate_breaches(found: list[Breach], atomic: bool) -> list[Breach]:
    """What refuses an apply before its import is queued: a freeze window, the deletion
    limit, and in an ATOMIC import the naming rule."""
    return [b for b in found if b[0] in PACKAGE_RULES or (atomic and b[0] == "naming")]


@contextmanager
def clock(moments: list[datetime]) -> Iterator[None]:
    """The policies read the clock at ``moments[0]``; the caller may set another moment
    (``moments[0] = ...``) inside the block."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:  # type: ignore[override]
            moment = moments[0] if tz is None else moments[0].astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    with (
        mock.patch("jobferry.services.policies.planning.datetime", Frozen),
        mock.patch("jobferry.services.policies.gate.datetime", Frozen),
        mock.patch("jobferry.services.policies.governing.datetime", Frozen),
    ):
        yield
