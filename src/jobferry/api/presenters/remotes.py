"""Remotes on the wire (jobferry extension): camelCase, and never the secret key."""

from __future__ import annotations

from typing import Any

from jobferry.services.remotes.records import (
    FailedTask,
    Refresh,
    Remote,
    RemoteCheck,
    RunningTask,
    Snapshot,
)


def refresh_view(item: Refresh) -> dict[str, Any]:
    """What a refresh did: per kind, objects created, updated, deleted and unchanged."""
    return {
        "refreshTime": item.at,
        "counts": item.counts,
        "calls": item.calls,
        "seconds": item.seconds,
        "from": item.source.value,
        "snapshot": snapshot_view(item.snapshot) if item.snapshot else None,
        "notes": list(item.notes),
    }


def snapshot_view(item: Snapshot) -> dict[str, Any]:
    """The snapshot a refresh read: file name, SHA-256, size, when it was made, by what."""
    return {
        "fileName": item.file_name,
        "sha256": item.sha256,
        "size": item.size,
        "madeTime": item.made_at,
        "producer": item.producer,
        "wholeKinds": list(item.whole),
    }


def remote_view(item: Remote) -> dict[str, Any]:
    """A remote as the API answers it (``secretKey`` is write-only: only that it is set;
    ``studioEndpoint`` is where the Studio calls go: ``endpoint`` unless one was given;
    ``refreshing``: the refresh task queued or running now, in the shadow workspace, with the
    progress and message it last reported; ``lastRefreshFailed``: the newest refresh that
    failed since the last one that succeeded)."""
    return {
        "name": item.name,
        "endpoint": item.endpoint,
        "studioEndpoint": item.studio_endpoint or item.endpoint,
        "projectId": item.project_id,
        "workspace": item.workspace,
        "accessKey": item.access_key,
        "secretKey": "set",
        "shadowWorkspace": {"id": item.workspace_id, "name": item.name},
        "createTime": item.created_at,
        "createUser": item.created_by,
        "lastRefresh": refresh_view(item.last_refresh) if item.last_refresh else None,
        "refreshing": _running(item.refreshing) if item.refreshing else None,
        "lastRefreshFailed": _failed(item.refresh_failed) if item.refresh_failed else None,
    }


def _failed(task: FailedTask) -> dict[str, Any]:
    return {"taskId": task.id, "endTime": task.end_time, "message": task.message}


def _running(task: RunningTask) -> dict[str, Any]:
    return {"taskId": task.id, "progress": task.progress, "message": task.message}


def check_view(item: RemoteCheck) -> dict[str, Any]:
    """What ``remotes test`` found."""
    return {
        "name": item.remote,
        "reach": item.reach.value,
        "message": item.message,
        "calls": item.calls,
        "remoteStatus": item.remote_status,
        "remoteErrorCode": item.remote_error_code,
        "remoteErrorMsg": item.remote_error_msg,
    }
