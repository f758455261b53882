"""What refuses a remote's removal: routes naming its shadow, a push into it not over, a
refresh of it queued or running. Each leaves the remote as it was."""

from __future__ import annotations

from jobferry.domain.enums import TaskKind
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import parse_route
from jobferry.errors import ConflictError, InUseError
from jobferry.services.definitions.documents import load
from jobferry.storage import Tx
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import routes as route_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.records import WorkspaceRecord
from jobferry.storage.remotes import RemoteRecord


def refuse_removal(tx: Tx, item: RemoteRecord, shadow: WorkspaceRecord) -> None:
    """Refuse to forget ``item`` (its shadow ``shadow``) while routes name the shadow, while
    a push into it is not over, or while a refresh of it is queued or running."""
    routes = _routes_naming(tx, item.project_id, shadow)
    if routes:
        raise InUseError(
            f"Remote '{item.name}' cannot be removed: route(s) {', '.join(routes)} name its "
            f"shadow workspace '{shadow.name}'; delete them (jobferry routes delete) or "
            "point them elsewhere first.",
            remote=item.name,
            routes=routes,
        )
    _refuse_open_push(tx, item)
    _refuse_refreshing(tx, item, shadow)


def _routes_naming(tx: Tx, project_id: str, shadow: WorkspaceRecord) -> list[str]:
    """The routes (newest versions) with an end in the shadow workspace, by name or id."""
    named = []
    for item in route_repo.ROUTES.latest_all(tx, project_id):
        route = parse_route(item.name, load(item.document))
        ends = {route.source.workspace, route.target.workspace}
        if ends & {shadow.name, shadow.id}:
            named.append(item.name)
    return named


def _refuse_open_push(tx: Tx, item: RemoteRecord) -> None:
    """Refuse to forget a remote a push (or a push's rollback) is still writing or undoing:
    finishing it, after a failure or a restart, needs the remote's endpoint and key."""
    unfinished = journal_repo.open_in_workspace(tx, item.workspace_id)
    if unfinished:
        task = unfinished[0].task_id
        raise ConflictError(
            f"Remote '{item.name}' cannot be removed: push {task} into it is not over (or its "
            "undo is being finished after its server process stopped, which needs the remote).",
            fix=f"Remove it once task {task} of its shadow workspace has ended.",
            remote=item.name,
            task_id=task,
        )


def _refuse_refreshing(tx: Tx, item: RemoteRecord, shadow: WorkspaceRecord) -> None:
    """Refuse to forget a remote while a refresh task of it is queued or running: it would
    read a remote that is gone, and fail as it writes; its reads would be lost."""
    task = task_repo.running_in(tx, [item.workspace_id], TaskKind.REFRESH).get(item.workspace_id)
    if task is not None:
        raise ConflictError(
            f"Remote '{item.name}' cannot be removed: refresh {task.id} of it is queued or "
            f"running (a task of its shadow workspace '{shadow.name}'); nothing was removed.",
            fix=f"Follow it (GET /v1/{{project_id}}/system-tasks/{task.id} in that workspace) "
            "and remove it once it has ended.",
            remedy=Remedy.FOLLOW_TASK,
            remote=item.name,
            task_id=task.id,
            workspace=shadow.name,
        )
