"""The download center on the wire."""

from __future__ import annotations

from typing import Any

from jobferry.services.downloads import Download, DownloadList


def download_document(item: Download) -> dict[str, Any]:
    """A package in the download center, as ``GET /downloads/{id}`` answers it."""
    return {
        "id": item.id,
        "fileName": item.file_name,
        "selection": item.selection,
        "size": item.size,
        "sha256": item.sha256,
        "createUser": item.created_by,
        "createTime": item.created_at,
        "expireTime": item.expires_at,
        "taskId": item.task_id,
        "store": item.store,
    }


def download_list_document(listed: DownloadList) -> dict[str, Any]:
    """The download center, newest first, and when the last package was generated."""
    return {
        "total": listed.total,
        "lastGeneratedAt": listed.last_generated_at,
        "downloads": [download_document(item) for item in listed.downloads],
    }
