"""The download center: generated packages, their download, their import into a workspace
(read where the package is kept: nothing downloaded and uploaded again), and their deletion."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.missing import DOWNLOADS, looked_up
from jobferry.console.web import (
    FormDep,
    Page,
    PageContext,
    PageDep,
    base_of,
    redirect,
    render,
    text,
)
from jobferry.errors import JobferryError
from jobferry.services.accounts.records import Workspace
from jobferry.services.context import WRITERS
from jobferry.services.downloads import DownloadList, download_path
from jobferry.web import package_download

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class DownloadsContext(PageContext):
    """The download center: its unexpired packages, the workspaces the viewer may import
    them into (``targets``), and why an import was refused (``error``)."""

    template = "downloads.html"
    listing: DownloadList
    targets: list[Workspace]
    error: str = ""


def _center(page: Page, *, error: str = "", status_code: int = 200) -> Response:
    listing = page.services.downloads.list_downloads(page.scope)
    targets = [w for w in page.workspaces if w.role in WRITERS]
    context = DownloadsContext(page=page, listing=listing, targets=targets, error=error)
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/downloads")
def download_center(page: PageDep) -> Response:
    """Unexpired packages, newest first."""
    return _center(page)


@router.get("/w/{workspace_id}/downloads/{download_id}/file")
def download_file(page: PageDep, download_id: str) -> Response:
    """The package's bytes (recorded in the audit log by the service)."""
    with looked_up(page, DOWNLOADS):
        opened = page.services.downloads.open(page.scope, download_id)
    return package_download(*opened)


@router.post("/w/{workspace_id}/downloads/{download_id}/import")
def import_into(page: PageDep, form: FormDep, download_id: str) -> Response:
    """Start the import wizard of the chosen workspace on this package, refused here (and
    nothing changed) unless the viewer may read the package and import into that workspace;
    a package gone already (deleted, expired) is the 404 page, as for its download."""
    with looked_up(page, DOWNLOADS):
        page.services.downloads.get(page.scope, download_id)
    target = text(form, "target")
    if not target:
        return _center(
            page, error="Choose the workspace to import the package into.", status_code=400
        )
    try:
        actor = page.scope.actor
        into = page.services.accounts.scope(actor, actor.project_id, target)
        into.require(WRITERS, "import packages")
    except JobferryError as exc:
        return _center(page, error=said(exc), status_code=exc.status)
    query = urlencode({"package": download_path(page.scope.workspace.id, download_id)})
    return redirect(f"{base_of(page.request)}/w/{into.workspace.id}/import?{query}")


@router.post("/w/{workspace_id}/downloads/{download_id}/delete")
def delete_download(page: PageDep, form: FormDep, download_id: str) -> Response:
    """Remove a package before it expires (one gone already, or never there: the 404 page;
    one who may not use the download center is refused whether it is there or not)."""
    with looked_up(page, DOWNLOADS):
        page.services.downloads.delete(page.scope, download_id)
    return redirect(page.url("/downloads"))
