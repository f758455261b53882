"""One warning line in the server log for each task that ends FAILED: an import, export,
rollback or refresh that failed (object storage down, a package refused in its task) is
otherwise only in the task's row, and an operator reading the log would not see it. And the
end of a task whose process stopped (:func:`orphaned`): a route's promotion, or the import of
one, names the command that runs it again."""

from __future__ import annotations

import logging
import shlex
from typing import Any

from jobferry.domain.enums import TaskKind
from jobferry.services.definitions.documents import load
from jobferry.space import Store, full_error
from jobferry.storage import Tx
from jobferry.storage import tasks as repo

log = logging.getLogger("jobferry.tasks")
ORPHANED = (
    "The server process running this task stopped before it finished; nothing it was applying "
    "was kept. Run it again."
)
"""The end of a task whose process stopped, when no command of its own runs it again."""
PROMOTION_ORPHANED = (
    "The server process running this promotion of route '{route}' stopped before it finished; "
    "nothing it was {doing} was kept. Run it again: jobferry promote {command}."
)


def internal_error(task_id: str) -> str:
    """What a task that failed on an unexpected error ends with; the server log has the
    error, logged with the task's id."""
    return f"Internal error; see the server log for task {task_id}."


def unexpected_failure(
    exc: Exception, task: str, task_id: str, writing: str, logger: logging.Logger
) -> tuple[str, dict[str, Any]]:
    """What a task that raised ``exc``, no refusal, ends with, and the context of its result:
    the scratch folder (or the database) full while ``writing``; else :func:`internal_error`,
    the error logged with its traceback as ``task`` ("export task") ``task_id`` failing."""
    full = full_error(exc, Store.SCRATCH, writing)
    if full is not None:
        return full.message, full.context
    logger.error("%s %s failed", task, task_id, exc_info=exc)
    return internal_error(task_id), {}


def orphaned(task: repo.Orphan) -> str:
    """What a task whose process stopped ends with: a route's promotion (planned or packaged
    past its call's budget) names ``jobferry promote ROUTE``, the import of one ``jobferry
    promote ROUTE --apply``; any other task :data:`ORPHANED`."""
    route, doing, apply = task.route, "applying", " --apply"
    if task.kind == TaskKind.PROMOTION:
        asked = load(task.request or "{}")
        route = asked.get("route") if isinstance(asked, dict) else None
        doing, apply = "making", ""
    if not isinstance(route, str) or not route:
        return ORPHANED
    command = shlex.quote(route) + apply
    return PROMOTION_ORPHANED.format(route=route, doing=doing, command=command)


def log_failed(tx: Tx, task_id: str, message: str) -> None:
    """Say in the log that task ``task_id`` ended FAILED with ``message`` (what its user
    reads), naming its kind and workspace; inside the transaction that records the end."""
    if not log.isEnabledFor(logging.WARNING):
        return
    found = repo.kind_and_workspace(tx, task_id)
    kind, workspace = found if found is not None else ("unknown", "unknown")
    log.warning(
        "task %s FAILED: kind=%s workspace=%s message=%s",
        task_id,
        kind,
        workspace,
        " ".join(message.split()),  # one line, whatever the message holds
    )
