"""A job's or script's *Delete*: the same service call as the API's delete, so the same checks
(a scheduled job, jobs that depend on the job or use the script, another user's lock); a
refusal said on the object's page with the console's actions, and the listing that follows
saying what was deleted."""

from __future__ import annotations

from urllib.parse import urlencode

from jobferry.console.fixes import said
from jobferry.console.web import Page
from jobferry.errors import InUseError, JobferryError, JobScheduledError

DELETED = "deleted"
"""The listing's query parameter naming what was just deleted."""


def deletion_said(exc: JobferryError) -> str:
    """A refused Delete, in the console's terms; nothing was deleted."""
    context = exc.context
    if isinstance(exc, JobScheduledError):
        name = context.get("job_name", "")
        return (
            f"Job '{name}' is scheduled, and a scheduled job is not deleted: choose Stop "
            "scheduling first, then Delete. Nothing was deleted."
        )
    if isinstance(exc, InUseError) and "dependents" in context:
        users = ", ".join(str(j) for j in context["dependents"])
        return (
            f"Job '{context.get('job_name', '')}' is an upstream job of {users}: Edit those "
            "jobs so they no longer depend on it (or delete them first), then Delete it. "
            "Nothing was deleted."
        )
    if isinstance(exc, InUseError) and "jobs" in context:
        users = ", ".join(str(j) for j in context["jobs"])
        return (
            f"Script '{context.get('script_name', '')}' is used by job(s) {users}: Edit or "
            "delete those jobs first, then Delete it. Nothing was deleted."
        )
    return said(exc)


def deleted_url(page: Page, listing: str, directory: str | None, name: str) -> str:
    """The listing of the folder that held ``name``, saying it was deleted."""
    query = [("folder", directory or "/"), (DELETED, name)]
    return page.url(f"{listing}?{urlencode([(k, v) for k, v in query if v != '/'])}")


def deleted_said(page: Page, kind: str) -> str:
    """What the listing says after a Delete (``''``: nothing was just deleted)."""
    name = page.request.query_params.get(DELETED, "")
    return f"Deleted {kind} '{name}'." if name else ""
