"""What the console's forms promise, for ``tests/console/test_generated_forms.py``.

A form post is the console's way to make a change the API makes too: a good post does what the
same service call does, a refused one changes nothing and answers a page saying what was wrong
and how to fix it in the console's words, with what was typed kept. Some refusals are the
console's own, before any service is called: a missing or wrong security token (403, the
CSRF check of ``console/web.py``), the enterprise switch's unticked box (400), a lock policy the
settings form does not offer (400). The rest are the services' rules, which the story learns
from the same change made through the services on a twin workspace.

``Held`` is a workspace's state as the services read it, with nothing that names the workspace,
so that the console's workspace and its twin compare equal while they took the same changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import LockPolicy
from jobferry.domain.policies import POLICY
from jobferry.errors import PolicyNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import main_text

CSRF_REFUSED = 403
"""A post without the session's security token: refused before the form is read."""
FORM_REFUSED = 400
"""A post the console refuses itself (an unticked box, a value its form does not offer)."""
SERVER_ERROR = 500

KEPT = {
    "policy": ("document",),
    "environment": ("name", "type", "config"),
    "route": ("name", "description", "values"),
    "settings": (),
    "enterprise": (),
    "delete": (),
    "editor": ("definition",),
    "users": ("user",),
}
"""The fields a refused form shows again as typed (the users form: a new user's name; a
select or a box is kept by its own ``selected``/``checked``, checked apart for the settings)."""

_ALERT = re.compile(r'<div class="alert error" role="alert"[^>]*>(.*?)</div>', re.S)


def refusal_text(page: str) -> str:
    """What a refused page says about the refusal: its error alert (and the route form's list of
    problems), or an error page's message; not the fields it keeps."""
    said = [main_text(m) for m in _ALERT.findall(page)]
    if not said:  # an error page: its main text is the message
        said = [main_text(page)]
    return " ".join(" ".join(s.split()) for s in said)


def own_terms(act: str, terms: list[str]) -> list[str]:
    """The API's terms (``tests/test_wording.py``'s ``api_terms``) a refusal of form ``act``
    may not use: all but those its own field is written in, which the wording walk allows
    (``API_ONLY``, ``ADAPTER_TEXTS``): a policy's keys (the policy's text holds them), a JSON
    body (the environment object's config is one)."""
    if act == "policy":
        return [t for t in terms if t not in POLICY_KEYS]
    if act == "environment":
        return [t for t in terms if not t.startswith("{")]
    return terms


POLICY_KEYS = frozenset(f.name for f in POLICY.fields)


def lock_policy_offered(value: str) -> bool:
    """Whether the settings form offers ``value`` as a lock policy."""
    return value in {p.value for p in LockPolicy}


@dataclass(frozen=True)
class Held:
    """A workspace's state, as the services read it, naming nothing of the workspace."""

    settings: tuple[str, bool, bool, bool]
    """Lock policy, approval, signed packages only, enterprise mode."""
    policy: tuple[Any, ...]
    """The workspace policy's documents, oldest first."""
    environment: tuple[tuple[str, str, str, str, tuple[str, ...]], ...]
    jobs: tuple[str, ...]
    scripts: tuple[tuple[str, str], ...]
    """Each script's name and what was written of it (its type, folder, content)."""
    users: tuple[tuple[str, str, bool], ...]
    """The story's users (by the name it gave, without its prefix), their role here
    (``''``: none) and whether they are project admins."""
    routes: tuple[tuple[str, int, str], ...]
    """The workspace's routes (by the name the story gave, without its prefix), their newest
    version and their target."""


def _script(document: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(document.get(k) for k in ("type", "directory", "content"))


def held(services: Services, scope: Scope, prefix: str) -> Held:
    """What ``scope``'s workspace holds (its routes: those named ``prefix``…)."""
    ws = services.accounts.scope(scope.actor, scope.actor.project_id, scope.workspace.id)
    record = ws.workspace
    try:
        versions = services.policies.versions(ws, None)
    except PolicyNotFoundError:
        versions = []
    environment = tuple(
        sorted(
            (o.kind.value, o.name, o.type, repr(o.config), tuple(sorted(o.secret_keys)))
            for kind in ("connection", "dli_queue")
            for o in services.environment.list_objects(ws, kind)
        )
    )
    _, jobs = services.jobs.list_jobs(
        ws, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    _, scripts = services.scripts.list_scripts(ws, script_name=None, limit=100, offset=0)
    routes = tuple(
        (r.route.name.removeprefix(prefix), r.version, str(r.route.target.workspace))
        for r in services.routes.list_all(ws)
        if r.route.name.startswith(prefix)
    )
    return Held(
        (
            record.lock_policy,
            record.approval_enabled,
            record.require_signed,
            record.production_id is not None,
        ),
        tuple(v.document for v in reversed(versions)),
        environment,
        tuple(sorted(j.name for j in jobs)),
        tuple(sorted((s.name, repr(_script(s.document))) for s in scripts)),
        _users(services, ws, prefix),
        routes,
    )


def _users(services: Services, scope: Scope, prefix: str) -> tuple[tuple[str, str, bool], ...]:
    actor, here = scope.actor, scope.workspace.id
    users = services.accounts.list_users(actor, actor.project_id)
    return tuple(
        sorted(
            (
                u.name.removeprefix(prefix),
                next((r.role.value for r in u.roles if r.workspace_id == here), ""),
                u.project_admin,
            )
            for u in users
            if u.name.startswith(prefix)
        )
    )
