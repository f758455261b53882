"""Policies: the rules every plan into a workspace (or along a route) must keep.

A policy is a small document (JSON or YAML), kept per workspace or per route and saved as
versions (``services/policies``); every rule is optional::

    description: production rules
    maxDeletions: 5                       # a plan deletes at most 5 objects
    protectedConnections: [dws_prod]      # no job or script a plan writes uses them
    naming:                               # regular expressions every whole name must match
      jobs: "prod_[a-z0-9_]+"
      scripts: "prod_.*"
    owners: [ann, ops]                    # each job a plan writes is owned by one of them
    freeze:                               # no plan is applied during these windows
      - {from: "2026-12-24", to: "2026-12-26", zone: Europe/Berlin}
      - {from: "2026-12-31T18:00", to: "2027-01-01T06:00", zone: Asia/Shanghai}
      - {days: [SAT, SUN], zone: Europe/Berlin}

What a rule asks of a plan's lines: ``naming`` and ``owners`` of every object the plan creates,
overwrites or renames (``owners: ["*"]``: any owner, but one: an empty owner breaks it);
``protectedConnections`` of every job or script the plan writes that uses such a connection
(a plan never changes a connection itself: connections are environment objects, which the
workspace's admins keep, so the rule guards what runs on them); ``maxDeletions`` counts the
plan's deletions; a ``freeze`` window refuses every plan while it lasts, whatever it holds.

A window's ``from`` and ``to`` are ISO dates or date-times read in ``zone`` (an IANA name,
``UTC`` or ``GMT+08:00``), or carrying their own offset; a date alone starts at its midnight,
and a ``to`` date ends at the end of that day (``{from: 2026-12-24, to: 2026-12-26}`` freezes
the 24th, 25th and 26th). Local times follow the zone's daylight saving rules (a wall-clock time
the zone skips is read with the offset before the change). A weekly window (``days``) covers
those whole days in its zone. Unknown keys are refused, so a typo cannot silently lift a rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from jobferry.domain.schedule import parse_time_zone
from jobferry.domain.shapes import (
    BodyShape,
    DocumentError,
    Extra,
    Field,
    JsonType,
    nested_map,
    opened,
    text,
)

MAX_PATTERN = 500
"""The longest name pattern a policy may hold (characters)."""
ANY_OWNER = "*"
"""``owners: ["*"]``: any owner, but not none."""


class HolderKind(StrEnum):
    """What holds a policy: a workspace (every plan into it) or a route (its promotions)."""

    WORKSPACE = "workspace"
    ROUTE = "route"


class PolicyRule(StrEnum):
    """The rules a policy may hold (their keys in the document)."""

    MAX_DELETIONS = "maxDeletions"
    PROTECTED_CONNECTIONS = "protectedConnections"
    NAMING = "naming"
    OWNERS = "owners"
    FREEZE = "freeze"


RULE_WORDS: dict[PolicyRule, str] = {
    PolicyRule.MAX_DELETIONS: "deletion limit",
    PolicyRule.PROTECTED_CONNECTIONS: "protected connections",
    PolicyRule.NAMING: "naming rule",
    PolicyRule.OWNERS: "owner rule",
    PolicyRule.FREEZE: "freeze window",
}
"""Each rule in words, for texts a person reads in any client."""


def release_changes(rules: list[str]) -> str:
    """What to change in development so that a new release package keeps ``rules`` (a deploy
    refused by them; the freeze window is waited out, not changed), in any client's words:
    objects renamed to names the naming rule takes, fewer deletions a package, objects changed
    to keep the other rules. Empty when only a freeze window was broken."""
    said = []
    if PolicyRule.NAMING in rules:
        said.append("rename the objects named in development to names the naming rule takes")
    if PolicyRule.MAX_DELETIONS in rules:
        said.append(
            "put no more deletions in one package than the deletion limit allows (release the "
            "others in later packages)"
        )
    others = [RULE_WORDS[PolicyRule(r)] for r in rules if r in _CHANGED_RULES]
    if others:
        said.append(
            f"change the objects named in development so they keep the {' and the '.join(others)}"
        )
    return "; ".join(said)


def repackaging(rules: list[str], anew: str, deploy_again: str) -> str:
    """What a release package whose deploy ``rules`` refused can do (:func:`release_changes`,
    the freeze window waited out), in a client's words: ``anew``, how it packages the pending
    items anew and drops this package; ``deploy_again``, how it deploys this one again."""
    said = []
    changes = release_changes(rules)
    if changes:
        said.append(f"{changes[0].upper()}{changes[1:]}; submit what you changed, {anew}")
    if PolicyRule.FREEZE in rules and said:
        said.append("deploy the new package once the freeze window ends")
    elif PolicyRule.FREEZE in rules:
        said.append(f"Wait for the freeze window to end, then {deploy_again}")
    return ", and ".join(said)


_CHANGED_RULES = (PolicyRule.PROTECTED_CONNECTIONS, PolicyRule.OWNERS)
_RULE_VALUES = frozenset(rule.value for rule in PolicyRule)


def rules_broken(problems: Any) -> Iterator[str]:
    """The rules the policy problems of a plan's wire form (``problems``: a list of problem
    objects, as a task's result holds them) say are broken, by their ``rule``."""
    for problem in problems if isinstance(problems, list) else ():
        rule = problem.get("rule") if isinstance(problem, dict) else None
        if rule in _RULE_VALUES:
            yield str(rule)


class Weekday(StrEnum):
    """The days of a weekly freeze window."""

    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"


_WEEK = list(Weekday)

FREEZE_WINDOW = BodyShape(
    "freeze window: {from, to, zone} or {days, zone}",
    (
        text("from", "start: an ISO date or date-time (in zone, unless it has an offset)"),
        text("to", "end: an ISO date (to the end of that day) or date-time"),
        text("zone", "the time zone: an IANA name, UTC or GMT+08:00"),
        Field(
            "days",
            "a weekly window: these whole days, in zone",
            (JsonType.ARRAY,),
            items=JsonType.STRING,
        ),
    ),
)
NAMING = BodyShape(
    "naming rule",
    (
        text("jobs", "a regular expression every job name must match whole", nullable=True),
        text("scripts", "a regular expression every script name must match whole", nullable=True),
    ),
)
POLICY = BodyShape(
    "policy (JSON, or YAML with Content-Type application/yaml)",
    (
        text("description", "what the policy is for", nullable=True),
        Field(
            "maxDeletions",
            "the most objects a plan may delete",
            (JsonType.INTEGER,),
            nullable=True,
        ),
        Field(
            "protectedConnections",
            "connections no job or script a plan writes may use",
            (JsonType.ARRAY,),
            items=JsonType.STRING,
            nullable=True,
        ),
        Field("naming", "name patterns", (JsonType.OBJECT,), shape=NAMING, nullable=True),
        Field(
            "owners",
            "the owners a job a plan writes may have ('*': any, but one)",
            (JsonType.ARRAY,),
            items=JsonType.STRING,
            nullable=True,
        ),
        Field(
            "freeze",
            "windows during which no plan is applied",
            (JsonType.ARRAY,),
            items=FREEZE_WINDOW,
            nullable=True,
        ),
    ),
    Extra.REFUSED,
)


class PolicyError(DocumentError):
    """A policy document that cannot be used; ``problems`` lists every reason."""


@dataclass(frozen=True)
class FreezeWindow:
    """A time during which no plan is applied: from ``start`` to ``end`` (aware, end
    excluded), or the whole ``days`` of each week in ``zone``."""

    zone: str
    start: datetime | None = None
    end: datetime | None = None
    days: tuple[Weekday, ...] = ()

    def covers(self, now: datetime) -> bool:
        """Whether the (aware) moment ``now`` falls in the window."""
        if self.days:
            local = now.astimezone(parse_time_zone(self.zone))
            return _WEEK[local.weekday()] in self.days
        assert self.start is not None
        assert self.end is not None
        return self.start <= now < self.end

    def describe(self) -> str:
        """The window in words, e.g. 'every SAT, SUN (Europe/Berlin)'."""
        if self.days:
            return f"every {', '.join(self.days)} ({self.zone})"
        assert self.start is not None
        assert self.end is not None
        return f"{self.start.isoformat()} to {self.end.isoformat()} ({self.zone})"


@dataclass(frozen=True)
class Policy:
    """A checked policy; ``document`` is what was written (what is stored)."""

    document: Mapping[str, Any]
    description: str = ""
    max_deletions: int | None = None
    protected_connections: frozenset[str] = frozenset()
    job_names: str | None = None
    script_names: str | None = None
    owners: tuple[str, ...] = ()
    freeze: tuple[FreezeWindow, ...] = ()

    def pattern_of(self, kind: str) -> str | None:
        """The name pattern of objects of ``kind`` (jobs, scripts), if any."""
        return {"job": self.job_names, "script": self.script_names}.get(kind)


def parse_policy(document: object) -> Policy:
    """Check a policy document, collecting every problem; raises :class:`PolicyError`."""
    document, description, problems = opened(document, POLICY, "policy", PolicyError)
    limit = document.get("maxDeletions")
    if limit is not None and (type(limit) is not int or limit < 0):
        problems.append("maxDeletions must be a whole number, 0 or more")
        limit = None
    connections = _names(document.get("protectedConnections"), "protectedConnections", problems)
    jobs, scripts = _naming(document.get("naming"), problems)
    owners = _names(document.get("owners"), "owners", problems)
    windows = _windows(document.get("freeze"), problems)
    if problems:
        raise PolicyError(problems)
    return Policy(
        dict(document),
        description,
        limit,
        frozenset(connections),
        jobs,
        scripts,
        tuple(owners),
        tuple(windows),
    )


def _names(value: object, key: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{key} must be a list of names")
        return []
    return list(value)


def _naming(value: object, problems: list[str]) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    naming = nested_map(
        value, NAMING, "naming", "a map {jobs: <pattern>, scripts: <pattern>}", problems
    )
    if naming is None:
        return None, None
    return (
        _pattern(naming.get("jobs"), "naming.jobs", problems),
        _pattern(naming.get("scripts"), "naming.scripts", problems),
    )


def _pattern(value: object, where: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{where} must be a regular expression (text)")
        return None
    if len(value) > MAX_PATTERN:
        problems.append(f"{where} is longer than {MAX_PATTERN} characters")
        return None
    try:
        re.compile(value)
    except re.error as exc:
        problems.append(f"{where} is not a regular expression: {exc}")
        return None
    return value


def _windows(value: object, problems: list[str]) -> list[FreezeWindow]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("freeze must be a list of windows")
        return []
    windows = []
    for at, item in enumerate(value):
        window = _window(item, f"freeze[{at}]", problems)
        if window is not None:
            windows.append(window)
    return windows


def _window(item: object, where: str, problems: list[str]) -> FreezeWindow | None:
    value = nested_map(item, FREEZE_WINDOW, where, "{from, to, zone} or {days, zone}", problems)
    if value is None:
        return None
    zone_text = value.get("zone")
    zone: tzinfo | None = None
    if zone_text is not None:
        try:
            zone = parse_time_zone(zone_text)
        except ValueError as exc:
            problems.append(f"{where}.zone: {exc}")
            return None
    if "days" in value:
        return _weekly(value, zone_text if zone is not None else None, where, problems)
    start = _moment(value.get("from"), zone, False, f"{where}.from", problems)
    end = _moment(value.get("to"), zone, True, f"{where}.to", problems)
    if start is None or end is None:
        return None
    if end <= start:
        problems.append(f"{where} ends before it starts")
        return None
    return FreezeWindow(str(zone_text or start.tzname()), start, end)


def _weekly(
    value: Mapping[str, Any], zone: object, where: str, problems: list[str]
) -> FreezeWindow | None:
    days = value.get("days")
    if "from" in value or "to" in value:
        problems.append(f"{where}: a weekly window has days, not from and to")
        return None
    if zone is None:
        problems.append(f"{where}: a weekly window needs its zone")
        return None
    if not isinstance(days, list) or not days or any(d not in set(Weekday) for d in days):
        problems.append(f"{where}.days must list days among {', '.join(Weekday)}")
        return None
    return FreezeWindow(str(zone), days=tuple(Weekday(d) for d in days))


def _moment(
    value: object, zone: tzinfo | None, end: bool, where: str, problems: list[str]
) -> datetime | None:
    """An aware moment from an ISO date or date-time; a date alone is its midnight (an end:
    the next midnight, so that the day is in the window)."""
    if not isinstance(value, str) or not value:
        problems.append(f"{where} must be an ISO date or date-time, e.g. '2026-12-24T18:00'")
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time())
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: '{value}' is not an ISO date or date-time")
        return None
    if moment.tzinfo is not None:
        return moment
    if zone is None:
        problems.append(f"{where}: '{value}' has no offset, and the window no zone")
        return None
    return moment.replace(tzinfo=zone)
