"""The download center: generated packages, their download and deletion."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response

from jobferry.console.web import FormDep, PageContext, PageDep, redirect, render
from jobferry.services.downloads import DownloadList
from jobferry.web import package_download

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class DownloadsContext(PageContext):
    """The download center: its unexpired packages."""

    template = "downloads.html"
    listing: DownloadList


@router.get("/w/{workspace_id}/downloads")
def download_center(page: PageDep) -> Response:
    """Unexpired packages, newest first."""
    listing = page.services.downloads.list_downloads(page.scope)
    return render(page.request, DownloadsContext(page=page, listing=listing))


@router.get("/w/{workspace_id}/downloads/{download_id}/file")
def download_file(page: PageDep, download_id: str) -> Response:
    """The package's bytes (recorded in the audit log by the service)."""
    return package_download(*page.services.downloads.open(page.scope, download_id))


@router.post("/w/{workspace_id}/downloads/{download_id}/delete")
def delete_download(page: PageDep, form: FormDep, download_id: str) -> Response:
    """Remove a package before it expires."""
    page.services.downloads.delete(page.scope, download_id)
    return redirect(page.url("/downloads"))
