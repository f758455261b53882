"""Pages of objects that are not there: a 404 page saying what is missing, with a link back
to the list it belongs to.

The API answers a missing job, script, task, route or package as DataArts does (HTTP 400 and
the kind's own code: clients depend on it). A console page whose address names an object that
does not exist (a stale link, a typo in the address) is another matter: the page is not there,
so the browser gets a 404 page. Each page that takes an object from its address looks it up
inside :func:`looked_up`, naming the list the object belongs to; only a missing object of the
kinds named there becomes the 404 (a missing object the page merely refers to stays the
refusal it is).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from jobferry.console.fixes import said
from jobferry.console.web import MissingPageError, Page
from jobferry.errors import (
    DownloadNotFoundError,
    EnvironmentObjectNotFoundError,
    JobNotFoundError,
    NotFoundError,
    ProfileNotFoundError,
    ReleasePackageNotFoundError,
    ResourceNotFoundError,
    RouteNotFoundError,
    ScriptNotFoundError,
    TaskNotFoundError,
)


@dataclass(frozen=True)
class Listed:
    """A list page of a workspace: what its link says and where it is under the workspace,
    and the kind of missing object it lists."""

    title: str
    path: str
    kind: type[NotFoundError]


JOBS = Listed("Jobs", "/jobs", JobNotFoundError)
SCRIPTS = Listed("Scripts", "/scripts", ScriptNotFoundError)
RESOURCES = Listed("Resources", "/resources", ResourceNotFoundError)
TASKS = Listed("Tasks", "/tasks", TaskNotFoundError)
ROUTES = Listed("Routes", "/routes", RouteNotFoundError)
DOWNLOADS = Listed("Download center", "/downloads", DownloadNotFoundError)
PACKAGES = Listed("Release packages", "/releases/packages", ReleasePackageNotFoundError)
ENVIRONMENT = Listed("Environment objects", "/admin/environment", EnvironmentObjectNotFoundError)
PROFILES = Listed("Environment profiles", "/admin/profiles", ProfileNotFoundError)


def missing(page: Page, listed: Listed, message: str) -> MissingPageError:
    """The 404 of an object of ``listed`` that is not there, said by ``message``."""
    return MissingPageError(message, page.url(listed.path), listed.title)


def package_number(page: Page, package_id: str) -> int:
    """The release package number an address names (a 404 when it names none)."""
    if not package_id.isdigit():
        raise missing(
            page,
            PACKAGES,
            f"There is no release package '{package_id}' in workspace "
            f"'{page.scope.workspace.name}': packages are numbered. Releases → Packages lists "
            "them.",
        )
    return int(package_id)


@contextmanager
def looked_up(page: Page, listed: Listed) -> Iterator[None]:
    """Show the page of an object of ``listed`` named in the address: its missing-object
    refusal becomes the 404 page linking back to ``listed``."""
    try:
        yield
    except listed.kind as exc:
        raise missing(page, listed, said(exc)) from exc
