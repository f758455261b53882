"""The scripts and resources pages: one folder at a time like the jobs page, and a page for
each script (content, type, connection, database, queue, versions, the jobs that run it) and
each resource (type, location, depend packages, the jobs that use it)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.console.listing import Listing, listing_query
from jobferry.console.web import Page, PageDep, render
from jobferry.domain.enums import ObjectKind

router = APIRouter()


def _folder_page(page: Page, request: Request, kind: ObjectKind, title: str) -> Response:
    params = request.query_params
    query = listing_query(
        params.get("folder", "/"),
        params.get("q", ""),
        page=params.get("page", "1"),
    )
    shown = page.services.folders.page(page.scope, kind, query)
    return render(
        request, "library.html", page, view=Listing(page, shown), title=title, kind=kind.value
    )


@router.get("/w/{workspace_id}/scripts")
def scripts_page(request: Request, page: PageDep) -> Response:
    """One folder of the workspace's scripts, filtered by name, a page at a time."""
    return _folder_page(page, request, ObjectKind.SCRIPT, "Scripts")


@router.get("/w/{workspace_id}/resources")
def resources_page(request: Request, page: PageDep) -> Response:
    """One folder of the workspace's resources, filtered by name, a page at a time."""
    return _folder_page(page, request, ObjectKind.RESOURCE, "Resources")


@router.get("/w/{workspace_id}/scripts/{script_name}")
def script_detail(page: PageDep, script_name: str) -> Response:
    """One script: its content, type, connection, database, queue, versions and users."""
    detail = page.services.scripts.detail(page.scope, script_name)
    return render(
        page.request,
        "script.html",
        page,
        script=detail.script,
        doc=detail.script.document,
        versions=detail.versions,
        jobs=detail.jobs,
    )


@router.get("/w/{workspace_id}/resources/{resource_name}")
def resource_detail(page: PageDep, resource_name: str) -> Response:
    """One resource: its type, location, depend packages and files, and the jobs using it."""
    resource = page.services.resources.detail(page.scope, resource_name)
    packages = resource.document.get("dependPackages")
    files = resource.document.get("dependFiles")
    return render(
        page.request,
        "resource.html",
        page,
        resource=resource,
        doc=resource.document,
        packages=[p for p in packages if isinstance(p, dict)] if isinstance(packages, list) else [],
        files=[str(f) for f in files] if isinstance(files, list) else [],
        jobs=[use.job_name for use in resource.users or ()],
    )
