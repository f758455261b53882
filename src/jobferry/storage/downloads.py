"""The download center's index (the packages themselves live in a blob store)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from jobferry.storage.records import StoredPackageRecord, first_record, insert_record, record
from jobferry.storage.tables import downloads, workspace_exports
from jobferry.storage.tx import Tx


@dataclass(frozen=True)
class DownloadRecord(StoredPackageRecord):
    """A generated package."""

    task_id: str | None
    selection: str


def insert_download(tx: Tx, item: DownloadRecord) -> None:
    """Record a generated package."""
    insert_record(tx, downloads, item)


def get_download(tx: Tx, workspace_id: str, download_id: str) -> DownloadRecord | None:
    """One package of the workspace."""
    return first_record(tx, DownloadRecord, downloads, workspace_id=workspace_id, id=download_id)


def list_downloads(tx: Tx, workspace_id: str, now: int) -> list[DownloadRecord]:
    """The workspace's unexpired packages, newest first."""
    rows = tx.conn.execute(
        select(downloads)
        .where(downloads.c.workspace_id == workspace_id, downloads.c.expires_at > now)
        .order_by(downloads.c.created_at.desc(), downloads.c.id)
    )
    return [record(DownloadRecord, r) for r in rows]


def expired(tx: Tx, now: int) -> list[DownloadRecord]:
    """Every expired package (all workspaces)."""
    rows = tx.conn.execute(select(downloads).where(downloads.c.expires_at <= now))
    return [record(DownloadRecord, r) for r in rows]


def delete_download(tx: Tx, download_id: str) -> None:
    """Forget a package."""
    tx.conn.execute(delete(downloads).where(downloads.c.id == download_id))


def last_workspace_export(tx: Tx, workspace_id: str) -> int | None:
    """When the workspace was last exported whole (ms), if ever."""
    return tx.conn.execute(
        select(workspace_exports.c.last_export_at).where(
            workspace_exports.c.workspace_id == workspace_id
        )
    ).scalar_one_or_none()


def set_last_workspace_export(tx: Tx, workspace_id: str, at: int) -> None:
    """Remember a whole-workspace export."""
    tx.conn.execute(
        delete(workspace_exports).where(workspace_exports.c.workspace_id == workspace_id)
    )
    tx.conn.execute(insert(workspace_exports).values(workspace_id=workspace_id, last_export_at=at))
