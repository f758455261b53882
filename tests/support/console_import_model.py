"""What the console's import pages promise, for ``tests/console/test_generated_imports.py``.

The import wizard (docs/console.md, *Import*; *Task*) is the console's way to make the calls an
API client makes (docs/api.md: upload, check-file, plan, import naming the plan, rollback): a
step it takes does what those calls do, a step refused changes nothing and answers a page
saying why in the console's words. Some refusals are the console's own, before a service is
called: a post without the session's security token (403), a step a viewer posts (403, the
wizard's writers' check), a source step with no file and no path (400). The rest are the
services' rules, which the story learns from the same call made through the services, as the
API makes it, on a twin workspace.

``Held`` is a workspace's state as the services read it, naming nothing of the workspace (no
ids, no times), so that the console's workspace and its twin compare equal while they took the
same steps; its audit lines are the workspace's log as actions on named objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobferry.services.container import Services
from jobferry.services.context import Scope

CSRF_REFUSED = 403
"""A post without the session's security token: refused before the form is read."""
NOT_ALLOWED = 403
"""A wizard step or a rollback a viewer posts."""
NO_SOURCE = 400
"""A source step with no file and no path."""
SERVER_ERROR = 500
TAKEN = {"source": 303, "check": 200, "plan": 200, "run": 303, "rollback": 303}
"""What a step the services take answers: a redirect to the next page (the options step, the
task's page), or the page of the step."""

JOB_FIELDS = ("name", "description", "directory", "nodes", "schedule", "params", "processType")
"""What a job's document says that an import writes (not the server's ids and times)."""
SCRIPT_FIELDS = ("name", "type", "directory", "content", "connectionName", "database")


def connections_of(document: dict[str, Any]) -> tuple[str, ...]:
    """The connections a job's nodes name (what a mapping changes)."""
    return tuple(
        str(p.get("value"))
        for node in document.get("nodes") or []
        for p in node.get("properties") or []
        if p.get("name") == "connectionName"
    )


OWN = frozenset({"workspace", "task"})
"""Audited objects each workspace names its own way (its name, a task's id)."""


@dataclass(frozen=True)
class Held:
    """A workspace's state, as the services read it, naming nothing of the workspace."""

    jobs: tuple[tuple[str, str, str], ...]
    """Each job's name, status and what its document says (``JOB_FIELDS``)."""
    scripts: tuple[tuple[str, str], ...]
    resources: tuple[str, ...]
    audit: tuple[tuple[str, str, str], ...]
    """The workspace's audit log, oldest first: each line's action, object kind and name (the
    workspace's or a task's own name left out: ``OWN``; a generated package's name without
    the workspace's name and the time)."""


def held(services: Services, scope: Scope) -> Held:
    """What ``scope``'s workspace holds."""
    _, jobs = services.jobs.list_jobs(
        scope, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    shown = []
    for job in sorted(jobs, key=lambda j: j.name):
        document = services.jobs.show(scope, job.name).document
        fields = {k: document.get(k) for k in JOB_FIELDS}
        shown.append((job.name, str(job.status), repr(fields)))
    _, scripts = services.scripts.list_scripts(scope, script_name=None, limit=100, offset=0)
    _, resources = services.resources.list_resources(scope, resource_name=None, limit=100, offset=0)
    entries = services.audit.list_entries(scope, 200, 0).entries
    return Held(
        tuple(shown),
        tuple(
            sorted((s.name, repr({k: s.document.get(k) for k in SCRIPT_FIELDS})) for s in scripts)
        ),
        tuple(sorted(r.name for r in resources)),
        tuple(
            (e.action, e.object_kind or "", _named(scope, e.object_kind, e.object_name))
            for e in reversed(entries)
        ),
    )


def _named(scope: Scope, kind: str | None, name: str | None) -> str:
    """An audited object's name as both workspaces say it: none for their own objects, a
    package the workspace generated without the workspace's name and the time in it."""
    if kind in OWN:
        return ""
    return _STAMP.sub("", (name or "").replace(scope.workspace.name, "WS"))


_STAMP = re.compile(r"_\d{8}T\d{6}\.\d{3}Z")


def plan_said(lines: Any) -> tuple[tuple[str, str, str, str], ...]:
    """A plan's lines as what it says of each object: kind, name, action, old name."""
    return tuple((str(p.kind), p.name, str(p.action), p.previous_name or "") for p in lines)
