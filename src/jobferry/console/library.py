"""The scripts and resources pages: one folder at a time like the jobs page, and a page for
each script (content, type, connection, database, queue, versions, the jobs that run it) and
each resource (type, location, depend packages, the jobs that use it); a script's Delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from jobferry.console.deleting import delete_then_list, deleted_said
from jobferry.console.editor import saved_said
from jobferry.console.listing import Listing, listing_query
from jobferry.console.missing import RESOURCES, SCRIPTS, looked_up
from jobferry.console.web import FormDep, Page, PageContext, PageDep, render
from jobferry.domain.enums import ObjectKind
from jobferry.services.context import WRITERS
from jobferry.services.definitions.records import (
    Lock,
    ShownResource,
    ShownScript,
    SubmittedVersion,
)

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class LibraryContext(PageContext):
    """The scripts or resources page: one folder's listing, the page's title, the kind."""

    template = "library.html"
    view: Listing
    title: str
    kind: str
    message: str = ""
    """What was just deleted, said above the listing."""


@dataclass(frozen=True, kw_only=True)
class ScriptContext(PageContext):
    """A script's page: the script and its document, submitted versions and the jobs that run it."""

    template = "script.html"
    script: ShownScript
    doc: dict[str, Any]
    versions: list[SubmittedVersion]
    jobs: list[str]
    lock: Lock | None
    """Who holds a lock on it (``None``: nobody)."""
    error: str = ""
    """A refused Delete, said on the page."""
    message: str = ""
    """What the editor saved, when it came back here."""


@dataclass(frozen=True, kw_only=True)
class ResourceContext(PageContext):
    """A resource's page: the resource and its document, depend packages and files, the jobs
    that use it."""

    template = "resource.html"
    resource: ShownResource
    doc: dict[str, Any]
    packages: list[dict[str, Any]]
    files: list[str]
    jobs: list[str]


def _folder_page(page: Page, request: Request, kind: ObjectKind, title: str) -> Response:
    params = request.query_params
    query = listing_query(
        params.get("folder", "/"),
        params.get("q", ""),
        page=params.get("page", "1"),
    )
    shown = page.services.folders.page(page.scope, kind, query)
    context = LibraryContext(
        page=page,
        view=Listing(page, shown),
        title=title,
        kind=kind.value,
        message=deleted_said(page, kind.value),
    )
    return render(request, context)


@router.get("/w/{workspace_id}/scripts")
def scripts_page(request: Request, page: PageDep) -> Response:
    """One folder of the workspace's scripts, filtered by name, a page at a time."""
    return _folder_page(page, request, ObjectKind.SCRIPT, "Scripts")


@router.get("/w/{workspace_id}/resources")
def resources_page(request: Request, page: PageDep) -> Response:
    """One folder of the workspace's resources, filtered by name, a page at a time."""
    return _folder_page(page, request, ObjectKind.RESOURCE, "Resources")


@router.get("/w/{workspace_id}/scripts/{script_name}")
def script_detail(page: PageDep, script_name: str, saved: str = "") -> Response:
    """One script: its content, type, connection, database, queue, versions and users
    (``saved``: what the editor just saved)."""
    with looked_up(page, SCRIPTS):
        return _script_page(page, script_name, saved=saved)


def _script_page(
    page: Page, script_name: str, *, error: str = "", status_code: int = 200, saved: str = ""
) -> Response:
    detail = page.services.scripts.detail(page.scope, script_name)
    context = ScriptContext(
        page=page,
        script=detail.script,
        doc=detail.script.document,
        versions=detail.versions,
        jobs=detail.jobs,
        lock=detail.lock,
        error=error,
        message=saved_said(saved, "script", detail.script.version),
    )
    return render(page.request, context, status_code=status_code)


@router.post("/w/{workspace_id}/scripts/{script_name}/delete")
def delete_script(page: PageDep, form: FormDep, script_name: str) -> Response:
    """Delete a script (writers) with the API's own checks: refused, on its page, while jobs
    use it or another user locks it. Who may not delete here is told so first, as the API
    tells them, whether the script is there or not."""
    page.require_change(WRITERS, "delete scripts")
    scripts = page.services.scripts
    directory = scripts.detail(page.scope, script_name).script.directory
    return delete_then_list(page, script_name, scripts.delete, _script_page, "/scripts", directory)


@router.get("/w/{workspace_id}/resources/{resource_name}")
def resource_detail(page: PageDep, resource_name: str) -> Response:
    """One resource: its type, location, depend packages and files, and the jobs using it."""
    with looked_up(page, RESOURCES):
        resource = page.services.resources.detail(page.scope, resource_name)
    packages = resource.document.get("dependPackages")
    files = resource.document.get("dependFiles")
    context = ResourceContext(
        page=page,
        resource=resource,
        doc=resource.document,
        packages=[p for p in packages if isinstance(p, dict)] if isinstance(packages, list) else [],
        files=[str(f) for f in files] if isinstance(files, list) else [],
        jobs=[use.job_name for use in resource.users or ()],
    )
    return render(page.request, context)
