"""What the documents promise of running jobs and of the DataArts Studio look-ups (docs/api.md:
``start_job`` / ``stop_job``, "Calls answered with a clear "not supported"", "Finding the
``workspace`` header value", ``list_workspaceusers``; the contract's fields and paging), as a
model the generated stories of ``tests/unit/services/test_generated_runs.py`` are checked
against.

A *place* (a workspace, or the production side of an enterprise one) holds jobs by name, each
with its scheduling status (stopped, or scheduled: ``SCHEDULING``, a real-time job
``NORMAL``) and whether it has a submitted version. Who may do what: admins, developers and
operators start and stop jobs, on a production side admins and operators, and the development
side of an enterprise workspace starts none (a job is scheduled there once released, in
production; one started before the switch may still be stopped); admins and
developers delete stopped jobs, never on a production side (a release does); every member
reads. Every execution call answers 501 ``DLF.9501`` naming it. The management centre's lists
page with ``limit`` 1–100 (20) and ``offset`` in rows, any other value refused
(``DAYU.4402``); a workspace's members are the users holding a role there and the project
admins, and its ``member_num`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN, DEVELOPER, OPERATOR, VIEWER, DEPLOYER = (
    "admin",
    "developer",
    "operator",
    "viewer",
    "deployer",
)
DENIED = "DLF.6888"
INVALID = "DLF.3051"
NO_JOB = "DLF.0100"
SCHEDULED = "DLF.9011"
UNSCHEDULED_SIDE = "DLF.9089"
PRODUCTION = "DLF.9070"
UNSERVED = "DLF.9501"
MISSING = "DLF.9003"
LOOKUP = "DAYU.4402"
MAX_OFFSET = 1_000_000_000
CALLS = {  # the execution calls, each answered 501 naming it
    "run_once": ("POST", "/jobs/{name}/run-immediate"),
    "list_job_instances": ("GET", "/jobs/instances/detail"),
    "show_job_instance": ("GET", "/jobs/{name}/instances/7"),
    "stop_job_instance": ("POST", "/jobs/{name}/instances/7/stop"),
    "restore_job_instance": ("POST", "/jobs/{name}/instances/7/restart"),
}
WORKSPACE_FIELDS = {
    "id": str,
    "name": str,
    "description": str,
    "is_default": int,
    "project_id": str,
    "instance_id": str,
    "eps_id": str,
    "domain_id": str,
    "create_time": int,
    "member_num": int,
}
"""A ``Workspacebody``'s fields as jobferry answers them, with their types."""
MEMBER_FIELDS = {
    "id": str,
    "user_id": str,
    "user_name": str,
    "domain_id": str,
    "display_user_name": str,
    "workspace_id": str,
    "roles": list,
    "create_time": int,
    "type": int,
}
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""


@dataclass
class Job:
    """A job of a place: real-time or not, its submitted versions, scheduled or not."""

    real_time: bool
    versions: int
    """How many versions were submitted (0: only saved, nothing to schedule)."""
    scheduled: bool = False

    @property
    def status(self) -> str:
        """Its stored scheduling status, as ``list_jobs`` says it."""
        if not self.scheduled:
            return "STOPPED"
        return "NORMAL" if self.real_time else "SCHEDULING"


@dataclass
class Place:
    """What one workspace (or production side) holds."""

    production: bool
    jobs: dict[str, Job] = field(default_factory=dict)


def paged(limit: str | None, offset: str | None) -> tuple[int, int] | str:
    """A management-centre page's (limit, offset), or the refusal's code."""

    def number(text: str | None, low: int, high: int) -> int | str | None:
        if text is None:
            return None
        digits = text[1:] if text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit()) or not low <= int(text) <= high:
            return LOOKUP
        return int(text)

    rows, start = number(limit, 1, 100), number(offset, 0, MAX_OFFSET)
    if isinstance(rows, str) or isinstance(start, str):
        return LOOKUP
    return (20 if rows is None else rows), (start or 0)


class Model:
    """The places of a story, who holds which role where, and the audit entries each change
    writes."""

    def __init__(
        self, places: dict[str, bool], boss: str, roles: dict[str, dict[str, str]]
    ) -> None:
        self.boss = boss
        """The project admin's name."""
        self.enterprise = {p for p in places if p + "prod" in places}
        """The development workspaces in enterprise mode."""
        self.admins = {boss}
        """The project admins' names."""
        self.places = {name: Place(production) for name, production in places.items()}
        self.roles = roles
        """user → place → role, the development workspaces' (a production side's are its
        development workspace's)."""
        self.audit: list[Line] = []
        """The entries the last step wrote."""

    def development(self, place: str) -> str:
        """The place whose roles reach ``place``."""
        return place.removesuffix("prod")

    def role(self, user: str, place: str) -> str | None:
        """The user's role in ``place`` (None: none; the project admin is admin everywhere)."""
        if user in self.admins:
            return ADMIN
        return self.roles.get(user, {}).get(self.development(place))

    def start(self, place: str, user: str, actor: str, name: str, body_fault: bool) -> str | None:
        """Start scheduling a job; the refusal's code, or None."""
        role, held = self.role(user, place), self.places[place]
        if role is None:
            return DENIED
        if body_fault:
            return INVALID
        allowed = (ADMIN, OPERATOR) if held.production else (ADMIN, DEVELOPER, OPERATOR)
        if role not in allowed:
            return DENIED
        job = held.jobs.get(name)
        if job is None:
            return NO_JOB
        if place in self.enterprise:
            return UNSCHEDULED_SIDE
        if not job.versions:
            return INVALID
        job.scheduled = True
        self.audit = [(actor, "job.start", "job", name)]
        return None

    def stop(self, place: str, user: str, actor: str, name: str) -> str | None:
        """Stop scheduling a job (idempotent); the refusal's code, or None."""
        role, held = self.role(user, place), self.places[place]
        allowed = (ADMIN, OPERATOR) if held.production else (ADMIN, DEVELOPER, OPERATOR)
        if role not in allowed:
            return DENIED
        job = held.jobs.get(name)
        if job is None:
            return NO_JOB
        job.scheduled = False
        self.audit = [(actor, "job.stop", "job", name)]
        return None

    def delete(self, place: str, user: str, actor: str, name: str) -> str | None:
        """Delete a stopped job; the refusal's code, or None."""
        role, held = self.role(user, place), self.places[place]
        if role not in (ADMIN, DEVELOPER):
            return DENIED
        if held.production:
            return PRODUCTION
        job = held.jobs.get(name)
        if job is None:
            return NO_JOB
        if job.scheduled:
            return SCHEDULED
        del held.jobs[name]
        self.audit = [(actor, "job.delete", "job", name)]
        return None

    def update(
        self, place: str, user: str, actor: str, name: str, retype: bool, submit: bool
    ) -> str | None:
        """Save a job again (``retype``: as the other process type; ``submit``: a version);
        the refusal's code, or None. A scheduled job stays scheduled, in its new type's
        status."""
        role, held = self.role(user, place), self.places[place]
        if role not in (ADMIN, DEVELOPER):
            return DENIED
        if held.production:
            return PRODUCTION
        job = held.jobs.get(name)
        if job is None:
            return NO_JOB
        job.real_time ^= retype
        job.versions += submit
        self.audit = [(actor, "job.update", "job", name)]
        return None

    def read(self, place: str, user: str, name: str | None = None) -> str | None:
        """A member's read of a place (of job ``name``); the refusal's code, or None."""
        if self.role(user, place) is None:
            return DENIED
        if name is not None and name not in self.places[place].jobs:
            return NO_JOB
        return None

    def grant(self, actor: str, user: str, place: str, role: str) -> None:
        """The project admin gives ``user`` ``role`` in a development workspace."""
        held = self.roles.setdefault(user, {})
        changed, held[place] = held.get(place) != role, role  # the same role: nothing written
        self.audit = [(actor, "role.set", "user", user)] if changed else []

    def revoke(self, actor: str, user: str, place: str) -> str | None:
        """The project admin takes ``user``'s role in a development workspace away."""
        if self.roles.get(user, {}).pop(place, None) is None:
            return MISSING
        self.audit = [(actor, "role.remove", "user", user)]
        return None

    def switch(self, place: str, user: str, actor: str, workspace: str) -> str | None:
        """A workspace admin switches a workspace to enterprise mode (``update_work_space_old``;
        one switched already stays as it is); the refusal's code, or None. A production side
        is not among the workspaces the call knows."""
        role = self.role(user, place)
        if self.places[place].production or role is None:
            return LOOKUP
        if role != ADMIN:
            return DENIED
        if place not in self.enterprise:
            self.enterprise.add(place)
            self.audit = [(actor, "workspace.enterprise", "workspace", workspace)]
        return None

    def promote(self, actor: str, user: str, admin: bool) -> None:
        """The project admin makes ``user`` a project admin, or no longer one (what they are
        already: nothing changes)."""
        if (user in self.admins) != admin:
            self.admins ^= {user}
            self.audit = [(actor, "user.project_admin", "user", user)]

    def members(self, place: str) -> list[tuple[str, str]]:
        """(user, role) of a place's members, the project admin among them, by name."""
        home = self.development(place)
        found = [(u, r[home]) for u, r in self.roles.items() if home in r and u not in self.admins]
        return sorted([*((a, ADMIN) for a in self.admins), *found])

    def visible(self, user: str) -> list[str]:
        """The story's development workspaces ``user`` lists (a project admin: all)."""
        return [p for p in ("w0", "w1") if self.role(user, p) is not None]
