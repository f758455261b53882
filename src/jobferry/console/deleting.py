"""A job's or script's *Delete*: the same service call as the API's delete, so the same checks
(a scheduled job, jobs that depend on the job or use the script, another user's lock); a
refusal said on the object's page with the console's actions, and the listing that follows
saying what was deleted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

from fastapi import Response

from jobferry.console.fixes import said
from jobferry.console.web import Page, redirect
from jobferry.domain.dependents import dependents_named
from jobferry.errors import InUseError, JobferryError, JobScheduledError
from jobferry.services.context import Scope

DELETED = "deleted"
"""The listing's query parameter naming what was just deleted."""

DEPENDED_ON = (
    "Job '{job_name}' is an upstream job of {users}: Edit those jobs so they no longer depend "
    "on it (or delete them first), then Delete it. Nothing was deleted."
)
USED = "Script '{script_name}' is used by job(s) {users}: Edit or delete those jobs first."
USED_SUBMITTED = (
    "Script '{script_name}' is used by the submitted version of job(s) {users}, though their "
    "saved definition no longer uses it: Submit those jobs again (or delete them) first."
)
DEPENDED_ON_SUBMITTED = (
    "Job '{job_name}' is an upstream job of the submitted version of job(s) {users}, though "
    "their saved definition no longer depends on it: Submit those jobs again (or delete them) "
    "first, then Delete it. Nothing was deleted."
)
"""A refused Delete of an object in use: its users by their saved definition (``jobs``), by
their submitted version alone (``submitted_jobs``), or jobs depending on it (``dependents``;
``submitted_jobs`` with ``job_name``)."""


def deletion_said(exc: JobferryError) -> str:
    """A refused Delete, in the console's terms; nothing was deleted."""
    context = exc.context
    if isinstance(exc, JobScheduledError):
        name = context.get("job_name", "")
        return (
            f"Job '{name}' is scheduled, and a scheduled job is not deleted: choose Stop "
            "scheduling first, then Delete. Nothing was deleted."
        )
    if isinstance(exc, InUseError):
        return _in_use_said(context) or said(exc)
    return said(exc)


def _in_use_said(context: Mapping[str, Any]) -> str:
    """A refused Delete of an object in use, by the refusal's fields (``''``: none known)."""
    if "dependents" in context:
        return DEPENDED_ON.format(
            job_name=context.get("job_name", ""), users=dependents_named(context)
        )
    if "job_name" in context and "submitted_jobs" in context:
        jobs = context.get("submitted_dependent_jobs") or context["submitted_jobs"]
        users = dependents_named({"dependent_jobs": jobs, "workspace": context.get("workspace")})
        return DEPENDED_ON_SUBMITTED.format(job_name=context["job_name"], users=users)
    if "jobs" not in context:
        return ""
    script = context.get("script_name", "")
    lines = [
        words.format(script_name=script, users=", ".join(str(j) for j in context[key]))
        for key, words in (("jobs", USED), ("submitted_jobs", USED_SUBMITTED))
        if context.get(key)
    ]
    return " ".join([*lines, "Then Delete it. Nothing was deleted."])


def deleted_url(page: Page, listing: str, directory: str | None, name: str) -> str:
    """The listing of the folder that held ``name``, saying it was deleted."""
    query = [("folder", directory or "/"), (DELETED, name)]
    return page.url(f"{listing}?{urlencode([(k, v) for k, v in query if v != '/'])}")


def deleted_said(page: Page, kind: str) -> str:
    """What the listing says after a Delete (``''``: nothing was just deleted)."""
    name = page.request.query_params.get(DELETED, "")
    return f"Deleted {kind} '{name}'." if name else ""


class ObjectPage(Protocol):
    """An object's page (a job's, a script's), saying ``error`` with ``status_code``."""

    def __call__(self, page: Page, name: str, /, *, error: str, status_code: int) -> Response: ...


def delete_then_list(
    page: Page,
    name: str,
    delete: Callable[[Scope, str], object],
    refused: ObjectPage,
    listing: str,
    directory: str | None,
) -> Response:
    """Delete ``name`` with the service's ``delete``: refused, its page (``refused``) says why;
    done, the ``listing`` of the folder that held it says what was deleted."""
    try:
        delete(page.scope, name)
    except JobferryError as exc:
        return refused(page, name, error=deletion_said(exc), status_code=exc.status)
    return redirect(deleted_url(page, listing, directory, name))
