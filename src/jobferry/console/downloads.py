"""The download center: generated packages, their download and deletion."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from jobferry.console.web import FormDep, PageContext, PageDep, redirect, render
from jobferry.services.downloads import DownloadList
from jobferry.web import attachment

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
    services = page.services
    scratch = services.settings.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / f"console-download-{uuid.uuid4().hex}.zip"
    try:
        item = services.downloads.fetch(page.scope, download_id, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return FileResponse(
        target,
        media_type="application/zip",
        headers={"Content-Disposition": attachment(item.file_name)},
        background=BackgroundTask(Path(target).unlink, missing_ok=True),
    )


@router.post("/w/{workspace_id}/downloads/{download_id}/delete")
def delete_download(page: PageDep, form: FormDep, download_id: str) -> Response:
    """Remove a package before it expires."""
    page.services.downloads.delete(page.scope, download_id)
    return redirect(page.url("/downloads"))
