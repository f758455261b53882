"""What the documents promise of environment objects of every kind (docs/api.md: the
``/environment/{kind}/{name}`` row, "Required secrets", the exports' manifest; docs/cli.md:
``jobferry env``), as a model the generated stories of
``tests/unit/services/test_generated_environment.py`` are checked against.

A place (a workspace, or the production side of an enterprise one) holds objects by kind and
name: a type, settings and write-only secrets (answered only by the names of those set; a
write without ``secrets`` keeps them, a write with ``secrets`` holds those it gives, an empty
value none). Admins write, every role reads. A production side changes only by a release: a
write into it is refused (DLF.9070). An object a job uses, by its saved definition or by its
latest submitted version, is not removed (DLF.9013). A refused step changes nothing and
carries the code the documents name for its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ADMIN, DEVELOPER, OPERATOR, VIEWER = "admin", "developer", "operator", "viewer"
ROLES = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
KINDS = (
    "connection",
    "dli_queue",
    "cdm_cluster",
    "cdm_job",
    "mrs_cluster",
    "dis_stream",
    "ges_graph",
    "resource_group",
    "quality_rule",
    "agency",
)
NAMES = ("src", "dst", "src", "销售")
"""The names stories give objects (few, so that steps meet)."""
DENIED = "DLF.6888"
INVALID = "DLF.3051"
NOT_FOUND = "DLF.9004"
IN_USE = "DLF.9013"
PRODUCTION = "DLF.9070"
BODY_KEYS = frozenset({"type", "config", "secrets", "kind", "name"})
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""
Ref = tuple[str, str]
"""An object a job uses: (kind, name)."""


@dataclass
class Held:
    """One object as stored: its type, settings and secrets (key → value)."""

    type: str
    config: dict[str, Any]
    secrets: dict[str, str]


@dataclass
class Job:
    """A job's references: by its saved definition, and by its latest submitted version
    (None: never submitted)."""

    developed: frozenset[Ref]
    submitted: frozenset[Ref] | None = None


@dataclass
class Place:
    """What one workspace (or production side) holds."""

    production: bool
    objects: dict[Ref, Held] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    """The jobs submitted since the last release (an enterprise workspace's pending items)."""

    def users(self, ref: Ref) -> list[str]:
        """The jobs using ``ref`` either way."""
        return sorted(
            name
            for name, job in self.jobs.items()
            if ref in job.developed or ref in (job.submitted or ())
        )


def body_faults(kind: str, name: str, body: dict[str, Any]) -> list[str]:
    """Why a PUT body is refused (empty: it is saved)."""
    faults = [f"unknown {key}" for key in body if key not in BODY_KEYS]
    faults += [
        f"{key} differs"
        for key, expected in (("kind", kind), ("name", name))
        if key in body and body[key] != expected
    ]
    type_ = body.get("type")
    # docs/api.md: a type is a name, letters, digits, '_', '-', '.' and spaces (never the '…'
    # of a suggested command copied as printed)
    if not isinstance(type_, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\- ]*", type_):
        faults.append("type")
    if not isinstance(body.get("config", {}), dict):
        faults.append("config")
    secrets = body.get("secrets")
    if secrets is not None and not (
        isinstance(secrets, dict) and all(isinstance(v, str) for v in secrets.values())
    ):
        faults.append("secrets")
    return faults


class Model:
    """The places of a story, what they hold, and the audit entries each change writes."""

    def __init__(self, places: dict[str, bool]) -> None:
        self.places = {name: Place(production) for name, production in places.items()}
        self.audit: list[Line] | None = []
        """The entries the last step wrote (None: not told here)."""
        self.secret_values: set[str] = set()
        """Every value ever sent as a secret (never answered, never exported)."""

    def put(
        self, place: str, role: str, actor: str, ref: Ref, body: dict[str, Any], *, valid: bool
    ) -> str | None:
        """Create or replace an object (``valid``: its kind and name are); the refusal's code,
        or None."""
        held = self.places[place]
        secrets = body.get("secrets")
        if isinstance(secrets, dict):
            self.secret_values |= {v for v in secrets.values() if isinstance(v, str) and v}
        if role != ADMIN:
            return DENIED
        if held.production:
            return PRODUCTION
        if not valid or body_faults(*ref, body):
            return INVALID
        before = held.objects.get(ref)
        kept = dict(before.secrets) if before is not None else {}
        if secrets is not None:
            kept = {k: v for k, v in secrets.items() if v != ""}
        held.objects[ref] = Held(body["type"], dict(body.get("config", {})), kept)
        action = "environment.update" if before is not None else "environment.create"
        # A write of what the object holds already changes nothing: nothing is audited.
        self.audit = [] if before == held.objects[ref] else [(actor, action, *ref)]
        return None

    def delete(self, place: str, role: str, actor: str, ref: Ref, *, valid: bool) -> str | None:
        """Remove an object no job uses (``valid``: its kind is one; no object is held under
        a bad name); the refusal's code, or None."""
        held = self.places[place]
        if role != ADMIN:
            return DENIED
        if held.production:
            return PRODUCTION
        if not valid:
            return INVALID
        if held.users(ref):
            return IN_USE
        if ref not in held.objects:
            return NOT_FOUND
        del held.objects[ref]
        self.audit = [(actor, "environment.delete", *ref)]
        return None

    def save_job(self, place: str, name: str, refs: frozenset[Ref], submit: bool) -> None:
        """A job saved (``submit``: and submitted) using ``refs``."""
        jobs = self.places[place].jobs
        before = jobs.get(name)
        submitted = refs if submit else (before.submitted if before is not None else None)
        jobs[name] = Job(refs, submitted)
        if submit:
            self.places[place].pending.add(name)
        self.audit = None

    def delete_job(self, place: str, name: str) -> None:
        """A job deleted (its versions with it)."""
        self.places[place].jobs.pop(name, None)
        self.places[place].pending.discard(name)
        self.audit = None

    def carry(self, source: str, target: str) -> list[tuple[str, Ref]]:
        """Import ``source``'s jobs (exported with what they use) into ``target``: the
        problems that refuse it, as (reason, object), or none: the CDM jobs ``source`` holds
        that they use and ``target`` lacks are created (type and settings; one ``target`` holds
        is kept as it is, as its environment), the jobs overwritten and submitted."""
        held, into = self.places[source], self.places[target]
        used = {r for job in held.jobs.values() for r in job.developed}
        carried = {r for r in used if r[0] == "cdm_job" and r in held.objects}
        problems = [("missing_reference", r) for r in used - carried if r not in into.objects]
        for ref in used - carried:
            wanted, there = held.objects.get(ref), into.objects.get(ref)
            if (
                ref[0] == "connection"
                and wanted
                and there
                and set(wanted.secrets) - set(there.secrets)
            ):
                problems.append(("missing_secret", ref))
        self.audit = None
        if problems:
            return sorted(problems)
        for ref in carried - set(into.objects):
            into.objects[ref] = Held(held.objects[ref].type, dict(held.objects[ref].config), {})
        for name, job in held.jobs.items():
            into.jobs[name] = Job(job.developed, job.developed)  # a version SUBMITTED
            into.pending.add(name)
        return []

    def release(self, development: str, production: str) -> list[Ref]:
        """A package of ``development``'s pending items made: ``production`` holds its objects
        (secrets too) from then on; the objects the packaged jobs use that it lacks, which
        refuse the package (none: it is released)."""
        held = self.places[development]
        self.places[production].objects = {
            ref: Held(o.type, dict(o.config), dict(o.secrets)) for ref, o in held.objects.items()
        }
        self.audit = None
        used = {r for name in held.pending for r in held.jobs[name].submitted or ()}
        missing = sorted(used - set(held.objects))
        if not missing:
            held.pending.clear()
        return missing
